"""Unusual data files end in one clear DataError, never a traceback from pandas or a silent change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsbench.config import DataSpec
from tsbench.data.loader import load_panel
from tsbench.errors import DataError


def _load(folder: Path, *sources: str, **options):
    return load_panel([DataSpec(source=s, **options) for s in sources], folder)


def _write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return f"csv:{name}"


def test_csv_with_a_header_and_no_rows(tmp_path):
    with pytest.raises(DataError, match=r"has a header \(ds, price\) but no data rows"):
        _load(tmp_path, _write(tmp_path, "e.csv", "ds,price\n"))


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="is empty: it has no header and no rows"):
        _load(tmp_path, _write(tmp_path, "e.csv", ""))


def test_semicolon_separated_csv(tmp_path):
    source = _write(tmp_path, "s.csv", "ds;price\n2020-01-01;1.5\n2020-01-02;1.6\n")
    with pytest.raises(DataError, match="single column 'ds;price': it looks separated by ';'"):
        _load(tmp_path, source)


def test_non_utf8_data_file(tmp_path):
    (tmp_path / "l.csv").write_bytes("ds,prix\n2020-01-01,1\n".encode() + b"2020-01-02,\xe9\n")
    with pytest.raises(DataError, match="is not UTF-8 text"):
        _load(tmp_path, "csv:l.csv")


def _dates(n: int, tz: str | None = None) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-02 09:30", periods=n, freq="5min", tz=tz)


def test_timezone_aware_timestamps_uniform(tmp_path):
    frame = pd.DataFrame({"ds": _dates(30, "America/New_York").astype(str), "price": np.arange(30.0) + 1})
    frame.to_csv(tmp_path / "tz.csv", index=False)
    with pytest.raises(DataError, match=r"timezone-aware timestamps \(all at offset UTC-05:00\).*tz_localize\(None\)"):
        _load(tmp_path, "csv:tz.csv")
    frame.assign(ds=_dates(30, "UTC")).to_parquet(tmp_path / "tz.parquet")  # a tz-aware column, not text
    with pytest.raises(DataError, match=r"timezone-aware timestamps \(all in time zone UTC\)"):
        _load(tmp_path, "parquet:tz.parquet")


def test_timezone_aware_timestamps_mixed(tmp_path):
    stamps = [f"2024-01-02T10:{m:02d}:00+01:00" for m in range(10)] + ["2024-01-02T10:30:00+02:00"]
    pd.DataFrame({"ds": stamps, "price": np.arange(11.0) + 1}).to_csv(tmp_path / "mix.csv", index=False)
    with pytest.raises(DataError, match="timezone-aware timestamps .with offsets that differ between rows"):
        _load(tmp_path, "csv:mix.csv")


def test_integer_steps_in_one_source_and_dates_in_another(tmp_path):
    pd.DataFrame({"t": range(30), "a": np.arange(30.0) + 1}).to_csv(tmp_path / "ints.csv", index=False)
    pd.DataFrame({"ds": pd.bdate_range("2024-01-01", periods=30), "b": np.arange(30.0) + 1}).to_csv(
        tmp_path / "dates.csv", index=False)
    with pytest.raises(DataError, match="'csv:dates.csv' has dates in its time column but 'csv:ints.csv' has "
                                        "integer steps"):
        _load(tmp_path, "csv:ints.csv", "csv:dates.csv")


def test_infinite_values_are_refused_or_treated_as_missing(tmp_path):
    y = np.arange(30.0) + 1
    y[7], y[9] = np.inf, -np.inf
    pd.DataFrame({"ds": range(30), "price": y}).to_csv(tmp_path / "inf.csv", index=False)
    with pytest.raises(DataError, match=r"series 'price' has 2 infinite value\(s\), the first \(inf\) at 7; .*"
                                        "'infinite: missing'"):
        _load(tmp_path, "csv:inf.csv")
    panel, infos = _load(tmp_path, "csv:inf.csv", infinite="missing")
    assert np.isfinite(panel["y"]).all() and len(panel) == 28 and infos[0].missing == 2
    panel, _ = _load(tmp_path, "csv:inf.csv", infinite="missing", missing="ffill")
    assert panel["y"].iloc[7] == panel["y"].iloc[6] and len(panel) == 30


def test_an_all_empty_wide_column_is_an_error_not_a_silent_drop(tmp_path):
    frame = pd.DataFrame({"ds": pd.bdate_range("2024-01-01", periods=30), "a": np.arange(30.0) + 1, "b": np.nan})
    frame.to_csv(tmp_path / "wide.csv", index=False)
    with pytest.raises(DataError, match=r"series \['b'\] has no values at all"):
        _load(tmp_path, "csv:wide.csv")
    panel, _ = load_panel([DataSpec(source="csv:wide.csv", columns={"value": ["a"]})], tmp_path)
    assert panel["unique_id"].unique().tolist() == ["a"]


def test_a_wide_column_may_be_called_y(tmp_path):
    pd.DataFrame({"ds": pd.bdate_range("2024-01-01", periods=30), "y": np.arange(30.0) + 1}).to_csv(
        tmp_path / "y.csv", index=False)
    panel, _ = _load(tmp_path, "csv:y.csv")
    assert panel["unique_id"].unique().tolist() == ["y"] and len(panel) == 30
