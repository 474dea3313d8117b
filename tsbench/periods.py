"""Metrics broken down by calendar year and by named periods (e.g. a crisis), as tables.

An origin belongs to a period when its cutoff falls in it (both ends
included), so every forecast of an origin, and every trade it opens, is
counted in the same period. Each period is scored like the whole run, by
:func:`tsbench.scoring.score`, keeping the all-steps value (``h = 0``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from tsbench.errors import DataError
from tsbench.metric_plan import MetricPlan
from tsbench.metrics import METRICS
from tsbench.panel import ID
from tsbench.scoring import score

__all__ = ["PERIOD_COLUMNS", "period_masks", "metrics_by_period", "period_table", "period_markdown"]

PERIOD_COLUMNS = ["period", ID, "model", "metric", "scale", "value"]


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
        for year in sorted(cutoffs.dt.year.unique()):
            out[str(year)] = cutoffs.dt.year == year
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
    plans: Sequence[MetricPlan],
    periods: Mapping[str, Sequence[dt.date]] | None = None,
    years: bool = True,
) -> pd.DataFrame:
    """Every metric of ``plans`` over all steps, per period, series and model.

    Returns a long frame ``period, unique_id, model, metric, scale, value``;
    periods without any origin are left out.
    """
    parts = []
    for label, mask in period_masks(forecasts["cutoff"], periods, years).items():
        subset = forecasts[mask.to_numpy()]
        if subset.empty:
            continue
        scored = score(subset, panel, levels, targets, plans, steps=False)  # all-steps rows (h = 0) only
        parts.append(scored.drop(columns="h").assign(period=label))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PERIOD_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PERIOD_COLUMNS]


def period_table(by_period: pd.DataFrame) -> pd.DataFrame:
    """Mean over series: one row per metric and model, one column per period (in the order met)."""
    order = list(dict.fromkeys(by_period["period"]))
    # groupby keeps a model whose values are all missing (e.g. no trades), where pivot_table drops it
    table = by_period.groupby(["metric", "scale", "model", "period"], sort=False)["value"].mean().unstack("period")
    return table.reindex(columns=order).reset_index().rename_axis(columns=None)


def period_markdown(by_period: pd.DataFrame, metric_order: Sequence[str] | None = None,
                    title: str | None = None) -> str:
    """One Markdown table per metric: models down, periods across (mean over series)."""
    table = period_table(by_period)
    periods = [c for c in table.columns if c not in ("metric", "scale", "model")]
    names = list(metric_order or dict.fromkeys(table["metric"]))
    lines = [f"## {title}", ""] if title else []
    for name in [n for n in names if n in set(table["metric"])]:
        rows = table[table["metric"] == name]
        metric = METRICS.get(name)
        better = (metric.goal if metric and metric.goal else
                  f"{'higher' if metric and metric.higher_is_better else 'lower'} is better")
        mixed = rows["scale"].nunique() > 1  # series scored on different targets: show each scale's rows
        lines += [f"### {name} ({', '.join(dict.fromkeys(rows['scale']))}; {better})", ""]
        head = ["model", "scale"] if mixed else ["model"]
        lines += ["| " + " | ".join(head + periods) + " |", "|" + "---|" * (len(head) + len(periods))]
        for _, row in rows.iterrows():
            first = [str(row["model"]), str(row["scale"])] if mixed else [str(row["model"])]
            lines.append("| " + " | ".join([*first, *(_fmt(row[p]) for p in periods)]) + " |")
        lines.append("")
    lines.append("Mean over series of each metric over all steps, for the origins whose cutoff falls in the period.")
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    if pd.isna(value):
        return "—"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.4e}"
