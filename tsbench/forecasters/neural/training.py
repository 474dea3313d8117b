"""The training loop shared by the neural forecasters: losses, seeds, threads, device, early stopping.

The models (``lstm.py``, ``dlinear.py``, ...) map normalised input windows
``(B, input_size)`` to ``(B, horizon, 1 + n_quantiles)`` (with a channel axis
after the batch for a model over aligned channels): output 0 is the point
forecast, trained with the Huber (or squared) loss, and the others are quantiles, trained
with the pinball loss. A model given covariates takes them as further inputs after the
window, ``module(x, *extra)`` (the ``extra_train``/``extra_val`` of the window set). Everything here works on normalised windows from
:mod:`tsbench.forecasters.neural.windows`.
"""

from __future__ import annotations

import contextlib
import copy
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tsbench.forecasters.neural._torch import require_torch
from tsbench.forecasters.neural.windows import WindowSet

torch = require_torch()

__all__ = [
    "TrainConfig",
    "TrainReport",
    "resolve_device",
    "thread_limit",
    "forecast_loss",
    "train_module",
    "forward",
]

#: Rows per forward pass at prediction time; bounds memory, not a loop per origin.
PREDICT_CHUNK = 16_384


@dataclass(frozen=True)
class TrainConfig:
    """How one training run goes (built by the forecaster from its parameters)."""

    max_steps: int
    batch_size: int
    learning_rate: float
    early_stopping: int  # patience in evaluations without improvement; 0 disables
    quantiles: tuple[float, ...]
    seed: int
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    huber_delta: float = 1.0
    loss: str = "huber"  # of the point channel: "huber", or "mse" as the long-horizon papers train
    max_val_windows: int = 512


@dataclass
class TrainReport:
    """What a training run did."""

    steps: int
    best_step: int
    best_val_loss: float
    stopped_early: bool


def resolve_device(device: str):
    """``'auto'`` -> CUDA when available, else CPU; any other value is passed to ``torch.device``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextlib.contextmanager
def thread_limit(num_threads: int | None) -> Iterator[None]:
    """Use ``num_threads`` torch CPU threads inside the block, then restore the previous count.

    ``None`` keeps torch's default (one thread per core) in the main process and
    uses one thread in a worker process of a pool, where the executor already
    spreads cells over the cores.
    """
    if num_threads is None:
        num_threads = 1 if multiprocessing.parent_process() is not None else None
    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def forecast_loss(out, target, levels, huber_delta: float = 1.0, loss: str = "huber"):
    """Huber (or squared) loss of the point channel plus the mean pinball loss of the quantile channels.

    Parameters
    ----------
    out
        Model output ``(B, H, 1 + Q)`` (or ``(B, C, H, 1 + Q)`` over channels).
    target
        Normalised targets ``(B, H)`` (or ``(B, C, H)``).
    levels
        Tensor of the ``Q`` quantile levels (may be empty).
    """
    if loss == "mse":
        total = torch.nn.functional.mse_loss(out[..., 0], target)
    else:
        total = torch.nn.functional.huber_loss(out[..., 0], target, delta=huber_delta)
    if levels.numel():
        err = target.unsqueeze(-1) - out[..., 1:]  # (B, H, Q)
        total = total + torch.maximum(levels * err, (levels - 1) * err).mean()
    return total


def train_module(module, windows: WindowSet, config: TrainConfig, device) -> TrainReport:
    """Train ``module`` in place on normalised windows with AdamW, clipping and early stopping.

    The validation loss is measured before the first step and every
    ``eval_every`` steps; the weights with the lowest validation loss are kept.
    The output heads start at zero (a random walk), so training can only move
    the model away from the random walk when that helps on the validation tail.
    """
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    x_train = torch.as_tensor(windows.x_train, dtype=torch.float32, device=device)
    y_train = torch.as_tensor(windows.y_train, dtype=torch.float32, device=device)
    extra_train = [torch.as_tensor(a, dtype=torch.float32, device=device) for a in windows.extra_train]
    x_val, y_val, extra_val = _val_subset(windows, config.max_val_windows, device)
    levels = torch.as_tensor(config.quantiles, dtype=torch.float32, device=device)
    optimiser = torch.optim.AdamW(module.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    eval_every = max(1, min(25, config.max_steps // 10))
    patience = config.early_stopping if len(x_val) else 0
    best = (_evaluate(module, x_val, y_val, levels, config, extra_val), 0, copy.deepcopy(module.state_dict()))
    bad_evals, step, stopped = 0, 0, False
    n = len(x_train)
    for step in range(1, config.max_steps + 1):
        module.train()
        idx = torch.as_tensor(rng.integers(0, n, size=min(config.batch_size, n)), device=device)
        out = module(x_train[idx], *(a[idx] for a in extra_train))
        loss = forecast_loss(out, y_train[idx], levels, config.huber_delta, config.loss)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), config.grad_clip)
        optimiser.step()
        if len(x_val) and (step % eval_every == 0 or step == config.max_steps):
            val = _evaluate(module, x_val, y_val, levels, config, extra_val)
            if val < best[0]:
                best, bad_evals = (val, step, copy.deepcopy(module.state_dict())), 0
            else:
                bad_evals += 1
                if patience and bad_evals >= patience:
                    stopped = True
                    break
    if len(x_val):
        module.load_state_dict(best[2])
    module.eval()
    return TrainReport(steps=step, best_step=best[1] if len(x_val) else step,
                       best_val_loss=float(best[0]), stopped_early=stopped)


def forward(module, x_norm: np.ndarray, device, *extra: np.ndarray) -> np.ndarray:
    """Run ``module`` on normalised windows ``(N, L)`` in eval mode; returns ``(N, H, K)`` float64.

    ``extra`` are further inputs with one row per window (covariates), passed after the window.
    """
    module.eval()
    parts = []
    as_t = lambda a, s: torch.as_tensor(a[s : s + PREDICT_CHUNK], dtype=torch.float32, device=device)  # noqa: E731
    with torch.inference_mode():
        for start in range(0, len(x_norm), PREDICT_CHUNK):
            out = module(as_t(x_norm, start), *(as_t(a, start) for a in extra))
            parts.append(out.to("cpu", torch.float64).numpy())
    return np.concatenate(parts)


def _val_subset(windows: WindowSet, limit: int, device):
    x, y, extra = windows.x_val, windows.y_val, windows.extra_val
    if len(x) > limit:  # evenly spaced, deterministic subset keeps evaluation cheap
        keep = np.linspace(0, len(x) - 1, limit).round().astype(int)
        x, y, extra = x[keep], y[keep], tuple(a[keep] for a in extra)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
    return as_t(x), as_t(y), [as_t(a) for a in extra]


def _evaluate(module, x_val, y_val, levels, config: TrainConfig, extra_val=()) -> float:
    if not len(x_val):
        return float("inf")
    module.eval()
    with torch.no_grad():
        return float(forecast_loss(module(x_val, *extra_val), y_val, levels, config.huber_delta, config.loss))
