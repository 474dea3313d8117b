"""NLinear forecaster (Zeng et al., AAAI 2023): one linear map of the window, relative to its last value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tsbench.forecasters.neural.base import NeuralForecaster
from tsbench.forecasters.neural.training import torch

nn = torch.nn

__all__ = ["NLinearConfig", "NLinearNet", "NLinearForecaster"]


@dataclass(frozen=True)
class NLinearConfig:
    """Shape of the network."""

    input_size: int  # L, length of the input window
    horizon: int  # H, steps forecast at once
    n_outputs: int  # K, point forecast + quantiles


class NLinearNet(nn.Module):
    """Normalised window ``(B, L)`` -> forecast changes ``(B, H, K)``.

    NLinear subtracts the window's last value, applies one linear layer and adds
    the value back. The shared normalisation of :mod:`.windows` already expresses
    every window relative to its last value (in units of its step size, undone
    afterwards), so what is left of the model is the linear layer itself.
    """

    def __init__(self, config: NLinearConfig) -> None:
        super().__init__()
        self.config = config
        self.head = nn.Linear(config.input_size, config.horizon * config.n_outputs)

    def forward(self, x):
        c = self.config
        return self.head(x).view(-1, c.horizon, c.n_outputs)  # (B, L) -> (B, H, K)


class NLinearForecaster(NeuralForecaster):
    """NLinear, channel-independent: one linear map shared by every series (registry name ``nlinear``).

    Parameters
    ----------
    input_size
        Observations in each input window (96 as in the long-horizon benchmarks).
    loss
        ``'huber'`` (robust to the jumps of financial series) or ``'mse'`` (the paper's).
    max_steps, batch_size, learning_rate, dropout, early_stopping, val_size, refit_steps,
    horizon, quantiles, seed, num_threads, device
        As for :class:`tsbench.forecasters.neural.lstm.LSTMForecaster` (``dropout`` is
        unused: the model has no hidden layer).
    """

    name = "nlinear"

    def __init__(
        self,
        input_size: int = 96,
        loss: str = "huber",
        max_steps: int = 500,
        batch_size: int = 64,
        learning_rate: float = 5e-3,
        dropout: float = 0.0,
        early_stopping: int = 5,
        val_size: float = 0.1,
        refit_steps: int | None = None,
        horizon: int | None = None,
        quantiles: Sequence[float] | None = None,
        seed: int | None = None,
        num_threads: int | None = 1,
        device: str = "auto",
    ) -> None:
        self.input_size = input_size
        self.loss = loss
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.val_size = val_size
        self.refit_steps = refit_steps
        self.horizon = horizon
        self.quantiles = quantiles
        self.seed = seed
        self.num_threads = num_threads
        self.device = device

    def _build_module(self, horizon: int, n_outputs: int) -> NLinearNet:
        return NLinearNet(NLinearConfig(self.input_size, horizon, n_outputs))
