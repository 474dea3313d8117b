"""PatchTST forecaster (Nie et al., ICLR 2023): a Transformer over patches of one channel's window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tsbench.forecasters.neural.base import NeuralForecaster
from tsbench.forecasters.neural.training import torch

nn = torch.nn

__all__ = ["PatchTSTConfig", "PatchTSTNet", "PatchTSTForecaster"]


@dataclass(frozen=True)
class PatchTSTConfig:
    """Shape of the network (defaults: the paper's ETTh1/ETTh2 setting)."""

    input_size: int  # L, length of the input window
    horizon: int  # H, steps forecast at once
    n_outputs: int  # K, point forecast + quantiles
    patch_len: int = 16  # P, values per patch
    stride: int = 8  # S, step between patches
    d_model: int = 16
    num_heads: int = 4
    num_layers: int = 3
    d_ff: int = 128
    dropout: float = 0.3

    @property
    def n_patches(self) -> int:
        """N = (L - P) // S + 2: the window padded at its end by S copies of its last value."""
        return (self.input_size - self.patch_len) // self.stride + 2


class EncoderLayer(nn.Module):
    """Post-norm Transformer layer with batch norm, as in PatchTST: ``(B, N, D) -> (B, N, D)``."""

    def __init__(self, c: PatchTSTConfig) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(c.d_model, c.num_heads, dropout=c.dropout, batch_first=True)
        self.norm1 = nn.BatchNorm1d(c.d_model)
        self.ff = nn.Sequential(
            nn.Linear(c.d_model, c.d_ff), nn.GELU(), nn.Dropout(c.dropout), nn.Linear(c.d_ff, c.d_model)
        )
        self.norm2 = nn.BatchNorm1d(c.d_model)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, h):
        h = h + self.drop(self.attn(h, h, h, need_weights=False)[0])  # (B, N, D)
        h = self.norm1(h.transpose(1, 2)).transpose(1, 2)  # batch norm over (B, N) per feature
        h = h + self.drop(self.ff(h))
        return self.norm2(h.transpose(1, 2)).transpose(1, 2)  # (B, N, D)


class PatchTSTNet(nn.Module):
    """Normalised window ``(B, L)`` -> forecast changes ``(B, H, K)``."""

    def __init__(self, config: PatchTSTConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Linear(c.patch_len, c.d_model)
        self.position = nn.Parameter(torch.empty(c.n_patches, c.d_model).uniform_(-0.02, 0.02))
        self.drop = nn.Dropout(c.dropout)
        self.layers = nn.ModuleList(EncoderLayer(c) for _ in range(c.num_layers))
        self.head = nn.Linear(c.n_patches * c.d_model, c.horizon * c.n_outputs)  # the flatten head

    def forward(self, x):
        c = self.config
        x = torch.cat([x, x[:, -1:].expand(-1, c.stride)], dim=1)  # (B, L + S)
        patches = x.unfold(1, c.patch_len, c.stride)  # (B, N, P)
        h = self.drop(self.embed(patches) + self.position)  # (B, N, D)
        for layer in self.layers:
            h = layer(h)  # (B, N, D)
        return self.head(h.flatten(1)).view(-1, c.horizon, c.n_outputs)  # (B, N * D) -> (B, H, K)


class PatchTSTForecaster(NeuralForecaster):
    """PatchTST, channel-independent: every series is one channel of shared weights (registry name ``patchtst``).

    Each window is normalised by the shared reversible instance normalisation
    (the role RevIN plays in the paper; see :func:`tsbench.forecasters.neural.windows.normalise`).

    Parameters
    ----------
    input_size
        Observations in each input window (96; the paper's own runs use 336 or 512).
    patch_len, stride
        Values per patch and step between patches.
    hidden_size
        Model width ``d_model`` (divisible by ``num_heads``).
    num_heads, num_layers, d_ff, dropout
        Attention heads, encoder depth, feed-forward width and dropout.
    loss
        ``'huber'`` (robust to the jumps of financial series) or ``'mse'`` (the paper's).
    max_steps, batch_size, learning_rate, early_stopping, val_size, refit_steps,
    horizon, quantiles, seed, num_threads, device
        As for :class:`tsbench.forecasters.neural.lstm.LSTMForecaster`.
    """

    name = "patchtst"

    def __init__(
        self,
        input_size: int = 96,
        patch_len: int = 16,
        stride: int = 8,
        hidden_size: int = 16,
        num_heads: int = 4,
        num_layers: int = 3,
        d_ff: int = 128,
        dropout: float = 0.3,
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
        self.patch_len = patch_len
        self.stride = stride
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

    def _build_module(self, horizon: int, n_outputs: int) -> PatchTSTNet:
        return PatchTSTNet(
            PatchTSTConfig(
                self.input_size, horizon, n_outputs, self.patch_len, self.stride,
                self.hidden_size, self.num_heads, self.num_layers, self.d_ff, self.dropout,
            )
        )
