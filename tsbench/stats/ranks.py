"""Friedman's rank test across series and the Nemenyi critical difference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.errors import DataError

__all__ = ["FriedmanResult", "average_ranks", "friedman", "nemenyi_cd"]


@dataclass(frozen=True)
class FriedmanResult:
    """Outcome of :func:`friedman`.

    ``statistic``/``pvalue`` are Friedman's chi-square (with tie correction);
    ``f_statistic``/``f_pvalue`` the Iman-Davenport F form, less conservative;
    ``mean_ranks`` the average rank of each model (1 = best).
    """

    statistic: float
    pvalue: float
    f_statistic: float
    f_pvalue: float
    mean_ranks: pd.Series
    n_blocks: int


def average_ranks(scores: pd.DataFrame, higher_is_better: bool = False) -> pd.DataFrame:
    """Rank models (columns) within each row (series); 1 is best, ties share the average rank."""
    return scores.rank(axis=1, ascending=not higher_is_better, method="average")


def friedman(scores: pd.DataFrame, higher_is_better: bool = False) -> FriedmanResult:
    """Friedman test that all models (columns) rank equally across series (rows).

    With ``N`` series, ``k`` models and mean ranks ``R_j``,
    ``chi2_F = 12N / (k(k+1)) * (sum_j R_j^2 - k(k+1)^2 / 4)`` on ``k - 1``
    degrees of freedom, divided by ``1 - sum(t^3 - t) / (N k (k^2 - 1))``
    when there are ties (``t`` the size of each tie group). The Iman and
    Davenport (1980) form ``F_F = (N-1) chi2_F / (N(k-1) - chi2_F)`` follows
    ``F(k-1, (k-1)(N-1))``. Rows with a missing score are dropped.

    References
    ----------
    Friedman, M. (1937). The use of ranks to avoid the assumption of
    normality implicit in the analysis of variance. Journal of the American
    Statistical Association, 32(200), 675-701.
    Demšar, J. (2006). Statistical comparisons of classifiers over multiple
    data sets. Journal of Machine Learning Research, 7, 1-30.
    """
    from scipy import stats

    scores = scores.dropna(axis=0, how="any")
    n, k = scores.shape
    if n < 2 or k < 2:
        raise DataError(f"the Friedman test needs at least 2 series and 2 models, got {n} and {k}.")
    ranks = average_ranks(scores, higher_is_better)
    mean_ranks = ranks.mean(axis=0)
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(mean_ranks.to_numpy() ** 2) - k * (k + 1) ** 2 / 4)
    ties = sum(float(np.sum(c**3 - c)) for c in (np.unique(r, return_counts=True)[1] for r in ranks.to_numpy()))
    correction = 1 - ties / (n * k * (k**2 - 1))
    chi2 = chi2 / correction if correction > 0 else float("nan")
    pvalue = float(stats.chi2.sf(chi2, k - 1))
    denom = n * (k - 1) - chi2
    f_stat = (n - 1) * chi2 / denom if denom > 0 else float("inf")
    f_p = float(stats.f.sf(f_stat, k - 1, (k - 1) * (n - 1))) if np.isfinite(f_stat) else 0.0
    return FriedmanResult(float(chi2), pvalue, float(f_stat), f_p, mean_ranks.sort_values(), n)


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """Critical difference of mean ranks for the Nemenyi post-hoc test.

    Two of ``k`` models ranked over ``n`` series differ significantly when
    their mean ranks differ by more than ``q_alpha * sqrt(k(k+1) / (6n))``,
    where ``q_alpha`` is the studentized range quantile for ``k`` groups and
    infinite degrees of freedom divided by ``sqrt(2)``.

    References
    ----------
    Nemenyi, P. (1963). Distribution-free multiple comparisons. PhD thesis,
    Princeton University.
    Demšar, J. (2006). Statistical comparisons of classifiers over multiple
    data sets. Journal of Machine Learning Research, 7, 1-30.
    """
    from scipy import stats

    if k < 2 or n < 1:
        raise DataError(f"the critical difference needs k >= 2 models and n >= 1 series, got k={k}, n={n}.")
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(k * (k + 1) / (6 * n)))
