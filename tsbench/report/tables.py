"""Leaderboard tables built from the long metrics frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from tsbench.metrics import METRICS

__all__ = ["leaderboard", "leaderboard_markdown"]


def leaderboard(
    metrics: pd.DataFrame,
    metric_names: Sequence[str],
    baseline: str | None = None,
    models: Sequence[str] | None = None,
    n_series: int | None = None,
) -> pd.DataFrame:
    """One row per model, one column per metric (mean over series of the all-steps value).

    Models are sorted by the first metric in its better direction. ``series``
    counts the series each model was scored on, so a model with failed cells
    shows fewer than the others; models with no results at all are kept, empty.
    """
    overall = metrics[metrics["h"] == 0]
    table = overall.pivot_table(index="model", columns="metric", values="value", aggfunc="mean")
    table = table.reindex(columns=[m for m in metric_names if m in table.columns])
    counts = overall.groupby("model")["unique_id"].nunique()
    if models is not None:
        table = table.reindex(list(dict.fromkeys([*models, *table.index])))
    first = metric_names[0]
    if first in table.columns:
        ascending = not METRICS[first].higher_is_better
        table = table.sort_values(first, ascending=ascending, na_position="last", kind="stable")
    table.insert(0, "series", counts.reindex(table.index).fillna(0).astype(int))
    if n_series is not None:
        table["complete"] = table["series"] == n_series
    table.insert(0, "baseline", [m == baseline for m in table.index])
    table.index.name = "model"
    return table.reset_index()


def leaderboard_markdown(
    table: pd.DataFrame, title: str | None = None, scales: Mapping[str, str] | None = None
) -> str:
    """The leaderboard as a Markdown table; the baseline is marked with ``*``.

    ``scales`` (metric -> scale, e.g. ``{"mae": "price"}``) labels each metric
    column with the scale it was scored on.
    """
    metric_cols = [c for c in table.columns if c in METRICS]
    scales = scales or {}
    header = ["model", "series", *(f"{c} [{scales[c]}]" if c in scales else c for c in metric_cols)]
    lines = [f"## {title}", ""] if title else []
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        name = f"{row['model']} *" if row["baseline"] else str(row["model"])
        cells = [name, str(row["series"])] + [_fmt(row[c]) for c in metric_cols]
        lines.append("| " + " | ".join(cells) + " |")
    notes = []
    if table["baseline"].any():
        notes.append("`*` baseline.")
    if "complete" in table.columns and not table["complete"].all():
        missing = table.loc[~table["complete"], "model"].tolist()
        notes.append(f"Incomplete (failed cells, see failures.json): {', '.join(map(str, missing))}.")
    arrows = ", ".join(METRICS[c].goal or f"{c} {'higher' if METRICS[c].higher_is_better else 'lower'} is better"
                       for c in metric_cols)
    notes.append(f"Mean over series of each metric over all steps; {arrows}.")
    if scales:
        notes.append("Scale of each metric in brackets: the values it was computed on.")
    return "\n".join(lines + [""] + notes) + "\n"


def _fmt(value) -> str:
    if pd.isna(value):
        return "—"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.4e}"
