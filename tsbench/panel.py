"""The long panel and forecast-frame data model shared by every part of tsbench."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from tsbench.errors import DataError

__all__ = [
    "ID",
    "DS",
    "Y",
    "FORECAST_COLUMNS",
    "quantile_column",
    "quantile_columns",
    "parse_quantile_column",
    "quantile_columns_of",
    "quantile_levels_of",
    "check_panel",
    "iter_series",
    "series_blocks",
    "series_bounds",
]

ID, DS, Y = "unique_id", "ds", "y"
#: Columns of every forecast frame, in order; ``q_<level>`` columns may follow.
FORECAST_COLUMNS = ["unique_id", "cutoff", "ds", "h", "model", "y_pred"]


def quantile_column(level: float) -> str:
    """Name of the forecast column holding quantile ``level`` (e.g. ``q_0.1``)."""
    return f"q_{float(level):g}"


def quantile_columns(levels: Sequence[float]) -> list[str]:
    """Names of the quantile columns for ``levels``, in the given order."""
    return [quantile_column(q) for q in levels]


def parse_quantile_column(name: object) -> float | None:
    """The level of a quantile column name (``q_0.1`` -> 0.1), or None for any other column."""
    if not isinstance(name, str) or not name.startswith("q_"):
        return None
    try:
        return float(name[2:])
    except ValueError:
        return None


def quantile_columns_of(frame: pd.DataFrame) -> list[str]:
    """The quantile columns of ``frame``, in the frame's order."""
    return [c for c in frame.columns if parse_quantile_column(c) is not None]


def quantile_levels_of(frame: pd.DataFrame) -> dict[float, str]:
    """Level -> column of the quantile columns of ``frame``, in increasing level."""
    return dict(sorted((parse_quantile_column(c), c) for c in quantile_columns_of(frame)))


def check_panel(panel: pd.DataFrame, what: str = "panel") -> pd.DataFrame:
    """Validate a long panel and return it sorted by ``unique_id`` and ``ds``.

    Parameters
    ----------
    panel
        Frame with columns ``unique_id``, ``ds`` and ``y``.
    what
        How the panel is called in error messages (e.g. ``"training data"``).

    Raises
    ------
    DataError
        If a column is missing, ``y`` is not numeric, or a series has
        duplicate timestamps.
    """
    if not isinstance(panel, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame, got {type(panel).__name__}.")
    missing = [c for c in (ID, DS, Y) if c not in panel.columns]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {missing}; a panel needs columns "
            f"'unique_id', 'ds' and 'y' (got {list(panel.columns)})."
        )
    if not pd.api.types.is_numeric_dtype(panel[Y]):
        raise DataError(f"{what}: column 'y' must be numeric, got dtype {panel[Y].dtype}.")
    if panel.empty:
        raise DataError(f"{what}: the panel has no rows.")
    if _is_sorted(panel):
        return panel  # strictly increasing ds within each series: no duplicates possible
    panel = panel.sort_values([ID, DS], kind="stable").reset_index(drop=True)
    dup = panel.duplicated([ID, DS])
    if dup.any():
        row = panel.loc[dup.idxmax()]
        raise DataError(
            f"{what}: series '{row[ID]}' has duplicate timestamp {row[DS]!r}; "
            "each (unique_id, ds) pair must appear once."
        )
    return panel


def _is_sorted(panel: pd.DataFrame) -> bool:
    ids = panel[ID].to_numpy()
    ds = panel[DS].to_numpy()
    if len(ids) < 2:
        return True
    same = ids[1:] == ids[:-1]
    try:
        ids_ok = bool(np.all(ids[1:][~same] > ids[:-1][~same]))
    except TypeError:
        return False
    return ids_ok and bool(np.all(ds[1:][same] > ds[:-1][same]))


def series_bounds(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ids, starts, ends)`` of a sorted panel: series ``i`` is rows ``starts[i]:ends[i]``.

    ``ids`` is the ``unique_id`` column as an array, so ``ids[starts[i]]`` names series ``i``.
    """
    column = panel[ID]
    found = _arrow_blocks(column)
    if found is not None:
        names, starts, ends = found
        return np.repeat(names, ends - starts), starts, ends
    ids = column.to_numpy()
    if len(ids) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ids, empty, empty
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    return ids, starts, ends


def series_blocks(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(names, starts, ends)`` of a sorted panel: series ``names[i]`` is rows ``starts[i]:ends[i]``."""
    found = _arrow_blocks(panel[ID])
    if found is not None:
        return found
    ids, starts, ends = series_bounds(panel)
    return ids[starts], starts, ends


def _arrow_blocks(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Blocks of ids stored by arrow (pandas' strings): compared there, each id made a Python string once."""
    if not (len(column) and isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = pa.array(column)
    if strings.null_count:
        return None
    change = np.asarray(pc.not_equal(strings[1:], strings[:-1]), dtype=bool)
    starts = np.flatnonzero(np.r_[True, change])
    ends = np.r_[starts[1:], len(strings)]
    return np.asarray(strings.take(pa.array(starts)).to_pylist(), dtype=object), starts, ends


def iter_series(panel: pd.DataFrame) -> Iterator[tuple[object, pd.DataFrame]]:
    """Yield ``(unique_id, frame)`` for each series of a sorted panel, without copying."""
    ids, starts, ends = series_bounds(panel)
    for s, e in zip(starts, ends):
        yield ids[s], panel.iloc[s:e]
