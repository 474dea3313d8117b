"""Variance and VaR metrics: values by hand on small frames, Kupiec acceptance on i.i.d. normal returns, plan errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tsbench.errors import ConfigError, DataError
from tsbench.experiment import parse_experiment
from tsbench.forecasters.registry import make_forecaster
from tsbench.metrics.evaluation import evaluate
from tsbench.metrics.risk import es_forecasts
from tsbench.stats.var_tests import kupiec_pof


def _frame():
    # one origin of three steps, and the panel holding the realised returns
    ds = pd.bdate_range("2020-01-01", periods=4)
    forecasts = pd.DataFrame({"unique_id": "a", "cutoff": ds[0], "ds": ds[1:], "h": [1, 2, 3], "model": "m",
                              "y": [1.0, 4.0, 0.25], "y_pred": [2.0, 2.0, 2.0]})
    history = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 1.0, 4.0, 0.25], "return": [0.0, -3.0, 1.0, -0.1]})
    return forecasts, history


def _value(scores, metric, h):
    return scores.query("metric == @metric and h == @h")["value"].item()


def test_variance_metrics_score_the_sum_of_the_next_h_variances():
    forecasts, history = _frame()
    scores = evaluate(forecasts, history, ["qlike", "mse_var"])
    # h-step sums: proxy 1, 5, 5.25 against forecast 2, 4, 6
    ql = [p / f - math.log(p / f) - 1 for p, f in ((1, 2), (5, 4), (5.25, 6))]
    for h in (1, 2, 3):
        assert _value(scores, "qlike", h) == pytest.approx(ql[h - 1])
    assert _value(scores, "qlike", 0) == pytest.approx(np.mean(ql))
    assert _value(scores, "mse_var", 0) == pytest.approx(np.mean([1.0, 1.0, 0.75**2]))


def test_mincer_zarnowitz_r2_is_the_squared_correlation():
    rng = np.random.default_rng(0)
    f = rng.uniform(0.5, 2.0, 50)
    y = 0.2 + 0.9 * f + rng.normal(0, 0.3, 50)
    ds = pd.bdate_range("2020-01-01", periods=51)
    frame = pd.DataFrame({"unique_id": "a", "cutoff": ds[:-1], "ds": ds[1:], "h": 1, "model": "m", "y": y, "y_pred": f})
    panel = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    r2 = _value(evaluate(frame, panel, ["mz_r2"]), "mz_r2", 1)
    slope, intercept = np.polyfit(f, y, 1)
    resid = y - (intercept + slope * f)
    assert r2 == pytest.approx(1 - resid.var() / y.var())


def test_var_metrics_use_the_normal_var_and_step_one_over_all_steps():
    forecasts, history = _frame()
    scores = evaluate(forecasts, history, ["var_breaches_5", "fz0_5"])
    var = math.sqrt(2.0) * norm.ppf(0.05)  # -2.326: only the -3.0 return of step 1 breaches
    assert _value(scores, "var_breaches_5", 1) == 1.0
    assert _value(scores, "var_breaches_5", 2) == 0.0
    assert _value(scores, "var_breaches_5", 0) == 1.0  # all steps: the step-1 forecasts
    e = -math.sqrt(2.0) * norm.pdf(norm.ppf(0.05)) / 0.05
    assert es_forecasts(np.array([var]), 0.05)[0] == pytest.approx(e)
    expected = -(var + 3.0) / (0.05 * e) + var / e + math.log(-e) - 1
    assert _value(scores, "fz0_5", 1) == pytest.approx(expected)


def test_var_metrics_prefer_the_models_own_quantiles():
    forecasts, history = _frame()
    own = forecasts.assign(**{"q_0.05": [-3.5, -0.5, -0.5]})  # fatter-tailed: step 1 no breach, step 2 not either
    scores = evaluate(own, history, ["var_breaches_5"])
    assert _value(scores, "var_breaches_5", 1) == 0.0


def test_var_metrics_need_returns():
    forecasts, history = _frame()
    with pytest.raises(DataError, match="read from the 'return' column of a 'target: variance' panel"):
        evaluate(forecasts, history.drop(columns="return"), ["kupiec_1"])


def test_var_breaches_of_the_right_model_on_iid_normal_returns_pass_kupiec():
    # constant variance 1: the rolling variance over a long window is the right model
    n, train = 3000, 1000
    rng = np.random.default_rng(5)
    ds = pd.bdate_range("2000-01-03", periods=n)
    r = rng.standard_normal(n)
    panel = pd.DataFrame({"unique_id": "iid", "ds": ds, "y": (r - r.mean()) ** 2, "return": r})
    model = make_forecaster("rv", "rolling_variance", {"window": 1000}).fit(panel.iloc[:train])
    cutoffs = pd.DataFrame({"unique_id": "iid", "cutoff": ds[train - 1:n - 1]})
    out = model.predict_origins(panel, cutoffs, 1, (0.01, 0.05)).merge(panel[["unique_id", "ds", "y"]])
    scores = evaluate(out, panel, ["var_breaches_1", "var_breaches_5", "kupiec_1", "kupiec_5"])
    for pct in (1, 5):
        rate = _value(scores, f"var_breaches_{pct}", 0)
        hits = round(rate * (n - train))
        assert kupiec_pof(np.r_[np.ones(hits), np.zeros(n - train - hits)], pct / 100).pvalue > 0.05
        assert _value(scores, f"kupiec_{pct}", 0) > 0.05


def _experiment(metrics, data=None, **extra):
    return {"name": "v", "data": data or [{"source": "builtin:sp500", "target": "variance"}],
            "backtest": {"horizon": 1, "origins": 2}, "forecasters": [{"name": "e", "model": "ewma"}],
            "metrics": metrics, **extra}


@pytest.mark.parametrize("metrics, message", [
    (["var_breaches_60"], r"VaR levels must lie in \(0, 0.5\).*got 0.6"),
    (["kupiec_50"], r"VaR levels must lie in \(0, 0.5\).*got 0.5"),
    (["kupiec"], r"name the VaR level in percent, e.g. 'kupiec_1'"),
    ([{"qlike": {"score_on": "price"}}], r"variance forecasts are scored on their target"),
])
def test_plan_errors_before_work(metrics, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment(_experiment(metrics))


def test_var_metrics_refused_without_a_variance_target():
    data = [{"source": "builtin:sp500", "target": "log_return"}]
    with pytest.raises(ConfigError, match=r"only 'target: variance' panels carry"):
        parse_experiment(_experiment(["kupiec_1"], data=data))


def test_quantile_models_that_are_not_variance_models_are_refused_on_a_variance_target():
    raw = _experiment(["qlike"], quantiles=[0.01])
    raw["forecasters"].append({"name": "rw", "model": "naive"})
    with pytest.raises(ConfigError, match=r"forecasters.1 \(rw\): on 'target: variance' the quantiles are of the return"):
        parse_experiment(raw)
