"""Hyperparameter search inside each refit block's training data, with Optuna, recorded trial by trial.

A cell whose forecaster has a ``tune`` spec carries a :class:`Tuner`. At every
``tune_every``-th refit block the cell asks its :class:`TuningSession` for the
model to fit: the session searches the space on that block's training rows
only (see :mod:`tsbench.engine.inner`), and the cell then fits the chosen
parameters on the whole training window, as it fits any model. Between
re-tunes the last chosen parameters are refitted.

Each search is an Optuna study kept in a journal file of the run folder
(``cells/tuning/<cell key>.journal``), so a run that was stopped resumes its
searches where they stood instead of starting them again. Optuna is imported
only here, when a search runs.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from tsbench.engine.cells import Cell, cell_key, fill_unset_params, split_cell
from tsbench.engine.covariate_data import key_params
from tsbench.engine.inner import InnerPlan, check_inner_lengths, inner_folds
from tsbench.engine.search import run_shard
from tsbench.forecasters.base import clone
from tsbench.metrics.registry import get_metric
from tsbench.panel import DS

__all__ = ["Tuner", "TuningSession", "SearchTask", "make_tuner", "attach_tuners", "with_params", "search_tasks",
           "run_search_task", "run_searches"]

log = logging.getLogger("tsbench")


@dataclass(frozen=True)
class Tuner:
    """What a cell needs to tune its forecaster: the space, the budget, the inner validation and the seed.

    ``space`` maps each parameter to its range as a plain mapping (``type``,
    ``low``, ``high``, ``step``, ``log``, ``choices``). ``storage_dir`` is the
    folder of the search journals; None keeps the searches in memory (no resuming).
    ``parallel`` splits each block's budget into that many independent searches
    (shards, each seeded on its own), which :func:`run_searches` runs as tasks of
    the experiment's executor; the block's choice is the best trial of all.
    """

    space: dict[str, dict]
    trials: int | None
    seconds: float | None
    plan: InnerPlan
    metric: str
    sampler: str = "tpe"
    pruner: str = "none"
    tune_every: int = 1
    seed: int = 0
    storage_dir: str | None = None
    parallel: int = 1

    def start(self, key: str) -> TuningSession:
        """A fresh session for one run of the cell ``key``."""
        return TuningSession(self, key)

    def describe(self) -> dict:
        """Everything that changes what a search chooses (part of the cell key)."""
        return {"space": self.space, "trials": self.trials, "seconds": self.seconds, "plan": vars(self.plan),
                "metric": self.metric, "sampler": self.sampler, "pruner": self.pruner,
                "tune_every": self.tune_every, "seed": self.seed, "parallel": self.parallel}

    def tuned_blocks(self, cell: Cell) -> list[int]:
        """The refit blocks of ``cell`` whose parameters are searched."""
        n = max(len(p.blocks) for p in cell.series_plans.values())
        return [b for b in cell.blocks if b < n and b % self.tune_every == 0]

    def storage(self, key: str):
        """The journal of the searches of cell ``key`` (None without a ``storage_dir``)."""
        if self.storage_dir is None:
            return None
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        folder = Path(self.storage_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(folder / f"{key}.journal")))


def make_tuner(spec, budget, horizon: int, min_train: int, seed: int, storage_dir: str | None = None) -> Tuner:
    """The :class:`Tuner` of a forecaster's ``tune`` spec (a :class:`tsbench.config.TuneSpec`).

    ``budget`` has ``trials`` or ``seconds`` (the forecaster's own or the
    experiment's); the inner horizon defaults to the backtest's ``horizon``.
    """
    val = spec.validation
    plan = InnerPlan(origins=int(val.origins), step=int(val.step), horizon=int(val.horizon or horizon),
                     refit_every=None if val.refit_every == "once" else int(val.refit_every), min_train=int(min_train))
    space = {name: r.model_dump(exclude_none=True) for name, r in spec.space.items()}
    return Tuner(space, budget.trials, budget.seconds, plan, spec.metric, spec.sampler, spec.pruner,
                 int(spec.tune_every), int(seed), storage_dir, int(spec.parallel))


def attach_tuners(cells: list[Cell], tuners: dict[str, Tuner]) -> list[Cell]:
    """Give each cell of a tuned forecaster its tuner, after checking every series is long enough.

    The cell key then also names the search, so a changed search never reuses
    results stored for another. Raises :class:`~tsbench.errors.DataError` when
    the inner validation does not fit in some series' training rows.
    """
    out = []
    for chunk in cells:
        tuner = tuners.get(chunk.name)
        if tuner is None:
            out.append(chunk)
            continue
        # a search and its journal belong to one series: a chunk of a per-series model is split
        per_series = len(chunk.series) > 1 and not chunk.forecaster.all_tags()["global"]
        out += [_with_tuner(cell, tuner) for cell in (split_cell(chunk) if per_series else [chunk])]
    return out


def _with_tuner(cell: Cell, tuner: Tuner) -> Cell:
    lengths = {uid: _tuned_length(plan, tuner.tune_every) for uid, plan in cell.series_plans.items()}
    check_inner_lengths(tuner.plan, lengths, cell.name)
    params = {"params": key_params(cell.forecaster), "tune": tuner.describe()}
    if cell.fallback is not None:
        params["fallback"] = [cell.fallback.name, cell.fallback.get_params()]
    return replace(cell, tuner=tuner, key=cell_key(cell.name, params, cell.series, cell.blocks))


def _tuned_length(plan, every: int) -> int:
    blocks = range(0, len(plan.blocks), every)
    return min(plan.train_slice(b).stop - plan.train_slice(b).start for b in blocks)


def with_params(model, params: dict[str, Any]):
    """``model`` itself when it already has ``params`` (it may warm-start), else a new instance with them.

    The new instance reads the same covariates as ``model``.
    """
    current = model.get_params()
    if all(_same(current.get(k), v) for k, v in params.items()):
        return model
    return clone(model, **params)


def _same(a, b) -> bool:
    return json.dumps(a, default=str, sort_keys=True) == json.dumps(b, default=str, sort_keys=True)


class TuningSession:
    """The searches of one cell run: which blocks were tuned, every trial, and what each chose."""

    def __init__(self, tuner: Tuner, key: str) -> None:
        self.tuner = tuner
        self.key = key
        self.defaults: dict | None = None
        self.blocks: list[dict] = []

    def model_for(self, model, train, block: int):
        """The model to fit for ``block``: tuned on ``train`` at a re-tune, else ``model`` unchanged."""
        if self.defaults is None:
            self.defaults = model.get_params()
        if block % self.tuner.tune_every:
            return model
        record = search_block(self.tuner, model, self.defaults, train, block, self.tuner.storage(self.key))
        self.blocks.append(record)
        return with_params(model, record["chosen"])

    def summary(self) -> dict:
        """What the cell record keeps: each tuned block's trials and choice, and the totals."""
        return {"metric": self.tuner.metric, "sampler": self.tuner.sampler, "pruner": self.tuner.pruner,
                "trials": sum(len(b["trials"]) for b in self.blocks),
                "cpu_time": sum(b["cpu_time"] for b in self.blocks),
                "wall_time": sum(b["wall_time"] for b in self.blocks), "blocks": self.blocks}


def search_block(tuner: Tuner, model, defaults: dict, train: pd.DataFrame, block: int, storage) -> dict:
    """Run (or resume, or read back) every shard of the search of ``block`` and return the block's record.

    The choice is the best complete trial over all shards (the first shard's on
    a tie); the cost adds up what every shard spent, wherever it ran.
    """
    folds = inner_folds(train, tuner.plan)
    shards = [run_shard(tuner, model, defaults if k == 0 else None, folds, block, k, storage)
              for k in range(tuner.parallel)]
    trials = [t for s in shards for t in s.trials]
    done = [t for t in trials if t["state"] == "complete" and t["score"] is not None]
    higher = get_metric(tuner.metric).higher_is_better
    best = (max if higher else min)(done, key=lambda t: t["score"]) if done else None
    end = train[DS].max()
    return {"block": block, "train_end": str(end.date() if hasattr(end, "date") else end),
            "chosen": best["params"] if best else {}, "best_score": best["score"] if best else None,
            "default_score": shards[0].default_score, "resumed_trials": sum(s.resumed for s in shards),
            "trials": trials, "wall_time": sum(s.wall_time for s in shards),
            "cpu_time": sum(s.cpu_time for s in shards)}


@dataclass
class SearchTask:
    """One shard of one block's search of a cell, to run ahead of the cell in a worker."""

    cell: Cell
    block: int
    shard: int


def search_tasks(cells: list[Cell]) -> list[SearchTask]:
    """The shards of every search of ``cells`` whose tuner splits its searches (``parallel`` > 1)."""
    return [SearchTask(cell, b, k) for cell in cells if cell.tuner is not None and cell.tuner.parallel > 1
            for b in cell.tuner.tuned_blocks(cell) for k in range(cell.tuner.parallel)]


def run_search_task(task: SearchTask) -> int:
    """Run one shard into the cell's journal; the cell reads it back when it reaches the block.

    The model is the cell's forecaster as the cell prepares it, with the
    parameters every search starts from; only the searched ones change.
    """
    cell = task.cell
    model = clone(cell.forecaster)
    fill_unset_params(model, seed=cell.seed, random_state=cell.seed, horizon=cell.horizon,
                      quantiles=tuple(cell.quantiles))
    train = block_rows(cell, task.block)
    folds = inner_folds(train, cell.tuner.plan)
    defaults = model.get_params() if task.shard == 0 else None
    result = run_shard(cell.tuner, model, defaults, folds, task.block, task.shard, cell.tuner.storage(cell.key))
    return len(result.trials)


def block_rows(cell: Cell, block: int) -> pd.DataFrame:
    """The training rows of ``block`` of every series of ``cell`` that has that block."""
    slices = {i: cell.series_plans[str(uid)].train_slice(block) for i, uid in enumerate(cell.data.ids)
              if str(uid) in cell.series_plans and block < len(cell.series_plans[str(uid)].blocks)}
    return cell.data.frame(slices)


def run_searches(executor, cells: list[Cell]) -> int:
    """Run the shards of the split searches of ``cells`` in parallel through ``executor``; return how many ran.

    A shard that fails here is only logged: its cell runs it again and
    reports any error. The executor is closed afterwards, ready for the cells.
    """
    tasks = search_tasks(cells)
    if not tasks:
        return 0
    t0 = time.perf_counter()
    try:
        for task, error in executor.map_unordered(_task_outcome, tasks, lambda task, error, trace: (task, error)):
            if error is not None:
                log.warning("search of %s block %d shard %d failed (%s); the cell runs it again",
                            task.cell.key, task.block, task.shard, error)
    finally:
        executor.close()
    log.info("%d search shards run in %.1fs", len(tasks), time.perf_counter() - t0)
    return len(tasks)


def _task_outcome(task: SearchTask) -> tuple[SearchTask, str | None]:
    try:
        run_search_task(task)
    except Exception as exc:  # the cell will run this shard itself and report what goes wrong
        return task, f"{type(exc).__name__}: {exc}"
    return task, None
