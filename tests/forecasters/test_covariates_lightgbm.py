"""LightGBM with declared covariates: the same model as the parameters give, static and categorical
features, and named errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lightgbm")

from tests.forecasters.covariate_data import cutoffs, mae_and_random_walk  # noqa: E402
from tsbench.covariates import Covariates  # noqa: E402
from tsbench.errors import ConfigError, DataError  # noqa: E402
from tsbench.forecasters.lightgbm.model import LightGBMForecaster  # noqa: E402

FAST = dict(n_estimators=10, min_data_in_leaf=10, seed=0)


def signal_panel(n_series: int = 3, length: int = 150, seed: int = 0) -> pd.DataFrame:
    """Changes driven by a known column (``promo``) and by yesterday's value of a past one (``signal``)."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        promo, signal = rng.choice([-1.0, 1.0], length), rng.normal(0, 1, length)
        change = 0.5 * promo + 0.3 * np.r_[0.0, signal[:-1]] + rng.normal(0, 0.05, length)
        frames.append(pd.DataFrame({"unique_id": f"c{i}", "ds": np.arange(length), "y": 50 + np.cumsum(change),
                                    "promo": promo, "signal": signal}))
    return pd.concat(frames, ignore_index=True)


def sector_panel(length: int = 120, seed: int = 3) -> pd.DataFrame:
    """Six series of noise around a mean set by their sector (codes 0, 1, 2); ``regime`` is a past category."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(6):
        sector = i % 3
        regime = rng.integers(0, 2, length).astype(float)
        y = 2.0 * (sector - 1) + rng.normal(0, 1, length)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(length), "y": y,
                                    "sector": float(sector), "regime": regime}))
    return pd.concat(frames, ignore_index=True)


def declared(model: LightGBMForecaster, covariates: Covariates) -> LightGBMForecaster:
    model.covariates = covariates
    return model


def test_tags_say_which_covariates_lightgbm_takes():
    tags = LightGBMForecaster.all_tags()
    assert tags["covariates"] == ("past", "known", "static")
    assert tags["categorical_covariates"] is True


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_declared_covariates_give_the_model_the_parameters_give(strategy):
    panel = signal_panel()
    train, origins = panel[panel["ds"] < 120], cutoffs(panel, 119, 140, step=5)
    params = dict(lags=3, covariate_lags=[1, 2], strategy=strategy, horizon=3, **FAST)
    by_params = LightGBMForecaster(known_covariates=["promo"], past_covariates=["signal"], **params).fit(train)
    by_kind = declared(LightGBMForecaster(**params), Covariates(past=("signal",), known=("promo",))).fit(train)
    assert by_kind.feature_names_ == by_params.feature_names_
    future = panel.iloc[:0][["unique_id", "ds", "promo"]]
    want = by_params.predict_origins(panel, origins, 3, future=future)
    got = by_kind.predict_origins(panel, origins, 3, future=future)
    np.testing.assert_array_equal(got["y_pred"].to_numpy(), want["y_pred"].to_numpy())


def test_declared_known_covariates_come_from_future_after_the_context():
    panel = signal_panel(2, 100)
    train, tail = panel[panel["ds"] < 90], panel[panel["ds"] >= 90]
    model = declared(LightGBMForecaster(lags=2, **FAST), Covariates(known=("promo",))).fit(train)
    with pytest.raises(DataError, match="future"):
        model.predict(train, 3)
    with pytest.raises(DataError, match="lacks column"):
        model.predict(train, 3, future=tail[["unique_id", "ds"]])
    with pytest.raises(DataError, match="3 steps after cutoff"):
        model.predict(train, 3, future=tail[tail["ds"] < 92][["unique_id", "ds", "promo"]])
    one = model.predict(train, 3, future=tail[["unique_id", "ds", "promo"]])
    origins = cutoffs(panel, 89, 90)
    batched = model.predict_origins(panel, origins, 3, future=tail.iloc[:0][["unique_id", "ds", "promo"]])
    np.testing.assert_allclose(one["y_pred"].to_numpy(), batched["y_pred"].to_numpy(), rtol=0, atol=1e-12)


def test_declared_covariates_and_parameter_covariates_together_are_refused():
    panel = signal_panel(2, 60)
    model = declared(LightGBMForecaster(past_covariates=["signal"], **FAST), Covariates(known=("promo",)))
    with pytest.raises(ConfigError, match="use one or the other") as err:
        model.fit(panel)
    assert "past_covariates" in str(err.value) and "promo" in str(err.value)


def test_static_and_categorical_covariates_become_lightgbm_categorical_features():
    panel = sector_panel()
    train, origins = panel[panel["ds"] < 90], cutoffs(panel, 89, 119, step=2)
    params = dict(lags=1, transform="none", scale="none", n_estimators=30, min_data_in_leaf=10, seed=0)
    plain = LightGBMForecaster(**params).fit(train[["unique_id", "ds", "y"]])
    cov = Covariates(past=("regime",), static=("sector",), categorical=("sector", "regime"))
    model = declared(LightGBMForecaster(covariate_lags=[1, 2], **params), cov).fit(train)
    assert model.feature_names_ == ["lag1", "past_regime_lag1", "past_regime_lag2", "static_sector"]
    infos = model.boosters_[(None, 1)].dump_model()["feature_infos"]
    assert set(infos["static_sector"]["values"]) >= {0, 1, 2}  # categories, not a numeric range
    assert infos["past_regime_lag1"]["values"] and not infos["lag1"]["values"]
    with_static = mae_and_random_walk(model.predict_origins(panel, origins, 1), panel)[0]
    without = mae_and_random_walk(plain.predict_origins(panel[["unique_id", "ds", "y"]], origins, 1), panel)[0]
    assert with_static < 0.9 * without, (with_static, without)


def test_a_static_value_is_read_at_the_cutoff():
    panel = sector_panel(80)
    model = declared(LightGBMForecaster(lags=1, **FAST), Covariates(static=("sector",))).fit(panel)
    origins = cutoffs(panel, 60, 61)
    clean = model.predict_origins(panel, origins, 2)
    noisy = panel.assign(sector=np.where(panel["ds"] > 60, 99.0, panel["sector"]))
    np.testing.assert_array_equal(model.predict_origins(noisy, origins, 2)["y_pred"], clean["y_pred"])
