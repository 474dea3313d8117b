"""Which metric is scored on which scale, with which options: resolved and checked before any work.

An experiment names metrics and, optionally, the scale to score them on
(``score_on`` at the top level, or per metric as ``{mae: {score_on: price}}``).
:func:`plan_metrics` takes those values (not the experiment) and turns them into a
list of :class:`MetricPlan`, refusing with a :class:`~tsbench.errors.ConfigError`
whatever cannot be computed
(percentage errors on returns, quantile metrics without quantiles, ...), so a
run never fails after hours of fitting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tsbench.data.scales import SCALES, crosses_zero, levels_on_scale, quantiles_convertible
from tsbench.errors import ConfigError, DataError
from tsbench.metrics.evaluation import first_training_data
from tsbench.metrics.point import mase_scale
from tsbench.metrics.registry import METRICS, Metric, get_metric, is_metric
from tsbench.panel import DS, ID, Y
from tsbench.metrics.probabilistic import central_intervals, interval_suffix
from tsbench.metrics.trading import BUY_AND_HOLD

__all__ = ["MetricPlan", "PERCENTAGE_METRICS", "SCALE_FREE_REPLACEMENT", "plan_metrics", "precheck_metrics", "annualisation_notes",
           "scale_label", "metric_scales"]

#: Metrics expressed as a percentage of the actual value, meaningless where values cross zero.
PERCENTAGE_METRICS = ("mape", "smape")
#: What percentage metrics become on return scales under ``percentage_on_returns: replace``.
SCALE_FREE_REPLACEMENT = "mase"
TARGET = "target"


@dataclass(frozen=True)
class MetricPlan:
    """One metric as it will be scored: its reported name, its scale and its options.

    ``scale`` is ``"target"`` (each series on the target it was forecast on) or
    one of ``price``, ``log_price``, ``return``, ``log_return``.
    """

    name: str
    scale: str
    params: dict[str, Any] = field(default_factory=dict)


def plan_metrics(
    requests: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    targets: Sequence[str],
    quantiles: Sequence[float] = (),
    horizon: int = 1,
    score_on: str = TARGET,
    standardised: bool = False,
    percentage_on_returns: str = "refuse",
    trading_options: Callable[[dict], dict] = dict,
    forecaster_names: Sequence[str] = (),
) -> list[MetricPlan]:
    """Resolve the metrics asked for into metric_plans, in the order given.

    Parameters
    ----------
    requests
        ``(name, options)`` per metric, as listed in the experiment.
    targets
        The target of each data source (``price``, ``log_return``, ...).
    quantiles
        The quantile levels forecast.
    horizon
        Steps per forecast.
    score_on
        The default scale (``target`` or a scale name).
    standardised
        True when forecasts are of standardised values (``backtest.scale: standard``).
    percentage_on_returns
        ``refuse`` or ``replace`` (by :data:`SCALE_FREE_REPLACEMENT`).
    trading_options
        Turns a trading metric's own options into its complete, validated
        options (the experiment's ``trading:`` defaults merged in); raises
        ``ValueError`` naming what is invalid.
    forecaster_names
        The forecasters' names, which must not clash with the trading reference row.

    Raises
    ------
    ConfigError
        For a metric that cannot be computed as configured; the message says why and how to fix it.
    """
    names = [name for name, _ in requests]
    for i, name in enumerate(names):
        if not is_metric(name):
            raise ConfigError(f"metrics.{i}: unknown metric {name!r}; expected one of {sorted(METRICS)}.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"metrics: {repeated} listed more than once; list each metric once.")
    if any(_kind(n) == "trading" for n in names) and BUY_AND_HOLD in set(forecaster_names):
        raise ConfigError(
            f"forecasters: the name {BUY_AND_HOLD!r} is kept for the reference row of the trading metrics; "
            "rename that forecaster."
        )
    context = _Context(list(dict.fromkeys(targets)), sorted(quantiles), horizon, score_on, standardised,
                       percentage_on_returns, trading_options)
    metric_plans: list[MetricPlan] = []
    for i, (name, options) in enumerate(requests):
        for plan in _plan_one(context, name, dict(options), f"metrics.{i} ({name})"):
            if all((p.name, p.scale) != (plan.name, plan.scale) for p in metric_plans):
                metric_plans.append(plan)
    return metric_plans


@dataclass(frozen=True)
class _Context:
    targets: list[str]
    quantiles: list[float]
    horizon: int
    score_on: str
    standardised: bool
    percentage_on_returns: str
    trading_options: Callable[[dict], dict]


def _kind(name: str) -> str | None:
    return get_metric(name).kind if is_metric(name) else None


def _plan_one(context: _Context, name: str, params: dict, where: str) -> list[MetricPlan]:
    metric = get_metric(name)
    explicit = params.pop("score_on", None)
    scale = explicit or context.score_on
    if scale not in (TARGET, *SCALES):
        raise ConfigError(f"{where}: score_on must be one of {[TARGET, *SCALES]}, got {scale!r}.")
    _check_params(metric, params, where)
    if metric.kind in ("variance", "var") or "variance" in context.targets:
        _check_risk(context, metric, scale, where)
    if metric.kind == "trading":
        if explicit not in (None, "price"):
            raise ConfigError(
                f"{where}: trading metrics are computed from prices; drop 'score_on: {explicit}' for this metric."
            )
        scale = "price"
        try:
            params = context.trading_options(params)
        except ValueError as exc:
            raise ConfigError(f"{where}: invalid trading option(s): {exc}.") from None
    scales = list(context.targets) if scale == TARGET else [scale]
    if scale != TARGET and context.standardised:
        raise ConfigError(
            f"{where}: scoring on '{scale}' needs forecasts in the units of the target, but "
            "'backtest.scale: standard' scores standardised values; remove one of the two."
        )
    if metric.base in PERCENTAGE_METRICS and any(crosses_zero(s) for s in scales):
        if context.percentage_on_returns != "replace":
            raise ConfigError(
                f"{where}: a percentage error divides by the actual value, and returns cross zero, so "
                f"{name} on '{'/'.join(s for s in scales if crosses_zero(s))}' is meaningless (near-zero "
                f"returns blow it up). Score it on prices ({{{name}: {{score_on: price}}}}), use a scale-free "
                f"metric such as mase, or set 'percentage_on_returns: replace' to use "
                f"{SCALE_FREE_REPLACEMENT} instead."
            )
        return [MetricPlan(SCALE_FREE_REPLACEMENT, scale, {})]
    if metric.needs_quantiles:
        converted_to = [] if scale == TARGET else [scale]
        return [MetricPlan(n, scale, params) for n in _quantile_names(context, metric, converted_to, where)]
    return [MetricPlan(name, scale, params)]


def _check_risk(context: _Context, metric: Metric, scale: str, where: str) -> None:
    """Variance forecasts stay on their target; VaR metrics need a level in (0, 50)% and returns to test."""
    if "variance" in context.targets and scale != TARGET:
        raise ConfigError(
            f"{where}: variance forecasts are scored on their target; drop 'score_on: {scale}' "
            "(other scales are for price and return targets)."
        )
    if metric.kind != "var":
        return
    if metric.name == metric.base:
        raise ConfigError(f"{where}: name the VaR level in percent, e.g. '{metric.name}_1' or '{metric.name}_5'.")
    level = float(metric.name.rpartition("_")[2]) / 100.0
    if not 0.0 < level < 0.5:
        raise ConfigError(
            f"{where}: VaR levels must lie in (0, 0.5), i.e. '{metric.base}_<pct>' with pct below 50 "
            f"(a lower-tail probability such as 1 or 5), got {level:g}."
        )
    others = [t for t in context.targets if t != "variance"]
    if others:
        raise ConfigError(
            f"{where}: VaR metrics test VaR forecasts against realised returns, which only 'target: variance' "
            f"panels carry; the experiment also has target(s) {others}."
        )


def _quantile_names(context: _Context, metric: Metric, converted_to: Sequence[str], where: str) -> list[str]:
    name, base = metric.name, metric.base
    if not context.quantiles:
        raise ConfigError(f"{where}: needs quantile forecasts; add e.g. 'quantiles: [0.1, 0.5, 0.9]'.")
    for target in context.targets:
        for scale in converted_to:
            if not quantiles_convertible(target, scale, context.horizon):
                raise ConfigError(
                    f"{where}: quantiles forecast on '{target}' cannot be carried to '{scale}' beyond one "
                    "step (the quantile of a cumulated path is not the path of the quantiles). Score it "
                    f"on the target ({{{name}: {{score_on: target}}}}) or use horizon 1."
                )
    if metric.kind != "interval":
        return [name]
    intervals = central_intervals(context.quantiles)
    available = [f"{base}_{interval_suffix(k)}" for k in intervals]
    if not available:
        raise ConfigError(
            f"{where}: needs a central interval, i.e. quantiles in symmetric pairs such as 0.1 and 0.9; "
            f"got {context.quantiles}."
        )
    if name == base:
        return available
    if name not in available:
        raise ConfigError(f"{where}: the quantiles give no such interval; available: {available}.")
    return [name]


def _check_params(metric: Metric, params: Mapping[str, Any], where: str) -> None:
    # the interval of coverage/width/winkler is chosen by name (coverage_80), not by option
    allowed = metric.needs() - {"train", "history", "scale", "interval", "level"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown option(s) {unknown}; this metric accepts {sorted(allowed) or 'none'} and 'score_on'."
        )


def scale_label(plan: MetricPlan, targets: Sequence[str]) -> str:
    """The scale a plan scores on, in words for tables (``price``, or the target(s) for ``target``)."""
    if plan.scale != TARGET:
        return plan.scale
    distinct = list(dict.fromkeys(targets))
    return distinct[0] if len(distinct) == 1 else "target (" + "/".join(distinct) + ")"


def metric_scales(metric_plans: Sequence[MetricPlan], targets: Sequence[str]) -> dict[str, str]:
    """Reported metric name -> scale label, for every plan."""
    return {p.name: scale_label(p, targets) for p in metric_plans}


def precheck_metrics(
    metric_plans: Sequence[MetricPlan],
    panel: pd.DataFrame,
    first_cutoffs: pd.DataFrame,
    levels: pd.DataFrame | None = None,
    periods: Sequence[str] = (),
) -> None:
    """Fail before any fitting when a metric cannot be computed on the data (on the scale it is scored on).

    Parameters
    ----------
    metric_plans
        The metric metric_plans.
    panel
        The panel forecasts will be made on.
    first_cutoffs
        ``unique_id, cutoff``: each series' first cutoff (MASE's scale is fixed there).
    levels
        Price levels of every series, for metric_plans scored on another scale than the target.
    periods
        Labels of the named periods asked for (they need timestamped series).

    Raises
    ------
    DataError
        Naming the series and the way out.
    """
    dated = pd.api.types.is_datetime64_any_dtype(panel[DS])
    if periods and not dated:
        raise DataError(
            f"'periods' ({', '.join(periods)}) are given by dates, but the series have integer "
            "steps; remove 'periods' or use timestamped series."
        )
    for plan in metric_plans:
        if get_metric(plan.name).kind == "trading" and plan.params.get("periods_per_year") is None and not dated:
            raise DataError(
                f"{plan.name} is annualised, but the series have integer steps, so the periods per year "
                "are unknown; set 'trading: {periods_per_year: N}' (e.g. 252 for trading days)."
            )
        if plan.name not in ("mase", "mape"):
            continue
        data = panel if plan.scale == TARGET or levels is None else levels_on_scale(levels, plan.scale)
        if plan.name == "mase":
            scale = mase_scale(first_training_data(first_cutoffs, data), int(plan.params.get("season_length", 1)))
            flat = scale[~(scale > 0)]
            if len(flat):
                raise DataError(
                    f"series '{flat.index[0]}' is constant over its first training window, so MASE's scale "
                    "would be zero. Drop the series, choose another target, or remove 'mase' from metrics."
                )
        elif (data[Y] == 0).any():
            uid = data.loc[data[Y] == 0, ID].iloc[0]
            raise DataError(f"series '{uid}' has zeros, where MAPE is undefined; use smape or mase instead.")


def annualisation_notes(metric_plans, levels: pd.DataFrame) -> list[str]:
    """How the trading metrics were annualised: the experiment's periods_per_year, or each series' calendar."""
    from tsbench.data.calendar import annualisation

    trading = [p for p in metric_plans if get_metric(p.name).kind == "trading"]
    if not trading:
        return []
    given = {p.params.get("periods_per_year") for p in trading} - {None}
    if given and all(p.params.get("periods_per_year") is not None for p in trading):
        return [f"Trading metrics annualised with periods_per_year = {', '.join(f'{v:g}' for v in sorted(given))} "
                "(set in the experiment)."]
    by_basis: dict[str, list[str]] = {}
    for uid, g in levels.groupby("unique_id", sort=True):
        by_basis.setdefault(annualisation(g["ds"].to_numpy()).describe(), []).append(str(uid))
    parts = [f"{basis}" + (f" for {', '.join(ids[:3])}{' ...' if len(ids) > 3 else ''}" if len(by_basis) > 1 else "")
             for basis, ids in by_basis.items()]
    return [f"Trading metrics annualised from the calendar: {'; '.join(parts)}; set "
            "'trading: {periods_per_year: N}' to override."]
