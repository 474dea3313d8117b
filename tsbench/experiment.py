"""Load an experiment file and check it against the model registry and the metrics, once.

:mod:`tsbench.config` validates the file's shape; this module adds what needs
the rest of tsbench: every model can be built with its parameters, every
fallback forecasts what the experiment asks of it, and every metric can be
scored as configured. :func:`resolve_experiment` returns those results
(forecasters, fallbacks, metric plans) so the runner uses them instead of
computing them again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tsbench.config import Experiment, ForecasterSpec, TradingSpec, TuneBudget, TuneSpec, validate_experiment
from tsbench.covariates import Covariates
from tsbench.data.covariates import experiment_covariates
from tsbench.engine.inner import INNER_METRIC_INPUTS
from tsbench.errors import ConfigError, PluginError, TsbenchError
from tsbench.forecasters.registry import make_forecaster
from tsbench.metrics.plan import MetricPlan, plan_metrics
from tsbench.metrics.registry import get_metric, is_metric

__all__ = ["ResolvedExperiment", "load_experiment", "parse_experiment", "resolve_experiment", "metric_plans_of",
           "check_plugin_lookahead"]

log = logging.getLogger("tsbench")


@dataclass(frozen=True)
class ResolvedExperiment:
    """An experiment with what its checks built: one forecaster per spec, the fallbacks and the metric plans.

    ``tuning`` maps each tuned forecaster's name to its ``tune`` spec and the
    budget it searches with (its own, or the experiment's). ``covariates`` are
    those the data declare; each forecaster holds the ones it reads.
    """

    experiment: Experiment
    forecasters: list
    fallbacks: dict
    metric_plans: list[MetricPlan]
    tuning: dict[str, tuple[TuneSpec, TuneBudget]] = field(default_factory=dict)
    covariates: Covariates = Covariates()


def load_experiment(path: str | Path, check_models: bool = True) -> Experiment:
    """Read and validate an experiment file; every problem is a :class:`ConfigError` naming the file."""
    return parse_experiment(_read_yaml(Path(path)), where=str(path), check_models=check_models)


def parse_experiment(raw: Any, where: str = "<experiment>", check_models: bool = True) -> Experiment:
    """Validate a parsed experiment mapping (see :func:`load_experiment`).

    With ``check_models`` (the default) every model, fallback and metric is also checked.
    """
    experiment = validate_experiment(raw, where)
    if check_models:
        resolve_experiment(experiment, where)
    return experiment


def resolve_experiment(experiment: Experiment, where: str = "<experiment>") -> ResolvedExperiment:
    """Build every forecaster and fallback and plan every metric, or raise a :class:`ConfigError` naming the key."""
    forecasters = [_make(spec, i, where) for i, spec in enumerate(experiment.forecasters)]
    declared = experiment_covariates(experiment.data)
    for i, (spec, forecaster) in enumerate(zip(experiment.forecasters, forecasters)):
        _give_covariates(forecaster, spec, declared, i, where)
    fallbacks = {spec.name: _make_fallback(experiment, spec, i, where)  # a fallback reads no covariates
                 for i, spec in enumerate(experiment.forecasters) if spec.fallback is not None}
    _check_variance_quantiles(experiment, forecasters, where)
    try:
        plans = metric_plans_of(experiment)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    tuning = _tuning(experiment, where)
    return ResolvedExperiment(experiment, forecasters, fallbacks, plans, tuning, declared)


def _give_covariates(forecaster, spec: ForecasterSpec, declared: Covariates, i: int, where: str) -> None:
    """Give a forecaster the covariates its ``covariates:`` names (all of them for ``all``)."""
    if spec.covariates is None:
        return
    names = declared.columns if spec.covariates == "all" else tuple(spec.covariates)
    key = f"{where}: forecasters.{i}.covariates ({spec.name})"
    unknown = [n for n in names if n not in declared.columns]
    if unknown:
        raise ConfigError(f"{key}: unknown covariate(s) {unknown}; the data declare "
                          f"{list(declared.columns) or 'none'}.")
    use = getattr(forecaster, "use_covariates", None)
    if not callable(use):
        raise ConfigError(f"{key}: model {spec.model!r} takes no covariates (it has no use_covariates); drop "
                          "'covariates' from this forecaster.")
    try:
        use(declared.only(names))
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def metric_plans_of(experiment: Experiment) -> list[MetricPlan]:
    """The metric plans of an experiment (see :func:`tsbench.metrics.plan.plan_metrics`)."""
    options = experiment.metric_params()
    return plan_metrics(
        [(name, options.get(name, {})) for name in experiment.metric_names()],
        targets=[spec.target for spec in experiment.data],
        quantiles=experiment.quantiles,
        horizon=experiment.backtest.horizon,
        score_on=experiment.score_on,
        standardised=experiment.backtest.scale == "standard",
        percentage_on_returns=experiment.percentage_on_returns,
        trading_options=lambda overrides: _trading_options(experiment.trading, overrides),
        forecaster_names=[spec.name for spec in experiment.forecasters],
    )


def check_plugin_lookahead(resolved: ResolvedExperiment) -> None:
    """Run the no-look-ahead check of :func:`tsbench.testing.check_forecaster` on every non-built-in model.

    It takes a fraction of a second for most models and catches a plugin
    whose ``predict_origins`` reads data past its cutoff, which the backtest
    itself could not notice. A plugin that takes covariates and was given some
    also gets the covariate leakage audit (:func:`tsbench.leakage.check_covariate_leakage`).
    Skip both with ``tsbench run --no-plugin-check``.

    A forecaster that raises on the check's synthetic data is left to the
    run, where the error fails only its own cells, as any other.

    Raises
    ------
    PluginError
        Naming the forecaster and what the check saw.
    """
    from tsbench.forecasters.registry import available_models
    from tsbench.testing import check_covariate_leakage, check_no_lookahead

    builtins = {name for name, spec in available_models().items() if spec.origin == "builtin"}
    for spec, forecaster in zip(resolved.experiment.forecasters, resolved.forecasters):
        if spec.model in builtins:
            continue
        checks = [("no-look-ahead", check_no_lookahead)]
        if getattr(forecaster, "covariates", None):  # given covariates, which its tags allowed
            checks.append(("covariate leakage", check_covariate_leakage))
        for what, check in checks:
            _plugin_check(resolved, spec, forecaster, what, check)


def _plugin_check(resolved: ResolvedExperiment, spec: ForecasterSpec, forecaster, what: str, check) -> None:
    started = time.perf_counter()
    try:
        result = check(forecaster, horizon=max(1, min(resolved.experiment.backtest.horizon, 5)),
                       seed=resolved.experiment.seed)
    except Exception as exc:  # a plugin that fails on the check's data fails its own cells in the run
        log.warning("%s check of %s could not run (%s: %s); its cells run and fail on their own",
                    what, spec.name, type(exc).__name__, exc)
        return
    log.info("%s check of %s: %s in %.2fs", what, spec.name, "passed" if result.passed else "failed",
             time.perf_counter() - started)
    if not result.passed:
        raise PluginError(f"forecaster {spec.name!r} (model {spec.model!r}) failed the {what} check: "
                          f"{result.detail}. Fix the plugin (tsbench.testing.check_forecaster shows every "
                          "check), or skip this check with --no-plugin-check.")


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"experiment file {str(path)!r} does not exist.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the experiment "
                          "file as UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}.") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def _make(spec: ForecasterSpec, i: int, where: str):
    try:
        return make_forecaster(spec.name, spec.model, spec.params)
    except TsbenchError as exc:
        key = "model" if isinstance(exc, PluginError) or "unknown model" in str(exc) else "params"
        raise ConfigError(f"{where}: forecasters.{i}.{key} ({spec.name}): {exc}") from None


def _make_fallback(experiment: Experiment, spec: ForecasterSpec, i: int, where: str):
    try:
        fallback = make_forecaster(spec.fallback, spec.fallback)
    except TsbenchError as exc:
        raise ConfigError(f"{where}: forecasters.{i}.fallback ({spec.name}): {exc}") from None
    if experiment.quantiles and not fallback.all_tags().get("quantiles"):
        raise ConfigError(
            f"{where}: forecasters.{i}.fallback ({spec.name}): fallback {spec.fallback!r} does not forecast "
            f"quantiles, which this experiment asks for ({experiment.quantiles}); pick one that does, e.g. 'naive'."
        )
    return fallback


def _check_variance_quantiles(experiment: Experiment, forecasters: list, where: str) -> None:
    """On a variance target, quantiles are of the return (the VaR): only variance models forecast those."""
    if not experiment.quantiles or all(spec.target != "variance" for spec in experiment.data):
        return
    for i, f in enumerate(forecasters):
        tags = f.all_tags()
        if tags.get("quantiles") and not tags.get("variance_model"):
            raise ConfigError(
                f"{where}: forecasters.{i} ({f.name}): on 'target: variance' the quantiles are of the return "
                "(the VaR), but this model would forecast quantiles of the variance proxy; wrap it as "
                "{model: log_variance, params: {model: ..., params: {...}}} or drop 'quantiles'."
            )


def _trading_options(defaults: TradingSpec, overrides: dict) -> dict:
    try:
        return TradingSpec.model_validate({**defaults.model_dump(), **overrides}).model_dump()
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None


def _tuning(experiment: Experiment, where: str) -> dict[str, tuple[TuneSpec, TuneBudget]]:
    """Check every ``tune`` spec against its model and the metrics; give each its budget."""
    out = {}
    for i, spec in enumerate(experiment.forecasters):
        if spec.tune is None:
            continue
        key = f"{where}: forecasters.{i}.tune"
        _check_space(spec, key)
        _check_search(spec.tune, key, spec.name)
        out[spec.name] = (spec.tune, _budget(experiment, spec, key))
    _same_budget(experiment, out, where)
    return out


def _check_space(spec: ForecasterSpec, key: str) -> None:
    if not spec.tune.space or any(r.type == "categorical" and not r.choices for r in spec.tune.space.values()):
        raise ConfigError(f"{key}.space ({spec.name}): the search space is empty; give at least one parameter "
                          "with values to try, e.g. space: {window: {type: int, low: 2, high: 60}}.")
    names = list(make_forecaster(spec.name, spec.model, spec.params).get_params())
    for param, values in spec.tune.space.items():
        if param not in names:
            raise ConfigError(f"{key}.space.{param} ({spec.name}): model {spec.model!r} has no parameter "
                              f"{param!r}; its parameters are {names}.")
        ends = values.choices if values.type == "categorical" else [values.low, values.high]
        for value in ends:
            value = int(value) if values.type == "int" else value
            try:
                make_forecaster(spec.name, spec.model, {**spec.params, param: value})
            except TsbenchError as exc:
                raise ConfigError(f"{key}.space.{param} ({spec.name}): the search may try {param}={value!r}, "
                                  f"which the model refuses: {exc} Keep the space within the valid range.") from None


def _check_search(tune: TuneSpec, key: str, name: str) -> None:
    if not is_metric(tune.metric) or get_metric(tune.metric).kind != "point":
        raise ConfigError(f"{key}.metric ({name}): expected a point metric (mae, rmse, mase, ...), "
                          f"got {tune.metric!r}.")
    metric = get_metric(tune.metric)
    if metric.required() - INNER_METRIC_INPUTS:
        raise ConfigError(f"{key}.metric ({name}): {tune.metric!r} needs {sorted(metric.required())}, which "
                          "the inner validation cannot give; use mae, rmse or mase.")
    if tune.sampler == "grid" and tune.parallel > 1:
        raise ConfigError(f"{key}.parallel ({name}): the grid sampler walks one grid in one search; "
                          "use parallel: 1, or sampler tpe or random to split the search.")
    if tune.sampler == "grid":
        loose = [p for p, r in tune.space.items() if r.type == "float" and r.step is None]
        if loose:
            raise ConfigError(f"{key}.sampler ({name}): the grid sampler needs a 'step' for float "
                              f"parameter(s) {loose}, or pick sampler tpe or random.")


def _budget(experiment: Experiment, spec: ForecasterSpec, key: str) -> TuneBudget:
    shared = experiment.tune
    budget = spec.tune.budget
    if budget is None:
        if shared.trials is None and shared.seconds is None:
            raise ConfigError(f"{key}.budget ({spec.name}): no budget; give tune: {{budget: {{trials: 20}}}} "
                              "here or a shared one at the top level: tune: {trials: 20}.")
        budget = TuneBudget(trials=shared.trials, seconds=shared.seconds)
    elif shared.budget == "same" and (shared.trials, shared.seconds) not in ((None, None), (budget.trials, budget.seconds)):
        raise ConfigError(f"{key}.budget ({spec.name}): {_words(budget)} differs from the shared budget "
                          f"({_words(shared)}) that 'tune: {{budget: same}}' asks every forecaster to use; drop it.")
    if budget.trials == 0 or budget.seconds == 0:
        raise ConfigError(f"{key}.budget ({spec.name}): a budget of {_words(budget)} searches nothing; give at "
                          "least 1 trial (or some seconds), or drop 'tune' to use the parameters as given.")
    return budget


def _same_budget(experiment: Experiment, tuning: dict, where: str) -> None:
    if experiment.tune.budget != "same":
        return
    budgets = {name: _words(b) for name, (_, b) in tuning.items()}
    if len(set(budgets.values())) > 1:
        raise ConfigError(f"{where}: tune.budget: 'same' asks every tuned forecaster to search with one budget, "
                          f"got {budgets}; give each the same budget, or one shared budget: tune: "
                          "{budget: same, trials: 20}.")


def _words(budget) -> str:
    return f"{budget.trials} trial(s)" if budget.trials is not None else f"{budget.seconds:g} second(s)"
