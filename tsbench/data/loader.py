"""Turn the experiment's ``data`` entries into one validated long panel."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tsbench.data.builtin import builtin_manifests, series_id
from tsbench.data.covariate_sources import TableCache
from tsbench.data.covariates import (attach_covariates, covariate_names, encode_categorical, experiment_covariates,
                                     own_columns as covariate_own_columns)
from tsbench.data.files import to_long
from tsbench.data.targets import to_target
from tsbench.data.variance import RANGE_PROXIES, load_ohlc, variance_panel
from tsbench.errors import DataError
from tsbench.panel import DS, ID, Y

__all__ = ["SeriesInfo", "load_panel", "load_panel_levels", "load_source", "fingerprint", "experiment_covariates"]


@dataclass
class SeriesInfo:
    """Where a series came from and what was done to it on the way in."""

    unique_id: str
    source: str
    target: str
    missing_policy: str
    missing: int
    length: int
    start: str
    end: str
    fingerprint: str
    #: Per covariate: kind, source, column, lag, transform and the leading rows its lag dropped.
    covariates: dict = field(default_factory=dict)


def load_panel(specs, base_dir: Path | None = None) -> tuple[pd.DataFrame, list[SeriesInfo]]:
    """Load every data entry, apply its target and ``last``, and validate the combined panel.

    The panel is ``unique_id, ds, y`` followed by one float column per
    covariate the entries declare (see :func:`load_panel_levels`).
    """
    panel, _, infos = load_panel_levels(specs, base_dir)
    return panel, infos


def load_panel_levels(
    specs, base_dir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[SeriesInfo]]:
    """Like :func:`load_panel`, and also the price levels the targets were derived from.

    The level panel (``unique_id, ds, y``) holds each series' observed values
    before the target transform, over the same dates as the target panel plus
    the observation before its first date (the base of the first return). It is
    what forecasts are converted through when scored on another scale.

    Covariates declared on the entries follow ``y`` in the target panel, one
    float column each, in declaration order, every value the one available
    at its row's time (:func:`tsbench.data.covariates.attach_covariates`);
    categorical ones hold integer codes. Where a publication lag drops a
    series' first rows, its level panel is trimmed alike.
    """
    base_dir = base_dir or Path.cwd()
    names = covariate_names(specs)
    categorical = experiment_covariates(specs).categorical
    tables = TableCache()
    frames, level_frames, infos = [], [], []
    kinds: dict[str, str] = {}
    for spec in specs:
        raw, policy = load_source(spec, base_dir, tables)
        _check_time_kind(raw, spec.source, kinds)
        raw = _handle_infinite(raw, getattr(spec, "infinite", "error"), spec.source)
        _check_not_empty(raw, spec.source)
        levels, missing = _handle_missing(raw, policy, spec.source)
        panel = _variance_target(levels, spec) if spec.target == "variance" else to_target(levels, spec.target)
        done: dict = {}
        if spec.covariates:
            panel, done = attach_covariates(panel, spec, base_dir, tables)
            panel = panel[[ID, DS, Y, *names]]
            levels = _align_levels(levels, panel)
        elif spec.last:
            panel = panel.groupby(ID, sort=False).tail(spec.last).reset_index(drop=True)
            levels = levels.groupby(ID, sort=False).tail(spec.last + 1).reset_index(drop=True)
        level_frames.append(levels[[ID, DS, Y]])
        infos += _series_infos(panel, spec, policy, missing, done)
        frames.append(panel)
    panel = pd.concat(frames, ignore_index=True)
    if categorical:
        panel = encode_categorical(panel, categorical)
    _check_unique_ids(infos)
    return panel, pd.concat(level_frames, ignore_index=True), infos


def _align_levels(levels: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Each series' levels from the observation before its first target date (the base of a first return)."""
    first = levels[ID].map(panel.groupby(ID, sort=False)[DS].min())
    before = levels[DS].where(levels[DS] < first)
    base = before.groupby(levels[ID], sort=False).transform("max").fillna(first)
    return levels[(levels[DS] >= base).to_numpy()].reset_index(drop=True)


def _variance_target(levels: pd.DataFrame, spec) -> pd.DataFrame:
    """Returns and the variance proxy of ``spec`` (see :mod:`tsbench.data.variance`)."""
    proxy = getattr(spec, "proxy", None) or "squared_return"
    ohlc = load_ohlc(spec.source, levels[ID].unique()) if proxy in RANGE_PROXIES else None
    return variance_panel(levels, proxy, ohlc, spec.source)


def load_source(spec, base_dir: Path, tables: TableCache | None = None) -> tuple[pd.DataFrame, str]:
    """Read one source into ``unique_id, ds, y`` with raw values; returns it and its missing-value policy.

    Columns of a wide file that the entry's covariates read are not series
    (unless ``columns: {value: ...}`` lists them).
    """
    tables = tables or TableCache()
    kind, _, ref = spec.source.partition(":")
    columns = spec.columns.model_dump() if spec.columns is not None else None
    if kind == "builtin":
        wide = tables.builtin(ref)
        manifest = builtin_manifests()[ref]
        wanted = (columns or {}).get("value") or manifest.columns
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        unknown = [c for c in wanted if c not in wide.columns]
        if unknown:
            raise DataError(
                f"source {spec.source!r}: no column(s) {unknown}; available: {list(wide.columns)}."
            )
        long = wide[wanted].reset_index().melt(id_vars=DS, var_name="column", value_name=Y)
        long[ID] = long.pop("column").map(lambda c: series_id(ref, c, len(wanted)))
        panel = long[[ID, DS, Y]]
        policy = spec.missing or manifest.missing
    else:
        path = Path(ref) if Path(ref).is_absolute() else base_dir / ref
        panel = to_long(_series_columns(tables.file(kind, path), spec, columns), columns, f"source {spec.source!r}")
        policy = spec.missing or "drop"
    panel = _numeric(panel, spec.source)
    _check_order(panel, spec.source)
    return panel, policy


def _series_columns(frame: pd.DataFrame, spec, columns: dict | None) -> pd.DataFrame:
    """A wide file without ``columns.value``: every column but the time and the covariates' is a series."""
    chosen = {k: v for k, v in (columns or {}).items() if v is not None}
    own = [c for c in covariate_own_columns(spec) if c in frame.columns]
    long = bool(chosen.get("id")) or (not chosen and {"unique_id", "ds", "y"} <= set(frame.columns))
    if not own or long or chosen.get("value"):
        return frame
    time = chosen.get("time") or frame.columns[0]
    return frame.drop(columns=[c for c in own if c != time])


def _numeric(panel: pd.DataFrame, source: str) -> pd.DataFrame:
    if pd.api.types.is_numeric_dtype(panel[Y]):
        return panel.assign(**{Y: panel[Y].astype("float64")})
    converted = pd.to_numeric(panel[Y], errors="coerce")
    bad = converted.isna() & panel[Y].notna()
    if bad.any():
        row = panel[bad].iloc[0]
        raise DataError(
            f"source {source!r}: series '{row[ID]}' has a non-numeric value {row[Y]!r} at {row[DS]}; "
            "values must be numbers (empty cells count as missing)."
        )
    return panel.assign(**{Y: converted.astype("float64")})


def _check_order(panel: pd.DataFrame, source: str) -> None:
    """Each series strictly increasing in time; the first that is not gets the per-series checks below."""
    codes, _ = pd.factorize(panel[ID], sort=False)
    order = np.argsort(codes, kind="stable")
    c, ds = codes[order], panel[DS].to_numpy()[order]
    try:
        bad = (c[1:] == c[:-1]) & ~(ds[1:] > ds[:-1])
    except TypeError:  # time values that do not compare as an array: check series by series
        bad = np.ones(max(len(c) - 1, 0), dtype=bool)
    if not bad.any():
        return
    first = c[1:][bad].min()
    _check_order_by_series(panel[codes == first], source)


def _check_order_by_series(panel: pd.DataFrame, source: str) -> None:
    for uid, g in panel.groupby(ID, sort=False):
        ds = g[DS]
        dup = ds.duplicated()
        if dup.any():
            raise DataError(
                f"source {source!r}: series '{uid}' has duplicate timestamp {ds[dup].iloc[0]} "
                "(each time must appear once per series); remove or aggregate the duplicates."
            )
        values = ds.to_numpy()
        down = np.flatnonzero(values[1:] < values[:-1])
        if len(down):
            i = down[0]
            raise DataError(
                f"source {source!r}: series '{uid}' is not sorted by time: {values[i + 1]} comes "
                f"after {values[i]}; sort the file by its time column."
            )


def _check_time_kind(panel: pd.DataFrame, source: str, kinds: dict[str, str]) -> None:
    """Every source must index time the same way: integer steps, or dates."""
    kind = "integer steps" if pd.api.types.is_integer_dtype(panel[DS]) else "dates"
    other = next(((s, k) for s, k in kinds.items() if k != kind), None)
    if other is not None:
        raise DataError(
            f"source {source!r} has {kind} in its time column but {other[0]!r} has {other[1]}; all data "
            "sources of one experiment must use the same kind of time index (all dates or all integer steps)."
        )
    kinds[source] = kind


def _handle_infinite(panel: pd.DataFrame, policy: str, source: str) -> pd.DataFrame:
    """``inf``/``-inf`` are refused (``infinite: error``) or become missing values (``infinite: missing``)."""
    values = panel[Y].to_numpy()
    bad = np.isinf(values)
    if not bad.any():
        return panel
    if policy == "missing":
        return panel.assign(**{Y: np.where(bad, np.nan, values)})
    row = panel[bad].iloc[0]
    raise DataError(
        f"source {source!r}: series '{row[ID]}' has {int(bad.sum())} infinite value(s), the first "
        f"({row[Y]}) at {row[DS]}; fix the data, or set 'infinite: missing' on this data entry to treat "
        "them as missing values (handled by its 'missing' policy)."
    )


def _check_not_empty(panel: pd.DataFrame, source: str) -> None:
    """A series with no value at all (e.g. an empty column of a wide file) is an error, not a silent drop."""
    has_value = panel[Y].notna().groupby(panel[ID], sort=False).any()
    empty = [str(uid) for uid, ok in has_value.items() if not ok]
    if empty:
        raise DataError(
            f"source {source!r}: series {empty[:5]}{' ...' if len(empty) > 5 else ''} ha"
            f"{'s' if len(empty) == 1 else 've'} no values at all (every cell is empty); remove "
            f"{'it' if len(empty) == 1 else 'them'} from the file or list the series to use under "
            "'columns: {value: [...]}'."
        )


def _handle_missing(panel: pd.DataFrame, policy: str, source: str) -> tuple[pd.DataFrame, dict]:
    isna = panel[Y].isna()
    counts = isna.groupby(panel[ID]).sum().to_dict()
    if not isna.any():
        return panel, counts
    if policy == "error":
        row = panel[isna].iloc[0]
        raise DataError(
            f"source {source!r}: series '{row[ID]}' has {int(counts[row[ID]])} missing value(s), "
            f"the first at {row[DS]}; set 'missing: drop' or 'missing: ffill' to handle them."
        )
    if policy == "ffill":
        filled = panel.assign(**{Y: panel.groupby(ID, sort=False)[Y].ffill()})
        return filled[filled[Y].notna()].reset_index(drop=True), counts
    return panel[~isna].reset_index(drop=True), counts


def _check_unique_ids(infos: list[SeriesInfo]) -> None:
    seen: dict[str, str] = {}
    for info in infos:
        if info.unique_id in seen:
            raise DataError(
                f"series '{info.unique_id}' comes from both {seen[info.unique_id]!r} and "
                f"{info.source!r}; series names must be unique across data entries."
            )
        seen[info.unique_id] = info.source


def _series_infos(panel: pd.DataFrame, spec, policy: str, missing: dict, covariates: dict) -> list[SeriesInfo]:
    """What the manifest records of each series of one source, read from arrays (no frame per series)."""
    codes, uniques = pd.factorize(panel[ID], sort=False)
    order = np.argsort(codes, kind="stable")
    ds, y = panel[DS].to_numpy()[order], panel[Y].to_numpy(dtype="float64")[order]
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))]
    infos = []
    for k, uid in enumerate(uniques):
        s, e = bounds[k], bounds[k + 1]
        first, last = (str(pd.Timestamp(v)) if isinstance(v, np.datetime64) else str(v) for v in (ds[s], ds[e - 1]))
        infos.append(SeriesInfo(str(uid), spec.source, spec.target, policy, int(missing.get(uid, 0)), int(e - s),
                                first, last, _fingerprint(ds[s:e], y[s:e]), covariates.get(str(uid), {})))
    return infos


def fingerprint(series: pd.DataFrame) -> str:
    """Short SHA-256 of a series' timestamps and values, recorded in the manifest."""
    return _fingerprint(series[DS].to_numpy(), series[Y].to_numpy(dtype="float64"))


def _fingerprint(ds: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(ds).view(np.uint8) if ds.dtype != object else str(list(ds)).encode())
    h.update(np.ascontiguousarray(y).view(np.uint8))
    return h.hexdigest()[:16]
