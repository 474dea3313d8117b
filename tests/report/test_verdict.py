"""The verdict paragraph, the leaderboard's test columns in Markdown, and the plot styles and scales."""

import numpy as np
import pandas as pd
import pytest

from tsbench.report.selection import select_series
from tsbench.report.significance import RankSummary, dm_table, origin_losses, overlap_of
from tsbench.report.style import LINE_STYLES, PALETTE, competitive_models, model_styles
from tsbench.report.tables import TEST_COLUMNS, leaderboard_markdown
from tsbench.report.verdict import columns_note, verdict_text
from tsbench.stats import diebold_mariano


def _board():
    return pd.DataFrame({
        "model": ["good", "rw", "meh", "bad"], "baseline": [False, True, False, False], "series": [4] * 4,
        "mase": [0.9, 1.0, 1.05, 3.0], "mean_rank": [1.25, 2.0, 2.75, 4.0],
        "rank_vs_best": ["", "", "", "worse"], "dm_better": [3, 0, 1, 0], "dm_worse": [0, 0, 0, 4],
        "in_mcs": [4, 4, 2, 0],
    })


def _ranks():
    return RankSummary("mase", pd.Series({"good": 1.25, "rw": 2.0, "meh": 2.75, "bad": 4.0}), 4, 10.5, 0.015,
                       2.35, 0.05)


def test_verdict_names_best_dm_mcs_and_friedman_from_the_table():
    text = verdict_text(_board(), _ranks(), alpha=0.05, mcs_alpha=0.1)
    assert text.startswith("Best by mase (mean over 4 series): good (0.9), 10% below the baseline rw's 1")
    assert "2 model(s) are significantly more accurate than the baseline rw on some of the 4 series" in text
    assert "on this many series: good (3), meh (1); significantly less accurate: bad (4)." in text
    assert "The 90% model confidence set keeps good, rw on all 4 series; on some series: meh (2); never: bad." in text
    assert "rejects equal ranks (p = 0.015)" in text and "only bad rank significantly behind" in text


def test_verdict_says_when_nothing_beats_the_baseline():
    board = _board().assign(dm_better=0, dm_worse=0)
    text = verdict_text(board, None)
    assert "No model is significantly more accurate than the baseline rw on any of the 4 series" in text
    assert "none is significantly less accurate" in text and "Friedman" not in text


def test_leaderboard_markdown_carries_the_test_columns_and_the_verdict():
    note = columns_note(4, "mase", 0.05, 0.1)
    md = leaderboard_markdown(_board(), title="t: leaderboard", verdict="VERDICT.", tests_note=note)
    header = next(line for line in md.splitlines() if line.startswith("| model"))
    assert all(c in header for c in TEST_COLUMNS)
    assert "| bad | 4 | 3 | 4 | worse | 0 | 4 | 0 |" in md
    assert md.index("VERDICT.") < md.index("| model") < md.index("dm_better / dm_worse: number of the 4 series")


def test_palette_keeps_twenty_models_apart_and_line_styles_beyond():
    models = [f"m{i}" for i in range(25)]
    styles = model_styles(models, baseline="m3")
    assert len({styles[m]["color"] for m in models[:20]}) == 20 == len(PALETTE)
    assert len({(s["color"], s["ls"]) for s in styles.values()}) == 25
    assert styles["m20"]["ls"] == LINE_STYLES[1] and styles["m3"]["lw"] > styles["m4"]["lw"]


def test_competitive_models_are_within_the_factor_of_the_baseline():
    scores = pd.Series({"rw": 2.0, "a": 1.5, "b": 2.4, "c": 2.6, "d": np.nan})
    keep, off = competitive_models(scores, "rw", 1.25)
    assert keep == ["rw", "a", "b"] and off == ["c", "d"]
    assert competitive_models(scores, "rw", 1.25, higher_is_better=True) == (list(scores.index), [])


def test_select_series_keeps_the_baselines_best_worst_and_a_spread():
    scores = pd.Series(np.arange(100, 0, -1, dtype=float), index=[f"s{i}" for i in range(100)], name="rw's mase")
    chosen, note = select_series(scores, 5)
    assert chosen[0] == "s99" and chosen[-1] == "s0" and len(chosen) == 5  # best (lowest) first, worst last
    assert "5 of the 100 series" in note
    assert select_series(scores.iloc[:3], 5)[0] == ["s0", "s1", "s2"]


def test_batched_dm_table_matches_one_test_at_a_time():
    from tsbench.testing import synthetic_panel

    panel = synthetic_panel(n_series=3, length=60, seed=2)
    rows = []
    for uid, g in panel.groupby("unique_id"):
        for cutoff in g["ds"].iloc[30:55:2]:
            fut = g[g["ds"] > cutoff].head(3)
            last = g.loc[g["ds"] <= cutoff, "y"].iloc[-1]
            for model, pred in (("rw", last), ("up", last + 0.05), ("far", last + 1.0)):
                rows.append(fut.assign(cutoff=cutoff, h=np.arange(1, len(fut) + 1), model=model, y_pred=pred))
    forecasts = pd.concat(rows, ignore_index=True)
    table = dm_table(forecasts, "rw")
    losses = origin_losses(forecasts)
    for uid, block in losses.groupby(level="unique_id"):
        for model in ("up", "far"):
            res = diebold_mariano(block[model].to_numpy(), block["rw"].to_numpy(), h=overlap_of(forecasts, uid),
                                  loss=lambda x: x)
            row = table[(table["unique_id"] == uid) & (table["model"] == model)].iloc[0]
            assert row["statistic"] == pytest.approx(res.statistic, abs=1e-10)
            assert row["pvalue"] == pytest.approx(res.pvalue, abs=1e-12)
    assert (table.loc[table["model"] == "far", "verdict"] == "worse").all()
