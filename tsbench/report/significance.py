"""Significance of model differences, computed from the forecast frame: DM, PT, MCS and Friedman."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.errors import DataError
from tsbench.metrics.registry import get_metric
from tsbench.report.tables import series_scores
from tsbench.stats import diebold_mariano, friedman, holm, model_confidence_sets, nemenyi_cd

__all__ = [
    "origin_losses",
    "overlap_of",
    "overlaps",
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
    return int(overlaps(forecasts[forecasts["unique_id"] == unique_id]).iloc[0])


def overlaps(forecasts: pd.DataFrame) -> pd.Series:
    """:func:`overlap_of` for every series at once: a Series indexed by ``unique_id``."""
    spans = forecasts.groupby(["unique_id", "cutoff"], sort=True)["ds"].max()
    cutoffs = spans.index.get_level_values("cutoff").to_numpy()
    ends = spans.to_numpy()
    uids = spans.index.get_level_values("unique_id")
    out = {}
    for uid, (lo, hi) in _runs(uids).items():
        c, e = cutoffs[lo:hi], ends[lo:hi]
        later = np.searchsorted(c, e, side="left") - np.arange(1, len(c) + 1)
        out[uid] = int(max(later.max(initial=0), 0)) + 1
    return pd.Series(out, name="overlap", dtype=int)


def _runs(labels: pd.Index) -> dict:
    """Start and end row of each label in an index sorted by it."""
    codes, uniques = pd.factorize(labels, sort=False)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(codes)]])
    return {uniques[codes[a]]: (int(a), int(b)) for a, b in zip(starts, ends)} if len(codes) else {}


def _loss_blocks(losses: pd.DataFrame, key: pd.Series):
    """Series grouped by ``key`` (e.g. origins and overlap): ``(key value, uids, values (S, T, M))``.

    Series of one group have the same number of origins, so their losses stack
    into one array and a test runs on all of them in one call.
    """
    uids = losses.index.get_level_values("unique_id")
    counts = pd.Series(uids).value_counts(sort=False)
    table = losses.to_numpy(dtype=float)
    runs = _runs(uids)
    for value, members in key.groupby(key, sort=True):
        chosen = sorted(members.index, key=str)
        rows = np.concatenate([np.arange(*runs[u]) for u in chosen])
        n = int(counts[chosen[0]])
        yield value, chosen, table[rows].reshape(len(chosen), n, table.shape[1])


def dm_table(forecasts: pd.DataFrame, baseline: str, alpha: float = 0.05, loss: str = "squared") -> pd.DataFrame:
    """Diebold-Mariano test of each model against ``baseline`` on each series.

    The test runs on per-origin losses (see :func:`origin_losses`) with the
    HLN correction and as many autocovariances as origins overlap; p-values
    are Holm-adjusted over the models compared on the same series.
    ``verdict`` is ``better``/``worse`` when the adjusted p-value is below
    ``alpha`` (by the sign of the statistic), else empty. Series with the
    same number of origins and overlap are tested in one batched call.
    """
    losses = origin_losses(forecasts, loss)
    if baseline not in losses.columns:
        raise DataError(f"baseline {baseline!r} has no forecasts; expected one of {sorted(losses.columns)}.")
    columns = ["unique_id", "model", "n", "overlap", "statistic", "pvalue", "pvalue_holm"]
    models = [c for c in losses.columns if c != baseline]
    if losses.empty or not models:
        return pd.DataFrame(columns=[*columns, "verdict"])
    base_at = list(losses.columns).index(baseline)
    at = [list(losses.columns).index(m) for m in models]
    lap = overlaps(forecasts).reindex(losses.index.unique("unique_id"))
    n_of = losses.groupby(level="unique_id", sort=False).size()
    key = pd.Series([f"{n_of[u]}:{lap[u]}" for u in lap.index], index=lap.index)
    parts = []
    for _, uids, values in _loss_blocks(losses, key):
        s, n, _ = values.shape
        h = int(lap[uids[0]])
        stat = np.full((s, len(models)), np.nan)
        p = np.full((s, len(models)), np.nan)
        try:
            models_losses = values[:, :, at].transpose(0, 2, 1)                     # (S, M - 1, T)
            base_losses = np.broadcast_to(values[:, None, :, base_at], models_losses.shape)
            res = diebold_mariano(models_losses, base_losses, h=h, loss=_identity)
            stat, p = np.asarray(res.statistic), np.asarray(res.pvalue)
        except DataError:  # too few origins for this overlap: no test
            pass
        adjusted = np.stack([holm(row) for row in p]) if len(p) else p
        parts.append(pd.DataFrame({"unique_id": np.repeat(uids, len(models)), "model": np.tile(models, s),
                                   "n": n, "overlap": h, "statistic": stat.ravel(), "pvalue": p.ravel(),
                                   "pvalue_holm": adjusted.ravel()}))
    table = pd.concat(parts, ignore_index=True)
    order = {u: i for i, u in enumerate(sorted(table["unique_id"].unique()))}
    table = table.iloc[np.argsort(table["unique_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    significant = table["pvalue_holm"] < alpha
    table["verdict"] = np.where(significant, np.where(table["statistic"] < 0, "better", "worse"), "")
    return table[[*columns, "verdict"]]


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def pt_table(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Pesaran-Timmermann test of each model's one-step directions on each series.

    Uses the ``h = 1`` rows whose cutoff value ``y_last`` is known; later steps
    of the same origin overlap and would break the test's independence. The
    statistic is :func:`tsbench.stats.pesaran_timmermann`'s, computed for
    every series and model at once from grouped shares.
    """
    from scipy import stats

    columns = ["unique_id", "model", "n", "hit_rate", "statistic", "pvalue"]
    if "y_last" not in forecasts.columns:
        return pd.DataFrame(columns=columns)
    one = forecasts[(forecasts["h"] == 1) & forecasts["y_last"].notna()]
    one = one[one["y"].notna() & one["y_pred"].notna()]
    up_y = (one["y"] - one["y_last"]).to_numpy() > 0
    up_x = (one["y_pred"] - one["y_last"]).to_numpy() > 0
    frame = pd.DataFrame({"unique_id": one["unique_id"].to_numpy(), "model": one["model"].to_numpy(),
                          "hit": (up_y == up_x).astype(float), "py": up_y.astype(float), "px": up_x.astype(float)})
    g = frame.groupby(["unique_id", "model"], sort=True)
    shares = g[["hit", "py", "px"]].mean()
    n = g.size().to_numpy().astype(float)
    hit, py, px = (shares[c].to_numpy() for c in ("hit", "py", "px"))
    p_star = py * px + (1 - py) * (1 - px)
    v_p = p_star * (1 - p_star) / n
    v_star = ((2 * py - 1) ** 2 * px * (1 - px) / n + (2 * px - 1) ** 2 * py * (1 - py) / n
              + 4 * py * px * (1 - py) * (1 - px) / n**2)
    denom = v_p - v_star
    defined = (px > 0) & (px < 1) & (py > 0) & (py < 1) & (denom > 0) & (n >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(defined, (hit - p_star) / np.sqrt(np.where(defined, denom, 1.0)), np.nan)
    out = shares.index.to_frame(index=False)
    out["n"] = n.astype(int)
    out["hit_rate"] = np.where(n >= 2, hit, np.nan)
    out["statistic"] = stat
    out["pvalue"] = np.where(defined, stats.norm.sf(np.nan_to_num(stat)), np.nan)
    return out[columns]


def mcs_table(forecasts: pd.DataFrame, alpha: float = 0.1, seed: int = 0, loss: str = "squared") -> pd.DataFrame:
    """Model Confidence Set on each series, from per-origin losses.

    The bootstrap block is as long as the origins overlap (at least
    ``ceil(T ** (1/3))``); series with the same number of origins and block
    are computed together (:func:`tsbench.stats.model_confidence_sets`), with
    the same resamples as one at a time. Returns ``unique_id, model, pvalue, included``.
    """
    losses = origin_losses(forecasts, loss)
    columns = ["unique_id", "model", "pvalue", "included"]
    n_of = losses.groupby(level="unique_id", sort=False).size()
    n_of = n_of[n_of >= 2]
    if n_of.empty:
        return pd.DataFrame(columns=columns)
    losses = losses[losses.index.get_level_values("unique_id").isin(n_of.index)]
    lap = overlaps(forecasts).reindex(n_of.index)
    blocks = pd.Series([max(int(lap[u]), math.ceil(n_of[u] ** (1 / 3))) for u in n_of.index], index=n_of.index)
    key = pd.Series([f"{n_of[u]}:{blocks[u]}" for u in n_of.index], index=n_of.index)
    models = [str(c) for c in losses.columns]
    parts = []
    for _, uids, values in _loss_blocks(losses, key):
        pvalues = model_confidence_sets(values, block_size=int(blocks[uids[0]]), seed=seed)
        parts.append(pd.DataFrame({"unique_id": np.repeat(uids, len(models)), "model": np.tile(models, len(uids)),
                                   "pvalue": pvalues.ravel()}))
    table = pd.concat(parts, ignore_index=True)
    order = {u: i for i, u in enumerate(sorted(table["unique_id"].unique()))}
    table = table.iloc[np.argsort(table["unique_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    table["included"] = table["pvalue"] >= alpha
    return table[columns]


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
