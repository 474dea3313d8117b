"""Pesaran-Timmermann test of directional accuracy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsbench.errors import DataError

__all__ = ["PTResult", "pesaran_timmermann"]


@dataclass(frozen=True)
class PTResult:
    """Outcome of :func:`pesaran_timmermann`: the statistic, one-sided p-value and hit rate."""

    statistic: float
    pvalue: float
    hit_rate: float
    n: int


def pesaran_timmermann(actual_change, predicted_change) -> PTResult:
    """Test whether forecasts predict the direction of change better than chance.

    With ``P`` the share of periods whose predicted and actual signs agree
    (a change counts as "up" when it is strictly positive), ``P_y`` and
    ``P_x`` the shares of actual and predicted ups, the share expected under
    independence is ``P* = P_y P_x + (1 - P_y)(1 - P_x)``. The statistic
    ``(P - P*) / sqrt(V(P) - V(P*))`` with
    ``V(P) = P*(1 - P*)/n`` and
    ``V(P*) = (2P_y - 1)^2 P_x(1 - P_x)/n + (2P_x - 1)^2 P_y(1 - P_y)/n + 4 P_y P_x (1 - P_y)(1 - P_x)/n^2``
    is asymptotically standard normal; large values mean directional skill
    (one-sided p-value). It is undefined (NaN) when the actual or the
    predicted direction never changes, e.g. for a no-change forecast.

    Parameters
    ----------
    actual_change, predicted_change
        Actual and predicted changes from the last observed value, aligned.

    References
    ----------
    Pesaran, M. H. and Timmermann, A. (1992). A simple nonparametric test of
    predictive performance. Journal of Business & Economic Statistics,
    10(4), 461-465.
    """
    from scipy import stats

    y = np.asarray(actual_change, dtype=float)
    x = np.asarray(predicted_change, dtype=float)
    if y.shape != x.shape or y.ndim != 1:
        raise DataError(f"expected two 1-d arrays of the same length, got shapes {y.shape} and {x.shape}.")
    keep = ~(np.isnan(y) | np.isnan(x))
    y, x = y[keep] > 0, x[keep] > 0
    n = len(y)
    if n < 2:
        return PTResult(float("nan"), float("nan"), float("nan"), n)
    hit = float(np.mean(y == x))
    py, px = float(y.mean()), float(x.mean())
    p_star = py * px + (1 - py) * (1 - px)
    v_p = p_star * (1 - p_star) / n
    v_star = ((2 * py - 1) ** 2 * px * (1 - px) / n + (2 * px - 1) ** 2 * py * (1 - py) / n
              + 4 * py * px * (1 - py) * (1 - px) / n**2)
    denom = v_p - v_star
    if not (0 < px < 1 and 0 < py < 1) or not denom > 0:
        return PTResult(float("nan"), float("nan"), hit, n)
    stat = (hit - p_star) / np.sqrt(denom)
    return PTResult(float(stat), float(stats.norm.sf(stat)), hit, n)
