"""The global neural forecaster: fit on windows of every series, predict all series and origins in one pass.

Subclasses (``lstm.py``, ``transformer.py``) only store their parameters and
build the torch module in ``_build_module(horizon, n_outputs)``; the module maps
normalised windows ``(B, input_size)`` to ``(B, horizon, n_outputs)`` and has a
final ``nn.Linear`` called ``head`` whose ``horizon * n_outputs`` outputs are
read in that order.

A model that mixes channels (``mixes_channels = True``, e.g. iTransformer) maps
``(B, C, input_size)`` to ``(B, C, horizon, n_outputs)`` instead: when every
series of the training panel is observed at the same times (the columns of one
wide file), they are its ``C`` channels, and it then forecasts those channels
together; otherwise each series is a panel of one channel.

A model that takes covariates (its ``covariates`` tag) builds its module for
them from ``self.covariates`` and takes them as ``module(x, enc, dec)``, as
:mod:`~tsbench.forecasters.neural.covariate_windows` describes.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.stats import norm

from tsbench.errors import DataError
from tsbench.forecasters._checks import check_int
from tsbench.forecasters.base import BaseForecaster
from tsbench.forecasters.covariate_arrays import covariate_matrix
from tsbench.forecasters.neural import covariate_windows as cw
from tsbench.forecasters.neural.training import (
    TrainConfig,
    forward,
    resolve_device,
    thread_limit,
    torch,
    train_module,
)
from tsbench.forecasters.neural.windows import (
    denormalise,
    input_windows,
    make_channel_windows,
    make_windows,
    normalise,
    scale_floor,
)
from tsbench.panel import DS, ID, Y, quantile_columns, series_bounds

__all__ = ["NeuralForecaster", "DEFAULT_HORIZON", "DEFAULT_LEVELS"]

#: Steps trained when neither the experiment nor the user gives ``horizon``.
DEFAULT_HORIZON = 10
#: Quantile levels trained when neither the experiment nor the user gives ``quantiles``.
DEFAULT_LEVELS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)

#: Integer parameters that must be >= 1, checked where a model has them.
_POSITIVE_INTS = ("input_size", "hidden_size", "num_layers", "max_steps", "batch_size", "num_heads", "d_ff",
                  "patch_len", "stride", "kernel_size")


class NeuralForecaster(BaseForecaster):
    """A global model over all series of the panel, trained on normalised windows.

    Shared behaviour, whatever the network:

    - windows are normalised by their last value and step size and the network
      predicts the change from the last value, starting at zero (the random walk);
    - one training run of at most ``max_steps`` AdamW steps, keeping the weights
      that do best on a validation tail carved from the training data;
    - ``horizon`` steps are predicted at once (direct multi-step); longer
      horizons are reached by feeding the forecasts back in;
    - quantile heads are trained with the pinball loss at the levels of
      ``quantiles`` (the experiment's levels when run by tsbench); other levels
      inside their range are interpolated;
    - a later ``fit`` on the same instance continues from the previous weights
      for ``refit_steps`` steps when that parameter is set (0 keeps the weights).
    """

    tags: ClassVar = {"global": True, "quantiles": True, "batch_origins": True, "reads_last": "input_size"}
    #: True for models over aligned channels ``(B, C, L)``; False for models over one series ``(B, L)``.
    mixes_channels: ClassVar[bool] = False

    # -- parameters ----------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise ``ValueError`` for parameter values that cannot work."""
        for name in _POSITIVE_INTS:
            if hasattr(self, name):  # a linear model has no hidden size or layers
                check_int(name, getattr(self, name), low=1)
        check_int("horizon", self.horizon, low=1, optional=True)
        if not self.learning_rate > 0:
            raise ValueError(f"'learning_rate' must be > 0, got {self.learning_rate!r}.")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"'dropout' must lie in [0, 1), got {self.dropout!r}.")
        if not 0 <= self.val_size < 1:
            raise ValueError(f"'val_size' must lie in [0, 1), got {self.val_size!r}.")
        if int(self.early_stopping) < 0:
            raise ValueError(f"'early_stopping' is a patience (evaluations), >= 0; got {self.early_stopping!r}.")
        if self.refit_steps is not None and int(self.refit_steps) < 0:
            raise ValueError(f"'refit_steps' must be None or >= 0, got {self.refit_steps!r}.")
        bad = [q for q in (self.quantiles or ()) if not 0 < q < 1]
        if bad:
            raise ValueError(f"'quantiles' must lie strictly between 0 and 1, got {bad}.")
        if getattr(self, "loss", "huber") not in ("huber", "mse"):
            raise ValueError(f"'loss' must be 'huber' or 'mse', got {self.loss!r}.")
        if self.device not in ("auto", "cpu") and not str(self.device).startswith(("cuda", "mps")):
            raise ValueError(f"'device' must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {self.device!r}.")
        if hasattr(self, "patch_len") and self.patch_len > self.input_size:
            raise ValueError(f"'patch_len' ({self.patch_len}) must not exceed 'input_size' ({self.input_size}).")
        if hasattr(self, "num_heads") and self.hidden_size % self.num_heads:
            raise ValueError(f"'hidden_size' ({self.hidden_size}) must be divisible by 'num_heads' ({self.num_heads}).")

    def _build_module(self, horizon: int, n_outputs: int):
        raise NotImplementedError

    def _windows(self, train: pd.DataFrame, horizon: int):
        """Training windows; for a channel-mixing model, also learn which series are its channels."""
        if self.covariates:
            return cw.training_windows(train, self.covariates, self.covariate_stats_, self.input_size, horizon,
                                       self.val_size)
        groups = train.groupby(ID, sort=False)
        uids, series = zip(*((uid, g.to_numpy(dtype=np.float64)) for uid, g in groups[Y]))
        if not self.mixes_channels:
            return make_windows(list(series), self.input_size, horizon, self.val_size)
        times = [g.to_numpy() for _, g in groups[DS]]
        aligned = len(series) > 1 and all(len(t) == len(times[0]) and (t == times[0]).all() for t in times)
        self.channels_ = [str(uid) for uid in uids] if aligned else None
        if aligned:
            return make_channel_windows(series, self.input_size, horizon, self.val_size)
        w = make_windows(series, self.input_size, horizon, self.val_size)
        w.x_train, w.y_train, w.x_val, w.y_val = (a[:, None] for a in (w.x_train, w.y_train, w.x_val, w.y_val))
        return w

    def _channel_order(self, uids: np.ndarray, what: str) -> np.ndarray:
        """Positions of the fitted channels in ``uids`` (all series, for a model without channels)."""
        if getattr(self, "channels_", None) is None:
            return np.arange(len(uids))
        where = {str(u): i for i, u in enumerate(uids)}
        if sorted(where) != sorted(self.channels_):
            raise DataError(
                f"{type(self).__name__} was fitted on the channels {self.channels_} together; {what} has "
                f"the series {sorted(where)}. Forecast the same channels it was fitted on."
            )
        return np.array([where[c] for c in self.channels_])

    # -- fit -----------------------------------------------------------------------------
    def _fit(self, train: pd.DataFrame) -> None:
        self.check_params()
        horizon = int(self.horizon or DEFAULT_HORIZON)
        levels = tuple(sorted(float(q) for q in (DEFAULT_LEVELS if self.quantiles is None else self.quantiles)))
        seed = 0 if self.seed is None else int(self.seed)
        warm = (
            self.refit_steps is not None
            and getattr(self, "module_", None) is not None
            and (self.horizon_, self.levels_) == (horizon, levels)
            and self.fitted_covariates_ == self.covariates
        )
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1 if warm else 1
        if warm and int(self.refit_steps) == 0:
            return
        if not warm:  # covariates are standardised with statistics of the first training rows only
            self.fitted_covariates_ = self.covariates
            self.covariate_stats_ = cw.standardiser(covariate_matrix(train, self.covariates))
        windows = self._windows(train, horizon)
        if not len(windows.x_train):
            raise DataError(
                f"{type(self).__name__}: no complete, finite training window of {self.input_size} inputs "
                f"and {horizon} targets{' with finite covariates' if self.covariates else ''}; use a smaller "
                "'input_size' or a longer history."
            )
        if not warm:  # a tenth of the median window scale: flat windows stay on the data's scale
            self.scale_floor_ = scale_floor(windows.x_train)
        floor = self.scale_floor_
        windows.x_train, windows.y_train = normalise(windows.x_train, windows.y_train, floor)[:2]
        if len(windows.x_val):
            windows.x_val, windows.y_val = normalise(windows.x_val, windows.y_val, floor)[:2]
        config = TrainConfig(
            max_steps=int(self.refit_steps) if warm else int(self.max_steps),
            batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            early_stopping=int(self.early_stopping),
            quantiles=levels,
            seed=seed + self.n_fits_ - 1,
            loss=getattr(self, "loss", "huber"),
        )
        with thread_limit(self.num_threads):
            device = resolve_device(self.device)
            if not warm:
                torch.manual_seed(seed)
                self.module_ = self._build_module(horizon, 1 + len(levels)).to(device)
                _init_head(self.module_.head, horizon, levels)
            self.train_report_ = train_module(self.module_, windows, config, device)
        self.horizon_, self.levels_, self.device_ = horizon, levels, device

    # -- predict -------------------------------------------------------------------------
    def _predict(self, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...],
                 future: pd.DataFrame | None = None) -> pd.DataFrame:
        values, starts, ends, uids = _series_layout(context)
        order = self._channel_order(uids, "the context")
        values_in = input_windows(values, ends[order], starts[order], self.input_size)
        inputs = self._covariate_inputs(context, ends[order], order, starts, ends, uids, horizon, future)
        point, qs = self._forecast(values_in, horizon, quantiles, inputs)
        uids = uids[order]
        out = pd.DataFrame({
            ID: np.repeat(uids, horizon),
            "h": np.tile(np.arange(1, horizon + 1), len(uids)),
            "y_pred": point.reshape(-1),
        })
        for j, col in enumerate(quantile_columns(quantiles)):
            out[col] = qs[:, :, j].reshape(-1)
        return out

    def _predict_origins(self, history, cutoffs, horizon, quantiles, future=None):
        """Forecast every (series, cutoff) pair of ``cutoffs`` in one batched forward pass.

        The input window of an origin is cut from ``history`` ending at the last
        observation at or before its cutoff, so later rows are never read (but
        the known covariates of the ``horizon`` rows after it, then ``future``).
        """
        values, starts, stops, uids = _series_layout(history)
        ds = history[DS].to_numpy()
        where = {uid: i for i, uid in enumerate(uids)}
        ends, origin_ids = [], []
        groups = dict(tuple(cutoffs.groupby(ID, sort=False)["cutoff"]))
        if getattr(self, "channels_", None) is not None:
            groups = _aligned_cutoffs(groups, self._channel_order(np.array(list(groups)), "the cutoffs"))
        for uid, cuts in groups.items():
            if uid not in where:
                raise DataError(f"predict_origins: series {uid!r} has a cutoff but no rows in the history.")
            i = where[uid]
            first = starts[i]
            pos = first + np.searchsorted(ds[first : stops[i] + 1], np.sort(cuts.to_numpy()), side="right") - 1
            if (pos < first).any():
                raise DataError(f"predict_origins: a cutoff of series {uid!r} precedes its first observation.")
            ends.append(pos)
            origin_ids.append(np.full(len(pos), i))
        ends, rows = np.concatenate(ends), np.concatenate(origin_ids)
        inputs = self._covariate_inputs(history, ends, rows, starts, stops, uids, horizon, future)
        point, qs = self._forecast(input_windows(values, ends, starts[rows], self.input_size), horizon, quantiles,
                                   inputs)
        frame = pd.DataFrame({
            ID: np.repeat(uids[rows], horizon),
            "cutoff": np.repeat(ds[ends], horizon),
            DS: _future_grid(history, ends, rows, starts, stops, horizon).reshape(-1),
            "h": np.tile(np.arange(1, horizon + 1), len(ends)),
            "model": self.name,
            "y_pred": point.reshape(-1),
        })
        for j, col in enumerate(quantile_columns(quantiles)):
            frame[col] = qs[:, :, j].reshape(-1)
        return frame

    def _covariate_inputs(self, frame, ends, rows, starts, stops, uids, horizon, future):
        """Covariates of the origins ending at rows ``ends`` of series ``rows`` (None without covariates)."""
        cw.check_fitted_covariates(self.fitted_covariates_, self.covariates, type(self).__name__)
        if not self.covariates:
            return None
        return cw.origin_inputs(frame, self.covariates, self.covariate_stats_, ends, starts[rows], stops[rows],
                                uids[rows], self.input_size, horizon, future, type(self).__name__)

    def _forecast(self, x: np.ndarray, horizon: int, quantiles: tuple[float, ...], inputs=None):
        """Point forecasts ``(N, horizon)`` and quantiles ``(N, horizon, len(quantiles))`` from raw windows.

        For a model fitted on ``C`` channels, ``x`` holds ``C`` blocks of
        windows, one per channel in the fitted order, each with the same origins.
        ``inputs`` are the origins' covariates from :func:`.covariate_windows.origin_inputs`.
        """
        trained = self.horizon_
        points, spreads = [], []
        with thread_limit(self.num_threads):
            while sum(p.shape[1] for p in points) < horizon:
                x_norm, _, loc, scale = normalise(x, floor=self.scale_floor_)
                extra = () if inputs is None else cw.round_inputs(
                    inputs, len(points), self.input_size, trained, cw.known_columns(self.covariates))
                out = denormalise(self._net(x_norm, *extra), loc, scale)  # (N, H, K)
                points.append(out[:, :, 0])
                spreads.append(np.sort(out[:, :, 1:], axis=-1) - out[:, :, :1])
                x = np.concatenate([x, out[:, :, 0]], axis=1)[:, -self.input_size :]
        point = np.concatenate(points, axis=1)[:, :horizon]
        if not quantiles:
            return point, np.empty((len(point), horizon, 0))
        return point, point[:, :, None] + self._spread(spreads, horizon, trained, quantiles)

    def _net(self, x_norm: np.ndarray, *extra: np.ndarray) -> np.ndarray:
        """The module on normalised windows ``(N, L)`` -> ``(N, H, K)``, stacking channels for a mixing model."""
        if not self.mixes_channels:
            return forward(self.module_, x_norm, self.device_, *extra)
        c = len(self.channels_) if getattr(self, "channels_", None) is not None else 1
        x = x_norm.reshape(c, -1, x_norm.shape[-1]).transpose(1, 0, 2)  # (N / C, C, L)
        out = forward(self.module_, x, self.device_)  # (N / C, C, H, K)
        return out.transpose(1, 0, 2, 3).reshape(len(x_norm), *out.shape[2:])

    def _spread(self, spreads, horizon, trained, quantiles) -> np.ndarray:
        """Quantile offsets from the point forecast at the asked levels, ``(N, horizon, Q)``."""
        levels = np.asarray(self.levels_)
        asked = np.asarray(quantiles)
        if not len(levels) or asked.min() < levels[0] - 1e-12 or asked.max() > levels[-1] + 1e-12:
            raise ValueError(
                f"{type(self).__name__} was trained for quantile levels {list(levels)}; asked for "
                f"{list(asked)}. Levels outside the trained range cannot be interpolated: set the "
                "'quantiles' parameter (or the experiment's 'quantiles') to include them."
            )
        first = spreads[0]  # (N, trained, Q_trained); the first block is the direct forecast
        if horizon > trained:  # later steps: widen the last direct spread like a random walk
            extra = np.sqrt(np.arange(trained + 1, horizon + 1) / trained)
            first = np.concatenate([first, first[:, -1:, :] * extra[None, :, None]], axis=1)
        j = np.clip(np.searchsorted(levels, asked, side="right") - 1, 0, max(len(levels) - 2, 0))
        if len(levels) == 1:
            return np.repeat(first[:, :horizon, :1], len(asked), axis=2)
        w = np.clip((asked - levels[j]) / (levels[j + 1] - levels[j]), 0.0, 1.0)
        return first[:, :horizon, j] * (1 - w) + first[:, :horizon, j + 1] * w


def _init_head(head, horizon: int, levels: tuple[float, ...]) -> None:
    """Start at the random walk: zero point change and Gaussian random-walk quantiles."""
    with torch.no_grad():
        head.weight.zero_()
        bias = np.zeros((horizon, 1 + len(levels)))
        if levels:
            bias[:, 1:] = np.sqrt(np.arange(1, horizon + 1))[:, None] * norm.ppf(np.asarray(levels))[None, :]
        head.bias.copy_(torch.as_tensor(bias.reshape(-1), dtype=head.bias.dtype))


def _aligned_cutoffs(groups: dict, order: np.ndarray) -> dict:
    """The cutoffs by channel in the fitted order, checked to be the same for every channel."""
    uids = list(groups)
    ordered = {uids[i]: np.sort(groups[uids[i]].to_numpy()) for i in order}
    first = next(iter(ordered.values()))
    if any(len(c) != len(first) or (c != first).any() for c in ordered.values()):
        raise DataError(
            "predict_origins: a model over aligned channels forecasts every channel at the same cutoffs; "
            "the cutoffs differ between series. Give each channel the same cutoffs."
        )
    return {uid: pd.Series(c) for uid, c in ordered.items()}


def _series_layout(panel: pd.DataFrame):
    """Values of a sorted panel and, per series, its first and last row positions and id."""
    ids, starts, ends = series_bounds(panel)
    return panel[Y].to_numpy(dtype=np.float64), starts, ends - 1, ids[starts]


def _future_grid(history, ends, rows, starts, stops, horizon) -> np.ndarray:
    """Timestamps (or steps) after each origin ``(N, horizon)``, one vectorised call per step."""
    from tsbench.data.calendar import infer_step

    ds = history[DS]
    out = np.empty((len(ends), horizon), dtype=ds.to_numpy().dtype)
    for i in np.unique(rows):
        mine = rows == i
        step = infer_step(ds.iloc[starts[i] : stops[i] + 1])
        last = ds.iloc[ends[mine]]
        for k in range(1, horizon + 1):
            if isinstance(step, (int, np.integer)):
                out[mine, k - 1] = last.to_numpy() + k * int(step)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
                    out[mine, k - 1] = (pd.DatetimeIndex(last) + k * step).to_numpy()
    return out
