"""ARIMA and MA forecasters: contract, equality with statsmodels, parameter recovery, interval coverage."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tsbench.forecasters.arima import Arima, Ma
from tsbench.testing import check_forecaster

pytest.importorskip("statsmodels")


def simulate_arima(n, ar, ma, d=1, sigma=1.0, seed=0, start=100.0):
    """An ARIMA(len(ar), d, len(ma)) path from a seeded generator."""
    from statsmodels.tsa.arima_process import arma_generate_sample

    rng = np.random.default_rng(seed)
    x = arma_generate_sample(np.r_[1, -np.asarray(ar)], np.r_[1, np.asarray(ma)], n + 50,
                             scale=sigma, distrvs=rng.standard_normal, burnin=100)[50:]
    for _ in range(d):
        x = start + np.cumsum(x)
    return x


def panel(y, uid="a"):
    return pd.DataFrame({"unique_id": uid, "ds": np.arange(len(y)), "y": y})


def statsmodels_forecast(y, params, horizon, **spec):
    from statsmodels.tsa.arima.model import ARIMA

    fc = ARIMA(y, **spec).filter(params).get_forecast(horizon)
    return np.asarray(fc.predicted_mean), np.asarray(fc.var_pred_mean)


@pytest.mark.parametrize("forecaster", [Arima(), Ma(q=1), Arima(order=(1, 1, 0), trend="t")], ids=repr)
def test_conformance(forecaster):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check_forecaster(forecaster)
    assert report.passed, str(report)


@pytest.mark.parametrize(
    "spec",
    [{"order": (1, 1, 1)}, {"order": (1, 0, 1), "trend": "c"}, {"order": (0, 1, 1), "trend": "t"}],
    ids=str,
)
def test_forecasts_equal_statsmodels_with_the_fitted_parameters(spec):
    y = simulate_arima(260, [0.5], [0.3], d=1 if spec["order"][1] else 0, seed=1)
    model = Arima(**spec).fit(panel(y[:200]))
    params = model.states_["a"].params
    cutoffs = [199, 209, 219, 239, 259]
    out = model.predict_origins(panel(y), pd.DataFrame({"unique_id": "a", "cutoff": cutoffs}), 4, (0.1, 0.9))
    from scipy.stats import norm

    for cut in cutoffs:
        mean, var = statsmodels_forecast(y[: cut + 1], params, 4, **spec)
        got = out[out["cutoff"] == cut]
        np.testing.assert_allclose(got["y_pred"], mean, rtol=0, atol=1e-8)
        np.testing.assert_allclose(got["q_0.9"], mean + norm.ppf(0.9) * np.sqrt(var), rtol=0, atol=1e-8)
    # a context inside the training data starts from the state filtered during the fit
    inside = model.predict(panel(y[:150]), 3)
    np.testing.assert_allclose(inside["y_pred"], statsmodels_forecast(y[:150], params, 3, **spec)[0], atol=1e-8)
    # an unrelated context (not continuing the training data) is filtered whole
    single = model.predict(panel(y[30:230]), 3)
    np.testing.assert_allclose(single["y_pred"], statsmodels_forecast(y[30:230], params, 3, **spec)[0], atol=1e-8)


def test_refit_starts_from_previous_parameters_and_matches_statsmodels():
    y = simulate_arima(400, [0.6], [-0.3], seed=2)
    model = Arima(order=(1, 1, 1))
    model.fit(panel(y[:300]))
    assert model.fit_info_["a"]["warm_start"] is False
    model.fit(panel(y[:350]))
    assert model.fit_info_["a"]["warm_start"] is True
    params = model.states_["a"].params
    got = model.predict(panel(y[:350]), 5)["y_pred"].to_numpy()
    np.testing.assert_allclose(got, statsmodels_forecast(y[:350], params, 5, order=(1, 1, 1))[0], atol=1e-8)
    # the warm-started estimate is a maximum at least as good as statsmodels' own fit from scratch
    from statsmodels.tsa.arima.model import ARIMA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = ARIMA(y[:350], order=(1, 1, 1)).fit()
    ours = ARIMA(y[:350], order=(1, 1, 1)).filter(params)
    assert ours.llf >= fresh.llf - 1e-3


def test_parameters_recovered_on_simulated_arima_111():
    y = simulate_arima(1500, [0.6], [-0.3], sigma=0.5, seed=3)
    model = Arima(order=(1, 1, 1)).fit(panel(y))
    ar, ma, sigma2 = model.states_["a"].params
    assert ar == pytest.approx(0.6, abs=0.1)
    assert ma == pytest.approx(-0.3, abs=0.1)
    assert sigma2 == pytest.approx(0.25, rel=0.1)
    assert model.fit_info_["a"]["converged"] and model.fit_info_["a"]["stationary"]


def test_ma_is_arima_0dq():
    y = simulate_arima(300, [], [0.5, 0.2], d=0, seed=4) + 5
    ma = Ma(q=2).fit(panel(y))
    arima = Arima(order=(0, 0, 2)).fit(panel(y))
    np.testing.assert_allclose(ma.predict(panel(y), 3)["y_pred"], arima.predict(panel(y), 3)["y_pred"], atol=1e-10)
    assert ma.fit_info_["a"]["order"] == [0, 0, 2]


@pytest.mark.slow
def test_80_percent_interval_covers_about_80_percent():
    hits = []
    for seed in range(6):
        y = simulate_arima(330, [0.6], [-0.3], seed=10 + seed)
        model = Arima(order=(1, 1, 1)).fit(panel(y[:250]))
        cutoffs = pd.DataFrame({"unique_id": "a", "cutoff": np.arange(249, 329, 2)})
        out = model.predict_origins(panel(y), cutoffs, 1, (0.1, 0.9))
        actual = y[out["cutoff"].to_numpy() + 1]
        hits.append((out["q_0.1"].to_numpy() <= actual) & (actual <= out["q_0.9"].to_numpy()))
    coverage = np.concatenate(hits).mean()  # 240 one-step forecasts
    assert 0.72 <= coverage <= 0.88


def test_invalid_parameters_are_rejected():
    for bad in ({"order": (1, 1)}, {"order": (1, -1, 1)}, {"trend": "x"}, {"seasonal_order": (1, 0, 0)}):
        with pytest.raises(ValueError):
            Arima(**bad).check_params()


def test_random_walk_without_constant_is_the_random_walk():
    rng = np.random.default_rng(5)
    y = 100 + np.cumsum(rng.normal(0, 0.7, 260))
    model = Arima(order=(0, 1, 0)).fit(panel(y[:200]))  # no constant: statsmodels' default with d = 1
    sigma2 = np.mean(np.diff(y[:200]) ** 2)  # maximum likelihood scale of the increments
    assert model.states_["a"].params == pytest.approx([sigma2], rel=1e-9)
    assert model.fit_info_["a"]["converged"] and model.fit_info_["a"]["trend"] == "n"
    from scipy.stats import norm

    cutoffs = [150, 199, 220, 259]
    out = model.predict_origins(panel(y), pd.DataFrame({"unique_id": "a", "cutoff": cutoffs}), 5, (0.1, 0.9))
    h = np.arange(1, 6)
    for cut in cutoffs:
        got = out[out["cutoff"] == cut]
        np.testing.assert_allclose(got["y_pred"], np.full(5, y[cut]), rtol=0, atol=1e-9)
        np.testing.assert_allclose(got["q_0.9"] - got["y_pred"], norm.ppf(0.9) * np.sqrt(h * sigma2), rtol=1e-9)


def test_white_noise_without_constant_is_the_zero_mean():
    y = np.random.default_rng(6).normal(0, 2.0, 240)
    model = Arima(order=(0, 0, 0), trend="n").fit(panel(y[:200]))
    sigma2 = np.mean(y[:200] ** 2)
    assert model.states_["a"].params == pytest.approx([sigma2], rel=1e-9)
    out = model.predict(panel(y), 4, (0.1, 0.9))
    from scipy.stats import norm

    np.testing.assert_allclose(out["y_pred"], 0.0, atol=1e-12)
    np.testing.assert_allclose(out["q_0.9"], norm.ppf(0.9) * np.sqrt(sigma2), rtol=1e-9)


def test_seasonal_random_walk_without_constant():
    rng = np.random.default_rng(7)
    season = np.tile(rng.normal(0, 3, 4), 40)
    y = season + np.cumsum(rng.normal(0, 0.5, 160))
    model = Arima(order=(0, 0, 0), seasonal_order=(0, 1, 0, 4), trend="n").fit(panel(y[:150]))
    sigma2 = np.mean((y[4:150] - y[:146]) ** 2)
    assert model.states_["a"].params == pytest.approx([sigma2], rel=1e-9)
    out = model.predict(panel(y), 6, (0.9,))
    np.testing.assert_allclose(out["y_pred"], np.resize(y[-4:], 6), atol=1e-9)
    from scipy.stats import norm

    steps = np.array([1, 1, 1, 1, 2, 2])  # seasons ahead
    np.testing.assert_allclose(out["q_0.9"] - out["y_pred"], norm.ppf(0.9) * np.sqrt(steps * sigma2), rtol=1e-9)
