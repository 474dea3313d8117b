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
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {str(path)!r} is empty: it has no header and no rows.") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"data file {str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                        "save it as UTF-8.") from None
    except Exception as exc:  # the readers raise many types; report them all the same way
        raise DataError(f"cannot read {kind} file {str(path)!r}: {exc}") from exc
    if len(frame.columns) == 1 and any(sep in str(frame.columns[0]) for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in str(frame.columns[0]))
        raise DataError(
            f"data file {str(path)!r} has a single column {str(frame.columns[0])!r}: it looks separated by "
            f"{sep!r}, but CSV files are read comma-separated; save it with commas (e.g. pandas' to_csv())."
        )
    if frame.empty:
        raise DataError(f"data file {str(path)!r} has a header ({', '.join(map(str, frame.columns))}) but no "
                        "data rows.")
    return frame


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
        # neutral names while melting, so series columns may be called "y" or "unique_id"
        long = frame[[time_col, *values]].melt(id_vars=time_col, var_name="__id__", value_name="__value__")
        long = long.rename(columns={time_col: "ds", "__id__": "unique_id", "__value__": "y"})
        long = long[["unique_id", "ds", "y"]]
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
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        raise DataError(_timezone_message(where, col, f"all in time zone {values.dtype.tz}"))
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    try:
        parsed = pd.to_datetime(values, errors="coerce")
    except ValueError as exc:  # pandas refuses offsets that differ from row to row
        if "timezone" in str(exc).lower() or "offset" in str(exc).lower():
            raise DataError(_timezone_message(where, col, "with offsets that differ between rows")) from None
        raise DataError(f"{where}: time column {col!r} cannot be read as dates: {exc}") from None
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        raise DataError(_timezone_message(where, col, f"all at offset {parsed.dtype.tz}"))
    if parsed.dtype == object:  # mixed offsets under older pandas: Timestamps of several zones
        raise DataError(_timezone_message(where, col, "with offsets that differ between rows"))
    bad = parsed.isna() & values.notna()
    if bad.any():
        raise DataError(
            f"{where}: time column {col!r} has a value that is not a date: {values[bad].iloc[0]!r} "
            f"(row {int(bad.to_numpy().argmax())}). Use ISO dates (YYYY-MM-DD) or integer steps."
        )
    return parsed.astype("datetime64[ns]")


def _timezone_message(where: str, col: str, detail: str) -> str:
    return (
        f"{where}: time column {col!r} has timezone-aware timestamps ({detail}); tsbench compares "
        "timestamps without a time zone. Convert them to one local time (e.g. the exchange's) and drop the "
        "offset, e.g. in pandas: pd.to_datetime(ds, utc=True).dt.tz_convert('America/New_York').dt.tz_localize(None)."
    )
