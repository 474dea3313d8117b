"""Which metric is scored on which scale, with which options: resolved and checked before any work.

An experiment names metrics and, optionally, the scale to score them on
(``score_on`` at the top level, or per metric as ``{mae: {score_on: price}}``).
:func:`plan_metrics` turns that into a list of :class:`MetricPlan`, refusing
with a :class:`~tsbench.errors.ConfigError` whatever cannot be computed
(percentage errors on returns, quantile metrics without quantiles, ...), so a
run never fails after hours of fitting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tsbench.data.scales import SCALES, crosses_zero, quantiles_convertible
from tsbench.errors import ConfigError
from tsbench.metrics import INTERVAL_METRICS, METRICS, QUANTILE_METRICS, TRADING_METRICS
from tsbench.metrics_prob import central_intervals, interval_suffix
from tsbench.metrics_trading import BUY_AND_HOLD

__all__ = ["MetricPlan", "PERCENTAGE_METRICS", "SCALE_FREE_REPLACEMENT", "plan_metrics", "scale_label", "metric_scales"]

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


def plan_metrics(experiment) -> list[MetricPlan]:
    """Resolve the metrics of an experiment into plans, in the order given.

    Raises
    ------
    ConfigError
        For a metric that cannot be computed as configured; the message says why and how to fix it.
    """
    targets = list(dict.fromkeys(spec.target for spec in experiment.data))
    options = experiment.metric_params()
    names = experiment.metric_names()
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"metrics: {repeated} listed more than once; list each metric once.")
    if any(_is_trading(n) for n in names) and BUY_AND_HOLD in {f.name for f in experiment.forecasters}:
        raise ConfigError(
            f"forecasters: the name {BUY_AND_HOLD!r} is kept for the reference row of the trading metrics; "
            "rename that forecaster."
        )
    plans: list[MetricPlan] = []
    for i, name in enumerate(names):
        for plan in _plan_one(experiment, name, dict(options.get(name, {})), targets, f"metrics.{i} ({name})"):
            if all((p.name, p.scale) != (plan.name, plan.scale) for p in plans):
                plans.append(plan)
    return plans


def _plan_one(experiment, name: str, params: dict, targets: Sequence[str], where: str) -> list[MetricPlan]:
    explicit = params.pop("score_on", None)
    scale = explicit or experiment.score_on
    if scale not in (TARGET, *SCALES):
        raise ConfigError(f"{where}: score_on must be one of {[TARGET, *SCALES]}, got {scale!r}.")
    base = _base(name)
    _check_params(name, params, where)
    if base in TRADING_METRICS:
        if explicit not in (None, "price"):
            raise ConfigError(
                f"{where}: trading metrics are computed from prices; drop 'score_on: {explicit}' for this metric."
            )
        scale = "price"
        params = _trading_params(experiment, params, where)
    scales = list(targets) if scale == TARGET else [scale]
    if scale != TARGET and experiment.backtest.scale == "standard":
        raise ConfigError(
            f"{where}: scoring on '{scale}' needs forecasts in the units of the target, but "
            "'backtest.scale: standard' scores standardised values; remove one of the two."
        )
    if base in PERCENTAGE_METRICS and any(crosses_zero(s) for s in scales):
        if experiment.percentage_on_returns != "replace":
            raise ConfigError(
                f"{where}: a percentage error divides by the actual value, and returns cross zero, so "
                f"{name} on '{'/'.join(s for s in scales if crosses_zero(s))}' is meaningless (near-zero "
                f"returns blow it up). Score it on prices ({{{name}: {{score_on: price}}}}), use a scale-free "
                f"metric such as mase, or set 'percentage_on_returns: replace' to use "
                f"{SCALE_FREE_REPLACEMENT} instead."
            )
        return [MetricPlan(SCALE_FREE_REPLACEMENT, scale, {})]
    if base in QUANTILE_METRICS:
        converted_to = [] if scale == TARGET else [scale]
        return [MetricPlan(n, scale, params) for n in _quantile_names(experiment, name, base, converted_to, where)]
    return [MetricPlan(name, scale, params)]


def _base(name: str) -> str:
    return name.rpartition("_")[0] if name not in METRICS.keys() and name in METRICS else name


def _is_trading(name: str) -> bool:
    return _base(name) in TRADING_METRICS


def _quantile_names(experiment, name: str, base: str, converted_to: Sequence[str], where: str) -> list[str]:
    if not experiment.quantiles:
        raise ConfigError(f"{where}: needs quantile forecasts; add e.g. 'quantiles: [0.1, 0.5, 0.9]'.")
    horizon = experiment.backtest.horizon
    targets = {spec.target for spec in experiment.data}
    for target in targets:
        for scale in converted_to:
            if not quantiles_convertible(target, scale, horizon):
                raise ConfigError(
                    f"{where}: quantiles forecast on '{target}' cannot be carried to '{scale}' beyond one "
                    "step (the quantile of a cumulated path is not the path of the quantiles). Score it "
                    f"on the target ({{{name}: {{score_on: target}}}}) or use horizon 1."
                )
    if base not in INTERVAL_METRICS:
        return [name]
    intervals = central_intervals(sorted(experiment.quantiles))
    available = [f"{base}_{interval_suffix(k)}" for k in intervals]
    if not available:
        raise ConfigError(
            f"{where}: needs a central interval, i.e. quantiles in symmetric pairs such as 0.1 and 0.9; "
            f"got {sorted(experiment.quantiles)}."
        )
    if name == base:
        return available
    if name not in available:
        raise ConfigError(f"{where}: the quantiles give no such interval; available: {available}.")
    return [name]


def _trading_params(experiment, params: dict, where: str) -> dict:
    from pydantic import ValidationError

    from tsbench.config import TradingSpec

    merged = {**experiment.trading.model_dump(), **params}
    try:
        return TradingSpec.model_validate(merged).model_dump()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}: invalid trading option(s): {problems}.") from None


def _check_params(name: str, params: Mapping[str, Any], where: str) -> None:
    # the interval of coverage/width/winkler is chosen by name (coverage_80), not by option
    allowed = METRICS[name].needs() - {"train", "history", "scale", "interval"}
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


def metric_scales(plans: Sequence[MetricPlan], targets: Sequence[str]) -> dict[str, str]:
    """Reported metric name -> scale label, for every plan."""
    return {p.name: scale_label(p, targets) for p in plans}
