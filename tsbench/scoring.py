"""Score forecasts on the scale each metric asks for, with the buy-and-hold reference, overall and by period.

The forecasts are made on each series' target; for every scale a metric is
scored on, they are carried there through the price levels
(:func:`tsbench.data.scales.convert_forecasts`) and scored with
:func:`tsbench.metrics.evaluate`. Trading metrics always read prices and get
an extra ``buy_and_hold`` row per series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsbench.data.scales import convert_forecasts, levels_on_scale
from tsbench.errors import DataError
from tsbench.metric_plan import TARGET, MetricPlan
from tsbench.metrics import TRADING_METRICS, METRICS, evaluate
from tsbench.metrics_trading import BUY_AND_HOLD
from tsbench.panel import ID

__all__ = ["METRIC_COLUMNS", "score", "buy_and_hold_forecasts"]

#: Columns of the metrics frame written to ``metrics.parquet``.
METRIC_COLUMNS = [ID, "model", "metric", "scale", "h", "value"]


def buy_and_hold_forecasts(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Forecasts of a reference that always expects a rise, on the origins of each series' first model."""
    first = forecasts.groupby(ID, sort=False)["model"].transform("first")
    rows = forecasts[forecasts["model"] == first]
    rows = rows.drop(columns=[c for c in rows.columns if c.startswith("q_")])
    return rows.assign(model=BUY_AND_HOLD, y_pred=np.inf)


def score(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    levels: pd.DataFrame | None,
    targets: Mapping[str, str],
    plans: Sequence[MetricPlan],
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
    plans
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
    for scale in dict.fromkeys(p.scale for p in plans):
        group = [p for p in plans if p.scale == scale]
        trading = [p for p in group if _base(p.name) in TRADING_METRICS]
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
        return pd.DataFrame({c: pd.Series(dtype=object) for c in METRIC_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    return out[METRIC_COLUMNS].sort_values(["metric", "model", ID, "h"], ignore_index=True)


def _evaluate(frame, data, plans, extra, labels, steps) -> pd.DataFrame:
    scored = evaluate(frame, data, [p.name for p in plans], {p.name: p.params for p in plans}, extra, steps)
    return scored.assign(scale=scored[ID].astype(str).map(labels))


def _base(name: str) -> str:
    return name if name in METRICS.keys() else name.rpartition("_")[0]
