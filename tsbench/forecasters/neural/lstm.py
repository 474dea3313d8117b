"""LSTM forecaster: an LSTM encoder over the normalised input window and a linear multi-step head."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tsbench.forecasters.neural.base import NeuralForecaster
from tsbench.forecasters.neural.training import torch

nn = torch.nn

__all__ = ["LSTMConfig", "LSTMNet", "LSTMForecaster"]


@dataclass(frozen=True)
class LSTMConfig:
    """Shape of the network."""

    input_size: int  # L, length of the input window
    horizon: int  # H, steps forecast at once
    n_outputs: int  # K, point forecast + quantiles
    hidden_size: int = 32
    num_layers: int = 1
    dropout: float = 0.1


class LSTMNet(nn.Module):
    """Normalised window ``(B, L)`` -> forecast changes ``(B, H, K)``."""

    def __init__(self, config: LSTMConfig) -> None:
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(
            input_size=1,
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.horizon * config.n_outputs)

    def forward(self, x):
        c = self.config
        seq, _ = self.lstm(x.unsqueeze(-1))  # (B, L, 1) -> (B, L, hidden)
        last = self.drop(seq[:, -1])  # (B, hidden): state after the last observation
        return self.head(last).view(-1, c.horizon, c.n_outputs)  # (B, H, K)


class LSTMForecaster(NeuralForecaster):
    """Global LSTM forecaster (registry name ``lstm``).

    Parameters
    ----------
    input_size
        Observations in each input window.
    hidden_size, num_layers, dropout
        Size of the LSTM.
    max_steps, batch_size, learning_rate
        Training budget and AdamW settings.
    early_stopping
        Patience, in validation evaluations without improvement (0: train all steps).
    val_size
        Fraction of each series' training tail used for validation (0: none).
    refit_steps
        Steps of training when ``fit`` is called again on a fitted instance,
        continuing from its weights (0: keep them); ``None`` retrains from scratch.
    horizon
        Steps forecast at once; tsbench sets it to the experiment's horizon.
    quantiles
        Quantile levels to train; tsbench sets them to the experiment's levels.
        ``None`` outside an experiment trains a grid from 0.05 to 0.95.
    seed
        Random seed; tsbench sets it to the experiment's seed (``None`` alone: 0).
    num_threads
        torch CPU threads. The default, 1, suits these small models: more threads
        gain little and slow down badly when other processes share the cores.
        ``None`` keeps torch's default (one per core; 1 in a worker process).
    device
        ``'auto'`` (CUDA when available, else CPU), ``'cpu'`` or ``'cuda'``.
    """

    name = "lstm"

    def __init__(
        self,
        input_size: int = 64,
        hidden_size: int = 32,
        num_layers: int = 1,
        max_steps: int = 500,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        dropout: float = 0.1,
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

    def _build_module(self, horizon: int, n_outputs: int) -> LSTMNet:
        return LSTMNet(
            LSTMConfig(self.input_size, horizon, n_outputs, self.hidden_size, self.num_layers, self.dropout)
        )
