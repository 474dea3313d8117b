"""Covariates in ARIMA and Prophet, and for every covariate-aware model: no value after its availability is read."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.forecasters.covariate_data import cutoffs, known_panel, lagged_panel
from tsbench.covariates import Covariates
from tsbench.errors import ConfigError, DataError
from tsbench.forecasters.arima import Arima, Ma
from tsbench.forecasters.auto_arima import AutoArima
from tsbench.forecasters.covariate_arrays import covariate_matrix, horizon_matrices

BOTH = Covariates(past=("a",), known=("z",))
QUANTILES = (0.1, 0.9)


def both_panel(n: int = 240, ids: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    """:func:`lagged_panel` (lag 1) plus a known column ``z`` that adds to the target."""
    panel = lagged_panel(1, n=n, ids=ids, noise=0.3)
    z = np.random.default_rng(5).normal(size=len(panel))
    return panel.assign(z=z, y=panel["y"] + 2.0 * z)


def with_covariates(model, covariates: Covariates = BOTH):
    model.covariates = covariates
    return model


def _lightgbm(lags):
    pytest.importorskip("lightgbm")
    from tsbench.forecasters.lightgbm.model import LightGBMForecaster

    return LightGBMForecaster(lags=2, covariate_lags=lags, n_estimators=10, min_data_in_leaf=10, seed=0)


LEAKAGE_MODELS = {
    "arima": lambda lags: Arima(order=(1, 0, 0), covariate_lags=lags),
    "lightgbm": _lightgbm,
}


@pytest.mark.parametrize("name", sorted(LEAKAGE_MODELS))
def test_values_after_their_availability_never_change_a_forecast(name):
    horizon = 3
    panel = both_panel()
    model = with_covariates(LEAKAGE_MODELS[name]([3, 4]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(panel[panel["ds"] < 150])
    origins = cutoffs(panel, 160, 221, step=15)
    no_future = panel.iloc[:0][["unique_id", "ds", "z"]]
    clean = model.predict_origins(panel, origins, horizon, future=no_future)
    rng = np.random.default_rng(2)
    for cut in origins["cutoff"].unique():
        noisy = panel.copy()
        after = noisy["ds"] > cut
        noisy.loc[after, "y"] = rng.normal(0, 50, after.sum())  # the target after the cutoff
        noisy.loc[after, "a"] = rng.normal(0, 50, after.sum())  # past covariates after the cutoff
        beyond = noisy["ds"] > cut + horizon
        noisy.loc[beyond, "z"] = rng.normal(0, 50, beyond.sum())  # known ones beyond the horizon
        out = model.predict_origins(noisy, origins, horizon, future=no_future)
        upto = (clean["cutoff"] <= cut).to_numpy()
        np.testing.assert_array_equal(out["y_pred"].to_numpy()[upto], clean["y_pred"].to_numpy()[upto])
        assert not np.array_equal(out["y_pred"].to_numpy()[~upto], clean["y_pred"].to_numpy()[~upto]) or upto.all()


def test_tags_say_which_covariates_the_models_take():
    for cls in (Arima, Ma, AutoArima):
        assert cls.all_tags()["covariates"] == ("past", "known")
        assert cls.all_tags()["categorical_covariates"] is False


def test_arima_frame_path_equals_the_array_path():
    panel = both_panel(ids=("a",))
    horizon, train = 3, 150
    framed = with_covariates(Arima(order=(1, 0, 1), covariate_lags=[3, 5])).fit(panel.iloc[:train])
    origins = cutoffs(panel, 170, 236, step=11)
    want = framed.predict_origins(panel, origins, horizon, QUANTILES, future=panel.iloc[:0][["unique_id", "ds", "z"]])
    arrays = with_covariates(Arima(order=(1, 0, 1), covariate_lags=[3, 5]))
    y, X = panel["y"].to_numpy(), covariate_matrix(panel, BOTH)
    states = arrays.fit_series(y, [slice(0, train)], X=X)
    np.testing.assert_array_equal(states[0].params, framed.states_["a"].params)
    stops = np.searchsorted(panel["ds"].to_numpy(), origins["cutoff"].to_numpy(), side="right")
    X_future = horizon_matrices(X, stops - 1, horizon, BOTH)
    point, qs = arrays.predict_series(states * len(stops), y, np.zeros_like(stops), stops, horizon, QUANTILES,
                                      X=X, X_future=X_future)
    np.testing.assert_array_equal(point.ravel(), want["y_pred"].to_numpy())
    np.testing.assert_array_equal(qs.reshape(-1, 2), want[["q_0.1", "q_0.9"]].to_numpy())
    assert framed.fit_info_["a"]["covariates"] == ["a_lag3", "a_lag5", "z"]


def test_arima_known_covariate_enters_at_the_target_step():
    panel = known_panel(dates=False)
    model = with_covariates(Arima(order=(0, 0, 0), trend="n"), Covariates(known=("z",))).fit(panel.iloc[:150])
    beta = model.states_["s"].params[0]
    assert beta == pytest.approx(3.0, abs=0.05)
    future = panel.iloc[150:155][["unique_id", "ds", "z"]]
    out = model.predict(panel.iloc[:150], 5, QUANTILES, future=future)  # no lag limit on known covariates
    np.testing.assert_allclose(out["y_pred"].to_numpy(), beta * future["z"].to_numpy(), rtol=1e-10)
    assert (out["q_0.1"] < out["y_pred"]).all() and (out["y_pred"] < out["q_0.9"]).all()
    with pytest.raises(DataError, match="need values for 5 step"):
        model.predict(panel.iloc[:150], 5, future=future.iloc[:3])
    with pytest.raises(DataError, match="future"):
        model.predict(panel.iloc[:150], 5)


def test_arima_holds_a_past_covariate_at_its_last_published_value_where_a_lag_is_shorter_than_the_step():
    panel = lagged_panel(1, n=120, ids=("a",), noise=0.3)
    model = with_covariates(Arima(order=(0, 0, 0), trend="n", covariate_lags=[1]), Covariates(past=("a",)))
    model.fit(panel)
    beta = model.states_["a"].params[0]
    out = model.predict(panel, 3)["y_pred"].to_numpy()
    # step 1 reads the covariate at the cutoff; steps 2 and 3 would need values not published yet: they hold it
    np.testing.assert_allclose(out, beta * panel["a"].iloc[-1], rtol=1e-8)
    changed = panel.copy()
    changed.loc[changed.index[-1], "a"] += 1.0
    assert not np.allclose(model.predict(changed, 3)["y_pred"].to_numpy(), out)


def test_arima_drops_the_rows_without_lagged_values_from_the_fit():
    panel = lagged_panel(1, n=100, ids=("a",))
    model = with_covariates(Arima(order=(0, 0, 0), trend="n", covariate_lags=4), Covariates(past=("a",)))
    fit = model.fit(panel).states_["a"]
    assert len(fit.y) == 100 - 4 and fit.extra["exog"]["first"] == 4
    assert fit.info["covariates"] == ["a_lag1", "a_lag2", "a_lag3", "a_lag4"]
    with pytest.raises(DataError, match="no rows"):
        with_covariates(Arima(covariate_lags=[200]), Covariates(past=("a",))).fit(panel)
    holed = panel.assign(a=np.where(panel["ds"] == 50, np.nan, panel["a"]))
    with pytest.raises(DataError, match="missing at row"):
        with_covariates(Arima(covariate_lags=1), Covariates(past=("a",))).fit(holed)


@pytest.mark.parametrize("bad", [0, "1", [], [0, 2], 1.5])
def test_arima_checks_covariate_lags(bad):
    for cls in (Arima, Ma, AutoArima):
        with pytest.raises(ConfigError, match="covariate_lags"):
            cls(covariate_lags=bad).check_params()


def test_arima_names_covariate_columns_missing_from_the_training_data():
    panel = lagged_panel(1, n=60, ids=("a",))
    with pytest.raises(DataError, match=r"lacks covariate column\(s\) \['z'\]"):
        with_covariates(Arima()).fit(panel)


def test_arima_refuses_static_covariates():
    panel = lagged_panel(1, n=60, ids=("a",)).assign(s=1.0)
    with pytest.raises(ConfigError, match="not static"):
        with_covariates(Arima(), Covariates(static=("s",))).fit(panel)


def test_forecasts_without_covariates_keep_the_fast_path():
    panel = lagged_panel(1, n=120, ids=("a",))[["unique_id", "ds", "y"]]
    model = Arima(order=(1, 0, 0)).fit(panel.iloc[:100])
    model.predict_origins(panel, cutoffs(panel, 100, 119, step=6), 2)
    assert model.states_["a"].cursor is not None  # re-filtered once, up to the last cutoff
    assert "exog" not in model.states_["a"].extra


def test_prophet_known_covariates_from_future_and_their_errors():
    pytest.importorskip("prophet")
    from tsbench.forecasters.prophet import ProphetForecaster

    panel = known_panel(n=120)
    model = ProphetForecaster(yearly_seasonality=False, weekly_seasonality=False, n_changepoints=3, seed=0)
    assert model.all_tags()["covariates"] == ("known",)
    with_covariates(model, Covariates(known=("z",))).fit(panel.iloc[:100])
    future = panel.iloc[100:104][["unique_id", "ds", "z"]]
    one = model.predict(panel.iloc[:100], 4, QUANTILES, future=future)
    origins = pd.DataFrame({"unique_id": ["s"], "cutoff": [panel["ds"].iloc[99]]})
    batched = model.predict_origins(panel, origins, 4, QUANTILES, future=panel.iloc[:0][["unique_id", "ds", "z"]])
    np.testing.assert_allclose(one["y_pred"].to_numpy(), batched["y_pred"].to_numpy(), rtol=1e-12)
    assert np.corrcoef(one["y_pred"], future["z"])[0, 1] > 0.99  # the forecast follows the regressor
    with pytest.raises(DataError, match="need values for 4 step"):
        model.predict(panel.iloc[:100], 4, future=future.iloc[:2])
    with pytest.raises(DataError, match="lacks column"):
        model.predict(panel.iloc[:100], 4, future=future[["unique_id", "ds"]])
    with pytest.raises(DataError, match="future"):
        model.predict(panel.iloc[:100], 4)
