"""Forecasters that read covariates, honest and cheating, for the engine and conformance tests.

Loaded by dotted path (``covariate_fixtures:LaggedRegression``) as a user's plugin module would be.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from tsbench.forecasters.base import BaseForecaster, LocalForecaster
from tsbench.panel import DS, ID, Y, quantile_column


class LaggedRegression(LocalForecaster):
    """y regressed on the past covariate one row earlier; each step adds ``weight`` x its known covariates."""

    tags: ClassVar = {"covariates": ("past", "known", "static"), "min_train_size": 5}

    def __init__(self, weight: float = 0.1):
        self.weight = weight

    def _columns(self, kind: str) -> list[int]:
        return [j for j, c in enumerate(self.covariates.columns) if self.covariates.kind_of(c) == kind]

    def _fit_one(self, y, X=None):
        past = self._columns("past") if X is not None else []
        if not past:
            return float(np.mean(y)), 0.0
        x = X[:-1, past[0]]
        design = np.column_stack([np.ones(len(x)), x])
        a, b = np.linalg.lstsq(design, y[1:], rcond=None)[0]
        return float(a), float(b)

    def _predict_one(self, state, y, horizon, X=None, X_future=None):
        a, b = state
        past = self._columns("past") if X is not None else []
        level = a + (b * X[-1, past[0]] if past else 0.0)
        out = np.full(horizon, level)
        known = self._columns("known") if X_future is not None else []
        if known:
            out = out + self.weight * X_future[:, known].sum(axis=1)
        return out


class PeekingCovariate(LaggedRegression):
    """Cheats through ``_predict_many``: reads the past covariate one row after each cutoff when there is one."""

    tags: ClassVar = {"covariates": ("past",)}

    def _predict_many(self, states, y, starts, ends, horizon, quantiles, X=None, X_future=None):
        points = []
        for (a, b), e in zip(states, ends):
            peek = 0.0 if X is None else X[min(e, len(X) - 1), self._columns("past")[0]]  # the row after the cutoff
            points.append(np.full(horizon, a + b * peek))
        return np.stack(points), None


class PanelPeeker(BaseForecaster):
    """A panel-level forecaster whose ``_predict_origins`` reads the history row after each cutoff."""

    tags: ClassVar = {"covariates": ("past",), "batch_origins": True}

    def __init__(self):
        pass

    def _fit(self, train):
        self.mean_ = float(train[Y].mean())

    def _level(self, rows: pd.DataFrame) -> float:
        column = self.covariates.past[0] if self.covariates.past else Y
        return self.mean_ + float(rows[column].iloc[-1])

    def _predict(self, context, horizon, quantiles):
        levels = {uid: self._level(g) for uid, g in context.groupby(ID, sort=False)}  # honest: the cutoff's row
        return pd.DataFrame([(uid, h, v) for uid, v in levels.items() for h in range(1, horizon + 1)],
                            columns=[ID, "h", "y_pred"])

    def _predict_origins(self, history, cutoffs, horizon, quantiles):
        out = []
        for uid, cut in zip(cutoffs[ID], cutoffs["cutoff"]):
            g = history[history[ID] == uid].reset_index(drop=True)
            stop = int(np.searchsorted(g[DS].to_numpy(), np.asarray(cut, dtype=g[DS].dtype), side="right"))
            context = g.iloc[:stop]
            peek = g.iloc[: min(stop + 1, len(g))] if self.covariates else context  # one row past the cutoff
            raw = pd.DataFrame({ID: uid, "h": range(1, horizon + 1), "y_pred": self._level(peek)})
            out.append(self._finish(raw, context, horizon, quantiles))
        return pd.concat(out, ignore_index=True)


class EchoKnown(BaseForecaster):
    """Forecasts, at step h, the known covariate's value h rows after the context: what ``future`` gave it."""

    tags: ClassVar = {"covariates": ("known",)}

    def __init__(self):
        pass

    def _fit(self, train):
        self.fitted_columns_ = list(train.columns)

    def _predict(self, context, horizon, quantiles, future=None):
        if future is None:  # without covariates: the last value
            last = context.groupby(ID, sort=False)[Y].last()
            return pd.DataFrame([(uid, h, v) for uid, v in last.items() for h in range(1, horizon + 1)],
                                columns=[ID, "h", "y_pred"])
        column = self.covariates.known[0]
        rows = []
        for uid, g in context.groupby(ID, sort=False):
            ahead = future[future[ID] == uid].sort_values(DS)
            ahead = ahead[ahead[DS] > g[DS].iloc[-1]][column].to_numpy()[:horizon]
            rows += [(uid, h + 1, float(v)) for h, v in enumerate(ahead)]
        return pd.DataFrame(rows, columns=[ID, "h", "y_pred"])


class EchoKnownBatch(EchoKnown):
    """:class:`EchoKnown` forecasting every origin of a block in one ``predict_origins`` call."""

    tags: ClassVar = {"batch_origins": True}


class KnownPeeker(EchoKnown):
    """Cheats with ``future``: at step h it forecasts the known value of step h + 1, past the horizon."""

    def _predict(self, context, horizon, quantiles, future=None):
        out = super()._predict(context, horizon + 1, quantiles, future)
        if future is None or len(out) < len(pd.unique(context[ID])) * (horizon + 1):
            return super()._predict(context, horizon, quantiles, future)  # no row beyond the horizon to read
        out["y_pred"] = out.groupby(ID, sort=False)["y_pred"].shift(-1)
        return out[out["h"] <= horizon].reset_index(drop=True)


class ColumnCounter(BaseForecaster):
    """Forecasts 100 x the extra columns its training frame had plus those of its context (0 without covariates)."""

    tags: ClassVar = {"quantiles": True, "covariates": ("past", "known", "static")}

    def __init__(self):
        pass

    @staticmethod
    def _extra(frame: pd.DataFrame) -> int:
        return len(set(frame.columns) - {ID, DS, Y})

    def _fit(self, train):
        self.n_train_ = self._extra(train)

    def _predict(self, context, horizon, quantiles, future=None):
        value = 100.0 * self.n_train_ + self._extra(context)
        ids = pd.unique(context[ID])
        out = pd.DataFrame({ID: np.repeat(ids, horizon), "h": np.tile(np.arange(1, horizon + 1), len(ids)),
                            "y_pred": value})
        for q in quantiles:
            out[quantile_column(q)] = value
        return out


class Failing(LocalForecaster):
    """Reads covariates but fails every fit: its fallback forecasts instead."""

    tags: ClassVar = {"covariates": ("past", "known", "static")}

    def __init__(self):
        pass

    def _fit_one(self, y, X=None):
        raise RuntimeError("this model never fits")
