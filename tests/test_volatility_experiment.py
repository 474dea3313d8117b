"""The ready volatility experiment validates, and a shortened run scores and reports every risk metric."""

from pathlib import Path

import pandas as pd
import yaml

from tsbench.experiment import load_experiment, parse_experiment
from tsbench.forecasters.registry import BUILTINS, resolve
from tsbench.runner import run_experiment

FILE = Path(__file__).resolve().parent.parent / "experiments" / "volatility.yaml"


def test_volatility_experiment_validates_and_uses_every_variance_model():
    experiment = load_experiment(FILE)
    variance = {n for n in BUILTINS if resolve(n).all_tags().get("variance_model")}
    assert {f.model for f in experiment.forecasters} == variance
    assert {d.target for d in experiment.data} == {"variance"}


def test_shortened_volatility_run(tmp_path):
    raw = yaml.safe_load(FILE.read_text())
    raw["data"] = [{**d, "last": 700} for d in raw["data"][:1]]
    raw["backtest"] = {**raw["backtest"], "origins": 30, "min_train": 300}
    raw["forecasters"] = [f for f in raw["forecasters"] if f["name"] in ("ewma", "har", "garch_n", "gjr_t")]
    raw["executor"] = {"kind": "serial"}
    result = run_experiment(parse_experiment(raw), output=tmp_path, progress=False)
    assert result.ok
    board = result.leaderboard.set_index("model")
    assert board[["qlike", "kupiec_1", "christoffersen_cc_5", "fz0_5"]].notna().all().all()
    assert ((board["var_breaches_5"] >= 0) & (board["var_breaches_5"] <= 1)).all()
    tests = pd.read_csv(result.run_dir / "tables" / "volatility_var_tests.csv")
    assert set(tests["model"]) == set(board.index) and set(tests["level"]) == {0.01, 0.05}
    html = (result.run_dir / "report.html").read_text()
    assert "Volatility and risk" in html and "Kupiec" in html
