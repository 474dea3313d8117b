"""Trading metrics of the sign-following strategy, checked against values worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from tsbench.errors import DataError
from tsbench.metrics.evaluation import evaluate
from tsbench.metrics.registry import METRICS
from tsbench.metrics.scoring import buy_and_hold_forecasts

# Five sessions, Monday to Friday: up, down, up, up.
DAYS = pd.bdate_range("2024-01-01", periods=5)
PRICES = [100.0, 102.0, 101.0, 103.0, 104.0]
HISTORY = pd.DataFrame({"unique_id": "x", "ds": DAYS, "y": PRICES})
TRADING = ["hit_rate", "strategy_return", "sharpe", "max_drawdown", "turnover"]


def one_step(predictions: dict[int, float], model: str = "m") -> pd.DataFrame:
    """Forecasts one session ahead from the given cutoff positions."""
    rows = [("x", DAYS[c], DAYS[c + 1], 1, model, PRICES[c + 1], p) for c, p in predictions.items()]
    return pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "h", "model", "y", "y_pred"])


def scores(forecasts: pd.DataFrame, **params) -> dict[str, float]:
    out = evaluate(forecasts, HISTORY, TRADING, {m: params for m in TRADING})
    return dict(zip(out["metric"], out["value"]))


def test_five_day_path_with_costs():
    # forecasts from Mon..Thu: up (right), up (wrong), down (wrong), up (right)
    got = scores(one_step({0: 101.0, 1: 103.0, 2: 100.0, 3: 105.0}), cost_bps=10)
    # positions +1, +1, -1, +1; traded units 1 (enter), 0, 2 (reverse), 2 (reverse); 10 bp each
    r = np.array([
        (102 / 100 - 1) - 0.001,
        (101 / 102 - 1) - 0.0,
        -(103 / 101 - 1) - 0.002,
        (104 / 103 - 1) - 0.002,
    ])
    wealth = np.cumprod(1 + r)
    assert got["hit_rate"] == pytest.approx(0.5)
    assert got["strategy_return"] == pytest.approx(wealth[-1] ** (252 / 4) - 1)
    assert got["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(252))
    # peak after Monday's gain, trough after Wednesday
    assert got["max_drawdown"] == pytest.approx(1 - wealth[2] / wealth[0])
    assert got["turnover"] == pytest.approx((1 + 0 + 2 + 2) * 252 / 4)


def test_costs_only_lower_returns():
    free = scores(one_step({0: 101.0, 1: 103.0, 2: 100.0, 3: 105.0}), cost_bps=0)
    assert free["strategy_return"] > scores(one_step({0: 101.0, 1: 103.0, 2: 100.0, 3: 105.0}), cost_bps=10)["strategy_return"]
    r = np.array([0.02, 101 / 102 - 1, -(103 / 101 - 1), 104 / 103 - 1])
    assert free["strategy_return"] == pytest.approx(np.prod(1 + r) ** 63 - 1)


def test_buy_and_hold_reference():
    forecasts = one_step({0: 99.0, 1: 99.0, 2: 99.0, 3: 99.0})
    got = scores(buy_and_hold_forecasts(forecasts), cost_bps=10)
    r = np.array([0.02 - 0.001, 101 / 102 - 1, 103 / 101 - 1, 104 / 103 - 1])  # one entry cost
    assert got["hit_rate"] == pytest.approx(3 / 4)
    assert got["strategy_return"] == pytest.approx(np.prod(1 + r) ** 63 - 1)
    assert got["turnover"] == pytest.approx(1 * 252 / 4)
    assert got["max_drawdown"] == pytest.approx(1 - (101 / 102))


def test_no_change_forecast_never_trades():
    got = scores(one_step({0: 100.0, 1: 102.0, 2: 101.0, 3: 103.0}), cost_bps=10)
    assert np.isnan(got["hit_rate"]) and got["strategy_return"] == 0 and got["turnover"] == 0
    assert got["max_drawdown"] == 0 and np.isnan(got["sharpe"])


def test_flat_between_sparse_origins():
    # origins Monday and Wednesday only: flat over Wednesday's session (Tue -> Wed)
    got = scores(one_step({0: 101.0, 2: 100.0}), cost_bps=0)
    r = np.array([0.02, 0.0, -(103 / 101 - 1)])
    assert got["strategy_return"] == pytest.approx(np.prod(1 + r) ** (252 / 3) - 1)
    assert got["turnover"] == pytest.approx((1 + 1 + 1) * 252 / 3)  # enter, exit, enter short


def test_step_two_held_until_next_origin():
    # horizon 2, signal from the 2-session forecast; origins Mon and Wed, each held two sessions
    rows = []
    for c, p2 in ((0, 103.0), (2, 100.0)):
        for h in (1, 2):
            rows.append(("x", DAYS[c], DAYS[c + h], h, "m", PRICES[c + h], p2))
    got = scores(pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "h", "model", "y", "y_pred"]), step=2)
    r = np.array([0.02, 101 / 102 - 1, -(103 / 101 - 1), -(104 / 103 - 1)])
    assert got["strategy_return"] == pytest.approx(np.prod(1 + r) ** (252 / 4) - 1)
    # Monday's long was right over two sessions (100 -> 101), Wednesday's short wrong (101 -> 104)
    assert got["hit_rate"] == pytest.approx(0.5)


def test_step_beyond_horizon_is_refused():
    with pytest.raises(DataError, match="beyond the forecast horizon"):
        scores(one_step({0: 101.0}), step=3)


def test_periods_per_year_can_be_given():
    got = scores(one_step({0: 101.0, 1: 103.0, 2: 100.0, 3: 105.0}), periods_per_year=12)
    r = np.array([0.02, 101 / 102 - 1, -(103 / 101 - 1), 104 / 103 - 1])
    assert got["strategy_return"] == pytest.approx(np.prod(1 + r) ** (12 / 4) - 1)


def test_trading_metrics_are_not_split_by_step():
    out = evaluate(one_step({0: 101.0, 1: 103.0}), HISTORY, ["sharpe", "mae"])
    assert set(out.loc[out["metric"] == "sharpe", "h"]) == {0}
    assert set(out.loc[out["metric"] == "mae", "h"]) == {0, 1}
    assert not METRICS["sharpe"].per_step and METRICS["sharpe"].higher_is_better


def test_one_model_per_group():
    two = pd.concat([one_step({0: 101.0}), one_step({0: 99.0}, model="n")], ignore_index=True)
    two["y_last"] = 100.0
    with pytest.raises(DataError, match="one model on one series"):
        METRICS["hit_rate"].fn(two, ["unique_id"], history=HISTORY)
