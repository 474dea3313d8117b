"""One Optuna search over a block's inner validation: a shard of that block's trials, journaled as it goes.

The search runs in an in-memory study; each trial is appended to the journal
(Optuna's journal file) in one write once it has finished, so the journal
costs one small write per trial and holds finished trials only. A search that
finds trials in its journal starts from them and runs only what is left of its
budget. Optuna is imported only when a search runs.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

import numpy as np

from tsbench.engine.inner import inner_scores
from tsbench.errors import PluginError
from tsbench.forecasters.base import clone
from tsbench.metrics.registry import get_metric

__all__ = ["ShardResult", "run_shard", "shard_budget", "build", "decode", "grid_of", "load_optuna"]


@dataclass
class ShardResult:
    """What one shard of a block's search holds: its trials as records, the defaults' score and its cost."""

    trials: list[dict]
    default_score: float | None
    resumed: int
    cpu_time: float
    wall_time: float


def load_optuna():
    """The optuna module, quiet; an install hint when it is missing."""
    try:
        import optuna
    except ImportError:
        raise PluginError("tuning needs the optuna package, which is not installed. "
                          "Install it with: pip install 'tsbench[tune]'") from None
    # a failed trial is recorded with its error (see _objective), not logged with its traceback
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


def shard_budget(trials: int | None, seconds: float | None, shards: int, shard: int) -> tuple[int | None, float | None]:
    """The part of a block's budget that one of ``shards`` independent searches gets."""
    if trials is not None:
        return trials // shards + (shard < trials % shards), None
    return None, float(seconds) / shards


def run_shard(tuner, model, defaults: dict | None, folds, block: int, shard: int, storage) -> ShardResult:
    """Run (or resume) shard ``shard`` of the search of ``block``; score ``defaults`` too unless None.

    ``tuner`` gives the space, budget, metric, sampler, pruner, seed and
    ``parallel`` (the number of shards); ``storage`` is the journal, or None to
    keep the search in memory only.
    """
    optuna = load_optuna()
    wall, cpu = time.perf_counter(), time.process_time()
    direction = "maximize" if get_metric(tuner.metric).higher_is_better else "minimize"
    name = f"block-{block}" if shard == 0 else f"block-{block}-shard-{shard}"
    journal = None if storage is None else optuna.create_study(
        study_name=name, storage=storage, load_if_exists=True, direction=direction)
    finished = [] if journal is None else [t for t in journal.get_trials(deepcopy=False) if t.state.is_finished()]
    attrs = {} if journal is None else dict(journal.user_attrs)
    # a resumed search draws new candidates: its sampler is seeded past the trials already made
    seed = tuner.seed + 1000 * block + 100 * shard + len(finished)
    study = optuna.create_study(direction=direction, pruner=_pruner(optuna, tuner), sampler=_sampler(optuna, tuner, seed))
    study.add_trials(finished)
    default_score = attrs.get("default_score")
    if defaults is not None and "default_score" not in attrs:
        default_score = _score(build(model, defaults), folds, tuner.metric)
        if journal is not None:
            journal.set_user_attr("default_score", default_score)
    trials, seconds = shard_budget(tuner.trials, tuner.seconds, tuner.parallel, shard)
    if trials is not None:
        trials = max(trials - len(finished), 0)
    else:
        seconds = max(seconds - sum(t.duration.total_seconds() for t in finished if t.duration is not None), 0.0)
    if (trials or 0) > 0 or (seconds or 0) > 0:
        keep = [] if journal is None else [lambda _, trial: journal.add_trial(trial)]
        study.optimize(lambda trial: _objective(optuna, trial, tuner, model, folds), n_trials=trials,
                       timeout=seconds, catch=(Exception,), callbacks=keep, gc_after_trial=False)
    spent_wall, spent_cpu = time.perf_counter() - wall, time.process_time() - cpu
    cost = {"cpu_time": attrs.get("cpu_time", 0.0) + spent_cpu, "wall_time": attrs.get("wall_time", 0.0) + spent_wall}
    if journal is not None:  # the cost of a search run in another process is read back from here
        for key, value in cost.items():
            journal.set_user_attr(key, value)
    records = [_trial_record(optuna, t, tuner.space, shard) for t in study.get_trials(deepcopy=False)]
    return ShardResult(records, default_score, len(finished), cost["cpu_time"], cost["wall_time"])


def _objective(optuna, trial, tuner, model, folds) -> float:
    params = {name: _suggest(trial, name, r) for name, r in tuner.space.items()}
    candidate = build(model, decode(params, tuner.space))
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


def build(model, params: dict):
    """A new instance of ``model``'s class with its parameters updated by ``params`` (its name and covariates kept)."""
    return clone(model, **params)


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


def _sampler(optuna, tuner, seed: int):
    if tuner.sampler == "grid":
        return optuna.samplers.GridSampler(grid_of(tuner.space), seed=seed)
    if tuner.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _pruner(optuna, tuner):
    if tuner.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    if tuner.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.NopPruner()


def _trial_record(optuna, trial, space: dict, shard: int) -> dict:
    pruned = trial.state == optuna.trial.TrialState.PRUNED
    value = trial.value if not pruned else (trial.intermediate_values.get(trial.last_step) if trial.intermediate_values else None)
    return {"shard": shard, "number": trial.number, "params": decode(trial.params, space), "score": value,
            "state": trial.state.name.lower(), "pruned": pruned, "error": trial.user_attrs.get("error"),
            "seconds": trial.duration.total_seconds() if trial.duration is not None else None}
