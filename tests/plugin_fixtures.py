"""Forecaster classes, good and broken, that the plugin and conformance tests load by dotted path."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from tsbench.forecasters.base import BaseForecaster, LocalForecaster


class PlainMean:
    """A protocol-only plugin: mean of the last ``window`` values, no tsbench base class."""

    name = "plain_mean"
    tags: ClassVar = {"quantiles": False}

    def __init__(self, window=5, seed=None):
        self.window = window
        self.seed = seed

    def check_params(self):
        if not isinstance(self.window, int) or self.window < 1:
            raise ValueError(f"window must be a positive integer, got {self.window!r}")

    def fit(self, train):
        self.n_series_ = train["unique_id"].nunique()
        return self

    def predict(self, context, horizon, quantiles=()):
        rows = []
        for uid, g in context.groupby("unique_id", sort=False):
            level = float(g["y"].iloc[-self.window:].mean())
            rows += [{"unique_id": uid, "h": h, "y_pred": level} for h in range(1, horizon + 1)]
        return pd.DataFrame(rows)


class ClassCacheCheater:
    """Remembers every panel it is shown in a class attribute and reads the future from it."""

    name = "cheater"
    tags: ClassVar = {}
    memory: ClassVar[dict] = {}

    def __init__(self):
        pass

    def _remember(self, panel):
        for uid, g in panel.groupby("unique_id", sort=False):
            known = ClassCacheCheater.memory.setdefault(self._key(uid, g), {})
            known.update(zip(g["ds"], g["y"]))

    @staticmethod
    def _key(uid, g):
        return uid, str(g["ds"].dtype)

    def fit(self, train):
        self._remember(train)
        return self

    def predict(self, context, horizon, quantiles=()):
        self._remember(context)
        rows = []
        for uid, g in context.groupby("unique_id", sort=False):
            known = ClassCacheCheater.memory[self._key(uid, g)]
            later = [known[d] for d in sorted(known) if d > g["ds"].iloc[-1]]
            fallback = float(g["y"].iloc[-1])
            for h in range(1, horizon + 1):
                rows.append({"unique_id": uid, "h": h, "y_pred": later[h - 1] if h <= len(later) else fallback})
        return pd.DataFrame(rows)


class PeekingLocal(LocalForecaster):
    """A base-class forecaster whose predict_origins ignores the cutoffs and uses the whole history."""

    def __init__(self):
        pass

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, y[-1])

    def predict_origins(self, history, cutoffs, horizon, quantiles=()):
        out = []
        for _, row in cutoffs.iterrows():
            g = history[history["unique_id"] == row["unique_id"]]
            frame = self.predict(g, horizon, quantiles)
            frame["cutoff"] = row["cutoff"]
            out.append(frame)
        return pd.concat(out, ignore_index=True)


class WrongShape(LocalForecaster):
    """Drops the last row of every forecast frame."""

    def __init__(self):
        pass

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, y[-1])

    def predict(self, context, horizon, quantiles=()):
        return super().predict(context, horizon, quantiles).iloc[:-1]


class PlainWrongShape(PlainMean):
    """A protocol-only plugin that forecasts a single step whatever the horizon."""

    def predict(self, context, horizon, quantiles=()):
        return super().predict(context, 1, quantiles)


class Noisy(LocalForecaster):
    """Draws from an unseeded generator, so two fits disagree."""

    def __init__(self):
        pass

    def _predict_one(self, state, y, horizon):
        return y[-1] + np.random.default_rng().normal(size=horizon)


class NoGuards(LocalForecaster):
    """Bypasses the base class's input checks in fit and predict."""

    def __init__(self):
        pass

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, y[-1])

    def fit(self, train):
        self._fit(train)
        self.is_fitted_ = True
        return self

    def predict(self, context, horizon, quantiles=()):
        return self._finish(self._predict(context, horizon, ()), context, horizon, ())


class MissingPredict:
    """Has fit but no predict."""

    tags: ClassVar = {}

    def fit(self, train):
        return self


class AbstractLocal(LocalForecaster):
    """Forgets to implement _predict_one."""

    def __init__(self):
        pass


class TakesKwargs(BaseForecaster):
    """Hides its parameters behind **kwargs, so it cannot be cloned."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def _fit(self, train):
        pass

    def _predict(self, context, horizon, quantiles):
        raise NotImplementedError


class RenamesParams(LocalForecaster):
    """Stores its parameter under another name, so get_params() cannot read it back."""

    def __init__(self, window=3):
        self.size = window

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, y[-1])


class BadTags:
    """Declares tags as a list."""

    tags = ["global"]

    def fit(self, train):
        return self

    def predict(self, context, horizon, quantiles=()):
        return None


def not_a_class(train):
    """A function where a class is expected."""
    return train


class ExplodingConstructor(LocalForecaster):
    """Its constructor fails for a reason that has nothing to do with the parameters."""

    def __init__(self, window=3):
        raise RuntimeError("cannot reach the licence server")

    def _predict_one(self, state, y, horizon):
        return np.full(horizon, y[-1])
