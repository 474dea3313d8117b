"""Report figures drawn with matplotlib (imported lazily, Agg backend) from the result frames."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsbench.errors import PluginError
from tsbench.panel import quantile_levels_of
from tsbench.report.style import model_styles, session_positions, session_ticks

__all__ = [
    "require_matplotlib",
    "forecast_figure",
    "horizon_figure",
    "cumulative_loss_figure",
    "cd_figure",
    "png_bytes",
]


# Fixed margins instead of a layout engine: the same look for these simple plots, a third less drawing time.
# The right margin leaves room for the legend outside the axes.
_MARGINS = {"left": 0.08, "right": 0.78, "top": 0.9, "bottom": 0.22}


def require_matplotlib():
    """``matplotlib.pyplot`` on the Agg backend, or a :class:`PluginError` with the install hint."""
    try:
        import matplotlib
    except ImportError as exc:
        raise PluginError(
            "the HTML report needs matplotlib, which is not installed; install it with "
            "`pip install 'tsbench[report]'` (or run without the report)."
        ) from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def png_bytes(fig) -> bytes:
    """Render ``fig`` to PNG bytes and close it."""
    plt = require_matplotlib()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _styles(models: Sequence[str], styles: dict | None) -> dict[str, dict]:
    return styles if styles is not None else model_styles(models)


def _legend_outside(fig, ax, handles: int) -> None:
    """The legend to the right of the axes, never over the data; two columns when it is long."""
    if handles:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1 if handles <= 14 else 2,
                  frameon=False, borderaxespad=0.0)


def _off_scale_note(fig, off_scale: Sequence[str], why: str) -> None:
    if off_scale:
        text = f"not drawn, {why}: " + ", ".join(off_scale)
        fig.text(0.01, 0.01, textwrap.fill(text, 150), fontsize=7, color="#555555", va="bottom")


def forecast_figure(forecasts: pd.DataFrame, unique_id: str, models: Sequence[str], last_origins: int = 3,
                    history: pd.DataFrame | None = None, context: int | None = None, styles: dict | None = None,
                    off_scale: Sequence[str] = (), off_scale_why: str = "off scale",
                    band_models: Sequence[str] = ()):
    """Actuals and each model's forecast paths from the last ``last_origins`` origins of one series.

    The x axis counts observations (a session index), so nights, weekends and
    holidays take no room. ``band_models`` get a shaded band between their
    outermost quantiles when the forecasts have quantile columns;
    ``off_scale`` models are left out and named under the plot.
    """
    plt = require_matplotlib()
    rows = forecasts[forecasts["unique_id"] == unique_id]
    cutoffs = np.sort(rows["cutoff"].unique())[-last_origins:]
    recent = rows[rows["cutoff"].isin(cutoffs)]
    fig, ax = plt.subplots(figsize=(9, 3.4))
    fig.subplots_adjust(**_MARGINS)
    actual = rows[["ds", "y"]].drop_duplicates("ds").sort_values("ds")
    if history is not None and len(history):
        past = history[history["ds"] <= actual["ds"].min()]
        actual = pd.concat([past[["ds", "y"]], actual]).drop_duplicates("ds").sort_values("ds")
    if context is None:  # as many observations before the first origin shown as the forecasts span
        context = max(20, recent["ds"].nunique())
    start = actual["ds"].searchsorted(cutoffs[0]) - context
    actual = actual.iloc[max(int(start), 0):]
    actual = actual[actual["ds"] <= recent["ds"].max()]
    unique, pos = session_positions(pd.concat([actual["ds"], pd.Series(cutoffs)]))
    ax.plot(pos(actual["ds"]), actual["y"], color="black", lw=1.2, label="actual")
    styles = _styles(models, styles)
    band = _outer_band(recent)
    shown = [m for m in models if m not in set(off_scale)]
    banded: list[str] = []
    for model in shown:
        st = styles[model]
        for i, (_, path) in enumerate(recent[recent["model"] == model].groupby("cutoff")):
            path = path.sort_values("h")
            x = pos(path["ds"])
            ax.plot(x, path["y_pred"], color=st["color"], ls=st["ls"], lw=st["lw"], marker=".", ms=3,
                    label=model if i == 0 else None)
            if band and model in band_models and path[list(band)].notna().all().all():
                ax.fill_between(x, path[band[0]], path[band[1]], color=st["color"], alpha=0.12, lw=0)
                banded += [] if model in banded else [model]
                for edge in band:  # the edges keep two overlapping bands apart
                    ax.plot(x, path[edge], color=st["color"], ls=":", lw=0.8)
    for c in cutoffs:
        ax.axvline(pos([c])[0], color="grey", lw=0.6, ls=":")
    title = f"{unique_id}: forecasts from the last {len(cutoffs)} origins"
    if banded:
        title += f" (bands: {band[0]} to {band[1]} of {', '.join(banded)})"
    ax.set_title(title, fontsize=9)
    session_ticks(ax, unique)
    _legend_outside(fig, ax, len(shown) + 1)
    _off_scale_note(fig, off_scale, off_scale_why)
    return fig


def _outer_band(forecasts: pd.DataFrame) -> tuple[str, str] | None:
    """The quantile columns of the widest central interval, e.g. ``("q0.05", "q0.95")``, or None."""
    levels = quantile_levels_of(forecasts)
    lower = [lv for lv in levels if lv < 0.5]
    upper = [lv for lv in levels if lv > 0.5]
    if not lower or not upper:
        return None
    return levels[min(lower)], levels[max(upper)]


def horizon_figure(metrics: pd.DataFrame, metric: str, models: Sequence[str], styles: dict | None = None,
                   off_scale: Sequence[str] = (), off_scale_why: str = "off scale"):
    """Mean over series of ``metric`` at each step ``h``, one line per model (``off_scale`` ones left out)."""
    plt = require_matplotlib()
    rows = metrics[(metrics["metric"] == metric) & (metrics["h"] > 0)]
    table = rows.groupby(["model", "h"])["value"].mean().unstack("model")
    fig, ax = plt.subplots(figsize=(7, 3.4))
    fig.subplots_adjust(left=0.12, right=0.74, top=0.9, bottom=0.2)
    styles = _styles(models, styles)
    shown = [m for m in models if m in table.columns and m not in set(off_scale)]
    for model in shown:
        st = styles[model]
        ax.plot(table.index, table[model], marker="o", ms=3, color=st["color"], ls=st["ls"], lw=st["lw"],
                label=model)
    ax.set_xlabel("step h", fontsize=8)
    ax.set_ylabel(metric, fontsize=8)
    values = table[shown].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if len(values) and values.min() > 0 and values.max() / values.min() > 20:
        ax.set_yscale("log")  # one far-off model would otherwise flatten every other line
    ax.set_title(f"{metric} by horizon (mean over series)", fontsize=9)
    ax.set_xticks(list(table.index))
    _legend_outside(fig, ax, len(shown))
    _off_scale_note(fig, [m for m in off_scale if m in table.columns], off_scale_why)
    return fig


def cumulative_loss_figure(losses: pd.DataFrame, unique_id: str, baseline: str, models: Sequence[str],
                           styles: dict | None = None, off_scale: Sequence[str] = (),
                           off_scale_why: str = "off scale"):
    """Cumulative sum over origins of ``loss(model) - loss(baseline)``: falling means the model gains."""
    plt = require_matplotlib()
    block = losses.xs(unique_id, level="unique_id").sort_index()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    fig.subplots_adjust(**_MARGINS)
    styles = _styles(models, styles)
    unique, pos = session_positions(block.index.to_numpy())
    x = pos(block.index.to_numpy())
    shown = [m for m in models if m != baseline and m in block.columns and m not in set(off_scale)]
    for model in shown:
        st = styles[model]
        ax.plot(x, (block[model] - block[baseline]).cumsum(), color=st["color"], ls=st["ls"], lw=st["lw"],
                label=model)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_title(f"{unique_id}: cumulative squared-error difference vs {baseline} (below 0 = better)", fontsize=9)
    session_ticks(ax, unique)
    ax.set_xlabel("forecast origin", fontsize=7)
    _legend_outside(fig, ax, len(shown))
    _off_scale_note(fig, [m for m in off_scale if m != baseline], off_scale_why)
    return fig


def cd_figure(mean_ranks: pd.Series, cd: float, title: str = ""):
    """Critical-difference diagram: mean ranks on an axis, models joined when within ``cd`` of each other.

    Thick bars join groups of models whose mean ranks differ by less than the
    critical difference (not significantly different, Nemenyi); the CD is drawn
    to scale above the axis. Layout after Demšar (2006).
    """
    plt = require_matplotlib()
    ranks = mean_ranks.sort_values()
    k = len(ranks)
    lo, hi = 1, max(k, 2)
    half = (k + 1) // 2
    cliques = _cliques(ranks.to_numpy(), cd)
    depth = 0.25 + 0.18 * len(cliques)                  # room under the axis for the bars
    bottom = depth + 0.3 * max(half, k - half) + 0.3
    fig, ax = plt.subplots(figsize=(7.5, 1.0 + 0.75 * bottom), layout="tight")
    ax.set_xlim(lo - 0.6, hi + 0.6)
    ax.set_ylim(-bottom, 1.2)
    ax.axis("off")
    ax.plot([lo, hi], [0, 0], color="black", lw=1)
    for r in range(lo, hi + 1):
        ax.plot([r, r], [0, 0.1], color="black", lw=1)
        ax.text(r, 0.15, str(r), ha="center", va="bottom", fontsize=8)
    ax.plot([lo, lo + cd], [0.75, 0.75], color="black", lw=2)
    ax.text(lo + cd / 2, 0.82, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8)
    for j, (a, b) in enumerate(cliques):
        y = -0.2 - 0.18 * j
        ax.plot([ranks.iloc[a] - 0.04, ranks.iloc[b] + 0.04], [y, y], color="tab:red", lw=3, solid_capstyle="round")
    for i, (model, r) in enumerate(ranks.items()):
        left = i < half
        y = -(depth + 0.3 * (i if left else k - 1 - i))
        x_text = lo - 0.5 if left else hi + 0.5
        ax.plot([r, r, x_text], [0, y, y], color="dimgray", lw=0.8, zorder=1)
        ax.text(x_text, y, f"{model} ({r:.2f})", ha="right" if left else "left", va="center", fontsize=8,
                clip_on=False, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def _cliques(sorted_ranks: np.ndarray, cd: float) -> list[tuple[int, int]]:
    """Maximal runs ``(first, last)`` of sorted mean ranks spanning less than ``cd``."""
    out: list[tuple[int, int]] = []
    k = len(sorted_ranks)
    for a in range(k):
        b = a
        while b + 1 < k and sorted_ranks[b + 1] - sorted_ranks[a] < cd:
            b += 1
        if b > a and not any(a >= x and b <= y for x, y in out):
            out.append((a, b))
    return out
