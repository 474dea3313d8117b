"""DLinear: a moving-average decomposition and one linear map each for trend and remainder.

After Zeng, Chen, Zhang and Xu, "Are Transformers Effective for Time Series
Forecasting?" (AAAI 2023). The input window is split into a trend (centred
moving average, ends padded by repetition) and a remainder; two linear maps
from the window to the next ``horizon`` values are summed. As in the paper's
shared-weights setting, one pair of maps serves every series (a global model).

The paper trains the maps by gradient descent on the squared error. Here they
are fitted in closed form by ridge regression on every training window of
every series; the ridge penalty acts on the trend and remainder weights
separately, which is what makes the decomposition matter to a linear model.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from tsbench.errors import DataError
from tsbench.forecasters.base import BaseForecaster
from tsbench.panel import ID, Y, iter_series, quantile_columns

__all__ = ["DLinear"]


class DLinear(BaseForecaster):
    """DLinear forecaster fitted by ridge least squares.

    Parameters
    ----------
    window
        Length ``L`` of the input window.
    horizon
        Number of steps ``H`` the linear maps output; longer forecasts are made
        recursively from the model's own forecasts.
    kernel_size
        Length of the moving average that extracts the trend (25 in the paper).
    alpha
        Ridge penalty on the weights (not on the intercept).
    normalize
        Subtract each window's last value from the window and its targets
        before fitting, and add it back to the forecast, so that series at
        different levels share the maps.
    """

    tags: ClassVar = {"global": True, "quantiles": True}
    name = "ridge_dlinear"

    def __init__(self, window: int = 30, horizon: int = 5, kernel_size: int = 25,
                 alpha: float = 1.0, normalize: bool = True) -> None:
        self.window = window
        self.horizon = horizon
        self.kernel_size = kernel_size
        self.alpha = alpha
        self.normalize = normalize

    def check_params(self) -> None:
        """Reject parameter values that cannot work."""
        for name in ("window", "horizon", "kernel_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha!r}")

    # -- fit ------------------------------------------------------------------------
    def _fit(self, train: pd.DataFrame) -> None:
        self.check_params()
        L, H = self.window, self.horizon
        blocks = [
            sliding_window_view(y, L + H)
            for _, g in iter_series(train)
            if len(y := g[Y].to_numpy(dtype=float)) >= L + H
        ]
        if not blocks:
            raise DataError(
                f"DLinear needs a series with at least window + horizon = {L + H} training observations; "
                f"the longest has {int(train.groupby(ID).size().max())}. Lower 'window' or use a longer history."
            )
        samples = np.concatenate(blocks)  # (N, L + H)
        x, target = samples[:, :L], samples[:, L:]  # (N, L), (N, H)
        level = x[:, -1:] if self.normalize else np.zeros((len(x), 1))
        z = self._features(x - level)  # (N, 2L + 1)
        penalty = np.full(z.shape[1], float(self.alpha))
        penalty[-1] = 0.0  # the intercept is not shrunk
        gram = z.T @ z + np.diag(penalty)
        self.weights_ = np.linalg.lstsq(gram, z.T @ (target - level), rcond=None)[0]  # (2L + 1, H)
        self.residuals_ = target - level - z @ self.weights_  # (N, H), in-sample errors per step

    def _features(self, x: np.ndarray) -> np.ndarray:
        """Trend, remainder and a constant for each window row of ``x`` (N, L)."""
        k = self.kernel_size
        front, back = (k - 1) // 2, k - 1 - (k - 1) // 2
        padded = np.concatenate([np.repeat(x[:, :1], front, 1), x, np.repeat(x[:, -1:], back, 1)], axis=1)
        csum = np.concatenate([np.zeros((len(x), 1)), np.cumsum(padded, axis=1)], axis=1)
        trend = (csum[:, k:] - csum[:, :-k]) / k  # (N, L): centred moving average
        return np.concatenate([trend, x - trend, np.ones((len(x), 1))], axis=1)

    # -- predict --------------------------------------------------------------------
    def _predict(self, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...]) -> pd.DataFrame:
        ids, windows = [], []
        for uid, g in iter_series(context):
            y = g[Y].to_numpy(dtype=float)[-self.window:]
            ids.append(uid)
            windows.append(np.concatenate([np.full(self.window - len(y), y[0]), y]))  # left-pad short contexts
        point = self._forecast(np.stack(windows), horizon)  # (S, horizon)
        cols = {
            ID: np.repeat(np.asarray(ids, dtype=object), horizon),
            "h": np.tile(np.arange(1, horizon + 1), len(ids)),
            "y_pred": point.reshape(-1),
        }
        if quantiles:
            offsets = self._residual_quantiles(horizon, quantiles)  # (horizon, Q)
            for col, off in zip(quantile_columns(quantiles), offsets.T):
                cols[col] = (point + off[None, :]).reshape(-1)
        return pd.DataFrame(cols)

    def _forecast(self, x: np.ndarray, horizon: int) -> np.ndarray:
        """Direct forecasts for the first ``self.horizon`` steps, then recursively."""
        out = []
        while sum(p.shape[1] for p in out) < horizon:
            level = x[:, -1:] if self.normalize else np.zeros((len(x), 1))
            step = self._features(x - level) @ self.weights_ + level  # (S, H)
            out.append(step)
            x = np.concatenate([x, step], axis=1)[:, -self.window:]
        return np.concatenate(out, axis=1)[:, :horizon]

    def _residual_quantiles(self, horizon: int, quantiles: tuple[float, ...]) -> np.ndarray:
        """Empirical quantiles of in-sample errors per step, widened by sqrt(h/H) past ``H``."""
        H = self.residuals_.shape[1]
        per_step = np.quantile(self.residuals_, quantiles, axis=0).T  # (H, Q)
        steps = np.arange(1, horizon + 1)
        base = per_step[np.minimum(steps, H) - 1]
        return base * np.sqrt(np.maximum(steps / H, 1.0))[:, None]
