"""User data files (CSV or Parquet), long or wide, read into a long panel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tsbench.errors import DataError

__all__ = ["read_table", "to_long"]


def read_table(kind: str, path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file, with a clear error when it is missing or unreadable."""
    if not path.exists():
        raise DataError(f"data file {str(path)!r} does not exist (source '{kind}:{path}').")
    try:
        return pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except Exception as exc:  # the readers raise many types; report them all the same way
        raise DataError(f"cannot read {kind} file {str(path)!r}: {exc}") from exc


def to_long(frame: pd.DataFrame, columns: dict | None, where: str) -> pd.DataFrame:
    """Turn a file's table into ``unique_id, ds, y`` (values still raw).

    ``columns`` names ``id``, ``time`` and ``value`` for a long file, or ``time``
    and optionally ``value`` (a list of series columns) for a wide file. Without
    it, a file with ``unique_id, ds, y`` is read as long and any other file as
    wide with its first column as time.
    """
    columns = dict(columns or {})
    if not columns and {"unique_id", "ds", "y"} <= set(frame.columns):
        columns = {"id": "unique_id", "time": "ds", "value": "y"}
    time_col = columns.get("time") or frame.columns[0]
    _require(frame, [time_col], where)
    if columns.get("id"):
        value_col = columns.get("value") or "y"
        _require(frame, [columns["id"], value_col], where)
        long = pd.DataFrame(
            {"unique_id": frame[columns["id"]].astype(str), "ds": frame[time_col], "y": frame[value_col]}
        )
    else:
        values = columns.get("value") or [c for c in frame.columns if c != time_col]
        values = [values] if isinstance(values, str) else list(values)
        _require(frame, values, where)
        long = frame[[time_col, *values]].melt(id_vars=time_col, var_name="unique_id", value_name="y")
        long = long.rename(columns={time_col: "ds"})[["unique_id", "ds", "y"]]
        long["unique_id"] = long["unique_id"].astype(str)
    long["ds"] = _parse_time(long["ds"], time_col, where)
    return long


def _require(frame: pd.DataFrame, cols: list[str], where: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where}: column(s) {missing} not found; the file has columns {list(frame.columns)}. "
            "Name the right ones under 'columns: {id, time, value}'."
        )


def _parse_time(values: pd.Series, col: str, where: str) -> pd.Series:
    if pd.api.types.is_integer_dtype(values):
        return values.astype("int64")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    parsed = pd.to_datetime(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        raise DataError(
            f"{where}: time column {col!r} has a value that is not a date: {values[bad].iloc[0]!r} "
            f"(row {int(bad.to_numpy().argmax())}). Use ISO dates (YYYY-MM-DD) or integer steps."
        )
    return parsed.astype("datetime64[ns]")
