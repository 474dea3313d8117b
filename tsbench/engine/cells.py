"""Cells: independent units of backtest work (series x forecaster x refit blocks), and how one runs."""

from __future__ import annotations

import hashlib
import json
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace

import pandas as pd

from tsbench.covariates import Covariates
from tsbench.engine.arrays import SeriesArrays
from tsbench.engine.chunks import chunk_series, merge_results, series_failure
from tsbench.engine.covariate_data import (check_known_values, covariates_of, key_params, panel_covariates,
                                           visible_columns)
from tsbench.engine.frame_path import backtest_frames
from tsbench.engine.local import backtest_chunk, takes_arrays
from tsbench.engine.nonfinite import drop_nonfinite
from tsbench.engine.origins import SeriesPlan, plan_backtest
from tsbench.engine.seeding import fill_unset_params, seed_everything
from tsbench.forecasters.base import clone

__all__ = ["Cell", "CellResult", "fill_unset_params", "plan_cells", "plan_cells_by_refit", "run_cell", "seed_everything",
           "split_cell"]


@dataclass
class Cell:
    """One forecaster on a block of series over some refit blocks, with the data it needs.

    ``data`` holds, as arrays, only the rows of ``series`` up to their last
    cutoff plus the horizon (actuals for scoring are attached here, after
    forecasting), and of the panel's covariate columns only those the
    forecaster reads. A per-series model's cell may hold a chunk of series;
    each is backtested on its own, and one that fails fails alone.
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
                        series_plans=None, workers: int = 1, covariates: Covariates | None = None) -> list[Cell]:
    """Cells of every forecaster, each refitting as its entry of ``refit_every`` says (None: the backtest's).

    The origins are the same for every forecaster; only the refit blocks
    differ, planned once per distinct setting. ``series_plans`` are the series plans
    of ``backtest`` when already made; ``covariates`` as for :func:`plan_cells`.
    """
    covariates = panel_covariates(covariates, forecasters)
    by_refit = {backtest.refit_every: series_plans if series_plans is not None else plan_backtest(panel, backtest)}
    cells: list[Cell] = []
    for forecaster, refit in zip(forecasters, refit_every):
        refit = backtest.refit_every if refit is None else refit
        if refit not in by_refit:
            by_refit[refit] = plan_backtest(panel, backtest.model_copy(update={"refit_every": refit}))
        cells += plan_cells(panel, by_refit[refit], [forecaster], backtest.horizon, quantiles, seed,
                            fallbacks=fallbacks, workers=workers, covariates=covariates)
    return cells


def plan_cells(panel, series_plans, forecasters, horizon, quantiles, seed, fallbacks=None, workers: int = 1,
               covariates: Covariates | None = None) -> list[Cell]:
    """Split the backtest into cells: chunks of series for per-series models, one cell for global models.

    The panel is turned into arrays once; each chunk of series is cut from them
    once and shared by the cells of every model on that chunk. Chunks are sized
    for ``workers`` (see :mod:`tsbench.engine.chunks`). ``fallbacks`` maps a
    forecaster's name to the forecaster that replaces it wherever its fit or
    forecast fails. ``covariates`` names the covariate columns of the panel
    (those the forecasters read are covariates too): a cell's data holds only
    those its forecaster reads.
    """
    fallbacks = fallbacks or {}
    covariates = panel_covariates(covariates, forecasters)
    whole = SeriesArrays.from_panel(panel)
    where = {str(uid): k for k, uid in enumerate(whole.ids)}
    stops = {uid: p.cutoffs[-1] + horizon + 1 for uid, p in series_plans.items()}
    known = sorted({c for f in forecasters for c in covariates_of(f).known})
    if known:  # before any work: a known value missing up to some series' last forecast step
        check_known_values(whole, {where[u]: stops[u] for u in series_plans}, known)
    n_blocks = max(len(p.blocks) for p in series_plans.values())
    blocks = tuple(range(n_blocks))
    taken: dict[tuple[str, ...], SeriesArrays] = {}
    chunks: dict[tuple, SeriesArrays] = {}  # by series and the columns a forecaster sees
    cells = []
    for f in forecasters:
        fallback = fallbacks.get(f.name)
        if f.all_tags()["global"]:
            groups = [tuple(series_plans)]
        else:
            groups = chunk_series(list(series_plans), workers, cheap=fallback is None and takes_arrays(f))
        params = key_params(f) if fallback is None else {**key_params(f), "fallback": [fallback.name, fallback.get_params()]}
        columns = visible_columns(whole, covariates, f)
        for series in groups:
            if series not in taken:
                taken[series] = whole.take([where[u] for u in series], [stops[u] for u in series])
            if (series, columns) not in chunks:
                chunks[series, columns] = taken[series].select(columns)
            cells.append(
                Cell(
                    key=cell_key(f.name, params, series, blocks),
                    name=f.name,
                    forecaster=f,
                    series=series,
                    series_plans={uid: series_plans[uid] for uid in series},
                    blocks=blocks,
                    data=chunks[series, columns],
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


def _backtest(cell: Cell) -> tuple[pd.DataFrame | None, dict]:
    """The cell's forecasts and timings; with several series of a per-series model, each on its own."""
    if cell.fallback is None and cell.tuner is None and takes_arrays(cell.forecaster):
        return _backtest_arrays(cell)
    if len(cell.series) == 1 or cell.forecaster.all_tags()["global"]:
        return backtest_frames(cell)
    parts, infos, failed = [], [], []
    for uid in cell.series:
        seed_everything(cell.seed)  # as a cell of that series alone is seeded
        try:
            forecasts, info = backtest_frames(replace(cell, series=(uid,), series_plans={uid: cell.series_plans[uid]}))
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


def _count(caught) -> dict[str, int]:
    return dict(Counter(w.category.__name__ for w in caught or []))
