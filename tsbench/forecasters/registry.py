"""Where forecasters come from: built-ins, entry points, other libraries' models, dotted paths."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from tsbench.errors import ConfigError, PluginError

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "ModelSpec",
    "ModelInfo",
    "REQUIRED",
    "available_models",
    "describe_models",
    "resolve",
    "make_forecaster",
]

ENTRY_POINT_GROUP = "tsbench.forecasters"

#: Registry name -> "module:Class"; modules are imported only when a model is used.
BUILTINS: dict[str, str] = {
    "naive": "tsbench.forecasters.baselines:Naive",
    "drift": "tsbench.forecasters.baselines:Drift",
    "seasonal_naive": "tsbench.forecasters.baselines:SeasonalNaive",
    "mean": "tsbench.forecasters.baselines:HistoricalMean",
    "moving_average": "tsbench.forecasters.baselines:MovingAverage",
    "ma": "tsbench.forecasters.arima:Ma",
    "arima": "tsbench.forecasters.arima:Arima",
    "auto_arima": "tsbench.forecasters.auto_arima:AutoArima",
    "ets": "tsbench.forecasters.ets:Ets",
    "auto_ets": "tsbench.forecasters.auto_ets:AutoEts",
    "ses": "tsbench.forecasters.ets:Ses",
    "theta": "tsbench.forecasters.theta:Theta",
    "lstm": "tsbench.forecasters.neural.lstm:LSTMForecaster",
    "transformer": "tsbench.forecasters.neural.transformer:TransformerForecaster",
    "dlinear": "tsbench.forecasters.neural.dlinear:DLinearForecaster",
    "nlinear": "tsbench.forecasters.neural.nlinear:NLinearForecaster",
    "patchtst": "tsbench.forecasters.neural.patchtst:PatchTSTForecaster",
    "nhits": "tsbench.forecasters.neural.nhits:NHITSForecaster",
    "itransformer": "tsbench.forecasters.neural.itransformer:ITransformerForecaster",
    "lightgbm": "tsbench.forecasters.lightgbm.model:LightGBMForecaster",
    "prophet": "tsbench.forecasters.prophet:ProphetForecaster",
    "garch": "tsbench.forecasters.garch:Garch",
    "ewma": "tsbench.forecasters.volatility_baselines:Ewma",
    "rolling_variance": "tsbench.forecasters.volatility_baselines:RollingVariance",
    "har": "tsbench.forecasters.volatility_baselines:Har",
    "log_variance": "tsbench.forecasters.log_variance:LogVariance",
}


@dataclass(frozen=True)
class ModelSpec:
    """A model name, where it comes from (``builtin``, ``entry point (dist)``, ``dotted path``) and its target."""

    name: str
    origin: str
    target: str

    @property
    def label(self) -> str:
        """How errors name the model: its name, origin and target."""
        if self.name == self.target:
            return f"model {self.name!r} ({self.origin})"
        return f"model {self.name!r} ({self.origin} {self.target})"


@dataclass
class ModelInfo:
    """What ``tsbench models`` shows of one model; ``error`` is set when it cannot be loaded."""

    spec: ModelSpec
    tags: dict[str, object] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)
    summary: str = ""
    error: str | None = None

    @property
    def covariates(self) -> tuple[str, ...]:
        """The kinds of covariate the model takes (its ``covariates`` tag): past, known, static, or none."""
        return tuple(self.tags.get("covariates") or ())

    def covariates_text(self) -> str:
        """The kinds of covariate the model takes in words (``-`` for none), as ``tsbench models`` shows them."""
        if not self.covariates:
            return "-"
        return ", ".join(self.covariates) + (" (categorical too)" if self.tags.get("categorical_covariates") else "")


#: Shown as the default of a constructor parameter that has none.
REQUIRED = "<required>"


def available_models() -> dict[str, ModelSpec]:
    """Every model name an experiment may use, built-ins first, then installed plugins."""
    models = {name: ModelSpec(name, "builtin", target) for name, target in BUILTINS.items()}
    for spec in _entry_point_specs():
        models.setdefault(spec.name, spec)
    return models


def _entry_point_specs() -> list[ModelSpec]:
    seen: set[tuple[str, str]] = set()
    specs = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if (ep.name, ep.value) in seen:  # the same distribution found twice on sys.path
            continue
        seen.add((ep.name, ep.value))
        dist = ep.dist.name if ep.dist is not None else "unknown distribution"
        specs.append(ModelSpec(ep.name, f"entry point ({dist})", ep.value))
    return specs


def resolve(model: str) -> type:
    """Import, check and return the forecaster class behind a registry name or ``module:Class`` path.

    ``"<library>:<Class>"`` for a library with an adapter (statsforecast, sktime,
    darts) gives the adapter of that library class.

    Raises
    ------
    ConfigError
        If ``model`` is neither a known name nor a dotted path, or names a class its library lacks.
    PluginError
        If the target cannot be imported or does not fulfil the forecaster contract.
    """
    return _load(_spec_for(model))


def _spec_for(model: str) -> ModelSpec:
    from tsbench.forecasters.external import is_library_model

    models = available_models()
    if model in models:
        return models[model]
    if is_library_model(model):  # "statsforecast:AutoARIMA": a class of a library with an adapter
        return ModelSpec(model, model.partition(":")[0], model)
    if ":" in model:
        return ModelSpec(model, "dotted path", model)
    raise ConfigError(
        f"unknown model {model!r}; expected one of {sorted(models)} "
        "or a dotted path 'package.module:ClassName'."
    )


def _load(spec: ModelSpec) -> type:
    from tsbench.forecasters.external import LIBRARIES, adapter_class

    if spec.origin in LIBRARIES:
        return adapter_class(spec.target)
    module_name, sep, attr = spec.target.partition(":")
    if not sep or not module_name or not attr:
        raise PluginError(f"{spec.label}: target {spec.target!r} is not of the form 'package.module:ClassName'.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginError(
            f"{spec.label}: cannot import module {module_name!r}: {exc}. {_install_hint(exc)}"
        ) from exc
    except Exception as exc:  # a plugin module that raises on import must not take tsbench down
        raise PluginError(
            f"{spec.label}: importing module {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    try:
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise PluginError(f"{spec.label}: module {module_name!r} has no attribute {attr!r}.") from None
    _check_class(spec, obj)
    return obj


def _check_class(spec: ModelSpec, obj: Any) -> None:
    """Raise :class:`PluginError` when ``obj`` cannot be a forecaster class."""
    how = "A forecaster is a class with fit(train) and predict(context, horizon, quantiles=())."
    if not isinstance(obj, type):
        raise PluginError(f"{spec.label}: {spec.target} is a {type(obj).__name__}, not a class. {how}")
    missing = [m for m in ("fit", "predict") if not callable(getattr(obj, m, None))]
    missing += _unimplemented(obj)
    if missing:
        raise PluginError(f"{spec.label}: {obj.__name__} lacks method(s) {missing}. {how}")
    tags = getattr(obj, "tags", {})
    if not isinstance(tags, Mapping):
        raise PluginError(
            f"{spec.label}: 'tags' must be a mapping such as {{'global': True}}, got {type(tags).__name__}."
        )
    calls = {"fit": ("train",), "predict": ("context", 1)}
    if tags.get("quantiles"):
        calls["predict"] = ("context", 1, (0.5,))
    for method, args in calls.items():
        try:
            inspect.signature(getattr(obj, method)).bind(None, *args)
        except TypeError:
            names = ", ".join(a if isinstance(a, str) else repr(a) for a in args)
            raise PluginError(
                f"{spec.label}: {obj.__name__}.{method} cannot be called as {method}({names}). {how}"
            ) from None
        except ValueError:  # no signature (builtins); calling it will tell
            pass
    _check_constructor(spec, obj)


def _unimplemented(cls: type) -> list[str]:
    """Methods a ``BaseForecaster`` subclass must provide but inherits unimplemented."""
    from tsbench.forecasters.base import BaseForecaster, LocalForecaster

    if not issubclass(cls, BaseForecaster):
        return []
    missing = []
    if cls.fit is BaseForecaster.fit and cls._fit is BaseForecaster._fit:
        missing.append("_fit")
    if cls.predict is BaseForecaster.predict and cls._predict is BaseForecaster._predict:
        missing.append("_predict")
    if issubclass(cls, LocalForecaster) and cls._predict is LocalForecaster._predict:
        missing = [m for m in missing if m != "_fit"]
        if cls._predict_one is LocalForecaster._predict_one:
            missing.append("_predict_one")
    return missing


def _check_constructor(spec: ModelSpec, cls: type) -> None:
    from tsbench.forecasters.adapter import constructor_params

    constructor_params(cls, spec.label)


def _install_hint(exc: ImportError) -> str:
    hints = {
        "torch": "Install it with: pip install torch==2.13.0",
        "prophet": "Install it with: pip install 'tsbench[prophet]'",
        "lightgbm": "Install it with: pip install 'tsbench[lightgbm]'",
    }
    name = (getattr(exc, "name", None) or "").split(".")[0]
    hint = hints.get(
        name, "Install the package that provides it, or run tsbench from the folder that holds the module."
    )
    command = hint.partition(": ")[2]
    return "" if command and command in str(exc) else hint  # the module gave the hint already


def _engine_class(spec: ModelSpec) -> type:
    from tsbench.forecasters.adapter import adapt_class, needs_adapter

    cls = _load(spec)
    if needs_adapter(cls):
        try:
            return adapt_class(cls)
        except PluginError as exc:
            raise PluginError(f"{spec.label}: {exc}") from exc
    return cls


def make_forecaster(name: str, model: str, params: dict[str, Any] | None = None):
    """Create the forecaster ``model`` with ``params`` and give it the name ``name`` (its alias in the experiment).

    Parameter names are checked against the constructor before anything runs. A
    plugin that only follows the ``Forecaster`` protocol (no ``get_params``,
    ``all_tags``, ``predict_origins``) is wrapped so the engine can clone, seed
    and batch it; see :mod:`tsbench.forecasters.adapter`. A class may map
    configuration keys that are Python keywords (e.g. ``global``) to its
    constructor's names in a ``param_aliases`` class attribute.

    Raises
    ------
    ConfigError
        For an unknown model, unknown or missing parameters, or values the model rejects.
    PluginError
        For a plugin that cannot be imported or does not fulfil the contract.
    """
    spec = _spec_for(model)
    cls = _engine_class(spec)
    params = _apply_aliases(model, dict(params or {}), dict(getattr(cls, "param_aliases", {}) or {}))
    names = _param_names(cls)
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ConfigError(
            f"model {model!r} has no parameter(s) {unknown}; its parameters are "
            f"{names or 'none'}."
        )
    try:
        forecaster = cls(**params)
        check = getattr(forecaster, "check_params", None)
        if callable(check):
            check()
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model {model!r}: invalid parameters {params}: {exc}") from exc
    except Exception as exc:  # a plugin constructor failing in any other way is the plugin's fault
        raise PluginError(f"{spec.label}: the constructor raised {type(exc).__name__}: {exc}") from exc
    _check_params_readable(spec, forecaster, names)
    forecaster.name = name
    return forecaster


def _check_params_readable(spec: ModelSpec, forecaster: Any, names: list[str]) -> None:
    try:
        read = forecaster.get_params()
    except AttributeError as exc:
        raise PluginError(
            f"{spec.label}: get_params() failed ({exc}); the constructor must store each argument "
            "unchanged as an attribute of the same name (self.window = window)."
        ) from exc
    if not isinstance(read, Mapping) or set(read) != set(names):
        raise PluginError(
            f"{spec.label}: get_params() returned {sorted(read) if isinstance(read, Mapping) else read!r}; "
            f"expected the constructor's parameters {names}."
        )


def _apply_aliases(model: str, params: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, value in params.items():
        name = aliases.get(key, key)
        if name in out:
            raise ConfigError(
                f"model {model!r}: parameter {name!r} is given twice (as {given[name]!r} and {key!r}); keep one."
            )
        out[name], given[name] = value, key
    return out


def _param_names(cls: type) -> list[str]:
    getter = getattr(cls, "param_names", None)
    if callable(getter):
        return list(getter())
    sig = inspect.signature(cls)
    return [p for p in sig.parameters if p != "self"]


def _param_table(cls: type) -> dict[str, object]:
    if hasattr(cls, "library_params"):  # another library's model: the parameters its adapter takes
        defaults = cls.param_defaults()
        return {n: defaults.get(n, REQUIRED) for n in cls.param_names()}
    try:
        sig = inspect.signature(getattr(cls, "plugin_class", cls))
    except (TypeError, ValueError):
        return {}
    return {
        n: REQUIRED if p.default is inspect.Parameter.empty else p.default
        for n, p in sig.parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def describe_models(extra: tuple[str, ...] = (), installed: bool = True) -> list[ModelInfo]:
    """Every available model (and the dotted paths in ``extra``) with tags and parameters.

    With ``installed=False`` only the models in ``extra`` are described.

    A model that cannot be loaded is listed with its error instead of raising, so
    one broken plugin never hides the others. An entry point whose name is taken
    by a built-in or an earlier plugin is listed with that clash as its error.
    """
    specs = [ModelSpec(name, "builtin", target) for name, target in BUILTINS.items()] if installed else []
    taken = set(BUILTINS) if installed else set()
    clashes = []
    for spec in _entry_point_specs() if installed else []:
        if spec.name in taken:
            clashes.append(spec)
        else:
            taken.add(spec.name)
            specs.append(spec)
    specs += [_spec_for(m) for m in extra if m not in taken]
    infos = [_describe(spec) for spec in specs]
    for spec in clashes:
        infos.append(ModelInfo(spec, error=(
            f"the name {spec.name!r} is already taken, so this entry point is ignored; "
            f"use its dotted path {spec.target!r} in experiments instead."
        )))
    return infos


def _describe(spec: ModelSpec) -> ModelInfo:
    try:
        cls = _engine_class(spec)
    except (PluginError, ConfigError) as exc:
        return ModelInfo(spec, error=str(exc))
    tags = cls.all_tags() if callable(getattr(cls, "all_tags", None)) else dict(getattr(cls, "tags", {}))
    doc = inspect.getdoc(getattr(cls, "plugin_class", cls)) or ""
    return ModelInfo(spec, tags=dict(tags), params=_param_table(cls), summary=doc.split("\n")[0])
