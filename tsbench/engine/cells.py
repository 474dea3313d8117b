"""Cells: independent units of backtest work (series x forecaster x refit blocks), and how one runs."""

from __future__ import annotations

import hashlib
import json
import random
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from tsbench.engine.arrays import SeriesArrays
from tsbench.engine.chunks import chunk_series, fit_problems, merge_results, series_failure
from tsbench.engine.local import backtest_chunk, takes_arrays
from tsbench.engine.nonfinite import drop_nonfinite
from tsbench.engine.origins import SeriesPlan, plan_backtest
from tsbench.forecasters.base import clone
from tsbench.panel import DS, ID, quantile_columns_of, series_bounds

__all__ = ["Cell", "CellResult", "fill_unset_params", "plan_cells", "plan_cells_by_refit", "run_cell", "seed_everything",
           "split_cell"]


@dataclass
class Cell:
    """One forecaster on a block of series over some refit blocks, with the data it needs.

    ``data`` holds, as arrays, only the rows of ``series`` up to their last
    cutoff plus the horizon (actuals for scoring are attached here, after
    forecasting). A per-series model's cell may hold a chunk of series; each is
    backtested on its own, and one that fails fails alone.
    """

    key: str
    name: str
    forecaster: object
    series: tuple[str, ...]
    series_plans: dict[str, SeriesPlan]
    blocks: tuple[int, ...]
    data: SeriesArrays
    horizon: int
    quantiles: tuple[float, ...]
    seed: int
    fallback: object | None = None  # forecaster used where ``forecaster`` fails to fit or forecast
    tuner: object | None = None  # searches the parameters at refit blocks (tsbench.engine.tuning)


@dataclass
class CellResult:
    """What a cell produced: forecasts with actuals, timings, warnings, or the error."""

    key: str
    name: str
    series: tuple[str, ...]
    forecasts: pd.DataFrame | None
    meta: dict = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None


def cell_key(name: str, params: dict, series: tuple[str, ...], blocks: tuple[int, ...]) -> str:
    """Stable, file-name-safe id of a cell."""
    blob = json.dumps([name, params, list(series), list(blocks)], sort_keys=True, default=str)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:10]
    label = series[0] if len(series) == 1 else f"{len(series)}series"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{name}--{label}")
    return f"{safe}--{digest}"


def plan_cells_by_refit(panel, backtest, forecasters, refit_every, quantiles, seed, fallbacks=None,
                        series_plans=None, workers: int = 1) -> list[Cell]:
    """Cells of every forecaster, each refitting as its entry of ``refit_every`` says (None: the backtest's).

    The origins are the same for every forecaster; only the refit blocks
    differ, planned once per distinct setting. ``series_plans`` are the series plans
    of ``backtest`` when already made.
    """
    by_refit = {backtest.refit_every: series_plans if series_plans is not None else plan_backtest(panel, backtest)}
    cells: list[Cell] = []
    for forecaster, refit in zip(forecasters, refit_every):
        refit = backtest.refit_every if refit is None else refit
        if refit not in by_refit:
            by_refit[refit] = plan_backtest(panel, backtest.model_copy(update={"refit_every": refit}))
        cells += plan_cells(panel, by_refit[refit], [forecaster], backtest.horizon, quantiles, seed,
                            fallbacks=fallbacks, workers=workers)
    return cells


def plan_cells(panel, series_plans, forecasters, horizon, quantiles, seed, fallbacks=None, workers: int = 1) -> list[Cell]:
    """Split the backtest into cells: chunks of series for per-series models, one cell for global models.

    The panel is turned into arrays once; each chunk of series is cut from them
    once and shared by the cells of every model on that chunk. Chunks are sized
    for ``workers`` (see :mod:`tsbench.engine.chunks`). ``fallbacks`` maps a
    forecaster's name to the forecaster that replaces it wherever its fit or
    forecast fails.
    """
    fallbacks = fallbacks or {}
    whole = SeriesArrays.from_panel(panel)
    where = {str(uid): k for k, uid in enumerate(whole.ids)}
    stops = {uid: p.cutoffs[-1] + horizon + 1 for uid, p in series_plans.items()}
    n_blocks = max(len(p.blocks) for p in series_plans.values())
    blocks = tuple(range(n_blocks))
    chunks: dict[tuple[str, ...], SeriesArrays] = {}
    cells = []
    for f in forecasters:
        fallback = fallbacks.get(f.name)
        if f.all_tags()["global"]:
            groups = [tuple(series_plans)]
        else:
            groups = chunk_series(list(series_plans), workers, cheap=fallback is None and takes_arrays(f))
        params = f.get_params() if fallback is None else {**f.get_params(), "fallback": [fallback.name, fallback.get_params()]}
        for series in groups:
            if series not in chunks:
                chunks[series] = whole.take([where[u] for u in series], [stops[u] for u in series])
            cells.append(
                Cell(
                    key=cell_key(f.name, params, series, blocks),
                    name=f.name,
                    forecaster=f,
                    series=series,
                    series_plans={uid: series_plans[uid] for uid in series},
                    blocks=blocks,
                    data=chunks[series],
                    horizon=horizon,
                    # a model without quantiles still gives point forecasts; its quantile scores stay empty
                    quantiles=tuple(quantiles) if f.all_tags()["quantiles"] else (),
                    seed=seed,
                    fallback=fallback,
                )
            )
    return cells


def split_cell(cell: Cell) -> list[Cell]:
    """A cell of one series for each series of a chunk (keys derived from the chunk's)."""
    where = {str(uid): k for k, uid in enumerate(cell.data.ids)}
    return [replace(cell, key=cell_key(cell.name, {"chunk": cell.key}, (uid,), cell.blocks), series=(uid,),
                    series_plans={uid: cell.series_plans[uid]}, data=cell.data.take([where[uid]]))
            for uid in cell.series]


def run_cell(cell: Cell) -> CellResult:
    """Fit and predict one cell; any exception becomes a failed result, never a crash."""
    seed_everything(cell.seed)
    caught: list[warnings.WarningMessage] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            forecasts, timing = _backtest(cell)
    except Exception as exc:  # isolate any failure of user or library code to this cell
        return CellResult(
            cell.key, cell.name, cell.series, None,
            meta={"wall_time": time.perf_counter() - started, "warnings": _count(caught)},
            error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
        )
    meta = {**timing, "wall_time": time.perf_counter() - started, "cpu_time": time.process_time() - cpu_started,
            "warnings": _count(caught),
            "warning_messages": sorted({str(w.message)[:200] for w in caught})[:5]}
    if forecasts is None:  # every series of the chunk failed: the cell failed
        first = meta["failed_series"][0]
        return CellResult(cell.key, cell.name, cell.series, None, meta=meta, error=first["error"],
                          traceback=first["traceback"])
    meta["origins"] = int(sum(len(cell.series_plans[u].cutoffs) for u in cell.series))
    forecasts, nonfinite = drop_nonfinite(forecasts)  # on every path: frames, arrays, chunks
    if nonfinite:
        meta["nonfinite"] = nonfinite
    return CellResult(cell.key, cell.name, cell.series, forecasts, meta=meta)


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


def _backtest(cell: Cell) -> tuple[pd.DataFrame | None, dict]:
    """The cell's forecasts and timings; with several series of a per-series model, each on its own."""
    if cell.fallback is None and cell.tuner is None and takes_arrays(cell.forecaster):
        return _backtest_arrays(cell)
    if len(cell.series) == 1 or cell.forecaster.all_tags()["global"]:
        return _backtest_frames(cell)
    parts, infos, failed = [], [], []
    for uid in cell.series:
        seed_everything(cell.seed)  # as a cell of that series alone is seeded
        try:
            forecasts, info = _backtest_frames(replace(cell, series=(uid,), series_plans={uid: cell.series_plans[uid]}))
        except Exception as exc:  # one series failing fails that series only
            failed.append(series_failure(uid, exc))
            continue
        parts.append(forecasts)
        infos.append(info)
    return merge_results(parts, infos, failed)


def _backtest_arrays(cell: Cell) -> tuple[pd.DataFrame | None, dict]:
    """A per-series model on arrays: every origin of a series in one call, one frame for the whole cell."""
    model = clone(cell.forecaster)
    fill_unset_params(model, seed=cell.seed, random_state=cell.seed, horizon=cell.horizon,
                      quantiles=tuple(cell.quantiles))
    reseed = (lambda: seed_everything(cell.seed)) if len(cell.series) > 1 else (lambda: None)
    return backtest_chunk(model, cell.data, cell.series, cell.series_plans, cell.horizon, cell.quantiles, reseed)


def _backtest_frames(cell: Cell) -> tuple[pd.DataFrame, dict]:
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


def _with_fallback(block, reason, train, series, cell: Cell, active, b, used: list) -> pd.DataFrame:
    """Forecasts of the block where the model failed (all of it, or origins with non-finite values)."""
    name = cell.fallback.name
    if block is not None:
        values = block[["y_pred", *quantile_columns_of(block)]].to_numpy(dtype=float)
        bad = ~np.isfinite(values).all(axis=1)
        if not bad.any():
            return block.assign(fallback=None)
        reason = "non-finite forecasts"
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


def _predict_block(model, tags, series, cell: Cell, active, b, train) -> pd.DataFrame:
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
        return model.predict_origins(history, cutoffs, cell.horizon, cell.quantiles)
    out = []
    depth = max(len(o) for o in origins.values())
    for i in range(depth):
        ctx = {u: series_plans[u].context_slice(origins[u][i]) for u in active if i < len(origins[u])}
        out.append(model.predict(_rows(series, ctx), cell.horizon, cell.quantiles))
    return pd.concat(out, ignore_index=True)


def _whole_history_is_exact(model, tags, plan: SeriesPlan) -> bool:
    """Whether forecasting from the whole history gives the forecasts of the origin's own context.

    True without a context limit, or when the model reads no more trailing
    observations (its ``reads_last`` parameter) than the limit leaves it.
    """
    limit = plan.context or plan.window
    reads = getattr(model, tags["reads_last"], None) if tags.get("reads_last") else None
    return limit is None or (isinstance(reads, int) and reads <= limit)


def _attach_actuals(forecasts: pd.DataFrame, series: dict[str, _Series], cell: Cell) -> pd.DataFrame:
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


def fill_unset_params(model, **values) -> None:
    """Give each named parameter the model has and leaves at None the value given here.

    The runner fills ``seed``/``random_state`` from the experiment's seed, and
    ``horizon``/``quantiles`` from the backtest: models that train one output per
    step or per quantile level (the neural forecasters) need both at fit time,
    before ``predict`` says what it wants.
    """
    params = model.get_params()
    for name, value in values.items():
        if name in params and params[name] is None:
            setattr(model, name, value)


def seed_everything(seed: int) -> None:
    """Seed Python's and numpy's global generators, as each cell is seeded before it runs."""
    random.seed(seed)
    np.random.seed(seed % 2**32)


def _count(caught) -> dict[str, int]:
    return dict(Counter(w.category.__name__ for w in caught or []))
