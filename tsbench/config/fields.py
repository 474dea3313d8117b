"""Strict field types of the experiment schema: integers that are integers, numbers that are not booleans."""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Gt
from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict

__all__ = ["Int", "PositiveInt", "Number", "PositiveFloat", "StrictModel"]


def _no_bool(value: Any) -> Any:
    # YAML reads yes/no/on/off/true/false as booleans, which pydantic would take as 1 and 0
    if isinstance(value, bool):
        raise ValueError("Input should be a number, not a boolean")
    return value


#: Integers that must be written as integers: ``horizon: yes`` or ``horizon: 2.5`` is refused, not read as 1 or 2.
Int = Annotated[int, Strict()]
PositiveInt = Annotated[int, Strict(), Gt(0)]
#: Numbers (integers or decimals), but never booleans.
Number = Annotated[float, BeforeValidator(_no_bool)]
PositiveFloat = Annotated[float, BeforeValidator(_no_bool), Gt(0)]


class StrictModel(BaseModel):
    """A schema section: unknown keys are errors, and a parsed section never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
