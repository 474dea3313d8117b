"""Seasonality tests and classical decomposition shared by the statistical forecasters."""

from __future__ import annotations

import numpy as np

__all__ = ["acf", "classical_indices", "is_seasonal", "seasonal_strength", "season_positions"]

#: One-sided 90% normal quantile of the M4 benchmark's seasonality test.
Z_90 = 1.645


def acf(x: np.ndarray, nlags: int) -> np.ndarray:
    """Sample autocorrelations at lags ``0..nlags`` (the mean-centred, biased estimator)."""
    x = np.asarray(x, dtype=float) - np.mean(x)
    denom = float(x @ x)
    if denom == 0:
        return np.r_[1.0, np.zeros(nlags)]
    return np.array([1.0] + [float(x[k:] @ x[:-k]) / denom for k in range(1, nlags + 1)])


def is_seasonal(y: np.ndarray, season_length: int) -> bool:
    """The M4 benchmark's test: is the autocorrelation at lag ``m`` beyond its 90% limit?

    The limit is ``1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)``, Bartlett's standard
    error under the hypothesis that autocorrelations beyond lag ``m - 1`` are zero
    (the M4 reference code leaves ``r_1`` unsquared; this squares every lag). Series
    shorter than three seasons are not seasonal, as in the M4 benchmarks.
    """
    m = int(season_length)
    y = np.asarray(y, dtype=float)
    if m < 2 or len(y) < 3 * m:
        return False
    r = acf(y, m)
    limit = Z_90 * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / len(y))
    return bool(abs(r[m]) > limit)


def _centred_average(y: np.ndarray, m: int) -> np.ndarray:
    """The centred moving average of one season (2 x m for even ``m``), NaN where it is not defined."""
    weights = np.ones(m + 1 - m % 2)
    if m % 2 == 0:
        weights[[0, -1]] = 0.5
    weights /= m
    trend = np.full(len(y), np.nan)
    half = len(weights) // 2
    trend[half : len(y) - half] = np.convolve(y, weights, mode="valid")
    return trend


def classical_indices(y: np.ndarray, season_length: int, multiplicative: bool = True) -> np.ndarray:
    """Seasonal indices of a classical decomposition, one per position of the season.

    The trend is the centred moving average; the indices are the average ratio
    (or difference) to it at each position, normalised to mean 1 (or 0).
    Position ``i`` is that of ``y[i]``, ``y[i + m]``, ... (as in statsmodels'
    ``seasonal_decompose``).
    """
    m = int(season_length)
    y = np.asarray(y, dtype=float)
    trend = _centred_average(y, m)
    detrended = y / trend if multiplicative else y - trend
    indices = np.array([np.nanmean(detrended[i::m]) for i in range(m)])
    return indices / indices.mean() if multiplicative else indices - indices.mean()


def season_positions(start: int, count: int, season_length: int) -> np.ndarray:
    """Positions in the season of ``count`` consecutive observations from position ``start``."""
    return (start + np.arange(count)) % int(season_length)


def seasonal_strength(y: np.ndarray, season_length: int) -> float:
    """Strength of seasonality, ``max(0, 1 - var(R) / var(S + R))`` of an additive classical decomposition.

    Wang, Smith and Hyndman (2006); above 0.64 is the threshold that R's
    ``forecast::nsdiffs`` uses to take a seasonal difference.
    """
    m = int(season_length)
    y = np.asarray(y, dtype=float)
    if m < 2 or len(y) < 2 * m + 1:
        return 0.0
    trend = _centred_average(y, m)
    seasonal = classical_indices(y, m, multiplicative=False)[season_positions(0, len(y), m)]
    remainder = y - trend - seasonal
    ok = np.isfinite(remainder)
    total = np.var(remainder[ok] + seasonal[ok])
    return 0.0 if total == 0 else float(max(0.0, 1 - np.var(remainder[ok]) / total))
