"""What the three library adapters share: a class made per library model, with that model's parameters."""

from __future__ import annotations

import importlib
import inspect
from typing import Any, ClassVar

from tsbench.errors import ConfigError, PluginError

__all__ = ["LibraryAdapter", "import_library", "make_adapter", "library_class", "library_parameters"]

_MADE: dict[tuple[type, type], type] = {}


def import_library(library: str, module: str = "") -> Any:
    """Import ``module`` (default: ``library``) or raise :class:`PluginError` with the extra to install."""
    try:
        return importlib.import_module(module or library)
    except ImportError as exc:
        raise PluginError(
            f"the {library} adapter needs the package {library!r}, which cannot be imported ({exc}). "
            f'Install it with: pip install "tsbench[{library}]"'
        ) from exc


def library_class(library: str, name: str, candidates: dict[str, type]) -> type:
    """The class ``name`` among ``candidates``, or :class:`ConfigError` listing the close names."""
    if name in candidates:
        return candidates[name]
    lowered = {k.lower(): k for k in candidates}
    close = [lowered[name.lower()]] if name.lower() in lowered else sorted(
        k for k in candidates if name.lower()[:4] in k.lower()
    )[:8]
    hint = f" Did you mean {close}?" if close else ""
    raise ConfigError(
        f"unknown {library} model {name!r}; expected one of the {len(candidates)} classes of {library} "
        f"(e.g. {sorted(candidates)[:6]}).{hint}"
    )


def library_parameters(cls: type, label: str) -> dict[str, inspect.Parameter]:
    """The named constructor parameters of a library class (``**kwargs`` is not one).

    Read from ``__init__``: a metaclass ``__call__`` (Darts has one) would hide them.
    """
    try:
        sig = inspect.signature(cls.__init__ if isinstance(cls, type) else cls)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"{label}: cannot read the constructor's signature: {exc}.") from exc
    return {
        n: p for n, p in sig.parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and n != "self"
    }


class LibraryAdapter:
    """Mixin: the constructor parameters of one library model are the adapter's own.

    Subclasses are made by :func:`make_adapter`. They store each keyword argument
    unchanged (library defaults filled in), so the engine reads them back, clones
    and seeds the forecaster as it does a built-in one; the library object is made
    at ``fit`` from :meth:`library_kwargs`.
    """

    library: ClassVar[str] = ""
    library_class: ClassVar[type]
    plugin_class: ClassVar[type]  # what ``tsbench models`` documents: the library class
    library_params: ClassVar[tuple[str, ...]] = ()
    library_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.library_params))
        if unknown:
            raise TypeError(
                f"{self.label()} got unexpected parameter(s) {unknown}; its parameters are {list(self.library_params)}."
            )
        values = {**self.param_defaults(), **params}
        absent = [n for n in self.library_params if n not in values]
        if absent:
            raise TypeError(f"{self.label()} needs parameter(s) {absent}.")
        for key in self.library_params:
            setattr(self, key, values[key])

    @classmethod
    def label(cls) -> str:
        """``library:Class``, as an experiment file names the model."""
        return f"{cls.library}:{cls.library_class.__name__}"

    @classmethod
    def param_names(cls) -> list[str]:
        """The library constructor's parameter names."""
        return list(cls.library_params)

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """The library constructor's parameters that have defaults."""
        return dict(cls.library_defaults)

    def get_params(self) -> dict[str, Any]:
        """The library model's constructor arguments, as this instance holds them."""
        return {n: getattr(self, n) for n in self.library_params}

    def library_kwargs(self) -> dict[str, Any]:
        """The keyword arguments the library object is built with."""
        return self.get_params()

    def make_library_model(self) -> Any:
        """A new, unfitted library object with this instance's parameters."""
        return self.library_class(**self.library_kwargs())

    def check_params(self) -> None:
        """Build the library object once, so that it rejects bad values before any work."""
        self.make_library_model()

    def __reduce__(self):
        # the class is made at run time: pickle it by the library and class it adapts
        return (_rebuild, (self.library, self.library_class, type(self).__mro__[1], self.__dict__.copy()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{self.label()}({args})"


def make_adapter(
    base: type, library: str, cls: type, tags: dict[str, object], params: dict[str, inspect.Parameter] | None = None
) -> type:
    """The adapter class of library class ``cls`` on ``base`` (made once, then reused).

    ``params`` are the constructor parameters the adapter takes (default: those
    of ``cls``'s signature); a library whose classes pass ``**kwargs`` to a base
    class names the base's parameters here.
    """
    key = (base, cls)
    if key not in _MADE:
        if params is None:
            params = library_parameters(cls, f"{library}:{cls.__name__}")
        attrs = {
            "library_defaults": {n: p.default for n, p in params.items() if p.default is not inspect.Parameter.empty},
            "library": library,
            "library_class": cls,
            "plugin_class": cls,
            "library_params": tuple(params),
            "tags": dict(tags),
            "name": cls.__name__.lower(),
            "__module__": base.__module__,
            "__doc__": cls.__doc__,
            "__qualname__": f"{base.__name__}[{cls.__name__}]",
        }
        _MADE[key] = type(f"{base.__name__}[{cls.__name__}]", (base,), attrs)
    return _MADE[key]


def _rebuild(library: str, cls: type, base: type, state: dict) -> LibraryAdapter:
    adapter = _MADE.get((base, cls)) or base.adapter_of(cls)
    obj = adapter.__new__(adapter)
    obj.__dict__.update(state)
    return obj
