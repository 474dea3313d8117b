"""ETS, SES and Theta forecasters: contract, equality with statsmodels, parameter recovery, interval coverage."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tsbench.errors import ConfigError, DataError
from tsbench.forecasters.ets import Ets, Ses
from tsbench.forecasters.theta import Theta
from tsbench.testing import check_forecaster

pytest.importorskip("statsmodels")


def local_level(n, alpha, sigma=1.0, seed=0, level=50.0):
    """Simulated ETS(A,N,N): y_t = l_{t-1} + e_t, l_t = l_{t-1} + alpha e_t."""
    e = np.random.default_rng(seed).normal(0, sigma, n)
    y = np.empty(n)
    for t in range(n):
        y[t] = level + e[t]
        level += alpha * e[t]
    return y


def panel(y):
    return pd.DataFrame({"unique_id": "a", "ds": np.arange(len(y)), "y": y})


@pytest.mark.parametrize(
    "forecaster",
    [Ets(trend="add", damped_trend=True), Ets(error="mul", trend="add", seasonal="mul", seasonal_periods=5), Ses(),
     Theta()],
    ids=repr,
)
def test_conformance(forecaster):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check_forecaster(forecaster)
    assert report.passed, str(report)


def test_ets_equals_statsmodels_fit_and_fixed_parameter_smoothing():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = local_level(300, 0.4, seed=1) + 0.05 * np.arange(300)
    spec = {"error": "add", "trend": "add", "damped_trend": True}
    model = Ets(trend="add", damped_trend=True).fit(panel(y[:250]))
    reference = ETSModel(y[:250], **spec).fit(disp=False)
    np.testing.assert_allclose(model.states_["a"].params, reference.params, atol=1e-8)
    np.testing.assert_allclose(model.predict(panel(y[:250]), 4)["y_pred"], reference.forecast(4), atol=1e-8)
    # later origins: smoothed with the fitted parameters, not re-estimated
    later = model.predict(panel(y[:280]), 4, quantiles=(0.1,))
    pred = ETSModel(pd.Series(y[:280]), **spec).smooth(reference.params).get_prediction(start=280, end=283)
    np.testing.assert_allclose(later["y_pred"], pred.predicted_mean, atol=1e-8)
    np.testing.assert_allclose(later["q_0.1"], pred.summary_frame(alpha=0.2)["pi_lower"], atol=1e-8)


def test_ses_recovers_alpha_and_covers_80_percent():
    y = local_level(900, 0.3, seed=2)
    model = Ses().fit(panel(y[:600]))
    assert model.states_["a"].params[0] == pytest.approx(0.3, abs=0.08)
    cutoffs = pd.DataFrame({"unique_id": "a", "cutoff": np.arange(599, 899)})
    out = model.predict_origins(panel(y), cutoffs, 1, (0.1, 0.9))
    actual = y[out["cutoff"].to_numpy() + 1]
    coverage = np.mean((out["q_0.1"].to_numpy() <= actual) & (actual <= out["q_0.9"].to_numpy()))
    assert 0.74 <= coverage <= 0.86


def test_ets_refit_warm_starts():
    y = local_level(300, 0.5, seed=3)
    model = Ses()
    model.fit(panel(y[:250]))
    model.fit(panel(y[:270]))
    assert model.fit_info_["a"]["warm_start"] is True and model.fit_info_["a"]["converged"]


def test_theta_equals_statsmodels_theta_model():
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = local_level(200, 0.6, seed=4) + 0.1 * np.arange(200)
    model = Theta().fit(panel(y))
    reference = ThetaModel(y, deseasonalize=False).fit()
    np.testing.assert_allclose(model.states_["a"].params, reference.params, atol=1e-6)
    out = model.predict(panel(y), 5, quantiles=(0.1, 0.9))
    np.testing.assert_allclose(out["y_pred"], reference.forecast(5), atol=1e-6)
    # intervals: statsmodels' innovation variance with the IMA(1,1) growth 1 + (h - 1) alpha^2
    from scipy.stats import norm

    alpha = reference.params["alpha"]
    sd = np.sqrt(reference.sigma2 * (1 + np.arange(5) * alpha**2))
    np.testing.assert_allclose(out["q_0.1"], reference.forecast(5) - norm.ppf(0.9) * sd, atol=1e-6)
    np.testing.assert_allclose(out["q_0.9"], reference.forecast(5) + norm.ppf(0.9) * sd, atol=1e-6)


def ima_panel(n_series, n, alpha, seed):
    """Series of an IMA(1,1) with MA coefficient alpha - 1, the state-space form of SES."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        e = rng.normal(size=n + 1)
        y = 20 + np.cumsum(e[1:] + (alpha - 1) * e[:-1])
        frames.append(pd.DataFrame({"unique_id": i, "ds": np.arange(n), "y": y}))
    return pd.concat(frames, ignore_index=True)


def test_theta_80_percent_interval_covers_80_percent_at_every_step():
    horizon, train = 8, 120
    origins = np.arange(train - 1, train - 1 + 10 * horizon, horizon)  # 10 non-overlapping origins per series
    data = ima_panel(300, origins[-1] + horizon + 1, alpha=0.3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Theta().fit(data[data["ds"] < train])
    cutoffs = pd.DataFrame([(i, c) for i in range(300) for c in origins], columns=["unique_id", "cutoff"])
    out = model.predict_origins(data, cutoffs, horizon, (0.1, 0.9)).merge(data, on=["unique_id", "ds"])
    hit = (out["q_0.1"] <= out["y"]) & (out["y"] <= out["q_0.9"])
    coverage = hit.groupby(out["h"]).mean()  # 3000 forecasts per step
    # 0.80 0.78 0.79 0.80 0.79 0.79 0.79 0.79; with statsmodels' variance 0.80 then 0.94 .. 1.00
    assert coverage.between(0.77, 0.83).all(), coverage.round(3).tolist()


def test_theta_refilters_with_fixed_drift_and_alpha():
    y = local_level(260, 0.5, seed=5) + 0.05 * np.arange(260)
    model = Theta(theta=3.0).fit(panel(y[:200]))
    b0, alpha = model.states_["a"].params
    got = model.predict(panel(y), 4)["y_pred"].to_numpy()
    level = y[0]
    for value in y:  # simple exponential smoothing with the fitted weight, from the first value
        level = alpha * value + (1 - alpha) * level
    n, h = len(y), np.arange(4)
    trend = b0 * (h + 1 / alpha - (1 - alpha) ** n / alpha)
    np.testing.assert_allclose(got, level + (1 - 1 / 3.0) * trend, atol=1e-8)


def test_invalid_parameters_are_rejected():
    for bad in ({"trend": "x"}, {"error": None}, {"damped_trend": True}, {"seasonal": "mul"},
                {"seasonal": "add", "seasonal_periods": 1}, {"damped_trend": "yes", "trend": "add"}):
        with pytest.raises(ConfigError):
            Ets(**bad).check_params()
    for bad in ({"theta": 0.5}, {"season_length": 0}, {"season_length": 12.0}):
        with pytest.raises(ConfigError):
            Theta(**bad).check_params()


def seasonal_series(n, seed, amplitude=0.3, m=12):
    """A positive local level times a fixed monthly pattern."""
    pattern = 1 + amplitude * np.sin(2 * np.pi * np.arange(m) / m)
    return local_level(n, 0.4, sigma=1.0, seed=seed, level=100.0) * pattern[np.arange(n) % m]


def test_seasonality_test_and_classical_indices():
    from statsmodels.tsa.seasonal import seasonal_decompose

    from tsbench.forecasters.seasonal import classical_indices, is_seasonal

    y = seasonal_series(96, seed=6)
    assert is_seasonal(y, 12) and not is_seasonal(local_level(96, 0.4, seed=6, level=100.0), 12)
    assert not is_seasonal(y[:30], 12)  # fewer than three seasons
    for mult, m in ((True, 12), (False, 12), (True, 5)):
        reference = seasonal_decompose(y, model="mul" if mult else "add", period=m).seasonal[:m]
        np.testing.assert_allclose(classical_indices(y, m, mult), reference, atol=1e-12)


def test_seasonal_theta_equals_statsmodels_deseasonalised_theta():
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = seasonal_series(120, seed=7)
    model = Theta(season_length=12).fit(panel(y))
    assert model.fit_info_["a"]["seasonal"] and model.fit_info_["a"]["decomposition"] == "multiplicative"
    reference = ThetaModel(y, period=12, deseasonalize=True, use_test=False, method="mul").fit()
    np.testing.assert_allclose(model.states_["a"].params, reference.params, atol=1e-6)
    np.testing.assert_allclose(model.predict(panel(y), 18)["y_pred"], reference.forecast(18), rtol=1e-8)
    # without season_length, or without seasonality in the data, nothing is removed
    assert not Theta().fit(panel(y)).fit_info_["a"]["seasonal"]
    flat = local_level(120, 0.4, seed=7, level=100.0)
    assert not Theta(season_length=12).fit(panel(flat)).fit_info_["a"]["seasonal"]


def test_seasonal_theta_beats_plain_theta_on_seasonal_series():
    errors = {1: [], 12: []}
    for seed in range(10):
        y = seasonal_series(132, seed=seed)
        for m in errors:
            fc = Theta(season_length=m).fit(panel(y[:120])).predict(panel(y[:120]), 12)["y_pred"].to_numpy()
            errors[m].append(np.mean(np.abs(fc - y[120:])))
    assert np.mean(errors[12]) < 0.5 * np.mean(errors[1])


def test_seasonal_theta_passes_conformance():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check_forecaster(Theta(season_length=7))  # the check panel has a weekly cycle
    assert report.passed, str(report)
