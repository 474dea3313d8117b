"""Score a forecasts file group of series by group, so memory follows the group, not the run.

Every metric is computed per series and model (scaled errors read that series'
own training data; trading metrics its own prices), so scoring a few series at
a time and stacking the results gives the same tables as scoring everything at
once. The file is read with pyarrow: the statistics of ``unique_id`` skip the
row groups of other series (the file is written sorted by model and series),
and only the group's rows become a pandas frame. Its ``unique_id`` and
``model`` columns are read as categoricals (parquet stores them as
dictionaries), so grouping by them reuses integer codes instead of hashing
millions of strings in every metric; the tables are returned with plain
string columns, as scoring a frame gives them.

pyarrow rather than DuckDB: it is already how tsbench reads and writes parquet,
so nothing is added to install, and the metrics keep their one implementation
(plain functions over a long frame) instead of a second one in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tsbench.metrics.plan import MetricPlan
from tsbench.metrics.scoring import METRIC_COLUMNS, PERIOD_COLUMNS, empty_metrics, metrics_by_period, score
from tsbench.panel import ID, series_bounds

__all__ = ["GROUP_ROWS", "series_groups", "score_file"]

#: Forecast rows read into memory at once while scoring.
GROUP_ROWS = 2_000_000


def series_groups(path: Path, max_rows: int = GROUP_ROWS) -> list[list]:
    """The series of the forecasts file in sorted groups of about ``max_rows`` forecast rows each."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    ids = pq.read_table(path, columns=[ID], read_dictionary=_string_columns(pq.read_schema(path))).column(ID)
    counts: dict = {}
    for chunk in ids.chunks:  # a dictionary per row group: count its codes, not its strings
        if pa.types.is_dictionary(chunk.type):
            n = np.bincount(np.asarray(chunk.indices), minlength=len(chunk.dictionary))
            for uid, k in zip(chunk.dictionary.to_pylist(), n.tolist()):
                if k:
                    counts[uid] = counts.get(uid, 0) + k
        else:
            for c in pc.value_counts(chunk).to_pylist():
                counts[c["values"]] = counts.get(c["values"], 0) + int(c["counts"])
    sizes = dict(sorted(counts.items()))  # the file's own order of ids
    groups, current, rows = [], [], 0
    for uid, n in sizes.items():
        if current and rows + n > max_rows:
            groups.append(current)
            current, rows = [], 0
        current.append(uid)
        rows += n
    return groups + ([current] if current else [])


def score_file(
    path: Path,
    panel: pd.DataFrame,
    levels: pd.DataFrame | None,
    targets: Mapping[str, str],
    metric_plans: Sequence[MetricPlan],
    periods: Mapping[str, Sequence[dt.date]] | None = None,
    max_rows: int = GROUP_ROWS,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Metrics and by-period metrics of the forecasts in ``path``, reading a group of series at a time.

    Returns what :func:`tsbench.metrics.scoring.score` and
    :func:`tsbench.metrics.scoring.metrics_by_period` return on the whole
    file (the by-period frame is None when the file has no forecasts).
    """
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path, read_dictionary=_string_columns(pq.read_schema(path)))
    panel_rows, level_rows = _rows_of(panel), (None if levels is None else _rows_of(levels))
    metrics, by_period = [], []
    for group in series_groups(path, max_rows):
        forecasts = _read_span(file, group[0], group[-1])
        part = panel.iloc[_take(panel_rows, group)]
        part_levels = None if levels is None else levels.iloc[_take(level_rows, group)]
        metrics.append(_plain(score(forecasts, part, part_levels, targets, metric_plans)))
        by_period.append(_plain(metrics_by_period(forecasts, part, part_levels, targets, metric_plans, periods)))
    if not metrics:
        return empty_metrics(), None
    scored = pd.concat(metrics, ignore_index=True)[METRIC_COLUMNS]
    scored = scored.sort_values(["metric", "model", ID, "h"], ignore_index=True)
    periodic = pd.concat(by_period, ignore_index=True)[PERIOD_COLUMNS]
    order = {label: k for k, label in enumerate(dict.fromkeys(_period_order(periodic["period"], periods)))}
    periodic = periodic.sort_values(["period", "metric", "model", ID], key=lambda c: c.map(order) if c.name == "period" else c,
                                    kind="stable", ignore_index=True)
    return scored, periodic


def _string_columns(schema) -> list[str]:
    """The key columns stored as strings: read as dictionaries, they become categoricals."""
    import pyarrow as pa

    return [c for c in (ID, "model") if c in schema.names
            and (pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type))]


def _read_span(file, first, last) -> pd.DataFrame:
    """The rows of series ``first`` to ``last`` (in sorted order), reading only the row groups that hold them.

    The groups of :func:`series_groups` are consecutive in sorted order, so the
    minimum and maximum ``unique_id`` of each row group say whether to read it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    column = file.schema_arrow.names.index(ID)
    wanted = []
    for k in range(file.metadata.num_row_groups):
        stats = file.metadata.row_group(k).column(column).statistics
        if stats is None or not stats.has_min_max or (stats.max >= first and stats.min <= last):
            wanted.append(k)
    table = file.read_row_groups(wanted)
    keys = table.column(ID)
    if pa.types.is_dictionary(keys.type):  # compare the few dictionary values, not every row
        inside = [np.asarray(pc.and_(pc.greater_equal(c.dictionary, first), pc.less_equal(c.dictionary, last)),
                             dtype=bool)[np.asarray(c.indices)] for c in keys.chunks]
        mask = np.concatenate(inside) if inside else np.zeros(0, dtype=bool)
    else:
        mask = np.asarray(pc.and_(pc.greater_equal(keys, first), pc.less_equal(keys, last)), dtype=bool)
    if not mask.all():  # the group's rows are a few runs (one per model): slices, not a copy by a mask
        edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
        runs = zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))
        table = pa.concat_tables([table.slice(s, e - s) for s, e in runs]) if mask.any() else table.slice(0, 0)
    frame = table.to_pandas(split_blocks=True)
    for c in (ID, "model"):
        if c in frame.columns and isinstance(frame[c].dtype, pd.CategoricalDtype):  # sorted: groups come out sorted
            frame[c] = frame[c].cat.reorder_categories(frame[c].cat.categories.sort_values())
    return frame


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Categorical key columns back to the dtype of their categories."""
    for c in (ID, "model"):
        if c in table.columns and isinstance(table[c].dtype, pd.CategoricalDtype):
            table[c] = table[c].astype(table[c].cat.categories.dtype)
    return table


def _rows_of(frame: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Row range of each series of a frame sorted by series."""
    ids, starts, ends = series_bounds(frame)
    return {str(ids[s]): (int(s), int(e)) for s, e in zip(starts, ends)}


def _take(rows: dict[str, tuple[int, int]], group: list) -> np.ndarray:
    ranges = [np.arange(*rows[str(uid)]) for uid in group if str(uid) in rows]
    return np.concatenate(ranges) if ranges else np.zeros(0, dtype=np.int64)


def _period_order(labels: pd.Series, periods) -> list[str]:
    """Calendar years in increasing order, then the named periods in the order given."""
    named = [str(p) for p in (periods or {})]
    years = sorted(label for label in labels.unique() if label not in named)
    return years + [label for label in named if label in set(labels)]
