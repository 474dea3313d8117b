"""Input/target windows cut from a panel's series, and their reversible instance normalisation.

Pure numpy, so it can be read and tested without torch. A window ends at
position ``t`` of a series (its last input value); its input is the
``input_size`` values up to and including ``t`` and its target the
``horizon`` values after ``t``. Series shorter than a window are padded on the
left with their first value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "WindowSet", "make_windows", "make_channel_windows", "window_positions", "input_windows", "normalise",
    "scale_floor", "denormalise",
]

#: Floor of the normalisation scale, relative to the window's level, so that flat windows stay finite.
_EPS = 1e-8


@dataclass
class WindowSet:
    """Training and validation windows: inputs ``(N, input_size)``, targets ``(N, horizon)``.

    Windows of aligned channels (:func:`make_channel_windows`) carry a channel
    axis: inputs ``(N, C, input_size)``, targets ``(N, C, horizon)``.

    ``extra_train`` and ``extra_val`` hold further inputs of the same windows
    (covariates, see :mod:`~tsbench.forecasters.neural.covariate_windows`), passed to
    the module after the window: ``module(x, *extra)``; empty for a model without them.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    extra_train: tuple[np.ndarray, ...] = ()
    extra_val: tuple[np.ndarray, ...] = ()


def make_windows(
    series: list[np.ndarray], input_size: int, horizon: int, val_size: float
) -> WindowSet:
    """Every complete window of every series, split into training and validation.

    The validation windows are those whose target reaches into the last
    ``max(horizon, ceil(val_size * n))`` values of a series of length ``n``;
    training windows have targets that end before that tail, so validation
    targets are never trained on. Windows that contain non-finite values are
    dropped.

    Parameters
    ----------
    series
        One float array per series (the training data only).
    input_size, horizon
        Window lengths.
    val_size
        Fraction of each series kept as validation tail; 0 disables validation.
    """
    parts = [_series_windows(y, input_size, horizon, val_size) for y in series]
    out = []
    for x, target, is_val, ok in parts:
        out.append((x[ok & ~is_val], target[ok & ~is_val], x[ok & is_val], target[ok & is_val]))
    return WindowSet(*(np.concatenate(arrays) for arrays in zip(*out)))


def make_channel_windows(
    series: list[np.ndarray], input_size: int, horizon: int, val_size: float
) -> WindowSet:
    """Windows of aligned channels (series of one length, observed at the same times), stacked.

    The window ending at position ``t`` holds every channel's values up to
    ``t``; it is kept only when every channel is finite there. The split into
    training and validation is that of :func:`make_windows`.

    Returns
    -------
    WindowSet
        Inputs ``(N, C, input_size)`` and targets ``(N, C, horizon)``.
    """
    lengths = {len(y) for y in series}
    if len(lengths) != 1:
        raise ValueError(f"aligned channels must have one length, got lengths {sorted(lengths)}")
    parts = [_series_windows(y, input_size, horizon, val_size) for y in series]
    x = np.stack([p[0] for p in parts], axis=1)  # (N, C, L)
    target = np.stack([p[1] for p in parts], axis=1)  # (N, C, H)
    is_val = parts[0][2]
    ok = np.logical_and.reduce([p[3] for p in parts])
    return WindowSet(x[ok & ~is_val], target[ok & ~is_val], x[ok & is_val], target[ok & is_val])


def _series_windows(y, input_size: int, horizon: int, val_size: float):
    """Every window of one series, unfiltered: inputs, targets, is-validation and is-finite masks."""
    y = np.asarray(y, dtype=np.float64)
    pad, ends, is_val = window_positions(len(y), input_size, horizon, val_size)
    y = np.concatenate([np.full(pad, y[0]), y])
    x, target = _gather(y, ends, input_size, horizon)
    ok = np.isfinite(x).all(axis=1) & np.isfinite(target).all(axis=1)
    return x, target, is_val, ok


def window_positions(n: int, input_size: int, horizon: int, val_size: float):
    """Where the windows of a series of ``n`` values lie, as :func:`make_windows` cuts them.

    Returns
    -------
    tuple
        ``(pad, ends, is_val)``: the series is left-padded with ``pad`` copies of
        its first value; ``ends`` are the positions of each window's last input
        in the padded series, and ``is_val`` marks the validation windows.
    """
    val_len = max(horizon, int(np.ceil(val_size * n))) if val_size > 0 else 0
    if n - val_len < horizon + 2:  # too short to spare a tail: train on all of it
        val_len = 0
    pad = max(0, input_size + horizon + val_len - n)
    ends = np.arange(input_size - 1, n + pad - horizon)
    is_val = ends + horizon >= n + pad - val_len if val_len else np.zeros(len(ends), bool)
    return pad, ends, is_val


def input_windows(values: np.ndarray, ends: np.ndarray, starts: np.ndarray, input_size: int) -> np.ndarray:
    """Input windows ending at global positions ``ends`` of the concatenated ``values``.

    ``starts[i]`` is the first position of the series that window ``i`` belongs
    to; positions before it are filled with that first value (left padding), so
    a window never reads another series.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(ends), input_size)``.
    """
    idx = ends[:, None] - input_size + 1 + np.arange(input_size)[None, :]
    idx = np.maximum(idx, starts[:, None])
    return np.asarray(values, dtype=np.float64)[idx]


def normalise(x: np.ndarray, y: np.ndarray | None = None, floor: float = 0.0):
    """Express windows as changes from their last value, in units of their step size.

    The time axis is the last one, so ``x`` may be ``(N, L)`` or ``(N, C, L)``.

    ``loc`` is the last input value and ``scale`` the root mean square of the
    input's first differences (a per-window volatility), so a model that outputs
    zero forecasts the random walk. ``scale`` is at least ``floor``: a window
    that is flat (a sensor stuck for hours, a market closed) would otherwise
    blow its targets up by orders of magnitude, and one such window can
    dominate a squared loss.

    Returns
    -------
    tuple
        ``(x_norm, y_norm, loc, scale)``; ``y_norm`` is None when ``y`` is.
        ``loc`` and ``scale`` have the shape of ``x`` with a last axis of 1:
        ``(N, 1)``, or ``(N, C, 1)`` for windows of aligned channels.
    """
    loc = x[..., -1:]
    diffs = np.diff(x, axis=-1)
    scale = np.sqrt(np.mean(diffs**2, axis=-1, keepdims=True)) if x.shape[-1] > 1 else np.zeros_like(loc)
    scale = np.maximum(np.maximum(scale, floor), _EPS * (1.0 + np.abs(loc)))
    x_norm = (x - loc) / scale
    y_norm = None if y is None else (y - loc) / scale
    return x_norm, y_norm, loc, scale


def scale_floor(x: np.ndarray, fraction: float = 0.1) -> float:
    """``fraction`` of the median normalisation scale of the windows ``x`` (the floor used at fit and predict)."""
    return float(fraction * np.median(normalise(x)[3])) if len(x) else 0.0


def denormalise(z: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Undo :func:`normalise`; ``z`` may carry trailing axes (e.g. ``(N, H, K)`` or ``(N, C, H, K)``)."""
    shape = loc.shape[:-1] + (1,) * (z.ndim - loc.ndim + 1)
    return loc.reshape(shape) + scale.reshape(shape) * z


def _gather(y: np.ndarray, ends: np.ndarray, input_size: int, horizon: int):
    x_idx = ends[:, None] - input_size + 1 + np.arange(input_size)[None, :]
    y_idx = ends[:, None] + 1 + np.arange(horizon)[None, :]
    return y[x_idx], y[y_idx]
