"""Inner validation: rolling origins inside one block's training data, and a forecaster's score on them.

A search for the parameters of refit block ``b`` must see nothing after that
block's training end. Its trials are therefore scored on origins that lie
inside the block's training rows: the last inner origin leaves ``horizon``
observations after it, the others lie ``step`` apart before it, and the
forecasts of all origins served by one fit come from one
:meth:`~tsbench.forecasters.base.BaseForecaster.predict_origins` call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.errors import ConfigError, DataError
from tsbench.metrics.registry import get_metric
from tsbench.panel import DS, ID, Y, series_bounds

__all__ = ["InnerPlan", "InnerFold", "inner_folds", "inner_scores", "check_inner_lengths", "score_frame",
           "INNER_METRIC_INPUTS"]

#: What the inner validation can give a metric beyond the forecasts.
INNER_METRIC_INPUTS = frozenset({"train", "history", "season_length", "scale"})


@dataclass(frozen=True)
class InnerPlan:
    """Where the inner origins are: ``origins`` of them, ``step`` apart, ``refit_every`` sharing one fit."""

    origins: int
    step: int
    horizon: int
    refit_every: int | None  # None: one fit serves every inner origin
    min_train: int

    def rows_needed(self) -> int:
        """The fewest training rows a series needs: ``min_train`` before the first inner origin, then the origins."""
        return self.min_train + self.step * (self.origins - 1) + self.horizon

    def positions(self, n: int) -> np.ndarray:
        """Row positions of the inner cutoffs in a series of ``n`` training rows."""
        last = n - 1 - self.horizon
        return last - self.step * np.arange(self.origins - 1, -1, -1)

    def folds(self) -> list[list[int]]:
        """Inner origin indices grouped by the fit that serves them."""
        every = self.origins if self.refit_every is None else self.refit_every
        return [list(range(i, min(i + every, self.origins))) for i in range(0, self.origins, every)]

    def describe(self) -> str:
        """The plan in words, for error messages."""
        return f"{self.origins} inner origin(s) {self.step} apart with horizon {self.horizon}"


@dataclass(frozen=True)
class InnerFold:
    """One fit of the inner validation: its training rows, the history it forecasts from, and the truth."""

    fit: pd.DataFrame
    history: pd.DataFrame
    cutoffs: pd.DataFrame
    truth: pd.DataFrame  # unique_id, cutoff, h, y, y_last
    #: The ``horizon`` training rows after ``history`` of each series, without ``y``: known covariates come from it.
    future: pd.DataFrame | None = None


def check_inner_lengths(plan: InnerPlan, lengths: Mapping[str, int], who: str) -> None:
    """Raise :class:`DataError` when a series' training rows are too few for the inner validation.

    Parameters
    ----------
    plan
        The inner validation.
    lengths
        The fewest training rows each series has in any tuned block.
    who
        The forecaster's name, for the message.
    """
    need = plan.rows_needed()
    short = {uid: n for uid, n in lengths.items() if n < need}
    if short:
        uid, n = next(iter(short.items()))
        raise DataError(
            f"forecaster '{who}': its tuning validates on {plan.describe()}, which needs at least {need} "
            f"training observations per series ({plan.min_train} (backtest.min_train) before the first inner "
            f"origin), but series '{uid}' has {n} in its first tuned block. Use fewer inner origins or a "
            "smaller step or horizon (tune.validation), or start the backtest later."
        )


def inner_folds(train: pd.DataFrame, plan: InnerPlan) -> list[InnerFold]:
    """Split one block's training rows (sorted by series and time) into the folds of the inner validation."""
    ids, starts, ends = series_bounds(train)
    ds, y = train[DS].to_numpy(), train[Y].to_numpy(dtype=float)
    cuts = {s: s + plan.positions(e - s) for s, e in zip(starts, ends)}
    out = []
    for fold in plan.folds():
        fit = _head(train, starts, {s: c[fold[0]] for s, c in cuts.items()})
        history = _head(train, starts, {s: c[fold[-1]] for s, c in cuts.items()})
        future = _next_rows(train, {s: c[fold[-1]] for s, c in cuts.items()}, plan.horizon)
        rows = np.concatenate([cuts[s][fold] for s in starts])
        who = np.concatenate([np.repeat(ids[s:s + 1], len(fold)) for s in starts])
        cutoffs = pd.DataFrame({ID: who, "cutoff": ds[rows]})
        steps = np.arange(1, plan.horizon + 1)
        at = (rows[:, None] + steps[None, :]).reshape(-1)
        truth = pd.DataFrame({ID: np.repeat(who, plan.horizon), "cutoff": np.repeat(ds[rows], plan.horizon),
                              "h": np.tile(steps, len(rows)), "y": y[at], "y_last": np.repeat(y[rows], plan.horizon)})
        out.append(InnerFold(fit, history, cutoffs, truth, future))
    return out


def _head(train: pd.DataFrame, starts: np.ndarray, last: dict[int, int]) -> pd.DataFrame:
    """The rows of each series up to and including row ``last[start]``."""
    keep = np.concatenate([np.arange(s, last[s] + 1) for s in starts])
    return train.iloc[keep].reset_index(drop=True)


def _next_rows(train: pd.DataFrame, last: dict[int, int], horizon: int) -> pd.DataFrame:
    """The ``horizon`` rows after row ``last[start]`` of each series, without ``y`` (the values to forecast)."""
    keep = np.concatenate([np.arange(r + 1, r + 1 + horizon) for r in last.values()])
    return train.drop(columns=[Y]).iloc[keep].reset_index(drop=True)


def inner_scores(model, folds: list[InnerFold], metric: str, options: Mapping | None = None) -> Iterator[float]:
    """Fit ``model`` fold by fold and yield the metric over every inner forecast made so far.

    The same instance is refitted at each fold, as the backtest refits one
    instance across blocks. A pruner reads each yielded score. A model that
    reads known covariates gets their values after each fold's history as
    ``future``.
    """
    scored: list[pd.DataFrame] = []
    for fold in folds:
        model.fit(fold.fit)
        known = getattr(getattr(model, "covariates", None), "known", ())
        future = {"future": fold.future[[ID, DS, *known]]} if known and fold.future is not None else {}
        forecasts = model.predict_origins(fold.history, fold.cutoffs, int(fold.truth["h"].max()), **future)
        merged = fold.truth.merge(forecasts[[ID, "cutoff", "h", "y_pred"]], on=[ID, "cutoff", "h"], how="left")
        scored.append(merged)
        yield score_frame(pd.concat(scored, ignore_index=True), metric, folds[0].fit, folds[-1].history, options)


def score_frame(frame: pd.DataFrame, metric: str, train: pd.DataFrame, history: pd.DataFrame,
                options: Mapping | None = None) -> float:
    """One number: the mean over series of ``metric`` on ``frame`` (NaN when a forecast is missing or not finite)."""
    if not np.isfinite(frame["y_pred"].to_numpy(dtype=float)).all():
        return float("nan")
    declared = get_metric(metric)
    given = {"train": train, "history": history, **dict(options or {})}
    kwargs = {k: v for k, v in given.items() if k in declared.needs()}
    missing = declared.required() - set(kwargs)
    if missing:
        raise ConfigError(f"metric {metric!r} needs {sorted(missing)}, which the inner validation cannot give.")
    return float(np.mean(declared.fn(frame, [ID], **kwargs).to_numpy(dtype=float)))
