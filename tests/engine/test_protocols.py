"""Sliding windows, gaps and the fixed-split protocol, run end to end through the runner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.experiment import parse_experiment
from tsbench.runner import run_experiment


def experiment(tmp_path, backtest: dict, forecasters=None, metrics=("mae",)):
    rng = np.random.default_rng(3)
    y = 50 + np.cumsum(rng.normal(0, 1, 200))
    pd.DataFrame({"t": np.arange(200), "a": y, "b": y[::-1].copy()}).to_csv(tmp_path / "w.csv", index=False)
    raw = {
        "name": "proto",
        "data": [{"source": "csv:w.csv", "columns": {"time": "t"}}],
        "backtest": backtest,
        "forecasters": forecasters or [{"name": "mean", "model": "mean"}],
        "metrics": list(metrics),
        "output": str(tmp_path / "out"),
    }
    return parse_experiment(raw), y


def test_sliding_window_mean_uses_only_the_window(tmp_path):
    exp, y = experiment(tmp_path, {"horizon": 1, "origins": 3, "window": 10})
    fc = run_experiment(exp, base_dir=tmp_path, progress=False).forecasts
    a = fc[fc["unique_id"] == "a"].sort_values("cutoff")
    expected = [y[c - 9 : c + 1].mean() for c in (196, 197, 198)]
    np.testing.assert_allclose(a["y_pred"], expected)


def test_gap_leaves_observations_out_of_training_but_not_of_the_context(tmp_path):
    exp, y = experiment(tmp_path, {"horizon": 2, "origins": 1, "gap": 5}, [{"name": "rw", "model": "naive"}])
    fc = run_experiment(exp, base_dir=tmp_path, progress=False).forecasts
    a = fc[fc["unique_id"] == "a"]
    assert a["cutoff"].tolist() == [197, 197]
    np.testing.assert_allclose(a["y_pred"], y[197])


def test_split_protocol_scores_every_test_origin_on_the_standard_scale(tmp_path):
    backtest = {"protocol": "split", "horizon": 3, "train": 0.6, "val": 0.2, "test": 0.2,
                "input_size": 20, "scale": "standard"}
    exp, y = experiment(tmp_path, backtest, [{"name": "rw", "model": "naive"}])
    result = run_experiment(exp, base_dir=tmp_path, progress=False)
    a = result.forecasts[result.forecasts["unique_id"] == "a"]
    assert sorted(a["cutoff"].unique()) == list(range(159, 197))
    train = y[:120]  # the scaler sees the training fraction only, not validation
    scaled = (y - train.mean()) / train.std()
    got = a[a["h"] == 1].sort_values("cutoff")
    np.testing.assert_allclose(got["y"], scaled[160:198])
    np.testing.assert_allclose(got["y_pred"], scaled[159:197])
    mae = result.metrics.query("unique_id == 'a' and metric == 'mae' and h == 0")["value"].item()
    assert mae == pytest.approx(np.mean(np.abs(np.r_[[scaled[c + h] - scaled[c] for c in range(159, 197) for h in (1, 2, 3)]])))


def test_a_forecaster_may_refit_less_often_than_the_others(tmp_path):
    import json

    forecasters = [{"name": "every", "model": "mean"}, {"name": "once", "model": "mean", "refit_every": "once"}]
    exp, _ = experiment(tmp_path, {"horizon": 1, "origins": 4, "refit_every": 1}, forecasters)
    result = run_experiment(exp, base_dir=tmp_path, progress=False)
    cells = json.loads((result.run_dir / "manifest.json").read_text())["cells"]
    fits = {(c["model"], c["series"][0]): c["n_fits"] for c in cells}
    assert fits == {("every", "a"): 4, ("every", "b"): 4, ("once", "a"): 1, ("once", "b"): 1}
    fc = result.forecasts
    # the historical mean reads its context, not its fit, so both give the same forecasts at the same origins
    a, b = (fc[fc["model"] == m].sort_values(["unique_id", "cutoff"])["y_pred"].to_numpy() for m in ("every", "once"))
    np.testing.assert_allclose(a, b)


def test_ett_style_split_over_all_channels_of_a_wide_file(tmp_path):
    """Absolute borders, every column a channel, scaled on the training rows, scored over all windows."""
    rng = np.random.default_rng(5)
    wide = pd.DataFrame({"t": np.arange(60), **{c: 10 + np.cumsum(rng.normal(0, 1, 60)) for c in "uvw"}})
    wide.to_csv(tmp_path / "ett.csv", index=False)
    raw = {
        "name": "ett_like",
        "data": [{"source": "csv:ett.csv", "columns": {"time": "t"}}],
        "backtest": {"protocol": "split", "horizon": 4, "train": 30, "val": 10, "test": 12, "scale": "standard",
                     "channels": "all", "input_size": 8},
        "forecasters": [{"name": "rw", "model": "naive"},
                        {"name": "itr", "model": "itransformer",
                         "params": {"input_size": 8, "hidden_size": 8, "num_heads": 2, "num_layers": 1, "d_ff": 8,
                                    "max_steps": 3}}],
        "metrics": ["mse"],
        "output": str(tmp_path / "out"),
    }
    result = run_experiment(parse_experiment(raw), base_dir=tmp_path, progress=False)
    assert result.ok, result.failures
    fc = result.forecasts[result.forecasts["model"] == "rw"]
    # test rows 40-51: origins 39 .. 51 - 4 = 47, the same for every channel; rows 52-59 unused
    assert {u: sorted(g["cutoff"].unique()) for u, g in fc.groupby("unique_id")} == {u: list(range(39, 48)) for u in "uvw"}
    scaled = {c: (wide[c] - wide[c][:30].mean()) / wide[c][:30].std(ddof=0) for c in "uvw"}
    by_hand = np.mean([(scaled[c][o + h] - scaled[c][o]) ** 2 for c in "uvw" for o in range(39, 48) for h in range(1, 5)])
    per_channel = result.metrics.query("model == 'rw' and metric == 'mse' and h == 0")["value"]
    assert len(per_channel) == 3 and per_channel.mean() == pytest.approx(by_hand)  # equal windows per channel
    assert set(result.forecasts[result.forecasts["model"] == "itr"]["unique_id"]) == set("uvw")
