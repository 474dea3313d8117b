"""A cell through the panel contract: a frame per fit, forecasts per origin, a fallback where the model fails.

Forecasters that implement ``fit``/``predict`` on frames (and per-series models
with a fallback or a tuner) are backtested here. Each fit gets the training
rows of its refit block and each forecast the rows up to its cutoff, with the
covariate columns the forecaster reads; one that reads known covariates also
gets ``future``: their values on the ``horizon`` rows after the context. A
fallback sees no covariate columns.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from tsbench.engine.arrays import SeriesArrays
from tsbench.engine.chunks import fit_problems
from tsbench.engine.covariate_data import covariates_of, future_kwargs, without_covariates
from tsbench.engine.origins import SeriesPlan
from tsbench.engine.seeding import fill_unset_params
from tsbench.forecasters.base import clone
from tsbench.panel import DS, ID, quantile_columns_of, series_bounds

__all__ = ["backtest_frames"]


class _Series:
    """One series of a cell: where it lies in the cell's arrays, and views of its stamps and values."""

    __slots__ = ("uid", "data", "index", "ds", "y")

    def __init__(self, data: SeriesArrays, index: int) -> None:
        self.uid, self.data, self.index = data.ids[index], data, index
        self.ds, self.y = data.stamps(index), data.values(index)


def _rows(series: dict[str, _Series], slices: dict[str, slice]) -> pd.DataFrame:
    """The panel made of the given row slices of each series, with a fresh 0..n-1 index."""
    data = next(iter(series.values())).data
    return data.frame({series[u].index: sl for u, sl in slices.items()})


def backtest_frames(cell) -> tuple[pd.DataFrame, dict]:
    """The panel contract: fit on a frame per block, predict each origin (or all at once when exact)."""
    index = {str(uid): k for k, uid in enumerate(cell.data.ids)}
    series = {uid: _Series(cell.data, index[uid]) for uid in cell.series}
    model = clone(cell.forecaster)
    fill_unset_params(model, seed=cell.seed, random_state=cell.seed, horizon=cell.horizon,
                      quantiles=tuple(cell.quantiles))
    tags = model.all_tags()
    fit_time = predict_time = 0.0
    n_fits = 0
    out, fits, used = [], [], []
    tuning = cell.tuner.start(cell.key) if cell.tuner is not None else None
    for b in cell.blocks:
        active = [uid for uid in cell.series if b < len(cell.series_plans[uid].blocks)]
        if not active:
            continue
        train = _rows(series, {u: cell.series_plans[u].train_slice(b) for u in active})
        if tuning is not None:  # search on this block's training rows only; the choice is fitted below
            model = tuning.model_for(model, train, b)
        t0 = time.perf_counter()
        block, reason = None, None
        try:
            model.fit(train)  # same instance across blocks: a model may warm-start from its last fit
            n_fits += 1
            fits.extend(_fit_records(model, b))
        except Exception as exc:
            if cell.fallback is None:
                raise
            reason = f"fit failed: {type(exc).__name__}: {exc}"
        fit_time += time.perf_counter() - t0
        t0 = time.perf_counter()
        if reason is None:
            try:
                block = _predict_block(model, tags, series, cell, active, b, train)
            except Exception as exc:
                if cell.fallback is None:
                    raise
                reason = f"predict failed: {type(exc).__name__}: {exc}"
        if cell.fallback is not None:
            block = _with_fallback(block, reason, train, series, cell, active, b, used)
        out.append(block)
        predict_time += time.perf_counter() - t0
    forecasts = _attach_actuals(pd.concat(out, ignore_index=True), series, cell)
    info = {"fit_time": fit_time, "predict_time": predict_time, "n_fits": n_fits}
    if tuning is not None:
        info["tuning"] = tuning.summary()
    if fits:
        info["fits"] = fits
        info["fit_problems"] = fit_problems(fits)
    notes = getattr(model, "notes_", None)  # what a model wants stated in the results (e.g. its calendar)
    if notes:
        info["notes"] = notes
    if cell.fallback is not None:
        info["fallback"] = {"model": cell.fallback.name, "used": used,
                            "origins": int(forecasts["fallback"].notna().sum() // cell.horizon)}
    return forecasts, info


def _with_fallback(block, reason, train, series, cell, active, b, used: list) -> pd.DataFrame:
    """Forecasts of the block where the model failed (all of it, or origins with non-finite values)."""
    name = cell.fallback.name
    if block is not None:
        values = block[["y_pred", *quantile_columns_of(block)]].to_numpy(dtype=float)
        bad = ~np.isfinite(values).all(axis=1)
        if not bad.any():
            return block.assign(fallback=None)
        reason = "non-finite forecasts"
    own = covariates_of(cell.forecaster)  # a fallback reads no covariates: it sees none
    if own:
        plain = without_covariates(cell.data, own)
        series = {u: _Series(plain, one.index) for u, one in series.items()}
        train = train.drop(columns=[c for c in own.columns if c in train.columns])
    backup = clone(cell.fallback).fit(train)
    replacement = _predict_block(backup, backup.all_tags(), series, cell, active, b, train)
    replacement = replacement.assign(fallback=name, model=cell.name)
    if block is None:
        used.append({"block": b, "reason": reason, "origins": int(len(replacement) // cell.horizon)})
        return replacement
    keys = [ID, "cutoff"]
    bad_origins = block.loc[bad, keys].drop_duplicates()
    keep = block.merge(bad_origins, on=keys, how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
    swap = replacement.merge(bad_origins, on=keys, how="inner")
    used.append({"block": b, "reason": reason, "origins": int(len(bad_origins))})
    return pd.concat([block.loc[keep].assign(fallback=None), swap], ignore_index=True)


def _fit_records(model, b: int) -> list[dict]:
    """The per-series diagnostics a model leaves in ``fit_info_`` after a fit, tagged with the block."""
    info = getattr(model, "fit_info_", None)
    if not isinstance(info, dict):
        return []
    return [{"block": b, ID: str(uid), **dict(v)} for uid, v in info.items()]


def _predict_block(model, tags, series, cell, active, b, train) -> pd.DataFrame:
    series_plans = cell.series_plans
    origins = {u: series_plans[u].blocks[b] for u in active}
    batch = tags.get("batch_origins") and all(_whole_history_is_exact(model, tags, series_plans[u]) for u in active)
    if batch:
        ends = {u: slice(0, series_plans[u].cutoffs[origins[u][-1]] + 1) for u in active}
        same = all(ends[u] == series_plans[u].train_slice(b) for u in active)
        history = train if same else _rows(series, ends)  # the training rows already end at the last cutoff
        cut_ids = [series[u].uid for u in active for _ in origins[u]]
        cut_ds = np.concatenate([series[u].ds[[series_plans[u].cutoffs[k] for k in origins[u]]] for u in active])
        cutoffs = pd.DataFrame({ID: cut_ids, "cutoff": cut_ds})
        future = _future(model, series, ends, cell.horizon)
        return model.predict_origins(history, cutoffs, cell.horizon, cell.quantiles, **future)
    out = []
    depth = max(len(o) for o in origins.values())
    for i in range(depth):
        ctx = {u: series_plans[u].context_slice(origins[u][i]) for u in active if i < len(origins[u])}
        future = _future(model, series, ctx, cell.horizon)
        out.append(model.predict(_rows(series, ctx), cell.horizon, cell.quantiles, **future))
    return pd.concat(out, ignore_index=True)


def _future(model, series: dict[str, _Series], slices: dict[str, slice], horizon: int) -> dict:
    """``future=`` for a model with known covariates: their values on the ``horizon`` rows after each slice."""
    if not covariates_of(model).known:
        return {}
    data = next(iter(series.values())).data
    return future_kwargs(model, data, {series[u].index: sl.stop for u, sl in slices.items()}, horizon)


def _whole_history_is_exact(model, tags, plan: SeriesPlan) -> bool:
    """Whether forecasting from the whole history gives the forecasts of the origin's own context.

    True without a context limit, or when the model reads no more trailing
    observations (its ``reads_last`` parameter) than the limit leaves it.
    """
    limit = plan.context or plan.window
    reads = getattr(model, tags["reads_last"], None) if tags.get("reads_last") else None
    return limit is None or (isinstance(reads, int) and reads <= limit)


def _attach_actuals(forecasts: pd.DataFrame, series: dict[str, _Series], cell) -> pd.DataFrame:
    """Replace calendar-guessed dates by the series' own next observations and add ``y``."""
    ids, starts, ends = series_bounds(forecasts)
    if not (len(starts) == len(set(ids[starts]))):  # a series' rows are not contiguous: group them
        order = np.argsort(pd.factorize(forecasts[ID])[0], kind="stable")
        forecasts = forecasts.iloc[order].reset_index(drop=True)
        ids, starts, ends = series_bounds(forecasts)
    cut = forecasts["cutoff"].to_numpy()
    step = forecasts["h"].to_numpy()
    ds_parts, y_parts = [], []
    for s, e in zip(starts, ends):
        one = series[str(ids[s])]
        pos = np.searchsorted(one.ds, cut[s:e]) + step[s:e]
        ds_parts.append(one.ds[pos])
        y_parts.append(one.y[pos])
    out = forecasts.assign(ds=np.concatenate(ds_parts), y=np.concatenate(y_parts), model=cell.name)
    cols = [ID, "cutoff", DS, "h", "model", "y", "y_pred"]
    extra = quantile_columns_of(out) + (["fallback"] if "fallback" in out.columns else [])
    return out[cols + extra]

