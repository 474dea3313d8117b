"""iTransformer forecaster (Liu et al., ICLR 2024): each channel's whole window is one token; attention mixes channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from tsbench.forecasters.neural.base import NeuralForecaster
from tsbench.forecasters.neural.training import torch

nn = torch.nn

__all__ = ["ITransformerConfig", "ITransformerNet", "ITransformerForecaster"]


@dataclass(frozen=True)
class ITransformerConfig:
    """Shape of the network (defaults: the paper's ETT setting)."""

    input_size: int  # L, length of the input window
    horizon: int  # H, steps forecast at once
    n_outputs: int  # K, point forecast + quantiles
    d_model: int = 128
    num_heads: int = 8
    num_layers: int = 2
    d_ff: int = 128
    dropout: float = 0.1


class ITransformerNet(nn.Module):
    """Normalised windows of ``C`` aligned channels ``(B, C, L)`` -> forecast changes ``(B, C, H, K)``."""

    def __init__(self, config: ITransformerConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Linear(c.input_size, c.d_model)  # a whole window becomes one token
        layer = nn.TransformerEncoderLayer(
            d_model=c.d_model, nhead=c.num_heads, dim_feedforward=c.d_ff, dropout=c.dropout,
            activation="gelu", batch_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, c.num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(c.d_model)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.d_model, c.horizon * c.n_outputs)

    def forward(self, x):
        c = self.config
        tokens = self.drop(self.embed(x))  # (B, C, D): no positions, the channels are a set
        h = self.norm(self.encoder(tokens))  # (B, C, D): attention across channels
        return self.head(h).view(x.shape[0], x.shape[1], c.horizon, c.n_outputs)  # (B, C, H, K)


class ITransformerForecaster(NeuralForecaster):
    """iTransformer over the aligned series of a panel (registry name ``itransformer``).

    When every series of the training panel is observed at the same times (the
    columns of one wide file, as under ``channels: all``), they are the
    channels that attention mixes; otherwise each series is forecast alone, a
    single token. Chosen over TSMixer because its published long-horizon
    results use the benchmarks' input of 96 (TSMixer's use 512) and report the
    other models at that input too, so the comparison is like for like.

    Parameters
    ----------
    input_size
        Observations in each input window (96, as in the paper).
    hidden_size
        Model width ``d_model`` (divisible by ``num_heads``).
    num_heads, num_layers, d_ff, dropout
        Attention heads, encoder depth, feed-forward width and dropout.
    loss
        ``'huber'`` (robust to the jumps of financial series) or ``'mse'`` (the paper's).
    max_steps, batch_size, learning_rate, early_stopping, val_size, refit_steps,
    horizon, quantiles, seed, num_threads, device
        As for :class:`tsbench.forecasters.neural.lstm.LSTMForecaster`; a batch
        holds ``batch_size`` origins, each with every channel. The paper trains
        10 epochs at a rate of 1e-4 (about 2,700 steps on ETTh1); 300 steps at
        1e-3 fit in minutes on a CPU.
    """

    name = "itransformer"
    mixes_channels: ClassVar[bool] = True

    def __init__(
        self,
        input_size: int = 96,
        hidden_size: int = 128,
        num_heads: int = 8,
        num_layers: int = 2,
        d_ff: int = 128,
        dropout: float = 0.1,
        loss: str = "huber",
        max_steps: int = 300,
        batch_size: int = 32,
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
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.d_ff = d_ff
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

    def _build_module(self, horizon: int, n_outputs: int) -> ITransformerNet:
        return ITransformerNet(
            ITransformerConfig(
                self.input_size, horizon, n_outputs, self.hidden_size,
                self.num_heads, self.num_layers, self.d_ff, self.dropout,
            )
        )
