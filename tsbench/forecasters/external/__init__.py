"""Models of other forecasting libraries (statsforecast, sktime, Darts) as tsbench forecasters.

An experiment names them ``"<library>:<Class>"``; :func:`adapter_class` makes
the forecaster class for such a name, importing the library only then.
"""

from __future__ import annotations

import importlib

from tsbench.errors import ConfigError

__all__ = ["LIBRARIES", "adapter_class", "is_library_model", "library_models"]

#: Library prefix -> the module of its adapter.
LIBRARIES: dict[str, str] = {
    "statsforecast": "tsbench.forecasters.external.statsforecast",
    "sktime": "tsbench.forecasters.external.sktime",
    "darts": "tsbench.forecasters.external.darts",
}


def is_library_model(model: str) -> bool:
    """True when ``model`` reads ``<library>:<name>`` for a library with an adapter."""
    prefix, sep, _ = model.partition(":")
    return bool(sep) and prefix in LIBRARIES


def _adapter_module(library: str):
    return importlib.import_module(LIBRARIES[library])


def adapter_class(model: str) -> type:
    """The forecaster class behind ``"<library>:<name>"``.

    Raises
    ------
    ConfigError
        For an unknown library prefix or a class the library does not have.
    PluginError
        When the library is not installed (the message gives the extra to install).
    """
    library, _, name = model.partition(":")
    if library not in LIBRARIES or not name:
        raise ConfigError(
            f"model {model!r}: expected '<library>:<Class>' with a library among {sorted(LIBRARIES)}, "
            "e.g. 'statsforecast:AutoARIMA'."
        )
    return _adapter_module(library).adapter_for(name)


def library_models(library: str) -> list[str]:
    """Every model name of ``library`` an experiment may use (``"<library>:<Class>"``)."""
    if library not in LIBRARIES:
        raise ConfigError(f"unknown library {library!r}; expected one of {sorted(LIBRARIES)}.")
    return [f"{library}:{name}" for name in sorted(_adapter_module(library).model_classes())]
