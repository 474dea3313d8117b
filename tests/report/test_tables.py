"""Result tables: per dataset, ranks, ratio and skill against the baseline, per horizon."""

import numpy as np
import pandas as pd
import pytest

from tsbench.report.tables import (
    dataset_of,
    frame_markdown,
    horizon_table,
    mean_table,
    rank_table,
    relative_table,
)


def _metrics() -> pd.DataFrame:
    # mae of three models on three series, overall (h=0) and per step (h=1, 2)
    values = {
        ("s0", "naive"): 2.0, ("s0", "good"): 1.0, ("s0", "bad"): 4.0,
        ("s1", "naive"): 1.0, ("s1", "good"): 1.0, ("s1", "bad"): 2.0,
        ("s2", "naive"): 4.0, ("s2", "good"): 1.0, ("s2", "bad"): 8.0,
    }
    rows = []
    for (uid, model), v in values.items():
        rows.append((uid, model, "mae", 0, v))
        rows.append((uid, model, "mae", 1, v - 0.5))
        rows.append((uid, model, "mae", 2, v + 0.5))
        rows.append((uid, model, "directional_accuracy", 0, 0.5 if model == "naive" else 0.6))
    return pd.DataFrame(rows, columns=["unique_id", "model", "metric", "h", "value"])


def test_dataset_of_uses_the_source_of_each_series():
    infos = [{"unique_id": "sp500", "source": "builtin:sp500"}, {"unique_id": "x", "source": "csv:data/x.csv"}]
    assert dataset_of(infos) == {"sp500": "sp500", "x": "csv:data/x.csv"}


def test_mean_table_per_dataset_and_overall():
    table = mean_table(_metrics(), ["mae"], {"s0": "A", "s1": "A", "s2": "B"})
    assert list(table["dataset"].unique()) == ["(all)", "A", "B"]
    overall = table[table["dataset"] == "(all)"].set_index("model")
    assert overall.loc["naive", "mae"] == pytest.approx(7 / 3)
    assert overall.loc["good", "series"] == 3
    assert list(overall.index) == ["good", "naive", "bad"]  # sorted by mae, lower first
    a = table[table["dataset"] == "A"].set_index("model")
    assert a.loc["bad", "mae"] == pytest.approx(3.0)
    assert a.loc["bad", "series"] == 2


def test_rank_table_averages_ties():
    table = rank_table(_metrics(), "mae").set_index("model")
    # s1 ties naive and good at 1.5
    assert table.loc["good", "s1"] == 1.5 and table.loc["naive", "s1"] == 1.5
    assert table.loc["good", "mean_rank"] == pytest.approx((1 + 1.5 + 1) / 3)
    assert table.loc["bad", "mean_rank"] == 3.0
    higher = rank_table(_metrics(), "directional_accuracy").set_index("model")
    assert higher.loc["naive", "mean_rank"] == 3.0  # lowest accuracy ranks last


def test_relative_table_geometric_mean_ratio_and_skill():
    table = relative_table(_metrics(), ["mae", "directional_accuracy"], "naive").set_index("model")
    # good / naive = 0.5, 1, 0.25 -> geometric mean 0.5
    assert table.loc["good", "mae_ratio"] == pytest.approx(0.5)
    assert table.loc["good", "mae_skill"] == pytest.approx(0.5)
    assert table.loc["bad", "mae_ratio"] == pytest.approx(2.0)
    assert table.loc["bad", "mae_skill"] == pytest.approx(-1.0)
    assert table.loc["naive", "mae_skill"] == 0.0
    # higher is better: skill = ratio - 1 so that positive still means better than the baseline
    assert table.loc["good", "directional_accuracy_skill"] == pytest.approx(0.2)


def test_horizon_table_means_each_step():
    table = horizon_table(_metrics(), "mae").set_index("model")
    assert list(table.columns) == ["h1", "h2"]
    assert table.loc["naive", "h1"] == pytest.approx(7 / 3 - 0.5)
    assert table.loc["naive", "h2"] == pytest.approx(7 / 3 + 0.5)


def test_frame_markdown_formats_numbers_and_flags():
    md = frame_markdown(pd.DataFrame({"model": ["a"], "x": [np.nan], "ok": [True], "n": [3]}), title="t")
    assert md.splitlines()[0] == "### t"
    assert "| a | — | yes | 3 |" in md
