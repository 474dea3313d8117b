"""Score forecasts on the scale each metric asks for, with the buy-and-hold reference, overall and by period.

The forecasts are made on each series' target; for every scale a metric is
scored on, they are carried there through the price levels
(:func:`tsbench.data.scales.convert_forecasts`) and scored with
:func:`tsbench.metrics.evaluate`. Trading metrics always read prices and get
an extra ``buy_and_hold`` row per series.

By period, an origin belongs to a period when its cutoff falls in it (both
ends included), so every forecast of an origin, and every trade it opens, is
counted in the same period; each period is scored like the whole run,
keeping the all-steps value (``h = 0``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsbench.data.scales import convert_forecasts, levels_on_scale
from tsbench.errors import DataError
from tsbench.metrics.plan import TARGET, MetricPlan
from tsbench.metrics.evaluation import evaluate
from tsbench.metrics.registry import get_metric
from tsbench.metrics.trading import BUY_AND_HOLD
from tsbench.panel import ID, quantile_columns_of

__all__ = ["METRIC_COLUMNS", "PERIOD_COLUMNS", "empty_metrics", "score", "buy_and_hold_forecasts", "period_masks", "metrics_by_period"]

#: Columns of the metrics frame written to ``metrics.parquet``.
METRIC_COLUMNS = [ID, "model", "metric", "scale", "h", "value"]
#: Columns of the by-period metrics frame.
PERIOD_COLUMNS = ["period", ID, "model", "metric", "scale", "value"]


def empty_metrics() -> pd.DataFrame:
    """A metrics frame with no rows (nothing was scored)."""
    types = {ID: object, "model": object, "metric": object, "scale": object, "h": "int64", "value": float}
    return pd.DataFrame({c: pd.Series(dtype=types[c]) for c in METRIC_COLUMNS})


def buy_and_hold_forecasts(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Forecasts of a reference that always expects a rise, on the origins of each series' first model."""
    first = forecasts.groupby(ID, sort=False)["model"].transform("first")
    rows = forecasts[forecasts["model"] == first]
    rows = rows.drop(columns=quantile_columns_of(rows))
    return rows.assign(model=BUY_AND_HOLD, y_pred=np.inf)


def score(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    levels: pd.DataFrame | None,
    targets: Mapping[str, str],
    metric_plans: Sequence[MetricPlan],
    steps: bool = True,
) -> pd.DataFrame:
    """Score ``forecasts`` by every plan.

    Parameters
    ----------
    forecasts
        Forecast frame with actuals, on each series' target.
    panel
        The panel the forecasts were made on.
    levels
        Price levels of every series (needed when a plan's scale is not ``target``).
    targets
        The target of each series, by ``unique_id``.
    metric_plans
        The metrics to score (see :func:`tsbench.metric_plan.plan_metrics`).
    steps
        Also score each step ``h`` (``h = 0``, all steps together, is always scored).

    Returns
    -------
    pandas.DataFrame
        Long frame ``unique_id, model, metric, scale, h, value``.
    """
    targets = {str(k): v for k, v in targets.items()}
    parts = []
    for scale in dict.fromkeys(p.scale for p in metric_plans):
        group = [p for p in metric_plans if p.scale == scale]
        trading = [p for p in group if get_metric(p.name).kind == "trading"]
        other = [p for p in group if p not in trading]
        if scale == TARGET:
            frame, data = forecasts, panel
        else:
            if levels is None:
                raise DataError(
                    f"scoring on '{scale}' needs the price levels of the series; pass the level panel "
                    "from tsbench.data.loader.load_panel_levels as 'levels'."
                )
            frame = convert_forecasts(forecasts, levels, targets, scale)
            data = levels_on_scale(levels, scale)
        labels = targets if scale == TARGET else dict.fromkeys(targets, scale)
        extra = {"scale": labels}
        if other:
            parts.append(_evaluate(frame, data, other, extra, labels, steps))
        if trading:
            with_reference = pd.concat([frame, buy_and_hold_forecasts(frame)], ignore_index=True)
            parts.append(_evaluate(with_reference, data, trading, extra, labels, steps))
    if not parts:
        return empty_metrics()
    out = pd.concat(parts, ignore_index=True)
    return out[METRIC_COLUMNS].sort_values(["metric", "model", ID, "h"], ignore_index=True)


def _evaluate(frame, data, metric_plans, extra, labels, steps) -> pd.DataFrame:
    scored = evaluate(frame, data, [p.name for p in metric_plans], {p.name: p.params for p in metric_plans}, extra, steps)
    return scored.assign(scale=scored[ID].astype(str).map(labels))


def period_masks(
    cutoffs: pd.Series, periods: Mapping[str, Sequence[dt.date]] | None = None, years: bool = True
) -> dict[str, pd.Series]:
    """Label -> boolean mask over ``cutoffs``: each calendar year present, then each named period.

    Integer (non-calendar) cutoffs get only the named periods, whose bounds are
    then compared as given.
    """
    out: dict[str, pd.Series] = {}
    calendar = pd.api.types.is_datetime64_any_dtype(cutoffs)
    if years and calendar:
        year = cutoffs.dt.year  # once: it is the costly part on millions of rows
        for value in sorted(year.unique()):
            out[str(value)] = year == value
    for label, (start, end) in (periods or {}).items():
        if not calendar and isinstance(start, dt.date):
            raise DataError(
                f"period {label!r} is given by dates, but the series have integer steps; "
                "named periods need timestamped series."
            )
        lo, hi = (pd.Timestamp(start), pd.Timestamp(end)) if calendar else (start, end)
        if calendar:
            hi = hi + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")  # the whole end day
        out[str(label)] = (cutoffs >= lo) & (cutoffs <= hi)
    return out


def metrics_by_period(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    levels: pd.DataFrame | None,
    targets: Mapping[str, str],
    metric_plans: Sequence[MetricPlan],
    periods: Mapping[str, Sequence[dt.date]] | None = None,
    years: bool = True,
) -> pd.DataFrame:
    """Every metric of ``metric_plans`` over all steps, per period, series and model.

    Returns a long frame ``period, unique_id, model, metric, scale, value``;
    periods without any origin are left out.
    """
    parts = []
    masks = period_masks(forecasts["cutoff"], periods, years)
    by_year = _scored_by_year(forecasts, panel, targets, metric_plans, masks, periods) if years else {}
    for label, mask in masks.items():
        if label in by_year:
            parts.append(by_year[label])
            continue
        subset = forecasts[mask.to_numpy()]
        if subset.empty:
            continue
        scored = score(subset, panel, levels, targets, metric_plans, steps=False)  # all-steps rows (h = 0) only
        parts.append(scored.drop(columns="h").assign(period=label))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PERIOD_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PERIOD_COLUMNS]


def _scored_by_year(forecasts, panel, targets, metric_plans, masks, periods) -> dict[str, pd.DataFrame]:
    """Each calendar year's table of :func:`metrics_by_period`, from one pass grouped by year as well.

    Only where every plan is a ``rowwise`` metric on the target (see
    :class:`tsbench.metrics.registry.Metric`): their value over a year's rows
    is their group mean over those rows, the same sums in the same order as
    scoring that year's rows alone. Otherwise (or for a year that a named
    period shadows) the years are scored one by one.
    """
    calendar = pd.api.types.is_datetime64_any_dtype(forecasts["cutoff"])
    if not calendar or "period" in forecasts.columns or not all(
            p.scale == TARGET and get_metric(p.name).rowwise and get_metric(p.name).kind != "trading"
            for p in metric_plans):
        return {}
    named = {str(label) for label in (periods or {})}
    year = forecasts["cutoff"].dt.year
    labels = {label: int(label) for label in masks if label not in named and label.isdigit()}
    if not labels:
        return {}
    targets = {str(k): v for k, v in targets.items()}
    scored = evaluate(forecasts.assign(period=year), panel, [p.name for p in metric_plans],
                      {p.name: p.params for p in metric_plans}, {"scale": targets}, steps=False, keys=["period"])
    scored = scored.assign(scale=scored[ID].astype(str).map(targets))
    out = {}
    for label, value in labels.items():
        rows = scored[scored["period"].to_numpy() == value]
        table = rows[METRIC_COLUMNS].sort_values(["metric", "model", ID, "h"], ignore_index=True)
        out[label] = table.drop(columns="h").assign(period=label)
    return out
