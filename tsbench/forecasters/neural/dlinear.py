"""DLinear forecaster (Zeng et al., AAAI 2023): a trend/remainder split of the window and one linear map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tsbench.forecasters.neural.base import NeuralForecaster
from tsbench.forecasters.neural.training import torch

nn = torch.nn

__all__ = ["DLinearConfig", "DLinearNet", "DLinearForecaster"]


@dataclass(frozen=True)
class DLinearConfig:
    """Shape of the network."""

    input_size: int  # L, length of the input window
    horizon: int  # H, steps forecast at once
    n_outputs: int  # K, point forecast + quantiles
    kernel_size: int = 25  # moving average that extracts the trend (the paper's 25)


class DLinearNet(nn.Module):
    """Normalised window ``(B, L)`` -> forecast changes ``(B, H, K)``.

    The paper's two linear layers (one on the trend, one on the remainder,
    summed) are one ``nn.Linear`` on their concatenation: the same function,
    and a single ``head`` that starts at zero (the random walk).
    """

    def __init__(self, config: DLinearConfig) -> None:
        super().__init__()
        self.config = config
        self.trend = nn.AvgPool1d(config.kernel_size, stride=1)
        self.head = nn.Linear(2 * config.input_size, config.horizon * config.n_outputs)

    def forward(self, x):
        c = self.config
        front, back = (c.kernel_size - 1) // 2, c.kernel_size // 2
        padded = torch.cat([x[:, :1].expand(-1, front), x, x[:, -1:].expand(-1, back)], dim=1)  # (B, L + k - 1)
        trend = self.trend(padded.unsqueeze(1)).squeeze(1)  # (B, L): edges repeat the end values
        remainder = x - trend  # (B, L)
        out = self.head(torch.cat([remainder, trend], dim=1))  # (B, 2L) -> (B, H * K)
        return out.view(-1, c.horizon, c.n_outputs)  # (B, H, K)


class DLinearForecaster(NeuralForecaster):
    """DLinear, channel-independent: one linear map shared by every series (registry name ``dlinear``).

    Parameters
    ----------
    input_size
        Observations in each input window (96 as in the long-horizon benchmarks).
    kernel_size
        Width of the moving average that separates trend from remainder.
    loss
        ``'huber'`` (robust to the jumps of financial series) or ``'mse'`` (the paper's).
    max_steps, batch_size, learning_rate, dropout, early_stopping, val_size, refit_steps,
    horizon, quantiles, seed, num_threads, device
        As for :class:`tsbench.forecasters.neural.lstm.LSTMForecaster` (``dropout`` is
        unused: the model has no hidden layer).
    """

    name = "dlinear"

    def __init__(
        self,
        input_size: int = 96,
        kernel_size: int = 25,
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
        self.kernel_size = kernel_size
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

    def _build_module(self, horizon: int, n_outputs: int) -> DLinearNet:
        return DLinearNet(DLinearConfig(self.input_size, horizon, n_outputs, self.kernel_size))
