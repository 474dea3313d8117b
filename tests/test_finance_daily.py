"""The ready financial experiment validates, and a shortened run writes every financial table."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from tsbench.experiment import load_experiment, parse_experiment
from tsbench.forecasters.registry import BUILTINS, resolve
from tsbench.runner import run_experiment

FILE = Path(__file__).resolve().parent.parent / "experiments" / "finance_daily.yaml"


def test_finance_daily_validates_and_uses_every_builtin():
    experiment = load_experiment(FILE)
    # the volatility models forecast variance, not prices: experiments/volatility.yaml runs them
    variance = {n for n in BUILTINS if resolve(n).all_tags().get("variance_model")}
    assert {f.model for f in experiment.forecasters} == set(BUILTINS) - variance
    assert {d.source for d in experiment.data} == {f"builtin:{n}" for n in ("sp500", "nasdaq", "wti", "vix", "msft")}


@pytest.mark.slow
def test_shortened_finance_daily_run(tmp_path):
    raw = yaml.safe_load(FILE.read_text())
    raw["data"] = [{**d, "last": 200} for d in raw["data"][:2]]
    raw["backtest"] = {**raw["backtest"], "origins": 12}
    result = run_experiment(parse_experiment(raw), output=tmp_path, progress=False)
    assert result.ok
    board = result.leaderboard.set_index("model")
    assert "buy_and_hold" in board.index and pd.notna(board.loc["buy_and_hold", "sharpe"])
    assert board.loc["buy_and_hold"].isna()["mae"]
    # models without quantiles keep their point scores; only their quantile scores are empty
    assert board.loc["drift"].notna()["mae"] and board.loc["drift"].isna()["crps"]
    assert board.loc["random_walk", "r2_oos_rw"] == pytest.approx(0.0)
    md = (result.run_dir / "leaderboard.md").read_text()
    assert "rmse [price]" in md and "mae [log_price]" in md and "r2_oos_mean [log_return]" in md
    assert "coverage_90 [log_price]" in md and "sharpe [price]" in md
    for name in ("metrics_by_period.parquet", "metrics_by_period.csv", "metrics_by_period.md"):
        assert (result.run_dir / name).exists()
    assert {"2018", "q4_2018_selloff"} <= set(result.by_period["period"])
    assert set(result.metrics.columns) == {"unique_id", "model", "metric", "scale", "h", "value"}
