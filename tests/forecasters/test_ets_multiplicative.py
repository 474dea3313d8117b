"""Multiplicative ETS and auto_ets: recovery of the generating model, simulated intervals, contract."""

import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from tsbench.errors import ConfigError, DataError
from tsbench.forecasters.auto_ets import AutoEts, candidate_specs
from tsbench.forecasters.ets import Ets
from tsbench.testing import check_forecaster

pytest.importorskip("statsmodels")

SEASON = (0.8, 1.1, 1.3, 0.8)


def simulate_ets(n, error, trend=False, season=None, alpha=0.3, beta=0.05, gamma=0.2, sigma=0.05,
                 level=100.0, slope=1.0, seed=0):
    """ETS(error, N or A, N or M) in the error-correction form of Hyndman et al. (2008).

    ``season`` gives the initial multiplicative indices; ``error`` is "add" or "mul".
    """
    rng = np.random.default_rng(seed)
    s = list(season) if season is not None else [1.0]
    m = len(s)
    b = slope if trend else 0.0
    y = np.empty(n)
    for t in range(n):
        base, idx = level + b, s[-m]
        mu = base * idx
        e = rng.normal(0, sigma)
        y[t] = mu + e if error == "add" else mu * (1 + e)
        rel = e / mu if error == "add" else e  # the error relative to the one-step mean
        level, b = base * (1 + alpha * rel), (b + beta * base * rel) if trend else 0.0
        s.append(idx * (1 + gamma * rel) if season is not None else 1.0)
    return y


def panel(series):
    return pd.concat([pd.DataFrame({"unique_id": i, "ds": np.arange(len(y)), "y": y}) for i, y in enumerate(series)],
                     ignore_index=True)


def quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def test_multiplicative_ets_fits_better_than_additive_and_covers_80_percent():
    series = [simulate_ets(140, "mul", season=SEASON, seed=i) for i in range(100)]
    data = panel(series)
    train = data[data["ds"] < 100]
    mul = quiet(lambda: Ets(error="mul", seasonal="mul", seasonal_periods=4).fit(train))
    add = quiet(lambda: Ets(error="add", seasonal="add", seasonal_periods=4).fit(train))
    better = np.mean([mul.fit_info_[str(i)]["aicc"] < add.fit_info_[str(i)]["aicc"] for i in range(100)])
    assert better > 0.8  # 94 of 100
    assert np.median([mul.states_[i].params[0] for i in range(100)]) == pytest.approx(0.3, abs=0.05)
    assert mul.fit_info_["0"]["model"] == "ETS(M,N,M)"
    # quantiles of the simulated paths: about 80% of actuals inside the 80% interval at each step
    cutoffs = pd.DataFrame([(i, c) for i in range(100) for c in range(99, 132, 8)], columns=["unique_id", "cutoff"])
    out = mul.predict_origins(data, cutoffs, 8, (0.1, 0.9)).merge(data, on=["unique_id", "ds"])
    hit = (out["q_0.1"] <= out["y"]) & (out["y"] <= out["q_0.9"])
    coverage = hit.groupby(out["h"]).mean()  # 500 forecasts per step: 0.75 .. 0.81
    assert coverage.between(0.72, 0.88).all(), coverage.round(3).tolist()


def test_simulated_quantiles_match_statsmodels_simulation_and_repeat():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = simulate_ets(120, "mul", trend=True, level=20.0, slope=2.0, seed=3)
    model = quiet(lambda: Ets(error="mul", trend="add").fit(panel([y])))
    out = model.predict(panel([y]), 6, (0.1, 0.5, 0.9))
    again = model.predict(panel([y]), 6, (0.1, 0.5, 0.9))
    pd.testing.assert_frame_equal(out, again)  # seeded: the same forecast every time
    reference = ETSModel(pd.Series(y), error="mul", trend="add").smooth(model.states_[0].params)
    np.testing.assert_allclose(out["y_pred"], reference.forecast(6), rtol=1e-10)
    frame = reference.get_prediction(start=120, end=125, method="simulated", simulate_repetitions=20000,
                                     ).summary_frame(alpha=0.2)
    spread = (frame["pi_upper"] - frame["pi_lower"]).to_numpy()
    np.testing.assert_allclose(out["q_0.9"] - out["q_0.1"], spread, rtol=0.06)
    np.testing.assert_allclose(out["q_0.1"], frame["pi_lower"], rtol=0.01)


def test_multiplicative_model_on_non_positive_data_is_a_clear_error():
    y = np.r_[np.linspace(5, -1, 60)]
    with pytest.raises(DataError, match="strictly positive"):
        Ets(error="mul").fit(panel([y]))


@pytest.mark.parametrize(
    ("label", "kwargs"),
    [("ETS(M,N,N)", {"alpha": 0.5, "sigma": 0.1}),
     ("ETS(M,A,N)", {"trend": True, "level": 20.0, "slope": 2.0}),
     ("ETS(M,N,M)", {"season": SEASON})],
)
def test_auto_ets_recovers_the_generating_model(label, kwargs):
    m = len(kwargs.get("season", (1,)))
    picks = [quiet(lambda: AutoEts(season_length=m).fit(panel([simulate_ets(120, "mul", seed=s, **kwargs)])))
             .fit_info_["0"]["model"] for s in range(20)]
    # ETS(M,N,N) 17 of 20, ETS(M,A,N) 17, ETS(M,N,M) 16
    assert Counter(picks)[label] >= 14, Counter(picks)


def test_auto_ets_search_set_refit_and_record():
    assert len(candidate_specs(1)) == 6 and len(candidate_specs(12)) == 15
    assert len(candidate_specs(12, multiplicative_trend=True)) == 19
    assert all(s["error"] == "add" and s["seasonal"] != "mul" for s in candidate_specs(4, positive=False))
    y = simulate_ets(150, "mul", season=SEASON, seed=1)
    model = AutoEts(season_length=4)
    quiet(lambda: model.fit(panel([y[:130]])))
    info = model.fit_info_["0"]
    assert info["criterion"] == "aicc" and info["n_models"] == 15 and not info["warm_start"]
    quiet(lambda: model.fit(panel([y])))
    assert model.fit_info_["0"]["warm_start"]
    # a series with a non-positive value gets additive models only
    quiet(lambda: model.fit(panel([y - y.min()])))
    assert model.fit_info_["0"]["model"].startswith("ETS(A") and model.fit_info_["0"]["n_models"] == 6


@pytest.mark.parametrize("forecaster", [AutoEts(), AutoEts(season_length=5)], ids=repr)
def test_conformance(forecaster):
    report = quiet(lambda: check_forecaster(forecaster))
    assert report.passed, str(report)


def test_invalid_parameters_are_rejected():
    for bad in ({"season_length": 0}, {"season_length": 1.5}, {"information_criterion": "hqic"},
                {"allow_multiplicative_trend": "no"}):
        with pytest.raises(ConfigError):
            AutoEts(**bad).check_params()
