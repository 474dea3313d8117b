"""Where a covariate's values come from: its table, its time and id columns, its cleaned observations.

A covariate of a data entry is read from a built-in dataset (a column of its
wide table), a CSV/Parquet file (long, with an id column, or a table joined on
time alone) or, when it names no ``source``, the entry's own source. Its
observations are returned as a frame ``[unique_id,] ds, value``, sorted, one
row per time (and id), cleaned by the entry's ``missing`` and ``infinite``
policies and transformed per series on its own observations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tsbench.data.builtin import builtin_manifests, load_builtin_wide
from tsbench.data.calendar import format_time
from tsbench.data.files import read_table, to_long
from tsbench.errors import ConfigError, DataError
from tsbench.panel import DS, ID

__all__ = ["VALUE", "TableCache", "CovariateTable", "covariate_table", "observations", "static_observations",
           "describe", "is_own_source"]

#: Column of an observation frame holding the covariate's values.
VALUE = "value"


class TableCache:
    """Tables read once per load: a built-in's wide frame, a file's raw table."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, str], pd.DataFrame] = {}

    def builtin(self, name: str) -> pd.DataFrame:
        """The wide frame of a built-in dataset (indexed by ``ds``)."""
        key = ("builtin", name)
        if key not in self._tables:
            self._tables[key] = load_builtin_wide(name)
        return self._tables[key]

    def file(self, kind: str, path: Path) -> pd.DataFrame:
        """The raw table of a CSV or Parquet file."""
        key = (kind, str(path))
        if key not in self._tables:
            self._tables[key] = read_table(kind, path)
        return self._tables[key]


@dataclass(frozen=True)
class CovariateTable:
    """A covariate's table and the names of its time and id columns (``id`` None: joined on time alone)."""

    frame: pd.DataFrame
    time: str
    id: str | None
    source: str
    #: Missing-value policy the source's own manifest gives (built-ins), used when the entry sets none.
    default_missing: str = "drop"


def is_own_source(cov, spec) -> bool:
    """True when the covariate is read from the data entry's own source."""
    return cov.source is None or cov.source == spec.source


def describe(cov, spec) -> str:
    """How errors name a covariate: its data entry, its name, and where it is read from."""
    if cov.value is not None:
        return f"data entry {spec.source!r}, covariate {cov.name!r} (value {cov.value!r})"
    source = "calendar" if cov.source == "calendar" else (cov.source or spec.source)
    return f"data entry {spec.source!r}, covariate {cov.name!r} (column {cov.source_column()!r} of {source!r})"


def covariate_table(cov, spec, base_dir: Path, tables: TableCache) -> CovariateTable:
    """The table a covariate is read from, with its time and id columns resolved."""
    own = is_own_source(cov, spec)
    source = spec.source if own else cov.source
    kind, _, ref = source.partition(":")
    where = describe(cov, spec)
    if kind == "builtin":
        if cov.id_column or cov.time_column:
            raise ConfigError(f"{where}: built-in datasets are wide tables indexed by date, one column per series; "
                              "they have no id or time column to name: drop 'id_column'/'time_column'.")
        wide = tables.builtin(ref)
        return CovariateTable(wide.reset_index(), DS, None, source, builtin_manifests()[ref].missing)
    path = Path(ref) if Path(ref).is_absolute() else base_dir / ref
    frame = tables.file(kind, path)
    if not own:
        return CovariateTable(frame, cov.time_column or DS, cov.id_column, source)
    columns = spec.columns.model_dump() if spec.columns is not None else {}
    columns = {k: v for k, v in columns.items() if v is not None}
    if not columns and {"unique_id", "ds", "y"} <= set(frame.columns):
        columns = {"id": "unique_id", "time": "ds"}
    time = cov.time_column or columns.get("time") or str(frame.columns[0])
    return CovariateTable(frame, time, cov.id_column or columns.get("id"), source)


def _require(table: CovariateTable, cov, spec, column: str, role: str) -> None:
    if column in table.frame.columns:
        return
    builtin = table.source.startswith("builtin:")  # its time is the index, not a column to choose
    available = [str(c) for c in table.frame.columns if not (builtin and c == table.time)]
    hint = {"value": "set 'column' to one of them",
            "time": "set 'time_column' to the covariate's time column",
            "id": "set 'id_column' to the column holding the series names (or drop it to join on time alone)"}[role]
    raise DataError(f"{describe(cov, spec)}: expected a {role} column {column!r} in {table.source!r}, got none; "
                    f"available columns: {available}; {hint}.")


def observations(table: CovariateTable, cov, spec, policy: str | None, time_kind: str) -> pd.DataFrame:
    """The covariate's observations ``[unique_id,] ds, value``: checked, cleaned and transformed.

    ``policy`` is the entry's ``missing`` policy (None: the source's default);
    ``time_kind`` is ``"dates"`` or ``"integer steps"``, the target's time index.
    """
    column, where = cov.source_column(), describe(cov, spec)
    for name, role in ((column, "value"), (table.time, "time"), (table.id, "id")):
        if name is not None:
            _require(table, cov, spec, name, role)
    if table.id is not None:
        frame = to_long(table.frame, {"id": table.id, "time": table.time, "value": column}, where)
    else:
        frame = to_long(table.frame, {"time": table.time, "value": [column]}, where).drop(columns=ID)
    frame = frame.rename(columns={"y": VALUE})
    if frame[DS].isna().any():
        raise DataError(f"{where}: expected a time in every row of column {table.time!r}, got "
                        f"{int(frame[DS].isna().sum())} empty cell(s); fill them or remove those rows.")
    kind = "integer steps" if pd.api.types.is_integer_dtype(frame[DS]) else "dates"
    if kind != time_kind:
        raise DataError(f"{where}: its time column {table.time!r} holds {kind}, but the series of this entry are "
                        f"indexed by {time_kind}; give the covariate the same kind of time index as its target.")
    keys = [ID, DS] if table.id is not None else [DS]
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    dup = frame.duplicated(keys)
    if dup.any():
        row = frame[dup].iloc[0]
        who = f" for id {row[ID]!r}" if table.id is not None else ""
        fix = ("remove or aggregate the duplicates" if table.id is not None else
               "if the file holds several series, name their id column in 'id_column'; otherwise remove the duplicates")
        raise DataError(f"{where}: expected one value per time{who}, got several at {format_time(row[DS])}; {fix}.")
    frame = _clean(frame, cov, spec, policy or table.default_missing, keys[:-1])
    return _transform(frame, cov, where, keys[:-1])


def static_observations(table: CovariateTable, cov, spec, policy: str | None) -> pd.DataFrame:
    """A static covariate's values ``[unique_id,] value`` (no time), cleaned, one row per id with a value."""
    column = cov.source_column()
    _require(table, cov, spec, column, "value")
    if table.id is not None:
        _require(table, cov, spec, table.id, "id")
        frame = pd.DataFrame({ID: table.frame[table.id].astype(str).to_numpy(), VALUE: table.frame[column].to_numpy()})
    else:
        frame = pd.DataFrame({VALUE: table.frame[column].to_numpy()})
    policy = policy or table.default_missing
    # rows of a static table have no order in time: an empty cell is dropped, never filled from another row
    return _clean(frame, cov, spec, "drop" if policy == "ffill" else policy, [ID] if table.id is not None else [])


def _clean(frame: pd.DataFrame, cov, spec, policy: str, by: list[str]) -> pd.DataFrame:
    """Numbers (or categories), infinities and missing values handled by the entry's policies."""
    where = describe(cov, spec)
    values = frame[VALUE]
    if not cov.categorical:
        values = _numeric(frame, where)
        bad = np.isinf(values.to_numpy())
        if bad.any():
            at = _at(frame[bad].iloc[0])
            if getattr(spec, "infinite", "error") != "missing":
                raise DataError(f"{where}: expected finite values, got {int(bad.sum())} infinite one(s), the first "
                                f"{at}; fix the data, or set 'infinite: missing' on this data entry to treat them "
                                "as missing values.")
            values = values.mask(bad)
    frame = frame.assign(**{VALUE: values})
    isna = frame[VALUE].isna()
    if not isna.any():
        return frame
    if policy == "error":
        raise DataError(f"{where}: expected no missing values (this entry's missing policy is 'error'), got "
                        f"{int(isna.sum())}, the first {_at(frame[isna].iloc[0])}; set 'missing: drop' or "
                        "'missing: ffill' on the data entry, or fill the covariate's data.")
    if policy == "ffill":
        filled = frame.groupby(by, sort=False)[VALUE].ffill() if by else frame[VALUE].ffill()
        frame = frame.assign(**{VALUE: filled})
    return frame[frame[VALUE].notna()].reset_index(drop=True)


def _numeric(frame: pd.DataFrame, where: str) -> pd.Series:
    values = frame[VALUE]
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna()
    if bad.any():
        row = frame[bad].iloc[0]
        raise DataError(f"{where}: expected numbers, got the non-numeric value {row[VALUE]!r} {_at(row)}; declare "
                        "'categorical: true' on the covariate to use its values as categories (integer codes), "
                        "or fix the data.")
    return converted.astype("float64")


def _at(row: pd.Series) -> str:
    parts = [f"id {row[ID]!r}" if ID in row.index else "", f"at {format_time(row[DS])}" if DS in row.index else ""]
    return " ".join(p for p in parts if p) or "in the file"


def _transform(frame: pd.DataFrame, cov, where: str, by: list[str]) -> pd.DataFrame:
    """``transform`` on each covariate series' own observations; its first observation has no change and goes."""
    if cov.transform == "level" or cov.categorical:
        return frame
    values = frame[VALUE]
    if cov.transform == "log_return":
        bad = values <= 0
        if bad.any():
            raise DataError(f"{where}: transform 'log_return' needs positive values, got "
                            f"{frame.loc[bad, VALUE].iloc[0]} {_at(frame[bad].iloc[0])}; use 'difference' or "
                            "'return' for values that reach zero or below.")
        values = np.log(values)
    prev = values.groupby([frame[c] for c in by], sort=False).shift(1) if by else values.shift(1)
    change = values / prev - 1.0 if cov.transform == "return" else values - prev
    out = frame.assign(**{VALUE: change})[prev.notna().to_numpy()].reset_index(drop=True)
    bad = ~np.isfinite(out[VALUE].to_numpy())
    if bad.any():
        raise DataError(f"{where}: transform {cov.transform!r} gives a non-finite value {_at(out[bad].iloc[0])} "
                        "(a change from a zero value); use 'difference' for values that reach zero.")
    return out
