"""Covariates help exactly as much as their availability allows: the proof that nothing leaks.

The target is a past covariate lagged by K = 3 (y_t = x_{t-K}); the model sees
``a_t = x_{t-lag}``, the covariate under a publication lag ``lag``. With
``lag < K`` the value that decides the next target has been published by the
cutoff, and a covariate-aware model forecasts it almost exactly; with
``lag >= K`` it has not, and a model that forecasts well anyway reads the future.
"""

from __future__ import annotations

import warnings

import pytest

from tests.forecasters.covariate_data import K, cutoffs, known_panel, lagged_panel, mae_and_random_walk
from tsbench.covariates import Covariates
from tsbench.forecasters.arima import Arima
from tsbench.forecasters.auto_arima import AutoArima

TRAIN = 260  # rows fitted on; forecasts from cutoffs at rows TRAIN-1 .. 358, one step ahead
PAST = Covariates(past=("a",))


def _score(model, lag: int) -> tuple[float, float]:
    panel = lagged_panel(lag, ids=("a", "b", "c"))
    model.covariates = PAST
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optimiser chatter on near-exact fits is not the point here
        model.fit(panel[panel["ds"] < TRAIN])
        out = model.predict_origins(panel, cutoffs(panel, TRAIN - 1, 359, step=2), 1)
    return mae_and_random_walk(out, panel)


def _lightgbm():
    pytest.importorskip("lightgbm")
    from tsbench.forecasters.lightgbm.model import LightGBMForecaster

    return LightGBMForecaster(lags=1, transform="none", scale="none", covariate_lags=5, n_estimators=60,
                              learning_rate=0.2, min_data_in_leaf=10, seed=0)


MODELS = {
    "lightgbm": _lightgbm,
    "arima": lambda: Arima(order=(0, 0, 0), trend="n", covariate_lags=[1, 2, 3]),
}


@pytest.mark.parametrize("lag", range(K))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_covariate_published_in_time_is_used(name, lag):
    mae, random_walk = _score(MODELS[name](), lag)
    assert mae < 0.1 * random_walk, (mae, random_walk)


@pytest.mark.parametrize("lag", [K, K + 1])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_covariate_published_too_late_cannot_be_used(name, lag):
    mae, random_walk = _score(MODELS[name](), lag)
    assert mae > 0.5 * random_walk, (mae, random_walk)


@pytest.mark.parametrize("lag", [1, K])
def test_auto_arima_uses_the_regressors_only_when_published_in_time(lag):
    mae, random_walk = _score(AutoArima(max_p=1, max_q=1, max_models=4, covariate_lags=[1, 2, 3]), lag)
    assert (mae < 0.1 * random_walk) if lag < K else (mae > 0.5 * random_walk), (mae, random_walk)


def test_prophet_known_covariate_drives_the_forecast():
    pytest.importorskip("prophet")
    from tsbench.forecasters.prophet import ProphetForecaster

    panel = known_panel()
    origins = cutoffs(panel, 159, 199, step=4)
    maes = {}
    for use in (False, True):
        model = ProphetForecaster(yearly_seasonality=False, weekly_seasonality=False, n_changepoints=5, seed=0)
        model.covariates = Covariates(known=("z",)) if use else Covariates()
        model.fit(panel.iloc[:160] if use else panel.iloc[:160][["unique_id", "ds", "y"]])
        future = panel.iloc[:0][["unique_id", "ds", "z"]] if use else None  # every horizon lies in the history
        out = model.predict_origins(panel, origins, 1, future=future)
        maes[use] = mae_and_random_walk(out, panel)[0]
    assert maes[True] < 0.2 * maes[False], maes
