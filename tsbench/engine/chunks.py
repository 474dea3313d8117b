"""Chunks of series in one cell of a per-series model: their size, and one result made of each series' own.

A chunk holds enough series that the per-cell costs stay small next to the
work, and there are enough chunks to keep every worker busy. Each series of a
chunk is backtested on its own; one that fails is reported alone.
"""

from __future__ import annotations

import math
import traceback

import pandas as pd

__all__ = ["CELLS_PER_WORKER", "MAX_CHUNK", "chunk_size", "chunk_series", "series_failure", "merge_results",
           "fit_problems"]

#: Cells per worker aimed at for cheap models: enough to balance the load, few enough that the
#: per-cell costs (transfer, store files) stay small next to the work.
CELLS_PER_WORKER = 4
#: Most series in one cell of a cheap model (bounds a cell's memory and the work lost to a crash).
MAX_CHUNK = 1000
#: Costlier per-series models (statsmodels, Prophet, anything fitted through the panel contract)
#: get many small cells: their fits dwarf the per-cell costs, and a time limit stays close to per series.
COSTLY_CELLS_PER_WORKER = 64
COSTLY_MAX_CHUNK = 50


def chunk_size(n_series: int, workers: int, cheap: bool) -> int:
    """Series per cell for ``n_series`` series of one per-series model on ``workers`` workers."""
    per_worker, cap = (CELLS_PER_WORKER, MAX_CHUNK) if cheap else (COSTLY_CELLS_PER_WORKER, COSTLY_MAX_CHUNK)
    return max(1, min(cap, math.ceil(n_series / (per_worker * max(1, workers)))))


def chunk_series(series: list[str], workers: int, cheap: bool) -> list[tuple[str, ...]]:
    """``series`` cut into consecutive chunks of :func:`chunk_size` series."""
    size = chunk_size(len(series), workers, cheap)
    return [tuple(series[i : i + size]) for i in range(0, len(series), size)]


def series_failure(uid: str, exc: Exception) -> dict:
    """The record of a series of a chunk that failed (call inside the ``except`` block)."""
    return {"series": uid, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def merge_results(parts: list[pd.DataFrame], infos: list[dict], failed: list[dict]) -> tuple[pd.DataFrame | None, dict]:
    """One cell's forecasts and record from those of each of its series (None: every series failed)."""
    info: dict = {k: sum(i[k] for i in infos) for k in ("fit_time", "predict_time", "n_fits")}
    fits = [f for i in infos for f in i.get("fits", [])]
    if fits:
        info["fits"], info["fit_problems"] = fits, fit_problems(fits)
    notes: dict = {}
    for i in infos:
        for key, value in i.get("notes", {}).items():
            if isinstance(value, dict):
                notes.setdefault(key, {}).update(value)
            else:
                notes.setdefault(key, value)
    if notes:
        info["notes"] = notes
    used = [i["fallback"] for i in infos if "fallback" in i]
    if used:
        info["fallback"] = {"model": used[0]["model"], "used": [u for f in used for u in f["used"]],
                            "origins": sum(f["origins"] for f in used)}
    if failed:
        info["failed_series"] = failed
    return (pd.concat(parts, ignore_index=True) if parts else None), info


def fit_problems(fits: list[dict]) -> dict[str, int]:
    """How many fits did not converge, were non-stationary or non-invertible."""
    return {
        "not_converged": sum(f.get("converged") is False for f in fits),
        "non_stationary": sum(f.get("stationary") is False for f in fits),
        "non_invertible": sum(f.get("invertible") is False for f in fits),
    }
