"""N-HiTS forecaster (Challu et al., AAAI 2023): MLP blocks over pooled inputs, interpolated forecasts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tsbench.forecasters._checks import check_int
from tsbench.forecasters.neural.base import NeuralForecaster
from tsbench.forecasters.neural.training import torch

nn = torch.nn

__all__ = ["NHITSConfig", "NHITSBlock", "NHITSNet", "NHITSForecaster"]


@dataclass(frozen=True)
class NHITSConfig:
    """Shape of the network: one block per stack, coarse to fine."""

    input_size: int  # L, length of the input window
    horizon: int  # H, steps forecast at once
    n_outputs: int  # K, point forecast + quantiles
    hidden_size: int = 256
    num_layers: int = 2  # hidden layers of each block's MLP
    pool_sizes: tuple[int, ...] = (4, 2, 1)  # max-pooling of the input, per block
    downsample: tuple[int, ...] = (8, 4, 1)  # forecast knots every r steps, per block
    dropout: float = 0.0


class NHITSBlock(nn.Module):
    """Residual window ``(B, L)`` -> backcast ``(B, L)`` and forecast ``(B, K, H)``."""

    def __init__(self, c: NHITSConfig, pool: int, rate: int) -> None:
        super().__init__()
        self.c, self.n_knots = c, -(-c.horizon // rate)  # ceil(H / r) knots, interpolated to H
        self.pool = nn.MaxPool1d(pool, stride=pool, ceil_mode=True)
        layers, width = [], -(-c.input_size // pool)
        for _ in range(c.num_layers):
            layers += [nn.Linear(width, c.hidden_size), nn.ReLU(), nn.Dropout(c.dropout)]
            width = c.hidden_size
        self.mlp = nn.Sequential(*layers)
        self.backcast = nn.Linear(width, c.input_size)
        self.forecast = nn.Linear(width, self.n_knots * c.n_outputs)
        nn.init.zeros_(self.forecast.weight)  # every block starts by forecasting no change
        nn.init.zeros_(self.forecast.bias)

    def forward(self, x):
        h = self.mlp(self.pool(x.unsqueeze(1)).squeeze(1))  # (B, ceil(L / pool)) -> (B, hidden)
        knots = self.forecast(h).view(-1, self.c.n_outputs, self.n_knots)  # (B, K, ceil(H / r))
        forecast = nn.functional.interpolate(knots, size=self.c.horizon, mode="linear", align_corners=False)
        return self.backcast(h), forecast  # (B, L), (B, K, H)


class NHITSNet(nn.Module):
    """Normalised window ``(B, L)`` -> forecast changes ``(B, H, K)``.

    The blocks' forecasts are summed, each block seeing what the blocks before
    it left unexplained. ``head`` is a linear map of the window added to that
    sum: it starts at zero with the blocks' forecast layers, so the untrained
    network is the random walk, and it carries the quantiles' starting offsets.
    """

    def __init__(self, config: NHITSConfig) -> None:
        super().__init__()
        self.config = c = config
        self.blocks = nn.ModuleList(NHITSBlock(c, p, r) for p, r in zip(c.pool_sizes, c.downsample))
        self.head = nn.Linear(c.input_size, c.horizon * c.n_outputs)

    def forward(self, x):
        c = self.config
        residual, total = x, self.head(x).view(-1, c.horizon, c.n_outputs)  # (B, H, K)
        for block in self.blocks:
            backcast, forecast = block(residual)
            residual = residual - backcast  # (B, L)
            total = total + forecast.transpose(1, 2)  # (B, H, K)
        return total


class NHITSForecaster(NeuralForecaster):
    """N-HiTS, channel-independent (registry name ``nhits``).

    Chosen over N-BEATS for long horizons: pooling the input and forecasting a
    few knots per block that are interpolated to the horizon keeps the output
    layers small at horizon 720, where N-BEATS' blocks each output every step.

    Parameters
    ----------
    input_size
        Observations in each input window (96 as in the long-horizon benchmarks).
    hidden_size, num_layers, dropout
        Width and depth of each block's MLP, and its dropout.
    pool_sizes, downsample
        Per block (one per stack), the input max-pooling and the spacing of the
        forecast knots; both sequences have one entry per block.
    loss
        ``'huber'`` (robust to the jumps of financial series) or ``'mse'``.
    max_steps, batch_size, learning_rate, early_stopping, val_size, refit_steps,
    horizon, quantiles, seed, num_threads, device
        As for :class:`tsbench.forecasters.neural.lstm.LSTMForecaster`.
    """

    name = "nhits"

    def __init__(
        self,
        input_size: int = 96,
        hidden_size: int = 256,
        num_layers: int = 2,
        pool_sizes: Sequence[int] = (4, 2, 1),
        downsample: Sequence[int] = (8, 4, 1),
        dropout: float = 0.0,
        loss: str = "huber",
        max_steps: int = 500,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
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
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.pool_sizes = pool_sizes
        self.downsample = downsample
        self.dropout = dropout
        self.loss = loss
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.val_size = val_size
        self.refit_steps = refit_steps
        self.horizon = horizon
        self.quantiles = quantiles
        self.seed = seed
        self.num_threads = num_threads
        self.device = device

    def check_params(self) -> None:
        """Also check one pooling size and one knot spacing per block, each a positive integer."""
        super().check_params()
        if len(self.pool_sizes) != len(self.downsample) or not len(self.pool_sizes):
            raise ValueError(
                f"'pool_sizes' ({list(self.pool_sizes)}) and 'downsample' ({list(self.downsample)}) "
                "need one entry per block, the same number of each."
            )
        for name in ("pool_sizes", "downsample"):
            for value in getattr(self, name):
                check_int(name, value, low=1)

    def _build_module(self, horizon: int, n_outputs: int) -> NHITSNet:
        return NHITSNet(
            NHITSConfig(
                self.input_size, horizon, n_outputs, self.hidden_size, self.num_layers,
                tuple(int(p) for p in self.pool_sizes), tuple(int(r) for r in self.downsample), self.dropout,
            )
        )
