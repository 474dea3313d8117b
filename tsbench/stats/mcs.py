"""The Model Confidence Set of Hansen, Lunde and Nason, with a seeded block bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.errors import DataError

__all__ = ["MCSResult", "model_confidence_set", "model_confidence_sets", "block_bootstrap_indices"]


@dataclass(frozen=True)
class MCSResult:
    """Outcome of :func:`model_confidence_set`.

    ``included`` are the models in the set at level ``alpha``; ``pvalues``
    the MCS p-value of every model (a model is in the set when its p-value
    is at least ``alpha``); ``eliminated`` the models in the order removed.
    """

    included: list[str]
    pvalues: pd.Series
    eliminated: list[str]
    alpha: float
    statistic: str


def block_bootstrap_indices(n: int, block_size: int, replications: int, seed: int) -> np.ndarray:
    """Row indices of a circular moving-block bootstrap, shape ``(replications, n)``."""
    rng = np.random.default_rng(seed)
    n_blocks = -(-n // block_size)
    starts = rng.integers(0, n, size=(replications, n_blocks))
    idx = (starts[:, :, None] + np.arange(block_size)[None, None, :]) % n
    return idx.reshape(replications, -1)[:, :n]


def model_confidence_set(
    losses: pd.DataFrame,
    alpha: float = 0.1,
    statistic: str = "R",
    block_size: int | None = None,
    replications: int = 1000,
    seed: int = 0,
) -> MCSResult:
    """The set of models not significantly worse than the best, at level ``alpha``.

    Starting from all models, each step tests equal predictive ability with a
    bootstrap of the loss differentials and removes the worst model when it is
    rejected. With ``statistic="R"`` the test uses the range statistic
    ``T_R = max_{i,j} |dbar_ij| / sqrt(var(dbar_ij))`` and removes the model
    with the largest ``max_j t_ij``; with ``"max"`` it uses
    ``T_max = max_i dbar_i. / sqrt(var(dbar_i.))``, where ``dbar_i.`` is model
    ``i``'s mean loss minus the average of the set. Variances and the null
    distributions come from a circular moving-block bootstrap of the time
    periods (the same resamples at every step, seeded, so results repeat).
    The p-value of a model is the largest test p-value up to its removal.

    Parameters
    ----------
    losses
        One column per model, one row per period (e.g. per forecast origin).
    alpha
        Level: the set contains the best model with probability ``1 - alpha``.
    statistic
        ``"R"`` or ``"max"``.
    block_size
        Block length of the bootstrap; default ``ceil(T ** (1/3))``. Use at
        least the horizon for overlapping multi-step losses.
    replications
        Number of bootstrap resamples.
    seed
        Seed of the bootstrap.

    References
    ----------
    Hansen, P. R., Lunde, A. and Nason, J. M. (2011). The model confidence
    set. Econometrica, 79(2), 453-497.
    """
    if statistic not in ("R", "max"):
        raise DataError(f"statistic must be 'R' or 'max', got {statistic!r}.")
    if not 0 < alpha < 1:
        raise DataError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    values = losses.to_numpy(dtype=float)
    n, m = values.shape
    if n < 2 or m < 1 or np.isnan(values).any():
        raise DataError(f"expected a loss table with >= 2 periods, >= 1 model and no NaN, got shape {values.shape}.")
    names = [str(c) for c in losses.columns]
    block = block_size or max(1, int(np.ceil(n ** (1 / 3))))
    idx = block_bootstrap_indices(n, block, replications, seed)
    mean = values.mean(axis=0)                          # (M,)
    boot = values[idx].mean(axis=1) - mean              # (B, M) centred bootstrap means
    alive = list(range(m))
    eliminated, step_p = [], []
    while len(alive) > 1:
        p, worst = _step(mean[alive], boot[:, alive], statistic)
        eliminated.append(alive.pop(worst))
        step_p.append(p)
    pvals = np.maximum.accumulate(np.array(step_p)) if step_p else np.array([])
    out = pd.Series(1.0, index=names, name="pvalue")
    for i, p in zip(eliminated, pvals):
        out.iloc[i] = p
    included = [names[i] for i in range(m) if out.iloc[i] >= alpha]
    return MCSResult(included, out, [names[i] for i in eliminated], alpha, statistic)


def _step(mean: np.ndarray, boot: np.ndarray, statistic: str) -> tuple[float, int]:
    """One equivalence test on the current set: its p-value and the position of the worst model."""
    tiny = np.finfo(float).tiny
    if statistic == "max":
        dbar = mean - mean.mean()                                   # (M,)
        dboot = boot - boot.mean(axis=1, keepdims=True)             # (B, M)
        sd = np.sqrt(np.maximum((dboot**2).mean(axis=0), tiny))
        t = dbar / sd
        t_boot = (dboot / sd).max(axis=1)
        return float(np.mean(t_boot >= t.max())), int(np.argmax(t))
    dbar = mean[:, None] - mean[None, :]                            # (M, M)
    dboot = boot[:, :, None] - boot[:, None, :]                     # (B, M, M)
    sd = np.sqrt(np.maximum((dboot**2).mean(axis=0), tiny))
    t = dbar / sd
    np.fill_diagonal(t, 0.0)
    t_boot = np.abs(dboot / sd).max(axis=(1, 2))
    return float(np.mean(t_boot >= np.abs(t).max())), int(np.argmax(t.max(axis=1)))


def model_confidence_sets(
    values: np.ndarray,
    block_size: int | None = None,
    replications: int = 1000,
    seed: int = 0,
    chunk: int | None = None,
) -> np.ndarray:
    """MCS p-values of many problems of the same shape at once, with the range statistic.

    Gives the p-values :func:`model_confidence_set` (``statistic="R"``) gives
    for each ``values[s]`` on its own, with the same bootstrap resamples, but
    without a Python loop per problem: the pairwise statistics and their
    bootstrap standard deviations do not depend on which models are still in
    the set, so each elimination step only masks the models already removed.

    Parameters
    ----------
    values
        Losses of shape ``(S, T, M)``: ``S`` problems (e.g. series), ``T``
        periods, ``M`` models; no NaN.
    block_size, replications, seed
        As for :func:`model_confidence_set`.
    chunk
        Problems handled together; by default as many as keep ``chunk * replications * M * M``
        near two million floats (16 MB per temporary array).

    Returns
    -------
    numpy.ndarray
        Shape ``(S, M)``: the MCS p-value of each model in each problem; a
        model is in the set at level ``alpha`` when its p-value is at least ``alpha``.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 3 or values.shape[1] < 2 or values.shape[2] < 1 or np.isnan(values).any():
        raise DataError(f"expected losses of shape (S, T >= 2, M >= 1) without NaN, got shape {values.shape}.")
    s, n, m = values.shape
    block = block_size or max(1, int(np.ceil(n ** (1 / 3))))
    idx = block_bootstrap_indices(n, block, replications, seed)
    chunk = chunk or max(1, 2_000_000 // (replications * m * m))
    out = np.ones((s, m))
    for lo in range(0, s, chunk):
        out[lo:lo + chunk] = _range_pvalues(values[lo:lo + chunk], idx)
    return out


def _range_pvalues(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """MCS p-values (range statistic) of a chunk of problems ``(S, T, M)`` under bootstrap indices ``idx``."""
    tiny = np.finfo(float).tiny
    s, _, m = values.shape
    mean = values.mean(axis=1)                                      # (S, M)
    boot = values[:, idx].mean(axis=2) - mean[:, None, :]           # (S, B, M)
    first, second = np.triu_indices(m, k=1)                         # each unordered pair once: |t_ij| = |t_ji|
    dbar = mean[:, :, None] - mean[:, None, :]                      # (S, M, M)
    dboot = boot[:, :, first] - boot[:, :, second]                  # (S, B, P)
    sd_pair = np.sqrt(np.maximum((dboot**2).mean(axis=1), tiny))    # (S, P)
    sd = np.ones((s, m, m))
    sd[:, first, second] = sd_pair
    sd[:, second, first] = sd_pair
    t = dbar / sd
    t[:, np.arange(m), np.arange(m)] = 0.0
    t_boot_all = np.abs(dboot / sd_pair[:, None, :])                # (S, B, P)
    alive = np.ones((s, m), dtype=bool)
    rows = np.arange(s)
    pvalues = np.ones((s, m))
    running = np.zeros(s)
    for _ in range(m - 1):
        pair = alive[:, :, None] & alive[:, None, :]                # (S, M, M)
        live = pair[:, first, second]                               # (S, P)
        t_boot = np.where(live[:, None, :], t_boot_all, 0.0).max(axis=2)
        stat = np.where(pair, np.abs(t), 0.0).max(axis=(1, 2))
        p = (t_boot >= stat[:, None]).mean(axis=1)
        worst = np.where(pair, t, -np.inf).max(axis=2)
        worst = np.where(alive, worst, -np.inf).argmax(axis=1)
        running = np.maximum(running, p)                            # p-values are the running maximum
        pvalues[rows, worst] = running
        alive[rows, worst] = False
    return pvalues
