"""Significance of model differences, computed from the forecast frame: DM, PT, MCS and Friedman."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.errors import DataError
from tsbench.metrics.registry import get_metric
from tsbench.report.tables import series_scores
from tsbench.stats import diebold_mariano, friedman, holm, model_confidence_set, nemenyi_cd, pesaran_timmermann

__all__ = [
    "origin_losses",
    "overlap_of",
    "dm_table",
    "pt_table",
    "mcs_table",
    "RankSummary",
    "rank_summary",
    "leaderboard_with_tests",
]


def origin_losses(forecasts: pd.DataFrame, loss: str = "squared") -> pd.DataFrame:
    """Mean loss over the steps of each forecast origin: index ``(unique_id, cutoff)``, one column per model.

    Origins that some model lacks (a failed cell) are dropped, so every column
    covers the same periods and the comparisons stay paired.
    """
    err = forecasts["y"].to_numpy(dtype=float) - forecasts["y_pred"].to_numpy(dtype=float)
    values = np.square(err) if loss == "squared" else np.abs(err)
    frame = forecasts[["unique_id", "cutoff", "model"]].assign(loss=values)
    table = frame.pivot_table(index=["unique_id", "cutoff"], columns="model", values="loss", aggfunc="mean")
    table.columns.name = None
    return table.dropna(axis=0, how="any").sort_index()


def overlap_of(forecasts: pd.DataFrame, unique_id: str) -> int:
    """How many consecutive origins of a series share actuals, plus one (the ``h`` of the DM variance).

    Origin ``i``'s loss uses actuals up to its last forecast date; every later
    origin whose cutoff lies before that date shares actuals with it, so the
    per-origin losses are autocorrelated up to that many lags under the null.
    """
    rows = forecasts[forecasts["unique_id"] == unique_id]
    spans = rows.groupby("cutoff")["ds"].max().sort_index()
    cutoffs = spans.index.to_numpy()
    later = np.searchsorted(cutoffs, spans.to_numpy(), side="left") - np.arange(1, len(cutoffs) + 1)
    return int(max(later.max(initial=0), 0)) + 1


def dm_table(forecasts: pd.DataFrame, baseline: str, alpha: float = 0.05, loss: str = "squared") -> pd.DataFrame:
    """Diebold-Mariano test of each model against ``baseline`` on each series.

    The test runs on per-origin losses (see :func:`origin_losses`) with the
    HLN correction and as many autocovariances as origins overlap; p-values
    are Holm-adjusted over the models compared on the same series.
    ``verdict`` is ``better``/``worse`` when the adjusted p-value is below
    ``alpha`` (by the sign of the statistic), else empty.
    """
    losses = origin_losses(forecasts, loss)
    if baseline not in losses.columns:
        raise DataError(f"baseline {baseline!r} has no forecasts; expected one of {sorted(losses.columns)}.")
    rows = []
    for uid, block in losses.groupby(level="unique_id", sort=True):
        h = overlap_of(forecasts, uid)
        for model in (c for c in block.columns if c != baseline):
            try:
                res = diebold_mariano(block[model].to_numpy(), block[baseline].to_numpy(), h=h, loss=_identity)
                stat, p = res.statistic, res.pvalue
            except DataError:
                stat, p = float("nan"), float("nan")
            rows.append({"unique_id": uid, "model": model, "n": len(block), "overlap": h,
                         "statistic": stat, "pvalue": p})
    table = pd.DataFrame(rows, columns=["unique_id", "model", "n", "overlap", "statistic", "pvalue"])
    table["pvalue_holm"] = table.groupby("unique_id")["pvalue"].transform(lambda p: holm(p.to_numpy()))
    significant = table["pvalue_holm"] < alpha
    table["verdict"] = np.where(significant, np.where(table["statistic"] < 0, "better", "worse"), "")
    return table


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def pt_table(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Pesaran-Timmermann test of each model's one-step directions on each series.

    Uses the ``h = 1`` rows whose cutoff value ``y_last`` is known; later steps
    of the same origin overlap and would break the test's independence.
    """
    if "y_last" not in forecasts.columns:
        return pd.DataFrame(columns=["unique_id", "model", "n", "hit_rate", "statistic", "pvalue"])
    one = forecasts[(forecasts["h"] == 1) & forecasts["y_last"].notna()]
    rows = []
    for (uid, model), g in one.groupby(["unique_id", "model"], sort=True):
        res = pesaran_timmermann(g["y"] - g["y_last"], g["y_pred"] - g["y_last"])
        rows.append({"unique_id": uid, "model": model, "n": res.n, "hit_rate": res.hit_rate,
                     "statistic": res.statistic, "pvalue": res.pvalue})
    return pd.DataFrame(rows, columns=["unique_id", "model", "n", "hit_rate", "statistic", "pvalue"])


def mcs_table(forecasts: pd.DataFrame, alpha: float = 0.1, seed: int = 0, loss: str = "squared") -> pd.DataFrame:
    """Model Confidence Set on each series, from per-origin losses.

    The bootstrap block is as long as the origins overlap (at least
    ``ceil(T ** (1/3))``). Returns ``unique_id, model, pvalue, included``.
    """
    losses = origin_losses(forecasts, loss)
    rows = []
    for uid, block in losses.groupby(level="unique_id", sort=True):
        if len(block) < 2:
            continue
        block_size = max(overlap_of(forecasts, uid), math.ceil(len(block) ** (1 / 3)))
        res = model_confidence_set(block.reset_index(drop=True), alpha=alpha, block_size=block_size, seed=seed)
        for model, p in res.pvalues.items():
            rows.append({"unique_id": uid, "model": model, "pvalue": p, "included": model in res.included})
    return pd.DataFrame(rows, columns=["unique_id", "model", "pvalue", "included"])


@dataclass(frozen=True)
class RankSummary:
    """Friedman test and Nemenyi critical difference of one metric across series."""

    metric: str
    mean_ranks: pd.Series
    n_series: int
    statistic: float
    pvalue: float
    cd: float
    alpha: float


def rank_summary(metrics: pd.DataFrame, metric: str, alpha: float = 0.05) -> RankSummary | None:
    """Friedman's test on the ranks of ``metric`` over series and Nemenyi's CD; None with < 2 series or models."""
    scores = series_scores(metrics, metric).dropna(axis=0, how="any")
    n, k = scores.shape
    if n < 2 or k < 2:
        return None
    res = friedman(scores, higher_is_better=get_metric(metric).higher_is_better)
    return RankSummary(metric, res.mean_ranks, n, res.statistic, res.pvalue, nemenyi_cd(k, n, alpha), alpha)


def leaderboard_with_tests(
    board: pd.DataFrame,
    dm: pd.DataFrame | None,
    mcs: pd.DataFrame | None,
    ranks: RankSummary | None,
) -> pd.DataFrame:
    """The leaderboard with the evidence beside it.

    Adds ``mean_rank`` (of the first metric), ``rank_vs_best`` (``worse`` when
    the mean rank exceeds the best one by more than Nemenyi's critical
    difference), ``dm_better``/``dm_worse`` (series on which the model beats or
    loses to the baseline, Holm-adjusted DM) and ``in_mcs`` (series on which it
    is in the model confidence set).
    """
    out = board.copy()
    models = out["model"]
    if ranks is not None:
        out["mean_rank"] = models.map(ranks.mean_ranks)
        best = ranks.mean_ranks.min()
        out["rank_vs_best"] = np.where(out["mean_rank"] - best > ranks.cd, "worse", "")
    if dm is not None and len(dm):
        out["dm_better"] = models.map(dm[dm["verdict"] == "better"].groupby("model").size()).fillna(0).astype(int)
        out["dm_worse"] = models.map(dm[dm["verdict"] == "worse"].groupby("model").size()).fillna(0).astype(int)
    if mcs is not None and len(mcs):
        out["in_mcs"] = models.map(mcs.groupby("model")["included"].sum()).fillna(0).astype(int)
    return out
