"""What changed between two runs, model by model: forecasts, parameters and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.errors import DataError
from tsbench.report.build import RunData

__all__ = ["compare_runs"]


def compare_runs(a: RunData, b: RunData, metrics: list[str] | None = None, atol: float = 1e-12) -> pd.DataFrame:
    """One row per model of either run: its status and each metric in A, in B and the change.

    Metrics are averaged over the series both runs scored, so a change of data
    coverage does not pass for a change of accuracy. ``status`` is ``only in
    A``/``only in B``, ``same forecasts`` (every shared forecast equal within
    ``atol``), or ``changed``; ``params`` says whether the model's settings in
    the experiment differ.
    """
    names = list(metrics or [m for m in a.metric_names if m in b.metric_names])
    unknown = [m for m in names if m not in a.metric_names and m not in b.metric_names]
    if unknown:
        raise DataError(f"metric(s) {unknown} were not computed in either run; expected one of "
                        f"{sorted(set(a.metric_names) | set(b.metric_names))}.")
    models = list(dict.fromkeys([*a.models, *b.models]))
    shared = sorted(set(a.forecasts["unique_id"]) & set(b.forecasts["unique_id"]))
    mean_a, mean_b = _means(a.metrics, names, shared), _means(b.metrics, names, shared)
    params_a, params_b = _params(a), _params(b)
    rows = []
    for model in models:
        row: dict[str, object] = {"model": model, "status": _status(a, b, model, atol),
                                  "params": "changed" if params_a.get(model) != params_b.get(model) else ""}
        if model not in params_a or model not in params_b:
            row["params"] = ""
        for name in names:
            va, vb = mean_a.get((model, name), np.nan), mean_b.get((model, name), np.nan)
            row[f"{name}_a"], row[f"{name}_b"], row[f"{name}_change"] = va, vb, vb - va
        rows.append(row)
    return pd.DataFrame(rows)


def _means(metrics: pd.DataFrame, names: list[str], series: list[str]) -> dict[tuple[str, str], float]:
    rows = metrics[(metrics["h"] == 0) & metrics["metric"].isin(names) & metrics["unique_id"].isin(series)]
    return rows.groupby(["model", "metric"])["value"].mean().to_dict()


def _params(run: RunData) -> dict[str, tuple]:
    return {f["name"]: (f.get("model"), repr(sorted((f.get("params") or {}).items())))
            for f in run.config.get("forecasters", [])}


def _status(a: RunData, b: RunData, model: str, atol: float) -> str:
    fa, fb = a.forecasts[a.forecasts["model"] == model], b.forecasts[b.forecasts["model"] == model]
    if fb.empty:
        return "only in A"
    if fa.empty:
        return "only in B"
    keys = ["unique_id", "cutoff", "h"]
    both = fa[[*keys, "y_pred"]].merge(fb[[*keys, "y_pred"]], on=keys, suffixes=("_a", "_b"))
    if both.empty:
        return "no shared origins"
    same = np.allclose(both["y_pred_a"], both["y_pred_b"], rtol=0, atol=atol, equal_nan=True)
    return "same forecasts" if same and len(both) == len(fa) == len(fb) else "changed"
