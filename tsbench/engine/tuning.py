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
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from tsbench.engine.cells import Cell, cell_key
from tsbench.engine.inner import InnerPlan, check_inner_lengths, inner_folds, inner_scores
from tsbench.errors import PluginError
from tsbench.metrics.registry import get_metric
from tsbench.panel import DS

__all__ = ["Tuner", "TuningSession", "make_tuner", "attach_tuners", "grid_of", "with_params"]

#: Optuna's names for the samplers and pruners an experiment file may ask for.
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "halving")


@dataclass(frozen=True)
class Tuner:
    """What a cell needs to tune its forecaster: the space, the budget, the inner validation and the seed.

    ``space`` maps each parameter to its range as a plain mapping (``type``,
    ``low``, ``high``, ``step``, ``log``, ``choices``). ``storage_dir`` is the
    folder of the search journals; None keeps the searches in memory (no resuming).
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

    def start(self, key: str) -> TuningSession:
        """A fresh session for one run of the cell ``key``."""
        return TuningSession(self, key)

    def describe(self) -> dict:
        """Everything that changes what a search chooses (part of the cell key)."""
        return {"space": self.space, "trials": self.trials, "seconds": self.seconds, "plan": vars(self.plan),
                "metric": self.metric, "sampler": self.sampler, "pruner": self.pruner,
                "tune_every": self.tune_every, "seed": self.seed}


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
                 int(spec.tune_every), int(seed), storage_dir)


def attach_tuners(cells: list[Cell], tuners: dict[str, Tuner]) -> list[Cell]:
    """Give each cell of a tuned forecaster its tuner, after checking every series is long enough.

    The cell key then also names the search, so a changed search never reuses
    results stored for another. Raises :class:`~tsbench.errors.DataError` when
    the inner validation does not fit in some series' training rows.
    """
    out = []
    for cell in cells:
        tuner = tuners.get(cell.name)
        if tuner is None:
            out.append(cell)
            continue
        lengths = {uid: _tuned_length(plan, tuner.tune_every) for uid, plan in cell.series_plans.items()}
        check_inner_lengths(tuner.plan, lengths, cell.name)
        params = {"params": cell.forecaster.get_params(), "tune": tuner.describe()}
        if cell.fallback is not None:
            params["fallback"] = [cell.fallback.name, cell.fallback.get_params()]
        out.append(replace(cell, tuner=tuner, key=cell_key(cell.name, params, cell.series, cell.blocks)))
    return out


def _tuned_length(plan, every: int) -> int:
    blocks = range(0, len(plan.blocks), every)
    return min(plan.train_slice(b).stop - plan.train_slice(b).start for b in blocks)


def with_params(model, params: dict[str, Any]):
    """``model`` itself when it already has ``params`` (it may warm-start), else a new instance with them."""
    current = model.get_params()
    if all(_same(current.get(k), v) for k, v in params.items()):
        return model
    new = type(model)(**{**current, **params})
    new.name = model.name
    return new


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
        record = _search(self.tuner, model, self.defaults, train, block, self._storage())
        self.blocks.append(record)
        return with_params(model, record["chosen"])

    def summary(self) -> dict:
        """What the cell record keeps: each tuned block's trials and choice, and the totals."""
        return {"metric": self.tuner.metric, "sampler": self.tuner.sampler, "pruner": self.tuner.pruner,
                "trials": sum(len(b["trials"]) for b in self.blocks),
                "cpu_time": sum(b["cpu_time"] for b in self.blocks),
                "wall_time": sum(b["wall_time"] for b in self.blocks), "blocks": self.blocks}

    def _storage(self):
        if self.tuner.storage_dir is None:
            return None
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        folder = Path(self.tuner.storage_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(folder / f"{self.key}.journal")))


def _optuna():
    try:
        import optuna
    except ImportError:
        raise PluginError("tuning needs the optuna package, which is not installed. "
                          "Install it with: pip install 'tsbench[tune]'") from None
    # a failed trial is recorded with its error (see _objective), not logged with its traceback
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


def _search(tuner: Tuner, model, defaults: dict, train, block: int, storage) -> dict:
    """Run (or resume) the search of one block and return its record.

    The search itself runs in memory; each trial is appended to the journal
    (``storage``) in one write once it has finished, so the journal costs one
    small write per trial and holds finished trials only. A resumed search
    starts from the finished trials of the journal.
    """
    optuna = _optuna()
    wall, cpu = time.perf_counter(), time.process_time()
    folds = inner_folds(train, tuner.plan)
    direction = "maximize" if get_metric(tuner.metric).higher_is_better else "minimize"
    journal = None if storage is None else optuna.create_study(
        study_name=f"block-{block}", storage=storage, load_if_exists=True, direction=direction)
    finished = [] if journal is None else [t for t in journal.get_trials(deepcopy=False) if t.state.is_finished()]
    # a resumed search draws new candidates: its sampler is seeded past the trials already made
    study = optuna.create_study(direction=direction, pruner=_pruner(optuna, tuner),
                                sampler=_sampler(optuna, tuner, tuner.seed + 1000 * block + len(finished)))
    study.add_trials(finished)
    attrs = {} if journal is None else journal.user_attrs
    default_score = attrs["default_score"] if "default_score" in attrs else _score(_build(model, defaults), folds,
                                                                                     tuner.metric)
    if journal is not None and "default_score" not in attrs:
        journal.set_user_attr("default_score", default_score)
    left_trials, left_seconds = _left(tuner, finished)
    if (left_trials or 0) > 0 or (left_seconds or 0) > 0:
        keep = [] if journal is None else [lambda _, trial: journal.add_trial(trial)]
        study.optimize(lambda trial: _objective(optuna, trial, tuner, model, folds), n_trials=left_trials,
                       timeout=left_seconds, catch=(Exception,), callbacks=keep, gc_after_trial=False)
    trials = [_trial_record(optuna, t, tuner.space) for t in study.get_trials(deepcopy=False)]
    done = [t for t in trials if t["state"] == "complete"]
    chosen = decode(study.best_trial.params, tuner.space) if done else {}
    end = train[DS].max()
    return {"block": block, "train_end": str(end.date() if hasattr(end, "date") else end), "chosen": chosen,
            "best_score": study.best_value if done else None, "default_score": default_score,
            "resumed_trials": len(finished), "trials": trials,
            "wall_time": time.perf_counter() - wall, "cpu_time": time.process_time() - cpu}


def _left(tuner: Tuner, finished: list) -> tuple[int | None, float | None]:
    if tuner.trials is not None:
        return max(tuner.trials - len(finished), 0), None
    spent = sum(t.duration.total_seconds() for t in finished if t.duration is not None)
    return None, max(float(tuner.seconds) - spent, 0.0)


def _objective(optuna, trial, tuner: Tuner, model, folds) -> float:
    params = {name: _suggest(trial, name, r) for name, r in tuner.space.items()}
    candidate = _build(model, decode(params, tuner.space))
    score = math.nan
    try:
        for k, score in enumerate(inner_scores(candidate, folds, tuner.metric)):
            trial.report(score, k)
            if k < len(folds) - 1 and trial.should_prune():
                raise optuna.TrialPruned()
    except optuna.TrialPruned:
        raise
    except Exception as exc:  # the trial fails and the search goes on; its record says why
        trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:300])
        raise
    return score


def _score(model, folds, metric: str) -> float | None:
    try:
        *_, last = inner_scores(model, folds, metric)
    except Exception:  # defaults that fail on the inner validation score nothing; the search still runs
        return None
    return last if np.isfinite(last) else None


def _build(model, params: dict):
    new = type(model)(**{**model.get_params(), **params})
    new.name = model.name
    return new


def _suggest(trial, name: str, r: dict):
    kind = r["type"]
    if kind == "int":
        return trial.suggest_int(name, int(r["low"]), int(r["high"]), step=int(r.get("step", 1)), log=r.get("log", False))
    if kind == "float":
        return trial.suggest_float(name, r["low"], r["high"], step=r.get("step"), log=r.get("log", False))
    return trial.suggest_categorical(name, [_label(c) for c in r["choices"]])


def _label(choice):
    """Optuna stores only None, bool, int, float and str: other choices (lists, mappings) as JSON text."""
    return choice if choice is None or isinstance(choice, (bool, int, float, str)) else json.dumps(choice)


def decode(params: dict, space: dict[str, dict]) -> dict:
    """Parameters as the model takes them (JSON labels of categorical choices turned back into values)."""
    out = {}
    for name, value in params.items():
        r = space.get(name, {})
        if r.get("type") == "categorical":
            value = next((c for c in r["choices"] if _label(c) == value), value)
        elif r.get("type") == "int":
            value = int(value)
        out[name] = value
    return out


def grid_of(space: dict[str, dict]) -> dict[str, list]:
    """Every value of each parameter for the grid sampler (floats need a ``step``)."""
    grid = {}
    for name, r in space.items():
        if r["type"] == "categorical":
            grid[name] = [_label(c) for c in r["choices"]]
        elif r["type"] == "int":
            grid[name] = list(range(int(r["low"]), int(r["high"]) + 1, int(r.get("step", 1))))
        else:
            n = int(round((r["high"] - r["low"]) / r["step"]))
            grid[name] = [float(r["low"] + i * r["step"]) for i in range(n + 1)]
    return grid


def _sampler(optuna, tuner: Tuner, seed: int):
    if tuner.sampler == "grid":
        return optuna.samplers.GridSampler(grid_of(tuner.space), seed=seed)
    if tuner.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _pruner(optuna, tuner: Tuner):
    if tuner.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    if tuner.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.NopPruner()


def _trial_record(optuna, trial, space: dict) -> dict:
    pruned = trial.state == optuna.trial.TrialState.PRUNED
    value = trial.value if not pruned else (trial.intermediate_values.get(trial.last_step) if trial.intermediate_values else None)
    return {"number": trial.number, "params": decode(trial.params, space), "score": value,
            "state": trial.state.name.lower(), "pruned": pruned, "error": trial.user_attrs.get("error"),
            "seconds": trial.duration.total_seconds() if trial.duration is not None else None}
