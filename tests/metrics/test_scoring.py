"""Scoring on another scale inside a run: checks before work follow the scale each metric is scored on."""

import numpy as np
import pandas as pd
import pytest

from tsbench.experiment import parse_experiment
from tsbench.errors import DataError
from tsbench.runner import run_experiment


def write_prices(path, repeat_at=None):
    rng = np.random.default_rng(7)
    y = 40 * np.exp(np.cumsum(rng.normal(0, 0.01, 120)))
    if repeat_at is not None:
        y[repeat_at] = y[repeat_at - 1]  # an unchanged close: a return of exactly zero
    pd.DataFrame({"date": pd.bdate_range("2022-01-03", periods=120), "close": y}).to_csv(path, index=False)


def experiment(metrics, target="log_return"):
    return parse_experiment({
        "name": "s",
        "data": [{"source": "csv:p.csv", "target": target, "columns": {"time": "date", "value": "close"}}],
        "backtest": {"horizon": 2, "origins": 8, "step": 2},
        "forecasters": [{"name": "rw", "model": "naive"}, {"name": "drift", "model": "drift"}],
        "metrics": metrics,
    })


def test_mape_on_prices_of_a_return_target_with_a_zero_return(tmp_path):
    write_prices(tmp_path / "p.csv", repeat_at=60)
    result = run_experiment(experiment([{"mape": {"score_on": "price"}}, "mae"]), base_dir=tmp_path,
                            output=tmp_path / "out", progress=False)
    assert result.ok and result.scales == {"mape": "price", "mae": "log_return"}
    mape = result.metrics[(result.metrics["metric"] == "mape") & (result.metrics["h"] == 0)]
    assert (mape["value"] > 0).all() and set(mape["scale"]) == {"price"}


def test_mape_on_prices_with_a_zero_price_is_refused_before_work(tmp_path):
    write_prices(tmp_path / "p.csv")
    frame = pd.read_csv(tmp_path / "p.csv")
    frame.loc[5, "close"] = 0.0
    frame.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(DataError, match="MAPE"):
        run_experiment(experiment(["mape"], target="price"), base_dir=tmp_path, output=tmp_path / "o", progress=False)


def test_scores_on_price_match_a_price_target_run(tmp_path):
    # a random walk on log prices, scored on prices, is the random walk on prices
    write_prices(tmp_path / "p.csv")
    on_log = run_experiment(experiment([{"mae": {"score_on": "price"}}], target="log_price"), base_dir=tmp_path,
                            output=tmp_path / "a", progress=False).metrics
    on_price = run_experiment(experiment(["mae"], target="price"), base_dir=tmp_path,
                              output=tmp_path / "b", progress=False).metrics
    rw = lambda m: m[m["model"] == "rw"].set_index("h")["value"]  # noqa: E731
    pd.testing.assert_series_equal(rw(on_log), rw(on_price), rtol=1e-9)


def test_trading_on_integer_steps_needs_periods_per_year(tmp_path):
    frame = pd.DataFrame({"t": range(120), "close": 40 + np.cumsum(np.random.default_rng(1).normal(0, 0.3, 120))})
    frame.to_csv(tmp_path / "p.csv", index=False)
    raw = {
        "name": "i",
        "data": [{"source": "csv:p.csv", "target": "price", "columns": {"time": "t", "value": "close"}}],
        "backtest": {"horizon": 1, "origins": 10},
        "forecasters": [{"name": "drift", "model": "drift"}],
        "metrics": ["sharpe"],
    }
    with pytest.raises(DataError, match="periods_per_year"):
        run_experiment(parse_experiment(raw), base_dir=tmp_path, output=tmp_path / "o", progress=False)
    raw["trading"] = {"periods_per_year": 12}
    result = run_experiment(parse_experiment(raw), base_dir=tmp_path, output=tmp_path / "o", progress=False)
    assert set(result.leaderboard["model"]) == {"drift", "buy_and_hold"}
