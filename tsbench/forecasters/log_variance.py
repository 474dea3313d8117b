"""Any forecaster on the log of a variance proxy, forecasts carried back to variance (registry name ``log_variance``).

Machine-learning models (LightGBM, the LSTM) enter the volatility comparison
through this transform, which keeps the proxy positive and tames its skew:

1. the model is fitted on ``z = log(max(y, f))``, where ``y`` is the variance
   proxy and ``f`` a millionth of its training mean (a zero proxy has no log);
2. a forecast ``z_hat`` is carried back as ``c exp(z_hat)``. ``exp`` of a
   forecast of the log is a geometric, not an arithmetic, mean: ``c`` is the
   training mean of ``y_t / exp(m_t)``, with ``m_t`` the mean of ``z`` over
   the :data:`WINDOW` sessions ending at ``t``, the ratio between the two in
   the training data (about 3.5 for squared normal returns, near 1.2 for a
   range proxy).

Quantiles are of the return (the Value-at-Risk): a normal with mean zero
and the forecast variance.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsbench.forecasters.base import BaseForecaster
from tsbench.forecasters.volatility_baselines import normal_var
from tsbench.panel import DS, ID, Y, check_panel, quantile_columns, series_bounds

__all__ = ["LogVariance", "WINDOW", "log_transform", "bias_factor"]

#: Sessions of the local geometric mean behind the bias factor.
WINDOW = 22
_FLOOR = 1e-6


def log_transform(y: np.ndarray, floor: float) -> np.ndarray:
    """``log(max(y, floor))``."""
    return np.log(np.maximum(np.asarray(y, dtype=float), floor))


def bias_factor(y: np.ndarray, z: np.ndarray, window: int = WINDOW) -> float:
    """Mean of ``y_t / exp(m_t)``, ``m_t`` the mean of ``z`` over the ``window`` sessions ending at ``t``."""
    if len(z) < window:
        return float(np.mean(y) / np.exp(np.mean(z)))
    m = pd.Series(z).rolling(window).mean().to_numpy()[window - 1:]
    return float(np.mean(y[window - 1:] / np.exp(m)))


class LogVariance(BaseForecaster):
    """A forecaster fitted on the log variance proxy; forecasts carried back to variance.

    Parameters
    ----------
    model
        The registry name (or dotted path) of the forecaster on the log proxy, e.g. ``lightgbm`` or ``lstm``.
    params
        Its parameters.
    seed, horizon
        Passed to the inner model where it has them and leaves them unset
        (the runner fills them from the experiment).
    """

    tags: ClassVar = {"global": True, "quantiles": True, "batch_origins": True, "variance_model": True}
    name = "log_variance"

    def __init__(self, model: str = "lightgbm", params: dict | None = None, seed: int | None = None,
                 horizon: int | None = None) -> None:
        self.model = model
        self.params = params
        self.seed = seed
        self.horizon = horizon

    def check_params(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"model must be a model name such as 'lightgbm', got {self.model!r}.")
        if self.model == "log_variance":
            raise ValueError("model must not be 'log_variance' itself.")
        if self.params is not None and not isinstance(self.params, dict):
            raise ValueError(f"params must be a mapping of the inner model's parameters, got {self.params!r}.")
        self._inner()  # unknown models and parameters fail here, before any work

    def _inner(self):
        from tsbench.forecasters.registry import make_forecaster

        inner = make_forecaster(self.name, self.model, dict(self.params or {}))
        values = {"seed": self.seed, "random_state": self.seed, "horizon": self.horizon}
        own = inner.get_params()
        for key, value in values.items():
            if key in own and own[key] is None and value is not None:
                setattr(inner, key, value)
        return inner

    def _logged(self, panel: pd.DataFrame) -> pd.DataFrame:
        floor = panel[ID].map(self.floor_).to_numpy(dtype=float)
        return pd.DataFrame({ID: panel[ID].to_numpy(), DS: panel[DS].to_numpy(),
                             Y: log_transform(panel[Y].to_numpy(dtype=float), floor)})

    def _fit(self, train: pd.DataFrame) -> None:
        ids, starts, ends = series_bounds(train)
        y = train[Y].to_numpy(dtype=float)
        self.floor_ = {ids[s]: _FLOOR * float(np.mean(np.abs(y[s:e]))) or _FLOOR for s, e in zip(starts, ends)}
        logged = self._logged(train)
        z = logged[Y].to_numpy()
        self.bias_ = {ids[s]: bias_factor(y[s:e], z[s:e]) for s, e in zip(starts, ends)}
        if not hasattr(self, "inner_"):
            self.inner_ = self._inner()  # kept across refits, so the inner model may warm-start
        self.inner_.fit(logged)
        self.notes_ = {"var": "normal with mean zero and the forecast variance",
                       "transform": "log proxy; forecasts carried back as c*exp(z)"}

    def _back(self, frame: pd.DataFrame, quantiles: tuple[float, ...]) -> pd.DataFrame:
        bias = frame[ID].map(self.bias_).to_numpy(dtype=float)
        variance = bias * np.exp(frame["y_pred"].to_numpy(dtype=float))
        out = frame[[c for c in frame.columns if not c.startswith("q_")]].assign(y_pred=variance)
        if quantiles:
            for col, values in zip(quantile_columns(quantiles), normal_var(variance, quantiles).T):
                out[col] = values
        return out

    def _predict(self, context, horizon, quantiles) -> pd.DataFrame:
        raw = self.inner_.predict(self._logged(context), horizon)
        return self._back(raw, quantiles)[[ID, "h", "y_pred", *quantile_columns(quantiles)]]

    def predict_origins(self, history, cutoffs, horizon, quantiles=()) -> pd.DataFrame:
        """The inner model's forecasts from each cutoff (batched as it batches), carried back to variance."""
        self._check_fitted()
        quantiles = self._check_quantiles(quantiles)
        history = check_panel(history, "history")
        raw = self.inner_.predict_origins(self._logged(history), cutoffs, horizon)
        return self._back(raw, quantiles).assign(model=self.name)

    def get_state(self) -> dict[str, Any]:
        """The fitted floors and bias factors per series (for inspection)."""
        return {"floor": dict(self.floor_), "bias": dict(self.bias_)}
