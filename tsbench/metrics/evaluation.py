"""Score a forecast frame by metric name: :func:`evaluate`, the one entry point of the metrics.

Metric functions declare what they need beyond ``(df, by)`` as keyword
arguments: ``train`` (the history up to each series' first cutoff), ``history``
(the whole panel), ``season_length``, ``scale``; :func:`evaluate` reads the
signature and passes only what is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from tsbench.errors import ConfigError
from tsbench.metrics.registry import get_metric
from tsbench.panel import DS, ID, Y

__all__ = ["evaluate", "evaluation_frame", "first_training_data"]


def evaluation_frame(forecasts: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Forecasts with ``y_last``, the value observed at each cutoff, joined from the panel."""
    last = panel[[ID, DS, Y]].rename(columns={DS: "cutoff", Y: "y_last"})
    return forecasts.merge(last, on=[ID, "cutoff"], how="left", validate="many_to_one")


def first_training_data(forecasts: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Each series' history up to (and including) its earliest cutoff."""
    first = forecasts.groupby(ID)["cutoff"].min()
    cut = panel[ID].map(first)
    return panel[cut.notna().to_numpy() & (panel[DS] <= cut).to_numpy()]


def evaluate(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    metrics: Sequence[str],
    params: Mapping[str, Mapping[str, object]] | None = None,
    extra: Mapping[str, object] | None = None,
    steps: bool = True,
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

    Returns
    -------
    pandas.DataFrame
        Long frame ``unique_id, model, metric, h, value`` where ``h = 0`` holds the
        metric over all steps together (metrics that are not per step have only ``h = 0``).
    """
    params = params or {}
    df = evaluation_frame(forecasts, panel)
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
        per_step = metric.per_step and steps
        groupings = [([ID, "model", "h"], None), ([ID, "model"], 0)] if per_step else [([ID, "model"], 0)]
        for by, h in groupings:
            values = metric.fn(df, by, **kwargs).rename("value").reset_index()
            if h is not None:
                values["h"] = h
            values["metric"] = name
            parts.append(values)
    out = pd.concat(parts, ignore_index=True)
    out["h"] = out["h"].astype("int64")
    return out[[ID, "model", "metric", "h", "value"]].sort_values(
        ["metric", "model", ID, "h"], ignore_index=True
    )
