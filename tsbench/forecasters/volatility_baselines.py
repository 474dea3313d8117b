"""Volatility baselines on the variance proxy ``y``: RiskMetrics EWMA, rolling variance and HAR.

Each reads the panel's ``y`` as a daily variance proxy (a ``target: variance``
panel, see :mod:`tsbench.data.variance`) and forecasts the variance of each
future session. Their quantiles are of the return (the Value-at-Risk): a
normal with mean zero and the forecast variance.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.stats import norm

from tsbench.forecasters._checks import check_int, check_number
from tsbench.forecasters.base import LocalForecaster

__all__ = ["VarianceBaseline", "Ewma", "RollingVariance", "Har", "normal_var", "har_features"]

#: Forecasts are kept at least this share of the training proxy's mean (HAR can cross zero).
_FLOOR = 1e-6


def normal_var(variance: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """Quantiles (``len(variance)``, ``len(quantiles)``) of a zero-mean normal return with these variances."""
    sd = np.sqrt(np.maximum(np.asarray(variance, dtype=float), 0.0))
    return sd[:, None] * norm.ppf(np.asarray(quantiles, dtype=float))[None, :]


class VarianceBaseline(LocalForecaster):
    """Base of the variance baselines: normal return quantiles from the variance forecast."""

    tags: ClassVar = {"quantiles": True, "batch_origins": True, "variance_model": True}

    def _fit(self, train) -> None:
        super()._fit(train)
        self.notes_ = {"var": "normal with mean zero and the forecast variance"}

    def _predict_quantiles_one(self, state, y, horizon, quantiles):
        return normal_var(self._predict_one(state, y, horizon), quantiles)


class Ewma(VarianceBaseline):
    """RiskMetrics exponentially weighted variance: ``s_{t+1} = lam s_t + (1 - lam) y_t`` (registry name ``ewma``).

    The recursion starts at the mean of the first ``init`` observations of the
    history it is given; the forecast is flat over the horizon.
    """

    name = "ewma"

    def __init__(self, lam: float = 0.94, init: int = 20) -> None:
        self.lam = lam
        self.init = init

    def check_params(self) -> None:
        check_number("lam", self.lam, 0.0, 1.0, low_open=True, high_open=True)
        check_int("init", self.init, low=1)

    def _predict_one(self, state, y, horizon):
        from scipy.signal import lfilter

        lam = float(self.lam)
        start = float(np.mean(y[: self.init]))
        # s_{t+1} = lam s_t + (1 - lam) y_t from s_0 = start: a first-order filter of y
        level, _ = lfilter([1.0 - lam], [1.0, -lam], y, zi=[lam * start])
        return np.full(horizon, level[-1])


class RollingVariance(VarianceBaseline):
    """The mean of the last ``window`` proxies, flat over the horizon (registry name ``rolling_variance``)."""

    name = "rolling_variance"

    def __init__(self, window: int = 22) -> None:
        self.window = window

    def check_params(self) -> None:
        check_int("window", self.window, low=1)

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, float(np.mean(y[-self.window:])))


def har_features(y: np.ndarray, weekly: int = 5, monthly: int = 22) -> np.ndarray:
    """Rows ``[1, y_t, mean(y_{t-4..t}), mean(y_{t-21..t})]`` for each ``t`` with a full monthly window."""
    c = np.r_[0.0, np.cumsum(y)]
    t = np.arange(monthly, len(y) + 1)  # end (exclusive) of each window
    week = (c[t] - c[t - weekly]) / weekly
    month = (c[t] - c[t - monthly]) / monthly
    return np.column_stack([np.ones(len(t)), y[t - 1], week, month])


class Har(VarianceBaseline):
    """HAR regression of the next proxy on its daily, weekly and monthly averages (registry name ``har``).

    Corsi's (2009) heterogeneous autoregression, estimated by least squares at
    each fit; multi-step forecasts iterate it, feeding each forecast back into
    the averages. Forecasts are floored at a millionth of the training mean.
    """

    tags: ClassVar = {"min_train_size": 30}
    name = "har"

    def __init__(self, weekly: int = 5, monthly: int = 22) -> None:
        self.weekly = weekly
        self.monthly = monthly

    def check_params(self) -> None:
        check_int("weekly", self.weekly, low=1)
        check_int("monthly", self.monthly, low=2)
        if self.weekly >= self.monthly:
            raise ValueError(f"weekly must be below monthly, got weekly={self.weekly}, monthly={self.monthly}.")

    def _fit_one(self, y):
        if len(y) < self.monthly + 5:
            from tsbench.errors import DataError

            raise DataError(f"Har needs at least monthly + 5 = {self.monthly + 5} observations to fit, got {len(y)}.")
        x = har_features(y, self.weekly, self.monthly)[:-1]
        target = y[self.monthly:]
        coef, *_ = np.linalg.lstsq(x, target, rcond=None)
        return {"coef": coef, "floor": _FLOOR * float(np.mean(np.abs(y)))}

    def _predict_one(self, state, y, horizon):
        coef, floor = state["coef"], state["floor"]
        window = list(np.asarray(y[-self.monthly:], dtype=float))
        out = np.empty(horizon)
        for k in range(horizon):
            recent = np.asarray(window[-self.monthly:])
            x = np.array([1.0, recent[-1], recent[-self.weekly:].mean(), recent.mean()])
            out[k] = max(float(x @ coef), floor)
            window.append(out[k])
        return out
