"""Honest baselines: random walk, drift, seasonal naive, historical mean, moving average.

They live in one file because each is a few lines and they are read together:
every other model is judged against them.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import ClassVar

import numpy as np

from tsbench.forecasters._checks import check_int
from tsbench.forecasters.base import LocalForecaster

__all__ = ["Naive", "Drift", "SeasonalNaive", "HistoricalMean", "MovingAverage"]


class Naive(LocalForecaster):
    """Random walk: every future value equals the last observed one.

    Quantiles assume Gaussian increments with the standard deviation of the
    training differences, so the interval widens with the square root of ``h``.
    """

    tags: ClassVar = {"quantiles": True}
    name = "naive"

    def __init__(self) -> None:
        pass

    def _fit_one(self, y):
        diffs = np.diff(y)
        return float(np.std(diffs, ddof=1)) if len(diffs) > 1 else 0.0

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, y[-1])

    def _predict_quantiles_one(self, state, y, horizon, quantiles):
        spread = state * np.sqrt(np.arange(1, horizon + 1))[:, None]
        return y[-1] + spread * np.array([NormalDist().inv_cdf(q) for q in quantiles])[None, :]


class Drift(LocalForecaster):
    """Random walk with drift: the line through the first and last observations, extended."""

    name = "drift"

    def __init__(self) -> None:
        pass

    def _predict_one(self, state, y, horizon):
        slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
        return y[-1] + slope * np.arange(1, horizon + 1)


class SeasonalNaive(LocalForecaster):
    """Each future value equals the value one season earlier."""

    name = "seasonal_naive"

    def __init__(self, season_length: int = 5) -> None:
        self.season_length = season_length

    def check_params(self) -> None:
        check_int("season_length", self.season_length, low=1)

    def _predict_one(self, state, y, horizon):
        m = min(self.season_length, len(y))
        last_season = y[-m:]
        return np.resize(last_season, horizon)


class HistoricalMean(LocalForecaster):
    """The mean of the whole history seen so far."""

    name = "mean"

    def __init__(self) -> None:
        pass

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, float(np.mean(y)))


class MovingAverage(LocalForecaster):
    """Flat forecast at the mean of the last ``window`` observations."""

    name = "moving_average"

    def __init__(self, window: int = 20) -> None:
        self.window = window

    def check_params(self) -> None:
        check_int("window", self.window, low=1)

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, float(np.mean(y[-self.window :])))
