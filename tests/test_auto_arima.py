"""auto_arima: unit-root choice of d, stepwise order search, per-fit record, contract."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tsbench.forecasters.auto_arima import AutoArima, choose_d
from tsbench.testing import check_forecaster

pytest.importorskip("statsmodels")


def simulate(n, ar, ma, d, seed):
    from statsmodels.tsa.arima_process import arma_generate_sample

    rng = np.random.default_rng(seed)
    x = arma_generate_sample(np.r_[1, -np.asarray(ar)], np.r_[1, np.asarray(ma)], n,
                             distrvs=rng.standard_normal, burnin=200)
    for _ in range(d):
        x = 50 + np.cumsum(x)
    return x


def panel(y):
    return pd.DataFrame({"unique_id": "a", "ds": np.arange(len(y)), "y": y})


def test_choose_d_by_kpss():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=400)
    assert choose_d(noise) == 0
    assert choose_d(np.cumsum(noise)) == 1
    assert choose_d(np.cumsum(np.cumsum(noise)), max_d=2) == 2
    assert choose_d(np.cumsum(np.cumsum(noise)), max_d=1) == 1


@pytest.mark.parametrize(
    ("ar", "ma", "d", "order"),
    [([0.7], [], 1, [1, 1, 0]), ([], [0.8], 0, [0, 0, 1]), ([0.6, -0.3], [], 0, [2, 0, 0])],
    ids=["ARIMA(1,1,0)", "MA(1)", "AR(2)"],
)
def test_picks_the_true_order_on_clear_data(ar, ma, d, order):
    y = simulate(500, ar, ma, d, seed=7)
    model = AutoArima(max_p=2, max_q=2).fit(panel(y))
    info = model.fit_info_["a"]
    assert info["order"] == order
    assert info["criterion"] == "aicc" and info["n_models"] >= 4


def test_refit_starts_from_the_previous_order_and_forecasts_like_arima():
    y = simulate(420, [0.5], [], 1, seed=10)
    model = AutoArima(max_p=2, max_q=2)
    model.fit(panel(y[:380]))
    first = model.fit_info_["a"]["n_models"]
    model.fit(panel(y[:400]))
    info = model.fit_info_["a"]
    assert info["warm_start"] is True and info["n_models"] <= first
    from statsmodels.tsa.arima.model import ARIMA

    fit = model.states_["a"]
    spec = fit.extra["spec"]
    expected = ARIMA(y, **spec).filter(fit.params).forecast(3)
    np.testing.assert_allclose(model.predict(panel(y), 3)["y_pred"], expected, atol=1e-8)


def test_conformance():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check_forecaster(AutoArima(max_p=1, max_q=1, max_models=6))
    assert report.passed, str(report)


def test_invalid_parameters_are_rejected():
    for bad in ({"information_criterion": "hqic"}, {"max_p": -1}, {"test_alpha": 2.0}, {"max_models": 0}):
        with pytest.raises(ValueError):
            AutoArima(**bad).check_params()


def test_picks_the_driftless_random_walk_on_most_random_walks():
    picks = []
    for seed in range(50):
        y = 50 + np.cumsum(np.random.default_rng(seed).normal(size=150))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = AutoArima().fit(panel(y)).fit_info_["a"]
        picks.append(info["order"] == [0, 1, 0] and not info["with_constant"])
    # 29 of 50; the AICc optimum over p, q <= 2 is itself the driftless random walk in 26
    assert np.mean(picks) > 0.5


def test_finds_ima2_with_drift_through_the_swap_moves():
    from tsbench.forecasters.arima import fit_arima
    from tsbench.forecasters.auto_arima import ROOT_MARGIN

    e = np.random.default_rng(33).normal(size=202)
    y = 50 + np.cumsum(0.5 + e[2:] + 0.7 * e[1:-1] + 0.2 * e[:-2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = AutoArima(max_p=2, max_q=2).fit(panel(y)).fit_info_["a"]
        grid = {}
        for p in range(3):
            for q in range(3):
                for trend in ("n", "t"):
                    fit = fit_arima(y, (p, 1, q), trend=trend)
                    roots = np.r_[fit.results.arroots, fit.results.maroots]
                    if roots.size == 0 or np.abs(roots).min() > ROOT_MARGIN:
                        grid[(p, q, trend)] = fit.info["aicc"]
    assert min(grid, key=grid.get) == (0, 2, "t")  # the AICc optimum of the whole grid
    assert info["order"] == [0, 1, 2] and info["with_constant"]  # without (p-1, q+1) it stops at (1, 1, 1)
    assert info["aicc"] == pytest.approx(grid[(0, 2, "t")])
