"""Parameter checks shared by the built-in forecasters: one rule per kind of value, one wording.

Each raises :class:`~tsbench.errors.ConfigError` (a ``ValueError``) naming the
parameter, what was expected and the value received.
Integers accept numpy integers and refuse booleans (YAML's ``yes`` is no count).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tsbench.errors import ConfigError

__all__ = ["is_int", "check_int", "check_number", "check_choice", "check_bool", "check_horizon"]


def is_int(value: object, low: int | None = None) -> bool:
    """True for an integer (Python or numpy, not a boolean) of at least ``low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return False
    return low is None or value >= low


def check_int(name: str, value: object, low: int | None = None, optional: bool = False) -> None:
    """Refuse anything but an integer >= ``low`` (or None, when ``optional``)."""
    if optional and value is None:
        return
    if not is_int(value, low):
        bound = "an integer" if low is None else ("a positive integer" if low == 1 else f"an integer >= {low}")
        raise ConfigError(f"{name} must be {bound}{' or null' if optional else ''}, got {value!r}.")


def check_number(name: str, value: object, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Refuse anything but a real number within the bounds; return it as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ConfigError(f"{name} must be a number, got {value!r}.")
    x = float(value)
    below = low is not None and (x <= low if low_open else x < low)
    above = high is not None and (x >= high if high_open else x > high)
    if below or above:
        lo = "" if low is None else f"{'(' if low_open else '['}{low:g}"
        hi = "" if high is None else f"{high:g}{')' if high_open else ']'}"
        where = f"in {lo}, {hi}" if low is not None and high is not None else (
            f"{'>' if low_open else '>='} {low:g}" if low is not None else f"{'<' if high_open else '<='} {high:g}")
        raise ConfigError(f"{name} must be {where}, got {value!r}.")
    return x


def check_choice(name: str, value: object, choices: Sequence[object]) -> None:
    """Refuse a value outside ``choices``."""
    if value not in choices:
        raise ConfigError(f"{name} must be one of {list(choices)}, got {value!r}.")


def check_bool(name: str, value: object) -> None:
    """Refuse anything but true or false."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name} must be true or false, got {value!r}.")


def check_horizon(horizon: object) -> int:
    """The forecast horizon as an int; anything but a positive integer is refused."""
    check_int("horizon", horizon, low=1)
    return int(horizon)
