"""Significance summaries computed from forecast frames: DM per series, PT, MCS, Friedman and markers."""

import numpy as np
import pandas as pd
import pytest

from tsbench.report.significance import (
    dm_table,
    leaderboard_with_tests,
    mcs_table,
    origin_losses,
    overlap_of,
    pt_table,
    rank_summary,
)
from tsbench.report.tables import leaderboard


def _forecasts(n_origins=60, horizon=3, step=1, noise=None, seed=0, series=("s0", "s1")):
    """A forecast frame with known error sizes per model; ds and cutoffs are integer steps."""
    noise = noise or {"naive": 1.0, "good": 0.3, "twin": 1.0}
    rng = np.random.default_rng(seed)
    rows = []
    for uid in series:
        y = np.cumsum(rng.normal(size=n_origins * step + horizon + 1))
        for i in range(n_origins):
            cutoff = i * step
            for h in range(1, horizon + 1):
                for model, sd in noise.items():
                    rows.append((uid, cutoff, cutoff + h, h, model, y[cutoff + h], y[cutoff + h] + sd * rng.normal(),
                                 y[cutoff]))
    return pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "h", "model", "y", "y_pred", "y_last"])


def test_origin_losses_average_steps_and_keep_paired_origins():
    f = _forecasts(n_origins=4)
    losses = origin_losses(f)
    assert losses.shape == (8, 3)
    one = f[(f["unique_id"] == "s0") & (f["cutoff"] == 2) & (f["model"] == "good")]
    assert losses.loc[("s0", 2), "good"] == pytest.approx(np.mean((one["y"] - one["y_pred"]) ** 2))
    dropped = f[~((f["model"] == "good") & (f["cutoff"] == 1))]
    assert len(origin_losses(dropped)) == 6  # origin 1 lacks 'good' on both series


@pytest.mark.parametrize(("step", "horizon", "expected"), [(1, 5, 5), (5, 5, 1), (2, 5, 3), (1, 1, 1), (3, 7, 3)])
def test_overlap_counts_origins_sharing_actuals(step, horizon, expected):
    f = _forecasts(n_origins=10, horizon=horizon, step=step, series=("s0",))
    assert overlap_of(f, "s0") == expected


def test_dm_table_flags_the_better_model_and_holm_adjusts():
    table = dm_table(_forecasts(), "naive", alpha=0.05)
    assert set(table["model"]) == {"good", "twin"}
    good = table[table["model"] == "good"]
    assert (good["verdict"] == "better").all()
    assert (good["statistic"] < 0).all()
    assert (table["overlap"] == 3).all()
    assert (table["pvalue_holm"] >= table["pvalue"]).all()
    worse = dm_table(_forecasts(noise={"naive": 0.3, "bad": 1.0}), "naive")
    assert (worse["verdict"] == "worse").all()


def test_pt_table_detects_direction_skill():
    table = pt_table(_forecasts()).set_index(["unique_id", "model"])
    assert table.loc[("s0", "good"), "pvalue"] < 0.01
    assert table.loc[("s0", "good"), "hit_rate"] > 0.7
    assert table.loc[("s0", "good"), "n"] == 60


def test_mcs_table_drops_the_clearly_worse_model():
    f = _forecasts(noise={"best": 0.3, "close": 0.32, "bad": 1.5}, n_origins=80)
    table = mcs_table(f, alpha=0.1, seed=0)
    kept = table[table["included"]].groupby("unique_id")["model"].apply(set)
    for models in kept:
        assert "best" in models and "bad" not in models


def test_rank_summary_and_markers_on_the_leaderboard():
    rows = []
    for i in range(12):
        for model, value in (("naive", 2.0), ("good", 1.0), ("bad", 3.0)):
            rows.append((f"s{i}", model, "mae", 0, value + 0.01 * i))
    metrics = pd.DataFrame(rows, columns=["unique_id", "model", "metric", "h", "value"])
    summary = rank_summary(metrics, "mae")
    assert summary.mean_ranks.to_dict() == {"good": 1.0, "naive": 2.0, "bad": 3.0}
    assert summary.statistic == pytest.approx(24.0)  # 12*12/(3*4) * (14 - 12)
    board = leaderboard(metrics, ["mae"], "naive", ["naive", "good", "bad"])
    dm = pd.DataFrame({"unique_id": ["s0", "s1", "s0"], "model": ["good", "good", "bad"],
                       "verdict": ["better", "", "worse"]})
    mcs = pd.DataFrame({"unique_id": ["s0", "s0", "s1"], "model": ["good", "naive", "good"], "included": [True] * 3})
    out = leaderboard_with_tests(board, dm, mcs, summary).set_index("model")
    assert out.loc["good", "dm_better"] == 1 and out.loc["bad", "dm_worse"] == 1
    assert out.loc["good", "in_mcs"] == 2 and out.loc["bad", "in_mcs"] == 0
    assert out.loc["bad", "rank_vs_best"] == "worse"  # 2 ranks behind with CD about 0.96
    assert out.loc["naive", "rank_vs_best"] == "worse"
    assert out.loc["good", "rank_vs_best"] == ""
    assert rank_summary(metrics[metrics["unique_id"] == "s0"], "mae") is None


def test_plots_accept_integer_steps_and_render_png():
    pytest.importorskip("matplotlib")
    from tsbench.report import plots

    f = _forecasts(n_origins=10)
    models = ["naive", "good", "twin"]
    for fig in (plots.forecast_figure(f, "s0", models, 3),
                plots.cumulative_loss_figure(origin_losses(f), "s0", "naive", models),
                plots.cd_figure(pd.Series({"good": 1.2, "naive": 2.1, "twin": 2.7}), 0.9)):
        assert plots.png_bytes(fig)[:4] == b"\x89PNG"
