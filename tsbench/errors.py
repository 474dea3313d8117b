"""Typed errors that tell the user what was expected, what was got and how to fix it."""

__all__ = ["TsbenchError", "ConfigError", "DataError", "PluginError", "NotFittedError"]


class TsbenchError(Exception):
    """Base class of every error tsbench raises on purpose."""


class ConfigError(TsbenchError, ValueError):
    """The experiment file or a forecaster's parameters are invalid."""


class DataError(TsbenchError, ValueError):
    """A data source or a panel does not have the expected shape or content."""


class PluginError(TsbenchError):
    """A forecaster plugin could not be loaded or does not honour the contract."""


class NotFittedError(TsbenchError, RuntimeError):
    """``predict`` was called before ``fit``."""
