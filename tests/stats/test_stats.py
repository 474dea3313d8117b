"""Forecast-comparison tests: size, power and values computed by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tsbench.errors import DataError
from tsbench.stats import (
    diebold_mariano,
    friedman,
    holm,
    model_confidence_set,
    model_confidence_sets,
    nemenyi_cd,
    pesaran_timmermann,
)

# Small fixed example, worked out on paper:
# d = e1^2 - e2^2 = [0.75, 3, 0, 1.25, 0.75, 3], mean 1.458333, gamma_0 = 7.927083 / 6 = 1.321181,
# gamma_1 = -3.980903 / 6 = -0.663484.
E1 = np.array([1.0, -2.0, 0.5, 1.5, -1.0, 2.0])
E2 = np.array([0.5, -1.0, 0.5, 1.0, -0.5, 1.0])


def _ma_errors(rng, n_sim, n, h):
    """Errors of an optimal h-step forecast: MA(h-1) with unit variance."""
    eps = rng.normal(size=(n_sim, n + h - 1))
    return sum(eps[:, h - 1 - j : h - 1 - j + n] for j in range(h)) / np.sqrt(h)


def test_dm_matches_hand_computation_h1():
    # DM = 1.458333 / sqrt(1.321181 / 6) = 3.107788; HLN factor sqrt(5/6) gives 2.837009.
    raw = diebold_mariano(E1, E2, h=1, hln=False)
    assert raw.statistic == pytest.approx(3.107788, abs=1e-5)
    assert raw.pvalue == pytest.approx(2 * sps.norm.sf(3.107788), rel=1e-4)
    res = diebold_mariano(E1, E2, h=1)
    assert res.statistic == pytest.approx(2.837009, abs=1e-5)
    assert res.pvalue == pytest.approx(2 * sps.t.sf(2.837009, df=5), rel=1e-4)
    assert res.mean_diff == pytest.approx(1.458333, abs=1e-6)


def test_dm_matches_hand_computation_h2_bartlett_fallback():
    # gamma_0 + 2 gamma_1 = -0.005787 < 0, so the Bartlett weight 1/2 is used:
    # V = (1.321181 - 0.663484) / 6, DM = 4.404733; HLN factor sqrt((6 + 1 - 4 + 2/6) / 6).
    raw = diebold_mariano(E1, E2, h=2, hln=False)
    assert raw.statistic == pytest.approx(4.404733, abs=1e-5)
    res = diebold_mariano(E1, E2, h=2)
    assert res.statistic == pytest.approx(4.404733 * np.sqrt((3 + 1 / 3) / 6), abs=1e-5)


def test_dm_absolute_loss_and_direction():
    res = diebold_mariano(E1, E2, h=1, loss="absolute")
    # d = [0.5, 1, 0, 0.5, 0.5, 1] -> mean 0.583333, gamma_0 = 0.708333 / 6
    assert res.mean_diff == pytest.approx(0.583333, abs=1e-6)
    assert res.statistic == pytest.approx(0.583333 / np.sqrt(0.708333 / 36) * np.sqrt(5 / 6), abs=1e-4)
    flipped = diebold_mariano(E2, E1, h=1)
    assert flipped.statistic == pytest.approx(-2.837009, abs=1e-5)
    assert diebold_mariano(E2, E1, h=1, alternative="less").pvalue < 0.05
    assert diebold_mariano(E2, E1, h=1, alternative="greater").pvalue > 0.95


@pytest.mark.parametrize("h", [1, 5])
def test_dm_size_under_the_null(h):
    rng = np.random.default_rng(0)
    res = diebold_mariano(_ma_errors(rng, 1000, 200, h), _ma_errors(rng, 1000, 200, h), h=h)
    rate = float(np.mean(res.pvalue < 0.05))
    assert 0.03 <= rate <= 0.07, rate


@pytest.mark.parametrize("h", [1, 5])
def test_dm_power_when_one_forecast_is_clearly_better(h):
    rng = np.random.default_rng(1)
    good = _ma_errors(rng, 1000, 200, h)
    bad = 2.0 * _ma_errors(rng, 1000, 200, h)
    res = diebold_mariano(good, bad, h=h)
    assert np.mean(res.pvalue < 0.05) > 0.95
    assert np.all(res.statistic[res.pvalue < 0.05] < 0)


def test_dm_identical_forecasts_and_bad_input():
    res = diebold_mariano(E1, E1, h=1)
    assert res.statistic == 0.0 and res.pvalue == 1.0
    with pytest.raises(DataError, match="h < T"):
        diebold_mariano(E1, E2, h=6)
    with pytest.raises(DataError, match="same shape"):
        diebold_mariano(E1, E2[:-1])
    with pytest.raises(DataError, match="NaN"):
        diebold_mariano(np.r_[E1[:-1], np.nan], E2)


def test_holm_adjustment():
    adjusted = holm([0.01, 0.04, 0.03, np.nan, 0.5])
    # sorted 0.01, 0.03, 0.04, 0.5 with m = 4: 0.04, 0.09, max(0.09, 0.08), max(0.09, 0.5)
    np.testing.assert_allclose(adjusted, [0.04, 0.09, 0.09, np.nan, 0.5])


def test_pesaran_timmermann_hand_example():
    y = np.array([1, -1, 1, 1, -1, -1, 1, -1.0])
    x = np.array([1, -1, 1, -1, -1, 1, 1, -1.0])
    res = pesaran_timmermann(y, x)
    # P = 6/8, P_y = P_x = 1/2, P* = 1/2, V(P) = 1/32, V(P*) = 4/16/64
    assert res.hit_rate == 0.75
    assert res.statistic == pytest.approx(0.25 / np.sqrt(1 / 32 - 1 / 256))
    assert res.pvalue == pytest.approx(sps.norm.sf(res.statistic))


def test_pesaran_timmermann_skill_and_degenerate():
    rng = np.random.default_rng(2)
    y = rng.normal(size=300)
    assert pesaran_timmermann(y, y + 0.5 * rng.normal(size=300)).pvalue < 1e-6
    assert pesaran_timmermann(y, rng.normal(size=300)).pvalue > 0.01
    assert np.isnan(pesaran_timmermann(y, np.zeros(300)).statistic)


def test_friedman_hand_example():
    scores = pd.DataFrame(
        {"A": [1.0, 2.0, 1.0, 1.0], "B": [2.0, 1.0, 3.0, 2.0], "C": [3.0, 3.0, 2.0, 3.0]}
    )
    res = friedman(scores)
    # mean ranks 1.25, 2, 2.75; chi2 = 12*4/(3*4) * (13.125 - 12) = 4.5
    assert res.mean_ranks.to_dict() == {"A": 1.25, "B": 2.0, "C": 2.75}
    assert res.statistic == pytest.approx(4.5)
    assert res.pvalue == pytest.approx(np.exp(-2.25))
    assert res.f_statistic == pytest.approx(3 * 4.5 / (8 - 4.5))
    assert friedman(-scores, higher_is_better=True).statistic == pytest.approx(4.5)


def test_friedman_with_ties_matches_scipy():
    scores = pd.DataFrame({"A": [1.0, 2.0, 1.0, 1.0, 2.0], "B": [1.0, 1.0, 3.0, 2.0, 2.0], "C": [3, 3, 2, 3, 1.0]})
    expected = sps.friedmanchisquare(scores["A"], scores["B"], scores["C"])
    res = friedman(scores)
    assert res.statistic == pytest.approx(expected.statistic)
    assert res.pvalue == pytest.approx(expected.pvalue)


def test_nemenyi_cd_matches_demsar_table():
    # Demsar (2006), table 5: q_0.05 = 2.728 for k = 5; CD = q * sqrt(k(k+1)/(6N))
    assert nemenyi_cd(5, 10) == pytest.approx(2.728 * np.sqrt(30 / 60), abs=1e-3)
    assert nemenyi_cd(2, 1) == pytest.approx(1.960 * 1.0, abs=1e-3)


def test_mcs_keeps_the_best_and_drops_a_clearly_worse_model():
    rng = np.random.default_rng(3)
    n = 250
    losses = pd.DataFrame({
        "best": rng.normal(0, 1.0, n) ** 2,
        "close": rng.normal(0, 1.02, n) ** 2,
        "worse": rng.normal(0, 2.0, n) ** 2,
    })
    for statistic in ("R", "max"):
        res = model_confidence_set(losses, alpha=0.1, statistic=statistic, seed=0)
        assert "best" in res.included
        assert "worse" not in res.included
        assert res.eliminated[0] == "worse"
        assert res.pvalues["worse"] < 0.1
    again = model_confidence_set(losses, alpha=0.1, seed=0)
    pd.testing.assert_series_equal(again.pvalues, model_confidence_set(losses, alpha=0.1, seed=0).pvalues)


def test_mcs_validates_input():
    with pytest.raises(DataError, match="statistic"):
        model_confidence_set(pd.DataFrame({"a": [1.0, 2.0]}), statistic="x")
    with pytest.raises(DataError, match="NaN"):
        model_confidence_set(pd.DataFrame({"a": [1.0, np.nan]}))


@pytest.mark.parametrize("models", [2, 5])
def test_batched_mcs_gives_the_pvalues_of_one_problem_at_a_time(models):
    rng = np.random.default_rng(11)
    # some models clearly worse, some tied, so eliminations happen at different steps per problem
    values = rng.normal(size=(40, 25, models)) ** 2 + rng.uniform(0, 0.6, size=(40, 1, models))
    batched = model_confidence_sets(values, block_size=3, replications=300, seed=5, chunk=7)
    for s in range(len(values)):
        one = model_confidence_set(pd.DataFrame(values[s]), block_size=3, replications=300, seed=5)
        np.testing.assert_allclose(batched[s], one.pvalues.to_numpy(), rtol=0, atol=1e-12)
    assert (batched < 0.1).any() and (batched >= 0.1).any()  # the comparison covered both outcomes
    with pytest.raises(DataError, match="shape"):
        model_confidence_sets(values[0])
