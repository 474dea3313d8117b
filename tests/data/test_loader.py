"""Built-in series, user files, targets and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.config import DataSpec
from tsbench.data.loader import load_panel
from tsbench.errors import DataError


def load(tmp_path=None, **spec):
    return load_panel([DataSpec(**spec)], tmp_path)


def test_sp500_uses_adjusted_close_on_trading_days():
    panel, infos = load(source="builtin:sp500")
    import arch.data.sp500

    raw = arch.data.sp500.load()["Adj Close"]
    assert len(panel) == 5031 == infos[0].length
    assert panel["unique_id"].unique().tolist() == ["sp500"]
    np.testing.assert_allclose(panel["y"].to_numpy(), raw.to_numpy())
    assert (pd.DatetimeIndex(panel["ds"]).day_of_week < 5).all()


def test_wti_missing_values_are_dropped_and_counted():
    panel, infos = load(source="builtin:wti")
    assert infos[0].missing == 290 and infos[0].missing_policy == "drop"
    assert len(panel) == 8611 - 290
    assert panel["y"].notna().all()


def test_wti_missing_values_error_policy_names_the_series():
    with pytest.raises(DataError, match=r"series 'wti' has 290 missing value\(s\).*missing: drop"):
        load(source="builtin:wti", missing="error")


def test_monthly_dataset_with_two_columns_gives_two_series():
    panel, _ = load(source="builtin:crude")
    assert sorted(panel["unique_id"].unique()) == ["crude_brent", "crude_wti"]
    assert panel.groupby("unique_id").size().tolist() == [393, 393]


def test_msft_loads_from_pmdarima():
    panel, infos = load(source="builtin:msft", target="log_price", last=100)
    assert len(panel) == 100
    assert infos[0].end.startswith("2017-11-10")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("price", [100.0, 110.0, 99.0]),
        ("log_price", np.log([100.0, 110.0, 99.0])),
        ("return", [0.1, -0.1]),
        ("log_return", np.diff(np.log([100.0, 110.0, 99.0]))),
    ],
)
def test_targets(tmp_path, target, expected):
    pd.DataFrame({"date": ["2021-01-04", "2021-01-05", "2021-01-06"], "p": [100.0, 110.0, 99.0]}).to_csv(
        tmp_path / "p.csv", index=False
    )
    panel, _ = load(tmp_path, source="csv:p.csv", target=target)
    np.testing.assert_allclose(panel["y"].to_numpy(), expected)


def test_last_keeps_the_last_observations():
    panel, _ = load(source="builtin:vix", last=30)
    full, _ = load(source="builtin:vix")
    assert panel["ds"].tolist() == full["ds"].tail(30).tolist()


def test_csv_long_with_named_columns(tmp_path):
    frame = pd.DataFrame(
        {"ticker": ["a", "a", "b", "b"], "when": ["2020-01-01", "2020-01-02"] * 2, "close": [1.0, 2.0, 3.0, 4.0]}
    )
    frame.to_csv(tmp_path / "long.csv", index=False)
    panel, _ = load(tmp_path, source="csv:long.csv", columns={"id": "ticker", "time": "when", "value": "close"})
    assert panel["unique_id"].tolist() == ["a", "a", "b", "b"]
    assert panel["y"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_parquet_wide_one_column_per_series(tmp_path):
    frame = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=4), "x": [1.0, 2, 3, 4], "z": [5.0, 6, 7, 8]})
    frame.to_parquet(tmp_path / "wide.parquet")
    panel, infos = load(tmp_path, source="parquet:wide.parquet", columns={"time": "date"})
    assert sorted(i.unique_id for i in infos) == ["x", "z"]
    assert panel.loc[panel["unique_id"] == "z", "y"].tolist() == [5.0, 6.0, 7.0, 8.0]


def test_duplicate_timestamps_are_refused(tmp_path):
    pd.DataFrame({"date": ["2020-01-01", "2020-01-01", "2020-01-02"], "a": [1, 2, 3]}).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(DataError, match=r"series 'a' has duplicate timestamp 2020-01-01"):
        load(tmp_path, source="csv:d.csv")


def test_unsorted_timestamps_are_refused(tmp_path):
    pd.DataFrame({"date": ["2020-01-02", "2020-01-01", "2020-01-03"], "a": [1, 2, 3]}).to_csv(tmp_path / "u.csv", index=False)
    with pytest.raises(DataError, match=r"series 'a' is not sorted by time: 2020-01-01.*sort the file"):
        load(tmp_path, source="csv:u.csv")


def test_non_numeric_values_are_refused(tmp_path):
    pd.DataFrame({"date": ["2020-01-01", "2020-01-02"], "a": ["1.5", "n/a!"]}).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(DataError, match=r"series 'a' has a non-numeric value 'n/a!'"):
        load(tmp_path, source="csv:n.csv")


def test_bad_dates_are_refused(tmp_path):
    pd.DataFrame({"date": ["2020-01-01", "someday"], "a": [1.0, 2.0]}).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError, match=r"time column 'date' has a value that is not a date: 'someday'"):
        load(tmp_path, source="csv:b.csv")


def test_missing_file_and_missing_columns(tmp_path):
    with pytest.raises(DataError, match=r"does not exist"):
        load(tmp_path, source="csv:nope.csv")
    pd.DataFrame({"t": [1, 2], "v": [1.0, 2.0]}).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(DataError, match=r"column\(s\) \['close'\] not found; the file has columns \['t', 'v'\]"):
        load(tmp_path, source="csv:c.csv", columns={"id": "t", "time": "t", "value": "close"})


def test_log_target_refuses_non_positive_prices(tmp_path):
    pd.DataFrame({"t": [0, 1, 2], "a": [1.0, 0.0, 2.0]}).to_csv(tmp_path / "z.csv", index=False)
    with pytest.raises(DataError, match=r"series 'a': target 'log_price' needs positive values, got 0.0"):
        load(tmp_path, source="csv:z.csv", target="log_price")


def test_same_series_from_two_sources_is_refused():
    with pytest.raises(DataError, match=r"series 'vix' comes from both"):
        load_panel([DataSpec(source="builtin:vix"), DataSpec(source="builtin:vix")])


def test_unknown_builtin_lists_the_available_ones():
    with pytest.raises(DataError, match=r"unknown built-in dataset 'spx'; available: \['crude', 'default'"):
        load(source="builtin:spx")
