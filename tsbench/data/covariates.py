"""The covariates of the experiment's data entries: their declaration, and their columns on the target panel.

:func:`experiment_covariates` turns the ``covariates`` of the data entries into
the :class:`~tsbench.covariates.Covariates` forecasters are given.
:func:`attach_covariates` joins one entry's covariates onto its target panel,
point in time (see :mod:`tsbench.data.covariate_join`), and
:func:`encode_categorical` turns categorical columns of the combined panel into
integer codes. :func:`tsbench.data.loader.load_panel_levels` calls all three.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tsbench.covariates import KINDS, Covariates
from tsbench.data.covariate_join import calendar_values, known_values, past_values, static_values
from tsbench.data.covariate_sources import (TableCache, covariate_table, describe, is_own_source, observations,
                                            static_observations)
from tsbench.errors import ConfigError, DataError
from tsbench.panel import DS, ID

__all__ = ["experiment_covariates", "covariate_names", "attach_covariates", "encode_categorical", "own_columns"]


def covariate_names(data_specs) -> list[str]:
    """The covariate column names, in the order the first data entry declares them (checked as in
    :func:`experiment_covariates`)."""
    experiment_covariates(data_specs)
    return [c.name for c in data_specs[0].covariates] if data_specs else []


def experiment_covariates(data_specs) -> Covariates:
    """The covariates the data entries declare, by kind, in declaration order.

    Raises
    ------
    ConfigError
        A covariate is not declared on every entry, or entries declare the
        same name with different kinds or categorical flags.
    """
    specs = list(data_specs)
    if not specs:
        return Covariates()
    first = {c.name: c for c in specs[0].covariates}
    for spec in specs[1:]:
        here = {c.name: c for c in spec.covariates}
        if set(here) != set(first):
            odd = sorted(set(here) ^ set(first))
            raise ConfigError(f"data entries {specs[0].source!r} and {spec.source!r} declare different covariates "
                              f"({odd} on only one of them); every series needs every covariate: declare the "
                              "same names on each entry of 'data'.")
        for name, cov in here.items():
            ref = first[name]
            for key in ("kind", "categorical"):
                if getattr(cov, key) != getattr(ref, key):
                    raise ConfigError(
                        f"covariate {name!r}: expected the same '{key}' on every data entry, got "
                        f"{getattr(ref, key)!r} on {specs[0].source!r} and {getattr(cov, key)!r} on "
                        f"{spec.source!r}; a column has one {key} for all series: declare it alike everywhere.")
    by_kind = {kind: tuple(c.name for c in specs[0].covariates if c.kind == kind) for kind in KINDS}
    categorical = tuple(c.name for c in specs[0].covariates if c.categorical)
    return Covariates(**by_kind, categorical=categorical)


def own_columns(spec) -> list[str]:
    """The columns of the entry's own source that its covariates read (not series of a wide file)."""
    return [c.source_column() for c in spec.covariates
            if c.value is None and c.source != "calendar" and is_own_source(c, spec)]


def _kept_rows(panel: pd.DataFrame, spec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows that stay: after the first ``lag`` rows of each series (largest lag) and within ``last``."""
    groups = panel.groupby(ID, sort=False)
    pos = groups.cumcount().to_numpy()
    size = groups[ID].transform("size").to_numpy()
    lag = max((c.lag for c in spec.covariates if c.kind == "past"), default=0)
    keep = pos >= lag
    if spec.last:
        keep &= pos >= size - spec.last
    empty = pd.unique(panel[ID].to_numpy()[size <= lag])
    if len(empty):
        cov = max(spec.covariates, key=lambda c: c.lag)
        raise DataError(f"{describe(cov, spec)}: its lag of {lag} row(s) drops the first {lag} rows of each series, "
                        f"but series '{empty[0]}' has only {int(size[panel[ID].to_numpy() == empty[0]][0])}; "
                        "give the series more data or the covariate a shorter lag.")
    return keep, pos, size


def _values(panel: pd.DataFrame, cov, spec, keep: np.ndarray, base_dir: Path, tables: TableCache,
            time_kind: str) -> np.ndarray:
    where = describe(cov, spec)
    if cov.value is not None:
        if isinstance(cov.value, str) and not cov.categorical:
            raise DataError(f"{where}: expected a number, got the non-numeric value {cov.value!r}; declare "
                            "'categorical: true' to use it as a category (an integer code), or give a number.")
        return np.full(len(panel), cov.value, dtype=object)
    if cov.source == "calendar":
        return calendar_values(panel, cov.source_column(), where)
    table = covariate_table(cov, spec, base_dir, tables)
    if cov.kind == "static":
        return static_values(panel, static_observations(table, cov, spec, spec.missing), where, table.id)
    obs = observations(table, cov, spec, spec.missing, time_kind)
    if obs.empty:
        raise DataError(f"{where}: expected observations, got none (every value is missing); fill the "
                        "covariate's data or drop the covariate.")
    if cov.kind == "past":
        return past_values(panel, obs, keep, cov.lag, where, table.id)
    return known_values(panel, obs, keep, where, table.id)


def attach_covariates(panel: pd.DataFrame, spec, base_dir: Path | None = None,
                      tables: TableCache | None = None) -> tuple[pd.DataFrame, dict[str, dict[str, dict]]]:
    """Join the covariates of data entry ``spec`` onto its whole target panel, and apply its ``last``.

    ``panel`` is the entry's target panel (``unique_id, ds, y``) before
    ``last``. Returns the kept rows with one column per covariate, in
    declaration order (numbers as floats; categorical ones still hold their
    raw values, see :func:`encode_categorical`), and per series, per
    covariate, what was done (kind, source, column, lag, transform and the
    leading rows its lag dropped).

    A past covariate with ``lag`` k drops the first k rows of each series
    (their value would come from before the series starts); with ``last``,
    rows are only dropped where the series has no k earlier rows.
    """
    base_dir, tables = base_dir or Path.cwd(), tables or TableCache()
    time_kind = "integer steps" if pd.api.types.is_integer_dtype(panel[DS]) else "dates"
    keep, pos, size = _kept_rows(panel, spec)
    out = panel.reset_index(drop=True).copy()
    for cov in spec.covariates:
        values = _values(out, cov, spec, keep, base_dir, tables, time_kind)
        out[cov.name] = values if cov.categorical else np.asarray(values, dtype="float64")
    out = out[keep].reset_index(drop=True)
    last = spec.last
    report: dict[str, dict[str, dict]] = {}
    first_rows = np.flatnonzero(pos == 0)
    for i in first_rows:
        n = int(size[i])
        keep_n = min(n, last or n)
        report[str(panel[ID].iloc[i])] = {cov.name: _record(cov, spec, keep_n - min(n - cov.lag, last or n))
                                          for cov in spec.covariates}
    return out, report


def _record(cov, spec, dropped: int) -> dict:
    source = "value" if cov.value is not None else (cov.source or spec.source)
    record = {"kind": cov.kind, "source": source, "column": None if cov.value is not None else cov.source_column(),
              "lag": cov.lag, "transform": cov.transform, "rows_dropped": int(max(dropped, 0))}
    if cov.categorical:
        record["categorical"] = True
    return record


def encode_categorical(panel: pd.DataFrame, names) -> pd.DataFrame:
    """Categorical columns as integer codes (floats), numbered in order of first appearance in time.

    A category first seen at time ``t`` gets the next code after those seen
    before ``t`` (ties in the order of the panel's rows), so codes never depend
    on later data.
    """
    out = panel.copy()
    for name in names:
        values = out[name]
        first = pd.DataFrame({"v": values.to_numpy(), "t": out[DS].to_numpy()}).groupby("v", sort=False)["t"].min()
        order = first.sort_values(kind="stable").index
        out[name] = pd.Categorical(values, categories=order).codes.astype("float64")
    return out
