"""How much of each model's planned backtest was scored: origins in the forecasts file against origins planned."""

from __future__ import annotations

from pathlib import Path

__all__ = ["origin_coverage", "origins_per_model"]


def origin_coverage(cells, records: list[dict], forecasts_path: Path) -> tuple[dict[str, float], dict[str, int]]:
    """Per model: the share of planned forecast origins that were scored, and the origins dropped as non-finite."""
    planned: dict[str, int] = {}
    for cell in cells:
        planned[cell.name] = planned.get(cell.name, 0) + sum(len(cell.series_plans[u].cutoffs) for u in cell.series)
    scored = origins_per_model(forecasts_path)
    coverage = {m: float(scored.get(m, 0)) / n if n else 0.0 for m, n in planned.items()}
    nonfinite: dict[str, int] = {}
    for record in records:
        count = int((record.get("nonfinite") or {}).get("origins", 0))
        if count:
            nonfinite[record["model"]] = nonfinite.get(record["model"], 0) + count
    return coverage, nonfinite


def origins_per_model(forecasts_path: Path) -> dict[str, int]:
    """Forecast origins per model in the forecasts file (its h = 1 rows), read one column at a time."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(forecasts_path, columns=["model"], filters=[("h", "==", 1)])
    counts = pc.value_counts(table.column("model")).to_pylist()
    return {str(c["values"]): int(c["counts"]) for c in counts}
