"""Shared machinery of the statsmodels forecasters: warm-started fits, fixed-parameter re-filtering, fit diagnostics."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.stats import norm

from tsbench.forecasters import covariate_arrays as cov
from tsbench.forecasters.base import LocalForecaster
from tsbench.panel import DS, ID, Y, iter_series

__all__ = [
    "FitWarning",
    "NonStationaryFitWarning",
    "NonInvertibleFitWarning",
    "SeriesFit",
    "StatsmodelsForecaster",
    "converged",
    "one_blas_thread",
    "previous_params",
    "roots_ok",
]


_BLAS: list = []


def one_blas_thread():
    """A context in which BLAS runs on one thread.

    The Kalman filter works on matrices of a few rows, where BLAS threads only
    contend for the cores (on a busy machine they made fits ten times slower).
    Without ``threadpoolctl`` this is a no-op.
    """
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _BLAS.append(None)
        else:
            _BLAS.append(ThreadpoolController())
    return contextlib.nullcontext() if _BLAS[0] is None else _BLAS[0].limit(limits=1, user_api="blas")


class FitWarning(UserWarning):
    """A model was fitted but its estimate is doubtful (counted per cell by the backtest)."""


class NonStationaryFitWarning(FitWarning):
    """The fitted autoregressive polynomial has a root on or inside the unit circle."""


class NonInvertibleFitWarning(FitWarning):
    """The fitted moving-average polynomial has a root on or inside the unit circle."""


#: A root counts as on the unit circle when its modulus is below this bound.
UNIT_ROOT_BOUND = 1.0 + 1e-4


def roots_ok(roots: np.ndarray) -> bool:
    """True when every root of a lag polynomial lies strictly outside the unit circle."""
    roots = np.asarray(roots)
    return bool(roots.size == 0 or np.min(np.abs(roots)) > UNIT_ROOT_BOUND)


@dataclass
class SeriesFit:
    """The fitted state of one series.

    ``params`` are the estimated parameters (kept to warm-start the next fit),
    ``results`` a statsmodels results object filtered over ``y`` with them, and
    ``info`` the diagnostics recorded with the backtest results. ``cursor`` holds
    the latest re-filtered results, the data seen so far and the position of
    the first observation those results filtered, so that forecasting from
    successive cutoffs only filters the new observations.
    """

    params: np.ndarray
    results: Any
    y: np.ndarray
    info: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    cursor: tuple[np.ndarray, Any, int] | None = None
    last: tuple[np.ndarray, int, np.ndarray, np.ndarray] | None = None


class StatsmodelsForecaster(LocalForecaster):
    """Base class of forecasters backed by a statsmodels model fitted per series.

    Subclasses implement ``_fit_series(y, previous)`` returning a
    :class:`SeriesFit` (``previous`` is the last fit of the same series, or
    ``None``, so the optimiser can start from its parameters) and
    ``_forecast(fit, y, horizon)`` returning the mean and variance of the
    forecast from the end of ``y`` with the fitted parameters, without
    re-estimating them. Quantiles are normal quantiles of that distribution.

    A subclass whose ``covariates`` tag names kinds also takes ``X`` in
    ``_fit_series(y, previous, X)`` and ``X``, ``X_future`` in ``_forecast``;
    they are passed only when the forecaster was given covariates. Forecasts
    with covariates skip the re-filtering ahead of the cutoffs (``_prefilter``).
    """

    tags: ClassVar = {"quantiles": True, "batch_origins": True, "min_train_size": 10}

    def _predict(self, context, horizon, quantiles, future=None):
        with one_blas_thread():
            return super()._predict(context, horizon, quantiles, future=future)

    def _fit(self, train) -> None:
        with one_blas_thread():
            self._fit_all(train)

    def _fit_all(self, train) -> None:
        previous = getattr(self, "states_", {})
        states = {}
        for uid, g in iter_series(train):
            y = g[Y].to_numpy(dtype=float)
            extra = {"X": cov.covariate_matrix(g, self.covariates)} if self.covariates else {}
            states[uid] = self._fit_series(y, previous.get(uid), **extra)
            _warn_about(type(self).__name__, uid, states[uid].info)
        self.states_ = states
        self.fit_info_ = {str(uid): dict(s.info) for uid, s in states.items()}

    def _fit_one(self, y, **covariates):
        """The array path's fit of one window (no warm start: each window is fitted afresh)."""
        with one_blas_thread():
            fit = self._fit_series(y, None, **covariates)
        _warn_about(type(self).__name__, "(array)", fit.info)
        return fit

    def _predict_origins(self, history, cutoffs, horizon, quantiles, future=None):
        """Forecast at many cutoffs per series; each series is filtered once, up to its last cutoff."""
        with one_blas_thread():
            if not self.covariates:
                self._prefilter_all(history, cutoffs)
            return super()._predict_origins(history, cutoffs, horizon, quantiles, future=future)

    def _prefilter_all(self, history, cutoffs) -> None:
        last = cutoffs.groupby(ID, sort=False)["cutoff"].max()
        for uid, g in iter_series(history):
            if uid in last.index and uid in self.states_:
                end = int(np.searchsorted(g[DS].to_numpy(), np.asarray(last[uid], dtype=g[DS].dtype), side="right"))
                self._prefilter(self.states_[uid], g[Y].to_numpy(dtype=float)[:end])

    def _prefilter(self, fit: SeriesFit, y: np.ndarray) -> None:
        """Filter ``y`` (the history up to the last cutoff) ahead of forecasting from its cutoffs."""

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None) -> SeriesFit:
        raise NotImplementedError

    def _forecast(self, fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _mean_var(self, fit: SeriesFit, y: np.ndarray, horizon: int, **covariates) -> tuple[np.ndarray, np.ndarray]:
        # point forecasts and quantiles ask for the same forecast one after the other
        if fit.last is not None and fit.last[1] == horizon and np.array_equal(fit.last[0], y) \
                and _same_covariates(fit.extra.get("last_covariates"), covariates):
            return fit.last[2], fit.last[3]
        mean, var = self._forecast(fit, y, horizon, **covariates)
        mean = np.asarray(mean, dtype=float).reshape(-1)
        var = np.asarray(var, dtype=float).reshape(-1)
        fit.last = (y.copy(), horizon, mean, var)
        if covariates:
            fit.extra["last_covariates"] = {k: np.array(v, dtype=float) for k, v in covariates.items()}
        return mean, var

    def _predict_one(self, state, y, horizon, **covariates):
        return self._mean_var(state, y, horizon, **_given(covariates))[0]

    def _predict_quantiles_one(self, state, y, horizon, quantiles, **covariates):
        mean, var = self._mean_var(state, y, horizon, **_given(covariates))
        sd = np.sqrt(np.maximum(var, 0.0))
        return mean[:, None] + sd[:, None] * norm.ppf(np.asarray(quantiles))[None, :]


def _given(covariates: dict[str, Any]) -> dict[str, Any]:
    """``X`` and ``X_future`` when given (the hooks receive them only for forecasters with covariates)."""
    return {k: v for k, v in covariates.items() if v is not None}


def _same_covariates(seen: dict[str, np.ndarray] | None, covariates: dict[str, Any]) -> bool:
    if not covariates:
        return seen is None
    return seen is not None and set(seen) == set(covariates) and all(
        np.array_equal(seen[k], np.asarray(v, dtype=float), equal_nan=True) for k, v in covariates.items())


def _warn_about(model: str, uid: object, info: dict[str, Any]) -> None:
    """Turn doubtful fits into counted warnings (the backtest records them per cell)."""
    if info.get("stationary") is False:
        warnings.warn(f"{model}: non-stationary fit on series '{uid}'", NonStationaryFitWarning, stacklevel=3)
    if info.get("invertible") is False:
        warnings.warn(f"{model}: non-invertible fit on series '{uid}'", NonInvertibleFitWarning, stacklevel=3)


def previous_params(previous: SeriesFit | None, size: int) -> np.ndarray | None:
    """The last fit's parameters when they fit a model of ``size`` parameters, else ``None``."""
    if previous is None or previous.params is None or len(previous.params) != size:
        return None
    params = np.asarray(previous.params, dtype=float)
    return params if np.all(np.isfinite(params)) else None


def converged(results: Any) -> bool:
    """Whether a statsmodels optimiser reported convergence (True when it says nothing)."""
    retvals = getattr(results, "mle_retvals", None) or {}
    return bool(retvals.get("converged", True))
