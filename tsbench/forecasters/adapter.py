"""Give a plugin that only follows the ``Forecaster`` protocol the methods the engine uses.

A plugin may be a plain class with ``fit``, ``predict``, ``name`` and ``tags``.
The backtest engine also reads tags with defaults, reads parameters back,
clones, seeds and predicts from several origins; :func:`adapt_class` wraps such
a class into a :class:`~tsbench.forecasters.base.BaseForecaster` subclass that
does all this and checks every forecast the plugin returns.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsbench.errors import PluginError
from tsbench.forecasters.base import BaseForecaster
from tsbench.panel import ID, quantile_columns

__all__ = [
    "ProtocolAdapter",
    "adapt_class",
    "adapt_instance",
    "check_plugin_output",
    "constructor_params",
    "needs_adapter",
    "plugin_label",
]

#: Attribute names the adapter itself uses; a plugin parameter may not take them.
_RESERVED = {"name", "tags", "fit", "predict", "predict_origins", "get_params", "plugin_", "is_fitted_"}

_ADAPTERS: dict[type, type] = {}


def needs_adapter(cls: type) -> bool:
    """True when ``cls`` lacks what the engine uses beyond the protocol."""
    if isinstance(cls, type) and issubclass(cls, BaseForecaster):
        return False
    wanted = ("all_tags", "get_params", "param_names", "predict_origins")
    return not all(callable(getattr(cls, m, None)) for m in wanted)


def plugin_label(cls: type) -> str:
    """``module:Class`` of a plugin class, as written in an experiment file."""
    return f"{cls.__module__}:{cls.__qualname__}"


class ProtocolAdapter(BaseForecaster):
    """A protocol-only forecaster seen through the ``BaseForecaster`` contract.

    Subclasses are made by :func:`adapt_class`, one per plugin class, with the
    plugin's constructor parameters as their own. The plugin instance is made at
    the first ``fit`` (after the engine may have set a seed) and fitted again at
    each later ``fit``, so a plugin may warm-start.
    """

    plugin_class: ClassVar[type]
    plugin_params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.plugin_params))
        if unknown:
            raise TypeError(
                f"{plugin_label(self.plugin_class)} got unexpected parameter(s) {unknown}; "
                f"its parameters are {list(self.plugin_params)}."
            )
        values = {**self.param_defaults(), **params}
        absent = [n for n in self.plugin_params if n not in values]
        if absent:
            raise TypeError(f"{plugin_label(self.plugin_class)} needs parameter(s) {absent}.")
        for key in self.plugin_params:
            setattr(self, key, values[key])

    @classmethod
    def param_names(cls) -> list[str]:
        """The plugin constructor's parameter names."""
        return list(cls.plugin_params)

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """The plugin constructor's parameters that have defaults."""
        sig = inspect.signature(cls.plugin_class)
        return {
            n: p.default for n, p in sig.parameters.items()
            if n in cls.plugin_params and p.default is not inspect.Parameter.empty
        }

    def get_params(self) -> dict[str, Any]:
        """The plugin's constructor arguments, as this instance holds them."""
        return {n: getattr(self, n) for n in self.plugin_params}

    def check_params(self) -> None:
        """Build the plugin once, so that its constructor and ``check_params`` reject bad values early."""
        plugin = self.plugin_class(**self.get_params())
        check = getattr(plugin, "check_params", None)
        if callable(check):
            check()

    def __reduce__(self):
        # The adapter class is made at run time, so pickle it by its plugin class.
        return (_rebuild, (self.plugin_class, self.__dict__.copy()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{self.plugin_class.__name__}({args})"

    def _fit(self, train: pd.DataFrame) -> None:
        if getattr(self, "plugin_", None) is None:
            self.plugin_ = self.plugin_class(**self.get_params())
        result = self.plugin_.fit(train)
        if result is not None and result is not self.plugin_:
            self.plugin_ = result  # a plugin may return a new fitted object

    def _predict(self, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...]) -> pd.DataFrame:
        if quantiles:
            out = self.plugin_.predict(context, horizon, quantiles)
        else:
            out = self.plugin_.predict(context, horizon)
        check_plugin_output(self.plugin_class, out, context, horizon, quantiles)
        return out


def check_plugin_output(
    cls: type, out: object, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...]
) -> None:
    """Raise :class:`PluginError` naming ``cls`` when its forecast frame is malformed."""
    where = f"plugin {plugin_label(cls)}: predict"
    if not isinstance(out, pd.DataFrame):
        raise PluginError(f"{where} returned {type(out).__name__}; expected a pandas DataFrame.")
    needed = [ID, "h", "y_pred", *quantile_columns(quantiles)]
    missing = [c for c in needed if c not in out.columns]
    if missing:
        raise PluginError(
            f"{where} returned columns {list(out.columns)}; missing {missing}. A forecast frame has "
            "one row per series and step with 'unique_id', 'h' (1..horizon), 'y_pred' and 'q_<level>' columns."
        )
    ids = pd.unique(context[ID])
    expected = len(ids) * horizon
    if len(out) != expected:
        raise PluginError(
            f"{where} returned {len(out)} rows; expected {len(ids)} series x horizon {horizon} = {expected}."
        )
    got = set(zip(out[ID], pd.to_numeric(out["h"], errors="coerce")))
    want = {(uid, h) for uid in ids for h in range(1, horizon + 1)}
    if got != want:
        bad = sorted(map(str, got ^ want))[:3]
        raise PluginError(
            f"{where} returned (unique_id, h) pairs that do not match the context's series and steps "
            f"1..{horizon}, e.g. {bad}."
        )
    values = pd.to_numeric(out["y_pred"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).all():
        raise PluginError(f"{where} returned no numeric value in 'y_pred'.")


def adapt_class(cls: type) -> type[ProtocolAdapter]:
    """The adapter subclass for plugin class ``cls`` (made once, then reused).

    Raises
    ------
    PluginError
        If the constructor takes ``*args``/``**kwargs`` or a parameter whose name
        the engine reserves, or ``tags`` is not a mapping.
    """
    if cls in _ADAPTERS:
        return _ADAPTERS[cls]
    label = plugin_label(cls)
    params = constructor_params(cls, f"plugin {label}")
    clash = sorted(set(params) & _RESERVED)
    if clash:
        raise PluginError(f"plugin {label}: constructor parameter(s) {clash} clash with names the engine uses.")
    tags = getattr(cls, "tags", {})
    if not isinstance(tags, Mapping):
        raise PluginError(f"plugin {label}: 'tags' must be a mapping, got {type(tags).__name__}.")
    name = getattr(cls, "name", None)
    attrs = {
        "plugin_class": cls,
        "plugin_params": tuple(params),
        "tags": dict(tags),
        "name": name if isinstance(name, str) else cls.__name__.lower(),
        "__module__": cls.__module__,
        "__doc__": cls.__doc__,
    }
    adapter = type(cls.__name__, (ProtocolAdapter,), attrs)
    _ADAPTERS[cls] = adapter
    return adapter


def adapt_instance(forecaster: object) -> BaseForecaster:
    """Wrap an instance of a protocol-only plugin; engine-ready forecasters are returned as they are.

    The instance's parameters are read back from ``get_params()`` when it has
    one, else from attributes named like the constructor's arguments.
    """
    cls = type(forecaster)
    if not needs_adapter(cls):
        return forecaster
    adapter = adapt_class(cls)
    getter = getattr(forecaster, "get_params", None)
    if callable(getter):
        params = dict(getter())
    else:
        absent = [n for n in adapter.plugin_params if not hasattr(forecaster, n)]
        if absent:
            raise PluginError(
                f"plugin {plugin_label(cls)}: cannot read parameter(s) {absent} back from the instance; "
                "store each constructor argument as an attribute of the same name, or add get_params()."
            )
        params = {n: getattr(forecaster, n) for n in adapter.plugin_params}
    wrapped = adapter(**params)
    name = getattr(forecaster, "name", None)
    if isinstance(name, str):
        wrapped.name = name
    return wrapped


def constructor_params(cls: type, label: str) -> list[str]:
    """The constructor's parameter names; :class:`PluginError` (prefixed ``label``) if it cannot be cloned."""
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"{label}: cannot read the constructor's signature: {exc}.") from exc
    variadic = [p.name for p in sig.parameters.values() if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if variadic:
        raise PluginError(
            f"{label}: the constructor takes *{variadic[0]}; it must name each parameter "
            "(def __init__(self, window=20)) so that parameters can be read back and the model cloned."
        )
    positional = [p.name for p in sig.parameters.values() if p.kind is p.POSITIONAL_ONLY]
    if positional:
        raise PluginError(f"{label}: constructor parameter(s) {positional} are positional-only; make them keywords.")
    return list(sig.parameters)


def _rebuild(cls: type, state: dict) -> ProtocolAdapter:
    adapter = adapt_class(cls)
    obj = adapter.__new__(adapter)
    obj.__dict__.update(state)
    return obj
