"""Figures that summarise every series at once: skill across series, ranks, skill by period."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsbench.report.plots import require_matplotlib

__all__ = ["skill_distribution_figure", "rank_heatmap_figure", "period_heatmap_figure", "series_skill"]


def series_skill(scores: pd.DataFrame, baseline: str, higher_is_better: bool = False) -> pd.DataFrame:
    """Skill against the baseline on each series: ``1 - score / baseline`` (``score / baseline - 1`` if higher is better).

    ``scores`` has one row per series and one column per model; positive
    skill means better than the baseline. Ratios that are not finite and
    positive become NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = scores.div(scores[baseline], axis=0)
    ratio = ratio.where(np.isfinite(ratio) & (ratio > 0))
    return ratio - 1 if higher_is_better else 1 - ratio


def skill_distribution_figure(skill: pd.DataFrame, models: Sequence[str], styles: dict, metric: str,
                              baseline: str, off_scale: Sequence[str] = ()):
    """One horizontal box per model: the spread over series of its skill against the baseline.

    Each box is labelled with the share of series on which the model beats
    the baseline. ``off_scale`` models are listed under the plot instead.
    """
    plt = require_matplotlib()
    shown = [m for m in models if m in skill.columns and m != baseline and m not in set(off_scale)]
    shown.sort(key=lambda m: -skill[m].median() if skill[m].notna().any() else float("inf"))  # best on top
    fig, ax = plt.subplots(figsize=(9, 0.8 + 0.32 * max(len(shown), 2)))
    fig.subplots_adjust(left=0.2, right=0.78, top=0.88, bottom=0.3 if off_scale else 0.2)
    data = [skill[m].dropna().to_numpy() for m in shown]
    if shown:
        import matplotlib

        # 'vert' is deprecated from matplotlib 3.10 on, 'orientation' unknown before it
        newer = tuple(int(x) for x in matplotlib.__version__.split(".")[:2]) >= (3, 10)
        flat = {"orientation": "horizontal"} if newer else {"vert": False}
        parts = ax.boxplot(data, widths=0.6, showfliers=False, patch_artist=True, **flat)
        for patch, model in zip(parts["boxes"], shown):
            patch.set_facecolor(styles[model]["color"])
            patch.set_alpha(0.55)
        ax.set_yticks(range(1, len(shown) + 1))
        ax.set_yticklabels(shown, fontsize=8)
        ax.invert_yaxis()
        for i, values in enumerate(data, start=1):
            share = (values > 0).mean() if len(values) else float("nan")
            ax.text(1.01, i, f"beats {baseline} on {share:.0%} of {len(values)}", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=7)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel(f"skill of {metric} vs {baseline} per series (1 - ratio; > 0 better; whiskers 1.5 IQR)", fontsize=8)
    ax.set_title(f"skill against {baseline} across {len(skill)} series", fontsize=9)
    if off_scale:
        fig.text(0.01, 0.01, "not drawn (off scale): " + ", ".join(off_scale), fontsize=7, color="#555555")
    return fig


def rank_heatmap_figure(scores: pd.DataFrame, models: Sequence[str], metric: str, higher_is_better: bool = False):
    """Share of series on which each model takes each rank (1 = best): rows models, columns ranks."""
    plt = require_matplotlib()
    scores = scores.dropna(axis=0, how="any")
    order = [m for m in models if m in scores.columns]
    ranks = scores[order].rank(axis=1, ascending=not higher_is_better, method="min").astype(int)
    k = len(order)
    share = np.stack([(ranks[m].to_numpy()[:, None] == np.arange(1, k + 1)).mean(axis=0) for m in order])
    mean_rank = ranks.mean(axis=0)
    order_idx = np.argsort(mean_rank.to_numpy(), kind="stable")
    share, order = share[order_idx], [order[i] for i in order_idx]
    fig, ax = plt.subplots(figsize=(min(2.5 + 0.45 * k, 10), 0.9 + 0.3 * k))
    fig.subplots_adjust(left=0.22, right=0.97, top=0.88, bottom=0.16)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=max(share.max(), 1e-9), aspect="auto")
    ax.set_xticks(range(k))
    ax.set_xticklabels([str(r) for r in range(1, k + 1)], fontsize=7)
    ax.set_yticks(range(k))
    ax.set_yticklabels([f"{m} ({mean_rank[m]:.2f})" for m in order], fontsize=7)
    if k <= 16:
        for i in range(k):
            for j in range(k):
                if share[i, j] >= 0.005:
                    ax.text(j, i, f"{share[i, j]:.0%}", ha="center", va="center", fontsize=6,
                            color="white" if share[i, j] > 0.6 * share.max() else "black")
    ax.set_xlabel(f"rank of {metric} (1 = best); share of the {len(scores)} series", fontsize=8)
    ax.set_title("how often each model takes each rank (mean rank in brackets)", fontsize=9)
    return fig


def period_heatmap_figure(skill: pd.DataFrame, metric: str, baseline: str, off_scale: Sequence[str] = ()):
    """Skill against the baseline by period: rows models, columns periods, red worse and blue better.

    ``skill`` is indexed by model with one column per period. The colour
    scale is symmetric around 0 and set by the 90th percentile of the
    absolute skills, so one far-off model does not wash out the others;
    ``off_scale`` models are left out and named under the plot.
    """
    plt = require_matplotlib()
    skill = skill.drop(index=[m for m in off_scale if m in skill.index])
    values = skill.to_numpy(dtype=float)
    finite = np.abs(values[np.isfinite(values)])
    lim = float(np.quantile(finite, 0.9)) if len(finite) else 1.0
    lim = lim if lim > 0 else 1.0
    rows, cols = values.shape
    fig, ax = plt.subplots(figsize=(min(5 + 0.8 * cols, 11), 1.4 + 0.3 * rows))
    fig.subplots_adjust(left=0.2, right=0.95, top=0.86, bottom=0.2 if off_scale else 0.12)
    image = ax.imshow(np.clip(values, -lim, lim), cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(cols))
    ax.set_xticklabels([str(c) for c in skill.columns], fontsize=7, rotation=30 if cols > 6 else 0)
    ax.set_yticks(range(rows))
    ax.set_yticklabels([str(m) for m in skill.index], fontsize=7)
    if rows * cols <= 400:
        for i in range(rows):
            for j in range(cols):
                if np.isfinite(values[i, j]):
                    ax.text(j, i, f"{values[i, j]:+.1%}", ha="center", va="center", fontsize=6,
                            color="white" if abs(values[i, j]) > 0.7 * lim else "black")
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=6)
    ax.set_title(f"skill of {metric} vs {baseline} by period (> 0 better)\ncolours capped at ±{lim:.1%}", fontsize=9)
    if off_scale:
        fig.text(0.01, 0.01, "not drawn (off scale): " + ", ".join(off_scale), fontsize=7, color="#555555")
    return fig
