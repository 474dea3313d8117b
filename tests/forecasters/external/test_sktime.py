"""sktime forecasters as tsbench forecasters: same numbers as fit/predict, update between refits."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")

from sktime.forecasting.arima import ARIMA, StatsModelsARIMA  # noqa: E402
from sktime.forecasting.exp_smoothing import ExponentialSmoothing  # noqa: E402
from sktime.forecasting.naive import NaiveForecaster  # noqa: E402
from sktime.forecasting.theta import ThetaForecaster  # noqa: E402

from tsbench.errors import ConfigError  # noqa: E402
from tsbench.forecasters.registry import make_forecaster  # noqa: E402
from tsbench.panel import ID, Y  # noqa: E402
from tsbench.testing import check_forecaster, synthetic_panel  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")

#: A representative set: theta and exponential smoothing (statsmodels), baselines, a trend regression,
#: statsmodels' ARIMA (updated between refits), one named by its class path; all but smoothing forecast quantiles.
MODELS = {
    "ThetaForecaster": {"sp": 1},
    "NaiveForecaster": {"strategy": "drift"},
    "ExponentialSmoothing": {"trend": "add"},
    "StatsModelsARIMA": {"order": (1, 1, 0)},
    "PolynomialTrendForecaster": {"degree": 1},
    "sktime.forecasting.naive.NaiveForecaster": {"strategy": "mean", "window_length": 10},
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_sktime_models_pass_conformance(name):
    report = check_forecaster(make_forecaster("m", f"sktime:{name}", MODELS[name]))
    assert report.passed, str(report)


def _y(panel, uid="s0"):
    values = panel.loc[panel[ID] == uid, Y].to_numpy(dtype=float)
    return pd.Series(values, index=pd.RangeIndex(len(values)))


@pytest.mark.parametrize("cls, params", [(ThetaForecaster, {"sp": 1}), (ExponentialSmoothing, {"trend": "add"})])
def test_forecasts_equal_the_library_fit_and_predict(cls, params):
    panel = synthetic_panel(2, 130, seed=6)
    out = make_forecaster("m", f"sktime:{cls.__name__}", params).fit(panel).predict(panel, 4)
    for uid in ("s0", "s1"):
        own = cls(**params).fit(_y(panel, uid)).predict(fh=[1, 2, 3, 4])
        np.testing.assert_allclose(out.loc[out[ID] == uid, "y_pred"], own.to_numpy(), rtol=0, atol=1e-8)


def test_a_later_origin_is_forecast_after_update_without_refitting():
    panel = synthetic_panel(1, 150, seed=7)
    y = _y(panel)
    model = make_forecaster("m", "sktime:StatsModelsARIMA", {"order": (1, 1, 0)}).fit(panel.iloc[:110])
    first = model.predict(panel.iloc[:120], 3)["y_pred"].to_numpy()
    got = model.predict(panel.iloc[:130], 3)["y_pred"].to_numpy()  # a second update on the same copy
    own = StatsModelsARIMA(order=(1, 1, 0)).fit(y.iloc[:110])
    own.update(y.iloc[110:120], update_params=False)
    np.testing.assert_allclose(first, own.predict(fh=[1, 2, 3]).to_numpy(), atol=1e-8)
    own.update(y.iloc[120:130], update_params=False)
    np.testing.assert_allclose(got, own.predict(fh=[1, 2, 3]).to_numpy(), atol=1e-8)
    refit = StatsModelsARIMA(order=(1, 1, 0)).fit(y.iloc[:130]).predict(fh=[1, 2, 3]).to_numpy()
    stale = StatsModelsARIMA(order=(1, 1, 0)).fit(y.iloc[:110]).predict(fh=[21, 22, 23]).to_numpy()
    assert not np.allclose(got, refit) and not np.allclose(got, stale)


def test_an_estimator_whose_update_silently_ignores_new_data_is_refitted_on_the_context():
    # pmdarima's ARIMA says capability:update, but update(update_params=False) only moves its cutoff
    panel = synthetic_panel(1, 150, seed=7)
    model = make_forecaster("m", "sktime:ARIMA", {"order": (1, 1, 0)}).fit(panel.iloc[:110])
    got = model.predict(panel.iloc[:130], 3)["y_pred"].to_numpy()
    own = ARIMA(order=(1, 1, 0)).fit(_y(panel).iloc[:130]).predict(fh=[1, 2, 3]).to_numpy()
    np.testing.assert_allclose(got, own, atol=1e-8)


@pytest.mark.parametrize("cls, params", [(ThetaForecaster, {"sp": 1}), (ExponentialSmoothing, {"trend": "add"})])
def test_an_estimator_whose_update_ignores_new_data_is_refitted_on_the_context(cls, params):
    # both say capability:update, but their statsmodels results cannot take new data with fixed parameters
    panel = synthetic_panel(1, 150, seed=8)
    model = make_forecaster("m", f"sktime:{cls.__name__}", params).fit(panel.iloc[:110])
    got = model.predict(panel.iloc[:130], 3)["y_pred"].to_numpy()
    own = cls(**params).fit(_y(panel).iloc[:130]).predict(fh=[1, 2, 3]).to_numpy()
    np.testing.assert_allclose(got, own, atol=1e-8)


def test_quantiles_are_the_library_ones_and_ordered():
    panel = synthetic_panel(1, 130, seed=9)
    out = make_forecaster("m", "sktime:NaiveForecaster", {"strategy": "drift"}).fit(panel).predict(
        panel, 4, quantiles=(0.9, 0.1, 0.5)
    )
    own = NaiveForecaster(strategy="drift").fit(_y(panel)).predict_quantiles(fh=[1, 2, 3, 4], alpha=[0.1, 0.5, 0.9])
    np.testing.assert_allclose(out[["q_0.1", "q_0.5", "q_0.9"]].to_numpy(), own.to_numpy(), atol=1e-8)
    assert (np.diff(out[["q_0.1", "q_0.5", "q_0.9"]].to_numpy(), axis=1) > 0).all()


def test_errors_name_the_unknown_class_and_the_bad_parameter():
    with pytest.raises(ConfigError, match="unknown sktime model 'ThetaForecast'"):
        make_forecaster("m", "sktime:ThetaForecast")
    with pytest.raises(ConfigError, match="class path 'sktime.forecasting.theta.Nope'"):
        make_forecaster("m", "sktime:sktime.forecasting.theta.Nope")
    with pytest.raises(ConfigError, match="has no parameter.*'season_length'"):
        make_forecaster("m", "sktime:ThetaForecaster", {"season_length": 5})
