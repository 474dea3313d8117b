"""Probabilistic scores from quantile forecasts: pinball loss, CRPS, interval coverage, width and Winkler score.

Quantiles are read from the ``q_<level>`` columns of the evaluation frame.
Rows whose quantiles are missing (a model that forecasts no quantiles) give NaN
for their group. Interval metrics take ``interval``, the nominal coverage of a
central interval (``0.8`` or ``80`` for the 10%-90% quantiles); without it they
use the widest central interval the quantiles allow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsbench.errors import DataError
from tsbench.metrics.point import group_mean
from tsbench.panel import quantile_levels_of

__all__ = [
    "central_intervals",
    "interval_suffix",
    "pinball_losses",
    "pinball",
    "crps",
    "coverage",
    "width",
    "winkler",
]

_TOL = 1e-9


def central_intervals(levels: Sequence[float]) -> dict[float, tuple[float, float]]:
    """Nominal coverage -> (lower, upper) level, for each symmetric pair of levels (e.g. 0.8 -> (0.1, 0.9))."""
    out = {}
    for lo in levels:
        hi = [u for u in levels if abs(u - (1.0 - lo)) < _TOL]
        if lo < 0.5 - _TOL and hi:
            out[round(1.0 - 2.0 * lo, 9)] = (lo, hi[0])
    return dict(sorted(out.items()))


def interval_suffix(nominal: float) -> str:
    """Name suffix of a central interval: 0.8 -> ``80``, 0.95 -> ``95``, 0.875 -> ``87.5``."""
    return f"{nominal * 100:g}"


def _need_quantiles(df: pd.DataFrame, what: str) -> dict[float, str]:
    levels = quantile_levels_of(df)
    if not levels:
        raise DataError(
            f"{what} needs quantile forecasts (columns q_<level>), but the frame has none; "
            "set 'quantiles: [0.1, 0.5, 0.9]' (for example) in the experiment."
        )
    return levels


def pinball_losses(y: np.ndarray, q: np.ndarray, level: float) -> np.ndarray:
    """Quantile (pinball) loss of quantile forecast ``q`` at ``level`` for actuals ``y``."""
    diff = np.asarray(y, dtype=float) - np.asarray(q, dtype=float)
    return np.maximum(level * diff, (level - 1.0) * diff)


def _pinball_matrix(df: pd.DataFrame, levels: dict[float, str]) -> np.ndarray:
    y = df["y"].to_numpy(dtype=float)
    return np.column_stack([pinball_losses(y, df[c].to_numpy(dtype=float), lv) for lv, c in levels.items()])


def pinball(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Pinball loss averaged over the quantile levels and rows."""
    losses = _pinball_matrix(df, _need_quantiles(df, "pinball"))
    return group_mean(losses.mean(axis=1), df, by)


def crps(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Continuous ranked probability score approximated from the quantiles.

    CRPS is twice the integral of the pinball loss over levels in (0, 1). The
    integral is approximated by the midpoint rule: each level stands for the
    cell of levels closer to it than to its neighbours (the outer cells as wide
    as the inner spacing next to them), and the weights are normalised, so
    evenly spaced levels give twice the mean of their losses. The more levels,
    the closer to the exact CRPS.
    """
    levels = _need_quantiles(df, "crps")
    weights = _level_weights(np.asarray(list(levels)))
    return group_mean(2.0 * _pinball_matrix(df, levels) @ weights, df, by)


def _level_weights(tau: np.ndarray) -> np.ndarray:
    if len(tau) == 1:
        return np.ones(1)
    mids = (tau[1:] + tau[:-1]) / 2.0
    edges = np.r_[tau[0] - (mids[0] - tau[0]), mids, tau[-1] + (tau[-1] - mids[-1])]
    weights = np.diff(edges)
    return weights / weights.sum()


def _bounds(df: pd.DataFrame, interval: float | None, what: str) -> tuple[np.ndarray, np.ndarray, float]:
    levels = _need_quantiles(df, what)
    intervals = central_intervals(list(levels))
    if not intervals:
        raise DataError(
            f"{what} needs a central interval, i.e. quantile levels in symmetric pairs such as 0.1 and 0.9; "
            f"got levels {list(levels)}."
        )
    if interval is None:
        nominal = max(intervals)
    else:
        nominal = float(interval) / 100.0 if float(interval) > 1 else float(interval)
        match = [k for k in intervals if abs(k - nominal) < 1e-6]
        if not match:
            raise DataError(
                f"{what}: no central {interval_suffix(nominal)}% interval in the quantile levels "
                f"{list(levels)}; available: {[interval_suffix(k) for k in intervals]}."
            )
        nominal = match[0]
    lo, hi = intervals[nominal]
    return df[levels[lo]].to_numpy(dtype=float), df[levels[hi]].to_numpy(dtype=float), nominal


def coverage(df: pd.DataFrame, by: Sequence[str], interval: float | None = None) -> pd.Series:
    """Share of actuals inside the central interval (ideally its nominal coverage)."""
    lo, hi, _ = _bounds(df, interval, "coverage")
    y = df["y"].to_numpy(dtype=float)
    inside = np.where(np.isnan(lo) | np.isnan(hi), np.nan, ((y >= lo) & (y <= hi)).astype(float))
    return group_mean(inside, df, by)


def width(df: pd.DataFrame, by: Sequence[str], interval: float | None = None) -> pd.Series:
    """Mean width of the central interval (upper minus lower quantile)."""
    lo, hi, _ = _bounds(df, interval, "width")
    return group_mean(hi - lo, df, by)


def winkler(df: pd.DataFrame, by: Sequence[str], interval: float | None = None) -> pd.Series:
    """Winkler interval score: width plus ``2/alpha`` times the distance by which an actual falls outside."""
    lo, hi, nominal = _bounds(df, interval, "winkler")
    alpha = 1.0 - nominal
    y = df["y"].to_numpy(dtype=float)
    score = (hi - lo) + (2.0 / alpha) * (np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0))
    return group_mean(score, df, by)
