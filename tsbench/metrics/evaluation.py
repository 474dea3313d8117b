"""Score a forecast frame by metric name: :func:`evaluate`, the one entry point of the metrics.

Metric functions declare what they need beyond ``(df, by)`` as keyword
arguments: ``train`` (the history up to each series' first cutoff), ``history``
(the whole panel), ``season_length``, ``scale``; :func:`evaluate` reads the
signature and passes only what is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsbench.errors import ConfigError
from tsbench.metrics.registry import get_metric
from tsbench.panel import DS, ID, Y, series_blocks

__all__ = ["evaluate", "evaluation_frame", "first_training_data", "values_at"]


def evaluation_frame(forecasts: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Forecasts with ``y_last``, the value observed at each cutoff, joined from the panel."""
    found = None if "y_last" in forecasts.columns else values_at(panel, forecasts[ID], forecasts["cutoff"])
    if found is None:
        last = panel[[ID, DS, Y]].rename(columns={DS: "cutoff", Y: "y_last"})
        return forecasts.merge(last, on=[ID, "cutoff"], how="left", validate="many_to_one")
    return forecasts.reset_index(drop=True).assign(y_last=found)


def values_at(panel: pd.DataFrame, ids: pd.Series, stamps: pd.Series) -> np.ndarray | None:
    """``y`` of the panel at each ``(ids[k], stamps[k])``, NaN where the panel has no such row.

    What a left join on ``unique_id, ds`` gives, found with integer keys: each
    series and each distinct stamp asked for gets a number, and the panel rows
    at those stamps are looked up by binary search. None (join instead) when the
    stamps are not plain integers or dates of the panel's own type, when a key
    is missing, or when the panel holds a ``(unique_id, ds)`` pair twice (the
    join refuses it).
    """
    when, at = panel[DS].to_numpy(), stamps.to_numpy()
    if when.dtype != at.dtype or when.dtype.kind not in "iuM" or len(when) == 0 or len(at) == 0:
        return None
    if when.dtype.kind == "M" and (np.isnat(when).any() or np.isnat(at).any()):
        return None
    series, names = _numbered(panel)
    asked, asked_names = pd.factorize(ids)
    if (series < 0).any() or (asked < 0).any():
        return None
    asked = pd.Index(np.asarray(names, dtype=object)).get_indexer(np.asarray(asked_names, dtype=object))[asked]
    # the rows of one origin (its steps h) usually follow each other: look each run of equal keys up once
    starts = np.flatnonzero(np.r_[True, (asked[1:] != asked[:-1]) | (at[1:] != at[:-1])])
    rows = _rows_at(when, series, asked[starts], at[starts])
    if rows is None:
        return None
    values = panel[Y].to_numpy()[np.maximum(rows, 0)]
    if (rows < 0).any():
        values = values.astype(float)
        values[rows < 0] = np.nan
    return values if len(starts) == len(at) else np.repeat(values, np.diff(np.r_[starts, len(at)]))


def _numbered(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(panel[ID])``; for a panel whose series lie in blocks of their own, from the blocks."""
    names, starts, ends = series_blocks(panel)
    if len(set(names.tolist())) == len(names):
        return np.repeat(np.arange(len(starts)), ends - starts), names
    return pd.factorize(panel[ID])


def _rows_at(when: np.ndarray, series: np.ndarray, asked: np.ndarray, at: np.ndarray) -> np.ndarray | None:
    """Panel row of each key ``(asked[k], at[k])`` (-1 where there is none), or None if a panel key repeats."""
    distinct = np.sort(pd.unique(at))
    rank = np.minimum(np.searchsorted(distinct, when), len(distinct) - 1)
    rows = np.flatnonzero(distinct[rank] == when)  # the panel rows at a stamp asked for
    if len(rows) == 0:
        return np.full(len(at), -1)
    keys = series[rows].astype(np.int64) * len(distinct) + rank[rows]
    if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        if (keys[1:] == keys[:-1]).any():
            return None
    wanted = asked.astype(np.int64) * len(distinct) + np.searchsorted(distinct, at)
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where((asked >= 0) & (keys[pos] == wanted), rows[pos], -1)


def first_training_data(forecasts: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Each series' history up to (and including) its earliest cutoff."""
    first = forecasts.groupby(ID, observed=True)["cutoff"].min()
    cut = panel[ID].map(first)
    return panel[cut.notna().to_numpy() & (panel[DS] <= cut).to_numpy()]


def evaluate(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    metrics: Sequence[str],
    params: Mapping[str, Mapping[str, object]] | None = None,
    extra: Mapping[str, object] | None = None,
    steps: bool = True,
    keys: Sequence[str] = (),
) -> pd.DataFrame:
    """Score forecasts per series, model and step.

    Parameters
    ----------
    forecasts
        Forecast frame with actuals ``y``.
    panel
        The panel the forecasts were made on (gives ``y_last``, the training data and ``history``).
    metrics
        Metric names (see :func:`tsbench.metrics.registry.get_metric`).
    params
        Options per metric, e.g. ``{"mase": {"season_length": 5}}``.
    extra
        Further inputs a metric may ask for by name (e.g. ``scale``, ``periods_per_year``).
    steps
        Also score each step ``h``; without it only the all-steps rows (``h = 0``) are computed.
    keys
        Further columns of ``forecasts`` to score by (a period, say), as if the
        rows of each of their values were scored alone; only for metrics
        marked ``rowwise`` (see :class:`tsbench.metrics.registry.Metric`), for
        which that is exact. They come out as columns after ``model``.

    Returns
    -------
    pandas.DataFrame
        Long frame ``unique_id, model, metric, h, value`` where ``h = 0`` holds the
        metric over all steps together (metrics that are not per step have only ``h = 0``).
    """
    params = params or {}
    needs_last = any(get_metric(name).uses_last for name in metrics)
    df = evaluation_frame(forecasts, panel) if needs_last else forecasts.reset_index(drop=True)
    available = {"history": panel, **(extra or {})}
    parts = []
    for name in metrics:
        metric = get_metric(name)
        kwargs = dict(params.get(name, {}))
        for need in sorted(metric.needs() - set(kwargs)):
            if need == "train":
                kwargs["train"] = first_training_data(forecasts, panel)
            elif need in available:
                kwargs[need] = available[need]
        lacking = metric.required() - set(kwargs)
        if lacking:
            raise ConfigError(f"metric {name!r} needs {sorted(lacking)}, which evaluate() was not given.")
        if keys and not metric.rowwise:
            raise ConfigError(f"metric {name!r} is not scored row by row, so it cannot be scored by {list(keys)}.")
        per_step = metric.per_step and steps
        by = [ID, "model", *keys]
        groupings = [([*by, "h"], None), (by, 0)] if per_step else [(by, 0)]
        for by, h in groupings:
            values = metric.fn(df, by, **kwargs).rename("value").reset_index()
            if h is not None:
                values["h"] = h
            values["metric"] = name
            parts.append(values)
    out = pd.concat(parts, ignore_index=True)
    out["h"] = out["h"].astype("int64")
    return out[[ID, "model", *keys, "metric", "h", "value"]].sort_values(
        ["metric", "model", ID, *keys, "h"], ignore_index=True
    )
