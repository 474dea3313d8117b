"""Transformer forecaster: a small encoder-only Transformer over patches of the normalised input window.

With covariates, a token embeds the patch's covariate values next to its target
values, and the known covariates at each of the ``H`` steps ahead join the
encoded tokens at the head's input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from tsbench.forecasters.neural.base import NeuralForecaster
from tsbench.forecasters.neural.training import torch

nn = torch.nn

__all__ = ["TransformerConfig", "TransformerNet", "TransformerForecaster"]


@dataclass(frozen=True)
class TransformerConfig:
    """Shape of the network."""

    input_size: int  # L, length of the input window
    horizon: int  # H, steps forecast at once
    n_outputs: int  # K, point forecast + quantiles
    d_model: int = 32
    num_heads: int = 4
    num_layers: int = 2
    patch_len: int = 8  # P_len values per token; 1 = one token per observation
    dropout: float = 0.1
    n_covariates: int = 0  # C, covariate channels of the input window
    n_known: int = 0  # known covariates at each step ahead

    @property
    def n_patches(self) -> int:
        """Tokens per window, N = ceil(L / P_len) (the window is left-padded to fit)."""
        return -(-self.input_size // self.patch_len)


class TransformerNet(nn.Module):
    """Normalised window ``(B, L)`` -> forecast changes ``(B, H, K)``.

    With covariates, ``forward(x, enc, dec)`` also takes the window's covariates
    ``enc`` ``(B, L, C)`` and the known ones ahead ``dec`` ``(B, H, n_known)``.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Linear(c.patch_len * (1 + c.n_covariates), c.d_model)
        self.position = nn.Parameter(torch.randn(c.n_patches, c.d_model) * 0.02)  # learned positions
        layer = nn.TransformerEncoderLayer(
            d_model=c.d_model,
            nhead=c.num_heads,
            dim_feedforward=2 * c.d_model,
            dropout=c.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, c.num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(c.d_model)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.n_patches * c.d_model + c.horizon * c.n_known, c.horizon * c.n_outputs)

    def forward(self, x, enc=None, dec=None):
        c = self.config
        pad = c.n_patches * c.patch_len - c.input_size
        if pad:  # repeat the first value so the window splits into whole patches
            x = torch.cat([x[:, :1].expand(-1, pad), x], dim=1)  # (B, N * P_len)
            if enc is not None:
                enc = torch.cat([enc[:, :1].expand(-1, pad, -1), enc], dim=1)  # (B, N * P_len, C)
        tokens = x.view(-1, c.n_patches, c.patch_len)  # (B, N, P_len)
        if c.n_covariates:
            tokens = torch.cat([tokens, enc.reshape(-1, c.n_patches, c.patch_len * c.n_covariates)], dim=-1)
        h = self.embed(tokens) + self.position  # (B, N, d_model)
        h = self.norm(self.encoder(h))  # (B, N, d_model)
        flat = self.drop(h.flatten(1))  # (B, N * d_model)
        if c.n_known:
            flat = torch.cat([flat, dec.flatten(1)], dim=1)  # (B, N * d_model + H * n_known)
        return self.head(flat).view(-1, c.horizon, c.n_outputs)  # (B, H, K)


class TransformerForecaster(NeuralForecaster):
    """Global encoder-only Transformer forecaster (registry name ``transformer``).

    Parameters
    ----------
    input_size
        Observations in each input window.
    hidden_size
        Model width ``d_model`` (must be divisible by ``num_heads``).
    num_layers, num_heads, dropout
        Encoder depth, attention heads and dropout.
    patch_len
        Observations per token (1: one token per observation).
    max_steps, batch_size, learning_rate, early_stopping, val_size, refit_steps,
    horizon, quantiles, seed, num_threads, device
        As for :class:`tsbench.forecasters.neural.lstm.LSTMForecaster`.

    Covariates (given by the experiment's ``covariates:``): past, known and
    static columns are embedded with the target in each patch token,
    standardised with the training rows' mean and deviation; known ones also
    enter the head at each step ahead, from ``future`` after the context's last row.
    """

    name = "transformer"
    tags: ClassVar = {**NeuralForecaster.tags, "covariates": ("past", "known", "static")}

    def __init__(
        self,
        input_size: int = 64,
        hidden_size: int = 32,
        num_layers: int = 2,
        num_heads: int = 4,
        patch_len: int = 8,
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
        self.num_heads = num_heads
        self.patch_len = patch_len
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

    def _build_module(self, horizon: int, n_outputs: int) -> TransformerNet:
        return TransformerNet(
            TransformerConfig(
                self.input_size, horizon, n_outputs, self.hidden_size,
                self.num_heads, self.num_layers, self.patch_len, self.dropout,
                n_covariates=len(self.covariates.columns), n_known=len(self.covariates.known),
            )
        )
