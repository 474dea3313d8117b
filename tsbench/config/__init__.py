"""The schema of the experiment file: strict pydantic models, readable errors, and the config hash.

This package is a leaf: its modules import nothing of tsbench but each other
and the errors. The checks that need the model registry or the metrics live in
:mod:`tsbench.experiment`.
"""

from tsbench.config.covariates import CALENDAR_COLUMNS, CovariateSpec
from tsbench.config.fields import Int, Number, PositiveFloat, PositiveInt, StrictModel
from tsbench.config.schema import (
    BacktestSpec,
    ColumnsSpec,
    DataSpec,
    ExecutorSpec,
    Experiment,
    ForecasterSpec,
    ReportSpec,
    TradingSpec,
    config_hash,
    validate_experiment,
)
from tsbench.config.tuning import ExperimentTuneSpec, InnerValidation, ParamRange, TuneBudget, TuneSpec

__all__ = [
    "ColumnsSpec",
    "DataSpec",
    "CovariateSpec",
    "CALENDAR_COLUMNS",
    "BacktestSpec",
    "ForecasterSpec",
    "ParamRange",
    "TuneBudget",
    "InnerValidation",
    "TuneSpec",
    "ExperimentTuneSpec",
    "ExecutorSpec",
    "TradingSpec",
    "ReportSpec",
    "Experiment",
    "validate_experiment",
    "config_hash",
    "Int",
    "Number",
    "PositiveFloat",
    "PositiveInt",
    "StrictModel",
]
