"""Value-at-Risk backtests on a hit sequence: Kupiec's proportion of failures, Christoffersen's independence and conditional coverage.

A *hit* is a session whose return fell below the VaR forecast for it; under a
correct VaR at level ``a`` hits are independent Bernoulli(``a``) draws.

- Kupiec (1995), proportion of failures: with ``x`` hits in ``n`` sessions and
  ``pi = x / n``, ``LR_pof = -2 [ (n - x) log(1 - a) + x log(a) - (n - x) log(1 - pi) - x log(pi) ]``,
  chi-squared with one degree of freedom.
- Christoffersen (1998), independence: with ``n_ij`` the number of sessions in
  state ``j`` after a session in state ``i`` (1 = hit), ``pi_01 = n_01 / (n_00 + n_01)``,
  ``pi_11 = n_11 / (n_10 + n_11)`` and ``pi = (n_01 + n_11) / (n - 1)``,
  ``LR_ind = -2 [ log L(pi) - log L(pi_01, pi_11) ]``, chi-squared with one degree of freedom.
- Conditional coverage: ``LR_cc = LR_pof + LR_ind``, chi-squared with two degrees of freedom.

``0 log 0`` counts as 0, so sequences without hits (or with only hits) give finite statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsbench.errors import DataError

__all__ = ["VaRTestResult", "check_level", "kupiec_pof", "christoffersen_independence",
           "christoffersen_cc", "transition_counts"]


@dataclass(frozen=True)
class VaRTestResult:
    """A likelihood-ratio statistic, its p-value and degrees of freedom, and the sample it came from."""

    statistic: float
    pvalue: float
    df: int
    n: int
    hits: int


def check_level(level: float) -> float:
    """The VaR level as a float, or :class:`DataError` outside ``(0, 0.5)``."""
    level = float(level)
    if not 0.0 < level < 0.5:
        raise DataError(f"VaR level must lie in (0, 0.5) (a lower-tail probability such as 0.01), got {level:g}.")
    return level


def _hits(hits) -> np.ndarray:
    values = np.asarray(hits, dtype=float).reshape(-1)
    values = values[~np.isnan(values)]
    if values.size and not np.isin(values, (0.0, 1.0)).all():
        raise DataError("a hit sequence holds 0 (no breach) and 1 (breach) only.")
    return values.astype(bool)


def _chi2_sf(stat: float, df: int) -> float:
    from scipy.stats import chi2  # here, not at the top: scipy.stats takes a second to import

    return float(chi2.sf(stat, df))


def _bernoulli_loglik(ones: float, zeros: float, p: float) -> float:
    from scipy.special import xlogy

    return float(xlogy(ones, p) + xlogy(zeros, 1.0 - p))


def kupiec_pof(hits, level: float) -> VaRTestResult:
    """Kupiec's proportion-of-failures test that the hit rate equals ``level``."""
    level = check_level(level)
    h = _hits(hits)
    n, x = int(h.size), int(h.sum())
    if n == 0:
        return VaRTestResult(np.nan, np.nan, 1, 0, 0)
    stat = -2.0 * (_bernoulli_loglik(x, n - x, level) - _bernoulli_loglik(x, n - x, x / n))
    stat = max(stat, 0.0)
    return VaRTestResult(stat, _chi2_sf(stat, 1), 1, n, x)


def transition_counts(hits) -> tuple[int, int, int, int]:
    """``(n_00, n_01, n_10, n_11)``: consecutive pairs of sessions by state (1 = hit)."""
    h = _hits(hits).astype(int)
    prev, cur = h[:-1], h[1:]
    return (int(np.sum((prev == 0) & (cur == 0))), int(np.sum((prev == 0) & (cur == 1))),
            int(np.sum((prev == 1) & (cur == 0))), int(np.sum((prev == 1) & (cur == 1))))


def christoffersen_independence(hits) -> VaRTestResult:
    """Christoffersen's test that a hit today is as likely after a hit as after none."""
    h = _hits(hits)
    n00, n01, n10, n11 = transition_counts(h)
    pairs = n00 + n01 + n10 + n11
    if pairs == 0:
        return VaRTestResult(np.nan, np.nan, 1, int(h.size), int(h.sum()))
    pi = (n01 + n11) / pairs
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    restricted = _bernoulli_loglik(n01 + n11, n00 + n10, pi)
    free = _bernoulli_loglik(n01, n00, pi01) + _bernoulli_loglik(n11, n10, pi11)
    stat = max(-2.0 * (restricted - free), 0.0)
    return VaRTestResult(stat, _chi2_sf(stat, 1), 1, int(h.size), int(h.sum()))


def christoffersen_cc(hits, level: float) -> VaRTestResult:
    """Christoffersen's conditional-coverage test: correct hit rate and independent hits, jointly."""
    pof = kupiec_pof(hits, level)
    ind = christoffersen_independence(hits)
    stat = pof.statistic + ind.statistic
    return VaRTestResult(stat, _chi2_sf(stat, 2) if np.isfinite(stat) else np.nan, 2, pof.n, pof.hits)
