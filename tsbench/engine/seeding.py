"""How the engine prepares a model before it runs: seeds, and parameters filled from the experiment."""

from __future__ import annotations

import random

import numpy as np

__all__ = ["fill_unset_params", "seed_everything"]


def fill_unset_params(model, **values) -> None:
    """Give each named parameter the model has and leaves at None the value given here.

    The runner fills ``seed``/``random_state`` from the experiment's seed, and
    ``horizon``/``quantiles`` from the backtest: models that train one output per
    step or per quantile level (the neural forecasters) need both at fit time,
    before ``predict`` says what it wants.
    """
    params = model.get_params()
    for name, value in values.items():
        if name in params and params[name] is None:
            setattr(model, name, value)


def seed_everything(seed: int) -> None:
    """Seed Python's and numpy's global generators, as each cell is seeded before it runs."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
