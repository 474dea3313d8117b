"""Which metric is scored on which scale, and the configurations refused before any work."""

import pytest

from tsbench.experiment import metric_plans_of, parse_experiment
from tsbench.errors import ConfigError
from tsbench.metrics.plan import metric_scales


def experiment(metrics, target="log_price", **extra):
    raw = {
        "name": "t",
        "data": [{"source": "builtin:sp500", "target": target}],
        "backtest": {"horizon": 5, "origins": 3, "step": 5},
        "forecasters": [{"name": "rw", "model": "naive"}],
        "metrics": metrics,
        **extra,
    }
    return parse_experiment(raw)


def plans_of(*args, **kwargs):
    return [(p.name, p.scale) for p in metric_plans_of(experiment(*args, **kwargs))]


def test_default_scale_is_the_target_and_can_be_changed():
    assert plans_of(["mae"]) == [("mae", "target")]
    assert plans_of(["mae", {"rmse": {"score_on": "price"}}], score_on="log_return") == [
        ("mae", "log_return"), ("rmse", "price")]


@pytest.mark.parametrize("metric", ["mape", "smape"])
def test_percentage_metrics_on_returns_are_refused_with_the_reason(metric):
    with pytest.raises(ConfigError, match="returns cross zero") as info:
        experiment([metric], target="log_return")
    assert "score_on: price" in str(info.value) and "percentage_on_returns" in str(info.value)
    with pytest.raises(ConfigError, match="returns cross zero"):
        experiment([metric], target="price", score_on="return")


def test_percentage_metrics_allowed_on_prices_even_when_forecast_as_returns():
    assert plans_of([{"mape": {"score_on": "price"}}], target="log_return") == [("mape", "price")]


def test_percentage_metrics_replaced_on_request():
    got = plans_of(["mape", "smape", "mae"], target="return", percentage_on_returns="replace")
    assert got == [("mase", "target"), ("mae", "target")]


def test_quantile_metrics_need_quantiles_and_expand_intervals():
    with pytest.raises(ConfigError, match="needs quantile forecasts"):
        experiment(["crps"])
    got = plans_of(["crps", "coverage", "winkler_80"], quantiles=[0.05, 0.1, 0.5, 0.9, 0.95])
    assert got == [("crps", "target"), ("coverage_80", "target"), ("coverage_90", "target"),
                   ("winkler_80", "target")]
    with pytest.raises(ConfigError, match="unknown option"):
        experiment([{"coverage": {"interval": 80}}], quantiles=[0.1, 0.9])
    with pytest.raises(ConfigError, match="no such interval"):
        experiment(["width_50"], quantiles=[0.1, 0.9])


def test_quantiles_not_carried_across_a_cumulation():
    with pytest.raises(ConfigError, match="cannot be carried"):
        experiment([{"crps": {"score_on": "price"}}], target="log_return", quantiles=[0.1, 0.9])
    assert plans_of([{"crps": {"score_on": "price"}}], quantiles=[0.1, 0.9]) == [("crps", "price")]


def test_trading_metrics_read_prices_with_the_trading_options():
    plans = metric_plans_of(experiment(["sharpe", {"turnover": {"cost_bps": 2}}], trading={"step": 5, "cost_bps": 10}))
    assert [(p.name, p.scale) for p in plans] == [("sharpe", "price"), ("turnover", "price")]
    assert plans[0].params == {"step": 5, "cost_bps": 10.0, "periods_per_year": None}
    assert plans[1].params["cost_bps"] == 2
    with pytest.raises(ConfigError, match="invalid trading option"):
        experiment([{"sharpe": {"step": 0}}])
    with pytest.raises(ConfigError, match="unknown option"):
        experiment([{"sharpe": {"horizon": 2}}])
    with pytest.raises(ConfigError, match="computed from prices"):
        experiment([{"sharpe": {"score_on": "log_return"}}])


def test_refusals():
    with pytest.raises(ConfigError, match="unknown option"):
        experiment([{"mae": {"season": 5}}])
    with pytest.raises(ConfigError, match="more than once"):
        experiment(["mae", {"mae": {"score_on": "price"}}])
    with pytest.raises(ConfigError, match="standardised"):
        experiment([{"mae": {"score_on": "price"}}], backtest={"horizon": 5, "origins": 3, "scale": "standard"})
    with pytest.raises(ConfigError, match="reference row"):
        parse_experiment({"name": "t", "data": [{"source": "builtin:sp500"}], "backtest": {"origins": 2},
                          "forecasters": [{"name": "buy_and_hold", "model": "naive"}], "metrics": ["sharpe"]})
    with pytest.raises(ConfigError, match="starts"):
        experiment(["mae"], periods={"bad": ["2020-06-30", "2020-02-15"]})


def test_scale_labels_name_the_targets():
    raw = experiment(["mae", "sharpe"])
    mixed = raw.model_copy(update={"data": [*raw.data, raw.data[0].model_copy(update={"target": "return"})]})
    assert metric_scales(metric_plans_of(raw), ["log_price"]) == {"mae": "log_price", "sharpe": "price"}
    assert metric_scales(metric_plans_of(mixed), ["log_price", "return"])["mae"] == "target (log_price/return)"
