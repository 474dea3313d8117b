"""Diebold-Mariano test of equal predictive accuracy, with the HLN correction, and Holm's adjustment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tsbench.errors import DataError

__all__ = ["DMResult", "diebold_mariano", "loss_differential", "holm"]

_LOSSES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "squared": np.square,
    "absolute": np.abs,
}


@dataclass(frozen=True)
class DMResult:
    """Outcome of :func:`diebold_mariano` (arrays when the input was batched).

    ``statistic`` is negative when the first forecast has the smaller loss.
    ``mean_diff`` is the mean loss differential, ``n`` the number of periods.
    """

    statistic: float | np.ndarray
    pvalue: float | np.ndarray
    mean_diff: float | np.ndarray
    n: int


def loss_differential(e1, e2, loss: str | Callable = "squared") -> np.ndarray:
    """``L(e1) - L(e2)`` elementwise, with ``loss`` one of ``squared``, ``absolute`` or a callable."""
    fn = _LOSSES.get(loss) if isinstance(loss, str) else loss
    if fn is None:
        raise DataError(f"unknown loss {loss!r}; expected one of {sorted(_LOSSES)} or a callable.")
    e1, e2 = np.asarray(e1, dtype=float), np.asarray(e2, dtype=float)
    if e1.shape != e2.shape:
        raise DataError(f"the two error arrays must have the same shape, got {e1.shape} and {e2.shape}.")
    return fn(e1) - fn(e2)


def diebold_mariano(
    e1,
    e2,
    h: int = 1,
    loss: str | Callable = "squared",
    alternative: str = "two-sided",
    hln: bool = True,
) -> DMResult:
    """Test whether two forecasts of the same target are equally accurate.

    The loss differential ``d_t = L(e1_t) - L(e2_t)`` of ``h``-step-ahead
    errors is serially correlated up to lag ``h - 1`` under the null (the
    errors overlap), so the variance of its mean is the truncated-uniform
    HAC estimate ``(gamma_0 + 2 * sum_{k=1}^{h-1} gamma_k) / T`` of Diebold
    and Mariano (1995). Where that estimate is not positive (possible in
    small samples) the Bartlett (Newey-West) weights ``1 - k/h`` are used
    instead, which always give a non-negative value. With ``hln`` the
    statistic is multiplied by Harvey, Leybourne and Newbold's (1997) factor
    ``sqrt((T + 1 - 2h + h(h-1)/T) / T)`` and compared with Student's t with
    ``T - 1`` degrees of freedom; without it, with the standard normal.

    Parameters
    ----------
    e1, e2
        Forecast errors (actual minus forecast) of the two forecasts, aligned
        in time along the last axis. Leading axes are independent problems
        tested at once (e.g. many simulations), which keeps batches fast.
    h
        Forecast horizon of the errors: ``h - 1`` autocovariances enter the
        variance.
    loss
        ``"squared"``, ``"absolute"`` or a callable applied elementwise.
    alternative
        ``"two-sided"``; ``"less"`` (the first forecast is more accurate) or
        ``"greater"`` (the second is).
    hln
        Apply the Harvey-Leybourne-Newbold small-sample correction.

    Returns
    -------
    DMResult
        Statistic and p-value; a differential that is zero throughout gives
        statistic 0 and p-value 1.

    References
    ----------
    Diebold, F. X. and Mariano, R. S. (1995). Comparing predictive accuracy.
    Journal of Business & Economic Statistics, 13(3), 253-263.
    Harvey, D., Leybourne, S. and Newbold, P. (1997). Testing the equality of
    prediction mean squared errors. International Journal of Forecasting,
    13(2), 281-291.
    """
    from scipy import stats

    if alternative not in ("two-sided", "less", "greater"):
        raise DataError(f"alternative must be 'two-sided', 'less' or 'greater', got {alternative!r}.")
    d = loss_differential(e1, e2, loss)
    n = d.shape[-1]
    if h < 1 or n < 2 or h >= n:
        raise DataError(f"the DM test needs 1 <= h < T and T >= 2, got h={h} and T={n} periods.")
    if np.isnan(d).any():
        raise DataError("the errors contain NaN; align the two forecasts on the periods both cover.")
    mean = d.mean(axis=-1)
    variance = _long_run_variance(d, h) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(variance > 0, mean / np.sqrt(variance), np.where(mean == 0, 0.0, np.sign(mean) * np.inf))
    if hln:
        stat = stat * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
        dist = stats.t(df=n - 1)
    else:
        dist = stats.norm()
    if alternative == "two-sided":
        pvalue = 2 * dist.sf(np.abs(stat))
    elif alternative == "less":
        pvalue = dist.cdf(stat)
    else:
        pvalue = dist.sf(stat)
    pvalue = np.minimum(pvalue, 1.0)
    if np.ndim(stat) == 0:
        return DMResult(float(stat), float(pvalue), float(mean), n)
    return DMResult(stat, pvalue, mean, n)


def _long_run_variance(d: np.ndarray, h: int) -> np.ndarray:
    """``gamma_0 + 2 sum gamma_k`` over lags 1..h-1, Bartlett-weighted where that is not positive."""
    n = d.shape[-1]
    dev = d - d.mean(axis=-1, keepdims=True)
    gammas = [np.sum(dev * dev, axis=-1) / n]
    for k in range(1, h):
        gammas.append(np.sum(dev[..., k:] * dev[..., :-k], axis=-1) / n)
    uniform = gammas[0] + 2 * sum(gammas[1:], np.zeros_like(gammas[0]))
    bartlett = gammas[0] + 2 * sum(((1 - k / h) * g for k, g in enumerate(gammas[1:], 1)), np.zeros_like(gammas[0]))
    return np.where(uniform > 0, uniform, bartlett)


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple comparisons.

    The ``i``-th smallest of ``m`` p-values becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))``,
    which controls the family-wise error rate. NaN entries are left NaN and not counted in ``m``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics, 6(2), 65-70.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok], kind="stable")
    sorted_p = p[ok][order]
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * sorted_p))
    values = np.empty(m)
    values[order] = adjusted
    out[ok] = values
    return out
