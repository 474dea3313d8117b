"""Kupiec and Christoffersen VaR backtests against hand computations and a published table."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2

from tsbench.errors import DataError
from tsbench.stats.var_tests import (christoffersen_cc, christoffersen_independence, kupiec_pof,
                                     transition_counts)

# two clusters of two breaches in twelve sessions
HITS = [0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0]


def test_kupiec_by_hand():
    # n = 12, x = 4 at level 0.25: LR = -2 [8 ln .75 + 4 ln .25 - 8 ln(8/12) - 4 ln(4/12)]
    lr = -2 * (8 * math.log(0.75) + 4 * math.log(0.25) - 8 * math.log(8 / 12) - 4 * math.log(4 / 12))
    result = kupiec_pof(HITS, 0.25)
    assert (result.n, result.hits) == (12, 4)
    assert result.statistic == pytest.approx(lr, abs=1e-12) == pytest.approx(0.416928, abs=1e-6)
    assert result.pvalue == pytest.approx(chi2.sf(lr, 1)) == pytest.approx(0.518474, abs=1e-6)


def test_christoffersen_by_hand():
    assert transition_counts(HITS) == (5, 2, 2, 2)  # n00, n01, n10, n11
    pi, pi01, pi11 = 4 / 11, 2 / 7, 2 / 4
    restricted = 4 * math.log(pi) + 7 * math.log(1 - pi)
    free = 2 * math.log(pi01) + 5 * math.log(1 - pi01) + 2 * math.log(pi11) + 2 * math.log(1 - pi11)
    lr_ind = -2 * (restricted - free)
    ind = christoffersen_independence(HITS)
    assert ind.statistic == pytest.approx(lr_ind, abs=1e-12) == pytest.approx(0.499647, abs=1e-6)
    assert ind.pvalue == pytest.approx(chi2.sf(lr_ind, 1))
    cc = christoffersen_cc(HITS, 0.25)
    assert cc.statistic == pytest.approx(lr_ind + kupiec_pof(HITS, 0.25).statistic, abs=1e-12)
    assert cc.pvalue == pytest.approx(chi2.sf(cc.statistic, 2)) == pytest.approx(0.632366, abs=1e-6)


def test_independent_looking_hits_give_zero_statistic():
    # after a hit and after none, a hit follows one time in three: no evidence of clustering
    hits = [0, 0, 1, 0, 0, 0, 1, 1, 0, 0]
    assert transition_counts(hits) == (4, 2, 2, 1)
    assert christoffersen_independence(hits).statistic == pytest.approx(0.0, abs=1e-12)


def _accepted(level: float, n: int) -> tuple[int, int]:
    ok = [x for x in range(n // 4) if kupiec_pof(np.r_[np.ones(x), np.zeros(n - x)], level).pvalue > 0.05]
    return min(ok), max(ok)


@pytest.mark.parametrize("level, n, region", [(0.05, 255, (7, 20)), (0.05, 510, (17, 35)), (0.05, 1000, (38, 64)),
                                              (0.01, 510, (2, 10)), (0.01, 1000, (5, 16))])
def test_kupiec_acceptance_regions_match_the_published_table(level, n, region):
    # Jorion, "Value at Risk" (3rd ed., 2007), table of 95% non-rejection regions for the number
    # of failures N after Kupiec (1995): 6 < N < 21 (5%, T = 255), 16 < N < 36 (5%, T = 510),
    # 37 < N < 65 (5%, T = 1000), 1 < N < 11 (1%, T = 510), 4 < N < 17 (1%, T = 1000)
    assert _accepted(level, n) == region


def test_no_hits_gives_finite_statistics():
    zeros = np.zeros(100)
    assert kupiec_pof(zeros, 0.01).statistic == pytest.approx(-2 * 100 * math.log(0.99))
    assert christoffersen_independence(zeros).statistic == 0.0


@pytest.mark.parametrize("level", [0.0, 0.5, 0.7, -0.1])
def test_level_outside_zero_half_is_refused(level):
    with pytest.raises(DataError, match=r"VaR level must lie in \(0, 0.5\)"):
        kupiec_pof(HITS, level)


def test_non_binary_hits_are_refused():
    with pytest.raises(DataError, match="0 \\(no breach\\) and 1 \\(breach\\) only"):
        christoffersen_independence([0, 2, 1])
