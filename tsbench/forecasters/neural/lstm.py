"""LSTM forecaster: an LSTM encoder over the normalised input window and a linear multi-step head.

With covariates, every covariate column is a further input channel of the
encoder at the window's rows, and the known ones at each of the ``H`` steps
ahead join the encoder's last state at the head's input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

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
    n_covariates: int = 0  # C, covariate channels of the input window
    n_known: int = 0  # known covariates at each step ahead


class LSTMNet(nn.Module):
    """Normalised window ``(B, L)`` -> forecast changes ``(B, H, K)``.

    With covariates, ``forward(x, enc, dec)`` also takes the window's covariates
    ``enc`` ``(B, L, C)`` and the known ones ahead ``dec`` ``(B, H, n_known)``.
    """

    def __init__(self, config: LSTMConfig) -> None:
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(
            input_size=1 + config.n_covariates,
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        n_in = config.hidden_size + config.horizon * config.n_known
        self.head = nn.Linear(n_in, config.horizon * config.n_outputs)

    def forward(self, x, enc=None, dec=None):
        c = self.config
        inputs = x.unsqueeze(-1) if enc is None else torch.cat([x.unsqueeze(-1), enc], dim=-1)  # (B, L, 1 + C)
        seq, _ = self.lstm(inputs)  # (B, L, hidden)
        last = self.drop(seq[:, -1])  # (B, hidden): state after the last observation
        if c.n_known:
            last = torch.cat([last, dec.flatten(1)], dim=1)  # (B, hidden + H * n_known)
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

    Covariates (given by the experiment's ``covariates:``): past, known and
    static columns are input channels of the encoder, standardised with the
    training rows' mean and deviation; known ones also enter the head at each
    step ahead, from ``future`` after the context's last row.
    """

    name = "lstm"
    tags: ClassVar = {**NeuralForecaster.tags, "covariates": ("past", "known", "static")}

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
            LSTMConfig(self.input_size, horizon, n_outputs, self.hidden_size, self.num_layers, self.dropout,
                       n_covariates=len(self.covariates.columns), n_known=len(self.covariates.known))
        )
