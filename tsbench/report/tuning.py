"""What tuning chose and cost: the parameters chosen per block, the gain over the defaults, trials and CPU time.

Everything here is read from the cell records (``manifest.json``'s ``cells``),
where each tuned cell keeps its searches under ``tuning``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from tsbench.errors import DataError
from tsbench.metrics.registry import get_metric

__all__ = ["tuning_cost", "with_tuning_cost", "tuning_table", "tune_report"]

COST_COLUMNS = ("tune_trials", "tune_cpu_s")


def tuning_cost(records: Sequence[dict]) -> pd.DataFrame:
    """``model, tune_trials, tune_cpu_s``: trials run and CPU seconds spent searching, over all cells of a model."""
    rows = [{"model": r["model"], "tune_trials": r["tuning"]["trials"], "tune_cpu_s": r["tuning"]["cpu_time"]}
            for r in records if r.get("tuning")]
    if not rows:
        return pd.DataFrame(columns=["model", *COST_COLUMNS])
    return pd.DataFrame(rows).groupby("model", as_index=False, sort=False).sum()


def with_tuning_cost(board: pd.DataFrame, records: Sequence[dict]) -> pd.DataFrame:
    """The leaderboard with each model's tuning cost beside its scores (0 for untuned models); unchanged if none tuned."""
    cost = tuning_cost(records)
    if cost.empty:
        return board
    out = board.merge(cost, on="model", how="left")
    out["tune_trials"] = out["tune_trials"].fillna(0).astype(int)
    out["tune_cpu_s"] = out["tune_cpu_s"].fillna(0.0).astype(float)
    return out


def tuning_table(records: Sequence[dict]) -> pd.DataFrame:
    """One row per tuned block of each cell: the chosen parameters and the inner scores with and without tuning.

    ``gain`` is how much better the chosen parameters scored than the defaults
    on the block's inner validation, in the metric's units (positive is
    better, whichever way the metric improves); ``gain_pct`` relative to the
    defaults' score.
    """
    rows = []
    for record in records:
        tuning = record.get("tuning")
        if not tuning:
            continue
        sign = -1.0 if get_metric(tuning["metric"]).higher_is_better else 1.0
        for block in tuning["blocks"]:
            default, best = block["default_score"], block["best_score"]
            gain = None if default is None or best is None else sign * (default - best)
            rows.append({
                "model": record["model"], "series": ", ".join(record["series"]), "block": block["block"],
                "train_end": block["train_end"], "chosen": json.dumps(block["chosen"], sort_keys=True),
                "trials": len(block["trials"]), "pruned": sum(t["pruned"] for t in block["trials"]),
                "metric": tuning["metric"], "default_score": default, "best_score": best, "gain": gain,
                "gain_pct": None if gain is None or not default else 100.0 * gain / abs(default),
                "cpu_s": block["cpu_time"],
            })
    return pd.DataFrame(rows)


def tune_report(run_dir: str | Path) -> str:
    """A Markdown report of a run's tuning: chosen parameters over time and the gain over the defaults.

    Raises
    ------
    DataError
        When ``run_dir`` has no ``manifest.json`` or no forecaster of the run was tuned.
    """
    path = Path(run_dir) / "manifest.json"
    if not path.exists():
        raise DataError(f"{run_dir}: no manifest.json; expected a run folder written by `tsbench run`.")
    manifest = json.loads(path.read_text())
    table = tuning_table(manifest.get("cells", []))
    if table.empty:
        raise DataError(f"{run_dir}: no forecaster of this run was tuned (none has a 'tune' section).")
    lines = [f"# {manifest['experiment']}: tuning", ""]
    for model, group in table.groupby("model", sort=False):
        metric = group["metric"].iloc[0]
        lines += [f"## {model}", "",
                  f"{len(group)} search(es), {int(group['trials'].sum())} trials ({int(group['pruned'].sum())} "
                  f"pruned), {group['cpu_s'].sum():.1f} CPU s; inner {metric} with defaults "
                  f"{group['default_score'].mean():.4g}, tuned {group['best_score'].mean():.4g} "
                  f"(mean gain {group['gain'].mean():.4g}, {group['gain_pct'].mean():.1f}%).", "",
                  "| series | block | train end | chosen | trials | default | tuned | gain % |",
                  "|---|---|---|---|---|---|---|---|"]
        for _, r in group.iterrows():
            lines.append(f"| {r['series']} | {r['block']} | {r['train_end']} | `{r['chosen']}` | {r['trials']} | "
                         f"{_fmt(r['default_score'])} | {_fmt(r['best_score'])} | {_fmt(r['gain_pct'], '.1f')} |")
        lines.append("")
    return "\n".join(lines)


def _fmt(value, spec: str = ".4g") -> str:
    return "—" if value is None or pd.isna(value) else format(value, spec)
