"""Forecasters: the contract, its base classes and the built-in model families."""

from tsbench.forecasters.base import BaseForecaster, Forecaster, LocalForecaster

__all__ = ["Forecaster", "BaseForecaster", "LocalForecaster"]
