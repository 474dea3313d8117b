"""How the report's figures tell models apart and pick their scale: palette, line styles, competitive models, session axis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["PALETTE", "LINE_STYLES", "model_styles", "competitive_models", "session_positions", "session_ticks"]

#: Twenty colours that stay apart on white: matplotlib's tab10, then ten darker or more saturated ones.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#000075", "#800000", "#f032e6", "#469990", "#808000", "#e6b800", "#6a5acd", "#00a86b", "#fa8072", "#4b2e1e",
)
#: Models after the twentieth reuse the colours with these line styles, so no two models look the same.
LINE_STYLES = ("-", "--", ":", "-.")


def model_styles(models: Sequence[str], baseline: str | None = None) -> dict[str, dict]:
    """Colour, line style and width of each model, fixed by its position in ``models`` for every figure.

    The baseline is drawn thicker so it can be found in any figure.
    """
    out = {}
    for i, model in enumerate(models):
        style = LINE_STYLES[(i // len(PALETTE)) % len(LINE_STYLES)]
        out[model] = {"color": PALETTE[i % len(PALETTE)], "ls": style, "lw": 2.2 if model == baseline else 1.2}
    return out


def competitive_models(scores: pd.Series, baseline: str | None, factor: float,
                       higher_is_better: bool = False) -> tuple[list[str], list[str]]:
    """Models whose score is within ``factor`` of the baseline's (or the best one's), and the others.

    ``scores`` maps model -> a lower-is-better score such as MASE. A model
    is competitive when its score is at most ``factor`` times the reference
    (the baseline's when it has a positive score, else the best score); the
    others are left out of a plot's scale and listed as off-scale. With a
    higher-is-better score, or no positive reference, every model is kept.
    """
    valid = scores.dropna()
    models = list(scores.index)
    if higher_is_better or valid.empty:
        return models, []
    ref = valid.get(baseline, np.nan) if baseline is not None else np.nan
    if not np.isfinite(ref) or ref <= 0:
        ref = valid.min()
    if not np.isfinite(ref) or ref <= 0:
        return models, []
    keep = [m for m in models if m == baseline or (m in valid.index and valid[m] <= factor * ref)]
    return keep, [m for m in models if m not in keep]


def session_positions(stamps: pd.Series | np.ndarray):
    """The sorted distinct timestamps and a function giving the position (0, 1, 2, ...) of any of them.

    Plotting against the position instead of the time leaves out nights,
    weekends and holidays, which otherwise take most of an intraday plot.
    """
    unique = np.sort(pd.unique(np.asarray(stamps)))

    def where(values) -> np.ndarray:
        return np.searchsorted(unique, np.asarray(values))

    return unique, where


def session_ticks(ax, unique: np.ndarray, n_ticks: int = 6) -> None:
    """Date labels at a few positions of a session axis, and faint lines where a new day starts (intraday)."""
    if len(unique) == 0:
        return
    if not np.issubdtype(unique.dtype, np.datetime64):
        ax.set_xlabel("step")
        return
    stamps = pd.DatetimeIndex(unique)
    intraday = bool((stamps != stamps.normalize()).any())
    if intraday:
        days = np.flatnonzero(stamps.normalize()[1:] != stamps.normalize()[:-1]) + 1
        for pos in days:
            ax.axvline(pos - 0.5, color="#dddddd", lw=0.6, zorder=0)
    at = np.unique(np.linspace(0, len(unique) - 1, min(n_ticks, len(unique))).round().astype(int))
    fmt = "%m-%d %H:%M" if intraday else "%Y-%m-%d"
    ax.set_xticks(at)
    ax.set_xticklabels([stamps[i].strftime(fmt) for i in at], fontsize=7)
    gaps = len(stamps) > 2 and np.diff(stamps.asi8).max() > 1.5 * np.median(np.diff(stamps.asi8))
    ax.set_xlabel("observations in order (non-trading time left out)" if gaps else "date", fontsize=7)
