"""The garch forecaster against arch itself, and on simulated GARCH(1,1) data with known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.config import DataSpec
from tsbench.data.loader import load_panel
from tsbench.data.variance import variance_panel
from tsbench.errors import ConfigError
from tsbench.forecasters.garch import Garch, garch_model
from tsbench.forecasters.registry import make_forecaster
from tsbench.metrics.evaluation import evaluate
from tsbench.metrics.risk import qlike_losses
from tsbench.stats import diebold_mariano

VARIANTS = [("garch", "normal", "constant"), ("gjr-garch", "t", "zero"), ("egarch", "skewt", "ar")]


@pytest.fixture(scope="module")
def sp500():
    return load_panel([DataSpec(source="builtin:sp500", target="variance", last=1400)])[0]


def _arch_fit(returns, vol, dist, mean):
    return garch_model(returns, vol=vol, dist=dist, mean=mean).fit(disp="off", show_warning=False)


@pytest.mark.parametrize("vol, dist, mean", VARIANTS)
def test_forecasts_equal_arch_fitted_on_the_same_slice(sp500, vol, dist, mean):
    r = sp500["return"].to_numpy()
    horizon = 1 if vol == "egarch" else 5  # arch's analytic EGARCH forecasts stop at one step
    for cut in (700, 1000, 1300):
        model = Garch(vol=vol, dist=dist, mean=mean).fit(sp500.iloc[:cut])
        out = model.predict(sp500.iloc[:cut], horizon, quantiles=(0.01, 0.05))
        res = _arch_fit(r[:cut], vol, dist, mean)
        fc = res.forecast(horizon=horizon, reindex=False)
        np.testing.assert_allclose(out["y_pred"], fc.variance.to_numpy()[-1], rtol=1e-8, atol=1e-10)
        k = res.model.distribution.num_params
        z = res.model.distribution.ppf([0.01, 0.05], res.params.to_numpy()[-k:] if k else None)
        expected = fc.mean.to_numpy()[-1][:, None] + np.sqrt(fc.variance.to_numpy()[-1])[:, None] * z
        np.testing.assert_allclose(out[["q_0.01", "q_0.05"]], expected, rtol=1e-8)


def test_between_refits_arch_filters_with_the_fitted_parameters(sp500):
    r = sp500["return"].to_numpy()
    model = Garch(vol="gjr-garch", dist="t").fit(sp500.iloc[:800])
    cutoffs = pd.DataFrame({"unique_id": "sp500", "cutoff": sp500["ds"].iloc[[799, 900, 1100]]})
    out = model.predict_origins(sp500.iloc[:1200], cutoffs, 3)
    params = model.params_["sp500"]
    for i, cut in enumerate((800, 901, 1101)):
        fixed = garch_model(r[:cut], vol="gjr-garch", dist="t").fix(params)
        expected = fixed.forecast(horizon=3, reindex=False).variance.to_numpy()[-1]
        np.testing.assert_allclose(out["y_pred"].to_numpy()[3 * i:3 * i + 3], expected, rtol=1e-10)


def test_refits_start_from_the_last_parameters(sp500):
    model = Garch().fit(sp500.iloc[:900])
    assert model.fit_info_["sp500"]["warm_start"] is False
    model.fit(sp500.iloc[:950])
    info = model.fit_info_["sp500"]
    cold = _arch_fit(sp500["return"].to_numpy()[:950], "garch", "normal", "constant")
    assert info["warm_start"] is True and info["converged"]
    assert info["loglikelihood"] == pytest.approx(cold.loglikelihood, abs=1e-3)


def test_simulated_multistep_egarch_is_seeded(sp500):
    a = Garch(vol="egarch", seed=3).fit(sp500.iloc[:800]).predict(sp500.iloc[:800], 4, (0.05,))
    b = Garch(vol="egarch", seed=3).fit(sp500.iloc[:800]).predict(sp500.iloc[:800], 4, (0.05,))
    c = Garch(vol="egarch", seed=4).fit(sp500.iloc[:800]).predict(sp500.iloc[:800], 4, (0.05,))
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["y_pred"].iloc[1:], c["y_pred"].iloc[1:])


@pytest.mark.parametrize("params, message", [
    ({"mean": "harx"}, r"mean must be one of \['zero', 'constant', 'ar'\].*got 'harx'"),
    ({"vol": "figarch"}, r"vol must be one of \['garch', 'gjr-garch', 'egarch'\], got 'figarch'"),
    ({"dist": "ged"}, r"dist must be one of \['normal', 't', 'skewt'\], got 'ged'"),
    ({"p": 0}, "p must be a positive integer, got 0"),
])
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ConfigError, match=message):
        make_forecaster("g", "garch", params)


# -- simulated GARCH(1,1) ------------------------------------------------------------------
OMEGA, ALPHA, BETA = 0.1, 0.12, 0.83


def _simulate(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    r, s2 = np.empty(n), OMEGA / (1 - ALPHA - BETA)
    for t in range(n):
        r[t] = np.sqrt(s2) * z[t]
        s2 = OMEGA + ALPHA * r[t] ** 2 + BETA * s2
    return r


@pytest.fixture(scope="module")
def simulated():
    r = _simulate(4000, seed=11)
    prices = 100 * np.exp(np.cumsum(r) / 100)
    levels = pd.DataFrame({"unique_id": "sim", "ds": pd.bdate_range("2000-01-03", periods=len(r)), "y": prices})
    return variance_panel(levels)


def test_fitted_parameters_recover_the_truth(simulated):
    model = Garch(mean="zero").fit(simulated.iloc[:2500])
    est = model.fit_info_["sim"]["params"]
    se = garch_model(simulated["return"].to_numpy()[:2500], mean="zero").fit(disp="off").std_err
    for name, true in (("omega", OMEGA), ("alpha[1]", ALPHA), ("beta[1]", BETA)):
        assert abs(est[name] - true) < 3 * se[name], (name, est[name], true, se[name])


def test_garch_beats_ewma_in_qlike_and_dm_says_so(simulated):
    train, n_test = 2000, len(simulated) - 2000 - 1
    cutoffs = pd.DataFrame({"unique_id": "sim", "cutoff": simulated["ds"].iloc[train - 1:train - 1 + n_test]})
    frames = []
    for alias, model in (("garch", "garch"), ("ewma", "ewma")):
        f = make_forecaster(alias, model, {"mean": "zero"} if model == "garch" else {})
        f.fit(simulated.iloc[:train])
        frames.append(f.predict_origins(simulated, cutoffs, 1))
    forecasts = pd.concat(frames, ignore_index=True)
    forecasts = forecasts.merge(simulated[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    scores = evaluate(forecasts, simulated, ["qlike"]).query("h == 0").set_index("model")["value"]
    assert scores["garch"] < scores["ewma"]
    wide = forecasts.pivot(index="cutoff", columns="model", values="y_pred")
    proxy = forecasts.drop_duplicates("cutoff").set_index("cutoff")["y"].reindex(wide.index)
    loss_g, loss_e = qlike_losses(proxy, wide["garch"]), qlike_losses(proxy, wide["ewma"])
    dm = diebold_mariano(loss_g, loss_e, h=1, loss=lambda e: e)
    assert dm.statistic < 0 and dm.pvalue < 0.05, dm
