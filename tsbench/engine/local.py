"""The backtest of one series by a per-series model on arrays: one fit per refit block, every origin at once.

For a :class:`~tsbench.forecasters.base.LocalForecaster` whose fit and predict are
its per-series hooks, the engine skips the panel contract: it fits each refit
block on a view of the series' values, then asks for every origin of the series
in one call, each with its block's fitted state and its context given as row
bounds (sliding windows and fixed context lengths included). The numbers are
those of ``fit``/``predict``: the same hooks run on the same values.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from tsbench.engine.arrays import ForecastParts, SeriesArrays
from tsbench.engine.chunks import series_failure
from tsbench.engine.covariate_data import covariates_of, series_covariates
from tsbench.engine.origins import SeriesPlan
from tsbench.panel import quantile_columns

__all__ = ["takes_arrays", "backtest_series", "backtest_chunk"]


def takes_arrays(model) -> bool:
    """Whether ``model`` can be backtested on arrays (a per-series model with no panel-level override)."""
    check = getattr(type(model), "takes_arrays", None)
    return bool(check is not None and check())


def backtest_series(model, data: SeriesArrays, i: int, plan: SeriesPlan, horizon: int,
                    quantiles: tuple[float, ...]) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], dict]:
    """Fit ``model`` on series ``i`` for every refit block, then forecast all its origins in one call.

    A model with covariates gets ``X`` (the series' rows x its covariate
    columns) and ``X_future`` (see :func:`tsbench.forecasters.covariate_arrays.horizon_matrices`).
    Returns ``(cut_pos, point, quantiles)`` over all origins (cutoff rows of the
    series, ``(n, horizon)`` and ``(n, horizon, Q)``) and the time spent in the
    model's own fit and predict, with the number of fits.
    """
    y = data.values(i)
    cut_pos = np.asarray(plan.cutoffs, dtype=np.int64)[np.concatenate([np.asarray(b) for b in plan.blocks])]
    covariates = covariates_of(model)
    extra = {}
    if covariates:  # X row for row with y (training windows are slices of it), X_future per origin
        X, X_future = series_covariates(data, i, covariates, cut_pos, horizon)
        extra = {"X": X, "X_future": X_future}
    t0 = time.perf_counter()
    windows = [plan.train_slice(b) for b in range(len(plan.blocks))]
    states = model.fit_series(y, windows, X=extra["X"]) if extra else model.fit_series(y, windows)
    t1 = time.perf_counter()
    sizes = [len(block) for block in plan.blocks]
    per_origin = [state for state, size in zip(states, sizes) for _ in range(size)]
    ends = cut_pos + 1
    limit = plan.context or plan.window
    starts = np.zeros_like(ends) if limit is None else np.maximum(0, ends - limit)
    point, qs = model.predict_series(per_origin, y, starts, ends, horizon, quantiles, **extra)
    timing = {"fit_time": t1 - t0, "predict_time": time.perf_counter() - t1, "n_fits": len(states)}
    return (cut_pos, point, qs), timing


def backtest_chunk(model, data: SeriesArrays, series: tuple[str, ...], plans: dict[str, SeriesPlan], horizon: int,
                   quantiles: tuple[float, ...], reseed: Callable[[], None]) -> tuple[pd.DataFrame | None, dict]:
    """Backtest every series of a chunk on its own and build the chunk's forecast frame once.

    ``reseed`` runs before each series, so a series gets the random state it
    would get in a cell of its own. A failing series is recorded in
    ``failed_series`` (a chunk of one series raises instead).
    """
    where = {str(uid): k for k, uid in enumerate(data.ids)}
    parts = ForecastParts(data, horizon, quantile_columns(quantiles))
    totals: Counter = Counter()
    failed = []
    for uid in series:
        reseed()
        try:
            (cut_pos, point, qs), timing = backtest_series(model, data, where[uid], plans[uid], horizon, quantiles)
        except Exception as exc:  # one series failing fails that series only
            if len(series) == 1:
                raise
            failed.append(series_failure(uid, exc))
            continue
        parts.add(where[uid], cut_pos, point, qs)
        totals.update(timing)
    info = {"fit_time": totals["fit_time"], "predict_time": totals["predict_time"], "n_fits": totals["n_fits"]}
    if failed:
        info["failed_series"] = failed
    return (parts.frame(model.name) if parts.parts else None), info
