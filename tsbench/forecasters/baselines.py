"""Honest baselines: random walk, drift, seasonal naive, historical mean, moving average.

They live in one file because each is a few lines and they are read together:
every other model is judged against them. Each also forecasts many origins of a
series at once (``_predict_many``), with the same arithmetic as one origin, so
both give identical numbers.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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
        return y  # the training values: their spread is only computed when quantiles are asked for

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, y[-1])

    def _predict_quantiles_one(self, state, y, horizon, quantiles):
        spread = _step_sd(state) * np.sqrt(np.arange(1, horizon + 1))[:, None]
        return y[-1] + spread * np.array([NormalDist().inv_cdf(q) for q in quantiles])[None, :]

    def _predict_many(self, states, y, starts, ends, horizon, quantiles):
        point = np.repeat(y[ends - 1][:, None], horizon, axis=1)
        if not quantiles:
            return point, None
        sds = {id(s): _step_sd(s) for s in states}  # origins of one fit share its training values
        spread = np.array([sds[id(s)] for s in states])[:, None, None] * np.sqrt(np.arange(1, horizon + 1))[None, :, None]
        z = np.array([NormalDist().inv_cdf(q) for q in quantiles])[None, None, :]
        return point, y[ends - 1][:, None, None] + spread * z  # (N, H, Q)


def _step_sd(train: np.ndarray) -> float:
    """Standard deviation of the one-step changes of the training values (0 with fewer than two)."""
    diffs = np.diff(train)
    return float(np.std(diffs, ddof=1)) if len(diffs) > 1 else 0.0


class Drift(LocalForecaster):
    """Random walk with drift: the line through the first and last observations, extended."""

    name = "drift"

    def __init__(self) -> None:
        pass

    def _predict_one(self, state, y, horizon):
        slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
        return y[-1] + slope * np.arange(1, horizon + 1)

    def _predict_many(self, states, y, starts, ends, horizon, quantiles):
        last, steps = y[ends - 1], (ends - starts - 1).astype(float)
        slope = np.divide(last - y[starts], steps, out=np.zeros(len(ends)), where=steps > 0)
        return last[:, None] + slope[:, None] * np.arange(1, horizon + 1)[None, :], None


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

    def _predict_many(self, states, y, starts, ends, horizon, quantiles):
        m = np.minimum(self.season_length, ends - starts)[:, None]
        return y[(ends[:, None] - m) + np.arange(horizon)[None, :] % m], None


class HistoricalMean(LocalForecaster):
    """The mean of the whole history seen so far."""

    name = "mean"

    def __init__(self) -> None:
        pass

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, float(np.mean(y)))

    def _predict_many(self, states, y, starts, ends, horizon, quantiles):
        means = np.array([np.mean(y[s:e]) for s, e in zip(starts, ends)])  # as one origin sums, bit for bit
        return np.repeat(means[:, None], horizon, axis=1), None


class MovingAverage(LocalForecaster):
    """Flat forecast at the mean of the last ``window`` observations."""

    name = "moving_average"

    def __init__(self, window: int = 20) -> None:
        self.window = window

    def check_params(self) -> None:
        check_int("window", self.window, low=1)

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, float(np.mean(y[-self.window :])))

    def _predict_many(self, states, y, starts, ends, horizon, quantiles):
        # a mean over a strided window view sums as numpy sums one window, so the numbers are
        # identical; running (cumulative) sums would drift by ~1e-12 on long log-price series
        means = np.empty(len(ends))
        full = ends - starts >= self.window
        if full.any() and len(y) >= self.window:
            windows = sliding_window_view(y, self.window)
            rows = np.flatnonzero(full)
            for chunk in np.array_split(rows, max(1, len(rows) * self.window // 4_000_000)):
                means[chunk] = windows[ends[chunk] - self.window].mean(axis=1)
        for i in np.flatnonzero(~full):
            means[i] = np.mean(y[starts[i] : ends[i]])
        return np.repeat(means[:, None], horizon, axis=1), None
