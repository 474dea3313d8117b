"""The baselines forecast what their definitions say, and pass the contract suite."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tsbench.errors import DataError, NotFittedError
from tsbench.forecasters.registry import make_forecaster
from tsbench.testing import check_forecaster

Y = np.array([3.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0])
PANEL = pd.DataFrame({"unique_id": "a", "ds": np.arange(len(Y)), "y": Y})
BASELINES = ["naive", "drift", "seasonal_naive", "mean", "moving_average"]


def forecast(model, horizon=3, **params):
    return make_forecaster(model, model, params).fit(PANEL).predict(PANEL, horizon)["y_pred"].to_numpy()


def test_naive_repeats_the_last_value():
    np.testing.assert_allclose(forecast("naive"), [9, 9, 9])


def test_drift_extends_the_line_from_first_to_last():
    np.testing.assert_allclose(forecast("drift"), 9 + (9 - 3) / 6 * np.arange(1, 4))


def test_seasonal_naive_repeats_the_last_season():
    np.testing.assert_allclose(forecast("seasonal_naive", horizon=5, season_length=3), [8, 7, 9, 8, 7])


def test_mean_and_moving_average():
    np.testing.assert_allclose(forecast("mean"), [Y.mean()] * 3)
    np.testing.assert_allclose(forecast("moving_average", window=2), [8, 8, 8])


def test_naive_quantiles_widen_with_the_square_root_of_h():
    model = make_forecaster("rw", "naive").fit(PANEL)
    out = model.predict(PANEL, 4, quantiles=[0.1, 0.5, 0.9])
    sigma = np.std(np.diff(Y), ddof=1)
    np.testing.assert_allclose(out["q_0.9"] - out["q_0.5"], norm.ppf(0.9) * sigma * np.sqrt([1, 2, 3, 4]))
    np.testing.assert_allclose(out["q_0.5"], out["y_pred"])


def test_forecast_dates_follow_the_business_calendar():
    panel = pd.DataFrame({"unique_id": "a", "ds": pd.bdate_range("2021-01-04", periods=5), "y": Y[:5]})
    out = make_forecaster("rw", "naive").fit(panel).predict(panel, 3)
    assert out["ds"].dt.strftime("%a").tolist() == ["Mon", "Tue", "Wed"]
    assert (out["cutoff"] == pd.Timestamp("2021-01-08")).all()


def test_predict_before_fit_and_unseen_series():
    with pytest.raises(NotFittedError, match=r"not fitted: call fit\(train\) before predict\(\)"):
        make_forecaster("rw", "naive").predict(PANEL, 1)
    other = PANEL.assign(unique_id="b")
    with pytest.raises(DataError, match=r"was not fitted on series 'b'"):
        make_forecaster("rw", "naive").fit(PANEL).predict(other, 1)


def test_quantiles_on_a_model_without_them_are_refused():
    with pytest.raises(ValueError, match=r"Drift does not forecast quantiles"):
        make_forecaster("d", "drift").fit(PANEL).predict(PANEL, 1, quantiles=[0.5])


@pytest.mark.parametrize("model", BASELINES)
def test_baseline_passes_the_contract_suite(model):
    report = check_forecaster(make_forecaster(model, model, {}))
    assert report.passed, str(report)
    assert "no look-ahead" in {r.name for r in report.results}
