"""The integer-key lookups of scoring give what pandas' join and groupby give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.metrics.evaluation import evaluation_frame, values_at
from tsbench.metrics.point import group_mean


def _panel(dates: bool) -> pd.DataFrame:
    ds = pd.bdate_range("2020-01-01", periods=6) if dates else np.arange(6)
    return pd.DataFrame({"unique_id": np.repeat(["b", "a"], 6), "ds": np.tile(ds, 2),
                         "y": np.arange(12, dtype=float) * 1.5})


def _joined(forecasts, panel):
    last = panel[["unique_id", "ds", "y"]].rename(columns={"ds": "cutoff", "y": "y_last"})
    return forecasts.merge(last, on=["unique_id", "cutoff"], how="left", validate="many_to_one")


@pytest.mark.parametrize("dates", [True, False])
def test_values_at_the_cutoffs_are_those_of_a_left_join(dates):
    panel = _panel(dates)  # series not in sorted order
    stamps = panel["ds"].iloc[[0, 0, 3, 5, 2, 2]].to_numpy()
    forecasts = pd.DataFrame({"unique_id": ["a", "a", "b", "zz", "b", "a"], "cutoff": stamps,
                              "h": [1, 2, 1, 1, 1, 1], "y_pred": 1.0}, index=[5, 4, 3, 2, 1, 0])
    if dates:  # a cutoff the panel does not have
        forecasts.loc[1, "cutoff"] = pd.Timestamp("2030-01-01")
    pd.testing.assert_frame_equal(evaluation_frame(forecasts, panel), _joined(forecasts, panel))
    categorical = forecasts.astype({"unique_id": "category"})  # kept categorical, where the join makes strings
    got = evaluation_frame(categorical, panel)
    assert isinstance(got["unique_id"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(got.astype({"unique_id": str}), _joined(categorical, panel))


def test_a_repeated_panel_key_is_left_to_the_join_which_refuses_it():
    panel = _panel(True)
    panel = pd.concat([panel, panel.iloc[[0]]], ignore_index=True)
    forecasts = pd.DataFrame({"unique_id": ["b"], "cutoff": [panel["ds"].iloc[0]], "y_pred": [1.0]})
    assert values_at(panel, forecasts["unique_id"], forecasts["cutoff"]) is None
    with pytest.raises(pd.errors.MergeError):
        evaluation_frame(forecasts, panel)


@pytest.mark.parametrize("categorical", [False, True])
def test_group_means_are_those_of_groupby(categorical):
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame({"unique_id": rng.choice(["s2", "s10", "s1"], n), "model": rng.choice(["m", "a"], n),
                       "h": rng.integers(1, 6, n)})
    df.loc[[3, 7], "unique_id"] = None  # a missing key belongs to no group
    if categorical:
        df = df.astype({"unique_id": "category", "model": "category"})
    values = rng.normal(size=n) * 1e3
    values[11] = np.nan
    for by in (["unique_id", "model", "h"], ["unique_id", "model"], ["h"]):
        want = pd.Series(values, index=df.index).groupby([df[c] for c in by], sort=True).mean()
        got = group_mean(values, df, by)
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())  # bit for bit
        assert list(got.index) == list(want.index) and list(got.index.names) == list(want.index.names)
