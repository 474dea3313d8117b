"""EWMA, rolling variance, HAR and the log-variance wrapper against direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tsbench.errors import ConfigError
from tsbench.forecasters.log_variance import bias_factor
from tsbench.forecasters.registry import make_forecaster


def _panel(n=300, seed=0):
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(n) * np.where(np.arange(n) > n // 2, 2.0, 1.0)
    return pd.DataFrame({"unique_id": "a", "ds": pd.bdate_range("2020-01-01", periods=n), "y": r**2, "return": r})


def test_ewma_is_the_riskmetrics_recursion():
    panel = _panel()
    out = make_forecaster("e", "ewma", {"lam": 0.9, "init": 10}).fit(panel).predict(panel, 3, (0.05,))
    s = panel["y"].iloc[:10].mean()
    for y in panel["y"]:
        s = 0.9 * s + 0.1 * y
    np.testing.assert_allclose(out["y_pred"], s)
    np.testing.assert_allclose(out["q_0.05"], np.sqrt(s) * norm.ppf(0.05))


def test_rolling_variance_is_the_window_mean():
    panel = _panel()
    out = make_forecaster("r", "rolling_variance", {"window": 22}).fit(panel).predict(panel, 2)
    np.testing.assert_allclose(out["y_pred"], panel["y"].iloc[-22:].mean())


def test_har_is_least_squares_on_daily_weekly_monthly_means_iterated():
    panel = _panel()
    y = panel["y"].to_numpy()
    model = make_forecaster("h", "har").fit(panel)
    rows = [[1, y[t], y[t - 4:t + 1].mean(), y[t - 21:t + 1].mean()] for t in range(21, len(y) - 1)]
    coef, *_ = np.linalg.lstsq(np.array(rows), y[22:], rcond=None)
    np.testing.assert_allclose(model.states_["a"]["coef"], coef)
    out = model.predict(panel, 2)["y_pred"].to_numpy()
    first = coef @ [1, y[-1], y[-5:].mean(), y[-22:].mean()]
    ext = np.r_[y, first]
    second = coef @ [1, first, ext[-5:].mean(), ext[-22:].mean()]
    np.testing.assert_allclose(out, [first, second])


def test_log_variance_carries_forecasts_back_with_the_bias_factor():
    panel = _panel()
    model = make_forecaster("l", "log_variance", {"model": "mean"}).fit(panel)
    z = np.log(panel["y"].to_numpy())
    c = bias_factor(panel["y"].to_numpy(), z)
    out = model.predict(panel, 2, (0.01,))
    np.testing.assert_allclose(out["y_pred"], c * np.exp(z.mean()))
    np.testing.assert_allclose(out["q_0.01"], np.sqrt(c * np.exp(z.mean())) * norm.ppf(0.01))
    # squared normal returns: arithmetic over geometric mean near exp(1.27) = 3.56
    assert 2.5 < c < 4.5


@pytest.mark.parametrize("model, params, message", [
    ("ewma", {"lam": 1.0}, r"lam must be in \(0, 1\), got 1.0"),
    ("har", {"weekly": 22, "monthly": 22}, "weekly must be below monthly"),
    ("log_variance", {"model": "nope"}, "unknown model 'nope'"),
])
def test_bad_parameters_are_named(model, params, message):
    with pytest.raises(ConfigError, match=message):
        make_forecaster("x", model, params)
