"""Metrics by calendar year and named period: which origins fall where, and the values match a direct score."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tsbench.errors import DataError
from tsbench.metrics.plan import MetricPlan
from tsbench.metrics.scoring import metrics_by_period, period_masks, score
from tsbench.report.tables import period_markdown, period_table


def test_masks_cover_years_and_inclusive_named_periods():
    cutoffs = pd.Series(pd.to_datetime(["2019-12-31", "2020-02-15", "2020-06-30", "2020-07-01"]))
    masks = period_masks(cutoffs, {"covid": [dt.date(2020, 2, 15), dt.date(2020, 6, 30)]})
    assert list(masks) == ["2019", "2020", "covid"]
    assert masks["2020"].tolist() == [False, True, True, True]
    assert masks["covid"].tolist() == [False, True, True, False]
    assert list(period_masks(pd.Series([3, 7, 12]), {"early": [0, 7]})) == ["early"]
    with pytest.raises(DataError, match="integer steps"):
        period_masks(pd.Series([3, 7, 12]), {"covid": [dt.date(2020, 2, 15), dt.date(2020, 6, 30)]})


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(3)
    ds = pd.bdate_range("2019-11-01", periods=160)
    levels = pd.DataFrame({"unique_id": "s", "ds": ds, "y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, 160)))})
    panel = levels.assign(y=np.log(levels["y"]))
    rows = []
    for c in range(20, 150, 5):
        for model, shift in (("up", 0.01), ("down", -0.01)):
            for h in (1, 2):
                rows.append(("s", ds[c], ds[c + h], h, model, panel["y"].iloc[c + h], panel["y"].iloc[c] + shift))
    fc = pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "h", "model", "y", "y_pred"])
    plans = [MetricPlan("mae", "target"), MetricPlan("rmse", "price"),
             MetricPlan("sharpe", "price", {"step": 2, "cost_bps": 0.0, "periods_per_year": None})]
    return fc, panel, levels, plans


def test_period_values_equal_a_direct_score_of_the_subset(case):
    fc, panel, levels, plans = case
    periods = {"spring": [dt.date(2020, 3, 1), dt.date(2020, 4, 30)]}
    by_period = metrics_by_period(fc, panel, levels, {"s": "log_price"}, plans, periods)
    assert list(dict.fromkeys(by_period["period"])) == ["2019", "2020", "spring"]
    in_spring = fc[(fc["cutoff"] >= "2020-03-01") & (fc["cutoff"] <= "2020-04-30")]
    direct = score(in_spring, panel, levels, {"s": "log_price"}, plans)
    direct = direct[direct["h"] == 0].set_index(["metric", "model"])["value"]
    got = by_period[by_period["period"] == "spring"].set_index(["metric", "model"])["value"]
    pd.testing.assert_series_equal(got.sort_index(), direct.sort_index(), check_names=False)
    assert "buy_and_hold" in set(by_period.loc[by_period["metric"] == "sharpe", "model"])
    assert set(by_period["scale"]) == {"log_price", "price"}


def test_tables_and_markdown(case):
    fc, panel, levels, plans = case
    by_period = metrics_by_period(fc, panel, levels, {"s": "log_price"}, plans, {})
    table = period_table(by_period)
    assert list(table.columns) == ["metric", "scale", "model", "2019", "2020"]
    md = period_markdown(by_period, ["rmse", "mae", "sharpe"], title="t: by period")
    assert md.index("### rmse (price; lower is better)") < md.index("### mae (log_price; lower is better)")
    assert "| model | 2019 | 2020 |" in md and "| buy_and_hold |" in md


@pytest.mark.parametrize("periods", [None, {"2020": [dt.date(2020, 3, 1), dt.date(2020, 4, 30)]}])
def test_years_in_one_grouped_pass_equal_scoring_each_year_alone(case, periods):
    fc, panel, levels, _ = case
    fc = pd.concat([fc, fc.assign(unique_id="t")], ignore_index=True).sample(frac=1.0, random_state=0)
    panel = pd.concat([panel, panel.assign(unique_id="t")], ignore_index=True)
    targets = {"s": "log_price", "t": "log_price"}
    plans = [MetricPlan("mae", "target"), MetricPlan("directional_accuracy", "target"), MetricPlan("smape", "target")]
    got = metrics_by_period(fc, panel, levels, targets, plans, periods)
    parts = []
    for label, mask in period_masks(fc["cutoff"], periods).items():
        scored = score(fc[mask.to_numpy()], panel, levels, targets, plans, steps=False)
        parts.append(scored.drop(columns="h").assign(period=label))
    want = pd.concat(parts, ignore_index=True)[got.columns]
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(dict.fromkeys(got["period"])) == ["2019", "2020"]
