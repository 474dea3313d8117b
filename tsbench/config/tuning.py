"""The ``tune:`` sections of the experiment schema: search spaces, budgets and the inner validation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from tsbench.config.fields import Int, PositiveInt, StrictModel

__all__ = ["ParamRange", "TuneBudget", "InnerValidation", "TuneSpec", "ExperimentTuneSpec"]


class ParamRange(StrictModel):
    """The values one parameter may take in a search: an ``int`` or ``float`` range, or ``categorical`` choices."""

    type: Literal["int", "float", "categorical"]
    low: float | None = None
    high: float | None = None
    step: float | None = Field(None, gt=0)
    log: bool = False
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ParamRange:
        if self.type == "categorical":
            if self.low is not None or self.high is not None or self.step is not None or self.log:
                raise ValueError("'categorical' takes 'choices' only; 'low'/'high'/'step'/'log' are for int and float")
            if self.choices is None:
                raise ValueError("'categorical' needs 'choices', e.g. choices: [[1, 1, 0], [1, 1, 1]]")
            return self
        if self.choices is not None:
            raise ValueError(f"'{self.type}' takes 'low' and 'high'; 'choices' is for 'categorical'")
        if self.low is None or self.high is None:
            raise ValueError(f"'{self.type}' needs both 'low' and 'high'")
        if self.low > self.high:
            raise ValueError(f"'low' ({self.low:g}) is above 'high' ({self.high:g})")
        if self.type == "int" and not all(float(v).is_integer() for v in (self.low, self.high, self.step or 1)):
            raise ValueError("'int' needs whole numbers for 'low', 'high' and 'step'")
        if self.log and self.low <= 0:
            raise ValueError(f"'log: true' needs 'low' > 0, got {self.low:g}")
        if self.log and self.step is not None and not (self.type == "int" and self.step == 1):
            raise ValueError("'log: true' cannot be combined with a 'step'")
        return self


class TuneBudget(StrictModel):
    """How much search one block gets: a number of trials, or seconds of searching."""

    trials: Int | None = Field(None, ge=0)
    seconds: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> TuneBudget:
        if (self.trials is None) == (self.seconds is None):
            raise ValueError("give exactly one of 'trials' (a count) or 'seconds' (a time per search)")
        return self


class InnerValidation(StrictModel):
    """Rolling origins inside one block's training data that score each trial.

    The last inner origin leaves ``horizon`` observations after it for scoring;
    the others lie ``step`` apart before it. ``refit_every`` inner origins share
    one fit (``once``: one fit for all); a pruner decides after each of them.
    """

    origins: PositiveInt = 5
    step: PositiveInt = 1
    horizon: PositiveInt | None = None
    refit_every: PositiveInt | Literal["once"] = "once"


class TuneSpec(StrictModel):
    """A hyperparameter search run at every ``tune_every``-th refit block, on that block's training data alone."""

    space: dict[str, ParamRange]
    budget: TuneBudget | None = None
    validation: InnerValidation = Field(default_factory=InnerValidation)
    metric: str = "mae"
    sampler: Literal["tpe", "random", "grid"] = "tpe"
    pruner: Literal["none", "median", "halving"] = "none"
    tune_every: PositiveInt = 1
    #: Independent searches a block's budget is split into, run in parallel by the executor.
    parallel: PositiveInt = 1


class ExperimentTuneSpec(StrictModel):
    """Search settings shared by every tuned forecaster.

    ``trials`` or ``seconds`` is the budget of a forecaster whose ``tune`` names
    none; ``budget: same`` also requires every tuned forecaster to search with
    that one budget, so their tuning costs compare.
    """

    budget: Literal["same", "own"] = "own"
    trials: Int | None = Field(None, ge=0)
    seconds: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _at_most_one(self) -> ExperimentTuneSpec:
        if self.trials is not None and self.seconds is not None:
            raise ValueError("give 'trials' or 'seconds', not both")
        return self
