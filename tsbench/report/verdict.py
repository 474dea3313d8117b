"""The verdict of a run in one paragraph, generated from the leaderboard's test columns and Friedman's test."""

from __future__ import annotations

import pandas as pd

from tsbench.metrics.registry import get_metric, is_metric

__all__ = ["verdict_text", "columns_note"]


def verdict_text(board: pd.DataFrame, ranks=None, alpha: float = 0.05, mcs_alpha: float = 0.1) -> str:
    """One paragraph saying what the tables say: best model, DM against the baseline, MCS, Friedman/Nemenyi.

    Parameters
    ----------
    board
        The leaderboard with its test columns (``dm_better``, ``dm_worse``,
        ``in_mcs``, ``mean_rank``, ``rank_vs_best``); a column that is absent
        (no baseline, a single series) leaves its sentence out.
    ranks
        The :class:`~tsbench.report.significance.RankSummary` of the first
        metric, or None.
    alpha, mcs_alpha
        Levels of the DM and Nemenyi tests and of the model confidence set.

    Returns
    -------
    str
        Plain text; every number in it is read from ``board`` or ``ranks``.
    """
    if board.empty:
        return "No model produced forecasts, so there is nothing to compare."
    n = int(board["series"].max())
    parts = [_best_sentence(board, n)]
    base = board.loc[board["baseline"], "model"]
    if "dm_better" in board and len(base):
        parts.append(_dm_sentence(board, str(base.iloc[0]), n, alpha))
    if "in_mcs" in board:
        parts.append(_mcs_sentence(board, n, mcs_alpha))
    if ranks is not None:
        parts.append(_rank_sentence(board, ranks))
    return " ".join(parts)


def _metric_column(board: pd.DataFrame) -> str | None:
    return next((c for c in board.columns if is_metric(c)), None)


def _best_sentence(board: pd.DataFrame, n: int) -> str:
    metric = _metric_column(board)
    scored = board.dropna(subset=[metric]) if metric else board.iloc[:0]
    if scored.empty:
        return "No model has a score."
    best = scored.iloc[0]  # the leaderboard is sorted by its first metric, best first
    text = f"Best by {metric} (mean over {n} series): {best['model']} ({best[metric]:.4g})"
    base = scored[scored["baseline"]]
    if bool(best["baseline"]):
        return text + ", the baseline itself."
    if len(base) and base[metric].iloc[0]:
        ref = float(base[metric].iloc[0])
        change = (float(best[metric]) - ref) / abs(ref)
        word = "above" if change > 0 else "below"
        better = "higher" if get_metric(metric).higher_is_better else "lower"
        return text + (f", {100 * abs(change):.2g}% {word} the baseline {base['model'].iloc[0]}'s {ref:.4g} "
                       f"({better} is better).")
    return text + "."


def _counted(rows: pd.DataFrame, column: str) -> str:
    return ", ".join(f"{m} ({int(c)})" for m, c in zip(rows["model"], rows[column]))


def _dm_sentence(board: pd.DataFrame, baseline: str, n: int, alpha: float) -> str:
    test = f"(Diebold-Mariano on squared errors, Holm-adjusted, level {alpha:g})"
    better = board[board["dm_better"] > 0].sort_values("dm_better", ascending=False, kind="stable")
    worse = board[board["dm_worse"] > 0].sort_values("dm_worse", ascending=False, kind="stable")
    if better.empty:
        text = f"No model is significantly more accurate than the baseline {baseline} on any of the {n} series {test}"
    else:
        text = (f"{len(better)} model(s) are significantly more accurate than the baseline {baseline} "
                f"on some of the {n} series {test}, on this many series: {_counted(better, 'dm_better')}")
    if worse.empty:
        return text + "; none is significantly less accurate."
    return text + f"; significantly less accurate: {_counted(worse, 'dm_worse')}."


def _mcs_sentence(board: pd.DataFrame, n: int, mcs_alpha: float) -> str:
    always = board.loc[board["in_mcs"] == n, "model"].tolist()
    some = board[(board["in_mcs"] > 0) & (board["in_mcs"] < n)].sort_values("in_mcs", ascending=False, kind="stable")
    never = board.loc[board["in_mcs"] == 0, "model"].tolist()
    text = f"The {1 - mcs_alpha:.0%} model confidence set keeps "
    text += (f"{', '.join(always)} on all {n} series" if always else f"no model on all {n} series")
    if len(some):
        text += f"; on some series: {_counted(some, 'in_mcs')}"
    if never:
        text += f"; never: {', '.join(never)}"
    return text + "."


def _rank_sentence(board: pd.DataFrame, ranks) -> str:
    head = (f"Friedman's test on the ranks of {ranks.metric} over {ranks.n_series} series "
            f"{'rejects' if ranks.pvalue < ranks.alpha else 'does not reject'} equal ranks (p = {ranks.pvalue:.3g})")
    top = ranks.mean_ranks.idxmin()
    behind = board.loc[board.get("rank_vs_best", pd.Series("", index=board.index)) == "worse", "model"].tolist()
    if behind:
        return (head + f"; by Nemenyi's critical difference ({ranks.cd:.3g}) only {', '.join(behind)} rank "
                f"significantly behind the best-ranked {top} (mean rank {ranks.mean_ranks[top]:.3g}).")
    return (head + f"; no model ranks more than Nemenyi's critical difference ({ranks.cd:.3g}) behind the "
            f"best-ranked {top} (mean rank {ranks.mean_ranks[top]:.3g}).")


def columns_note(n_series: int, metric: str | None, alpha: float, mcs_alpha: float) -> str:
    """What the test columns of the leaderboard mean, for the notes under it."""
    return (f"mean_rank: mean rank of {metric or 'the first metric'} over series (1 = best); rank_vs_best "
            f"'worse': more than Nemenyi's critical difference behind the best (level {alpha:g}). "
            f"dm_better / dm_worse: number of the {n_series} series on which the model is significantly more / less "
            f"accurate than the baseline (Diebold-Mariano on squared errors, HLN correction, Holm-adjusted over "
            f"models, level {alpha:g}). in_mcs: series on which the model is in the {1 - mcs_alpha:.0%} model "
            "confidence set (Hansen, Lunde and Nason).")
