"""The sections of report.html: leaderboard, summaries across series, periods, horizons, series, directions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tsbench.report import panel_plots, plots
from tsbench.report.html import details_html, image_html, paragraph, table_html
from tsbench.report.style import competitive_models
from tsbench.report.tables import period_skill_table, period_table

__all__ = [
    "FigureSink",
    "leaderboard_section",
    "across_series_section",
    "periods_section",
    "horizon_section",
    "series_section",
    "pt_section",
]


class FigureSink:
    """Saves each figure as ``plots/<name>.png`` and returns its embedded ``<img>``; reports progress."""

    def __init__(self, folder: Path, progress: Callable[[str], None] | None = None):
        self.folder = Path(folder)
        self.progress = progress
        self.count = 0

    def __call__(self, name: str, fig, alt: str) -> str:
        png = plots.png_bytes(fig)
        (self.folder / f"{name}.png").write_bytes(png)
        self.count += 1
        if self.progress is not None:
            self.progress(f"drew {name}")
        return image_html(png, alt)


def leaderboard_section(board: pd.DataFrame, note: str) -> str:
    """The leaderboard with its test columns, significant cells coloured, and what the columns mean."""
    shown = board.copy()
    shown["model"] = [f"{m} *" if b else m for m, b in zip(shown["model"], shown["baseline"])]
    shown = shown.drop(columns=[c for c in ("baseline", "complete") if c in shown.columns])
    classes = pd.DataFrame("", index=shown.index, columns=shown.columns)
    if "dm_better" in shown:
        classes.loc[shown["dm_better"] > 0, "dm_better"] = "better"
        classes.loc[shown["dm_worse"] > 0, "dm_worse"] = "worse"
    if "rank_vs_best" in shown:
        classes.loc[shown["rank_vs_best"] == "worse", "rank_vs_best"] = "worse"
    text = "* baseline. Metrics: mean over series of each metric over all steps. " + note
    return table_html(shown, classes, table_id="leaderboard") + paragraph(text)


def across_series_section(run, tables, ctx: dict, figure: FigureSink) -> str:
    """Skill distribution, rank heat map and the Friedman/Nemenyi diagram: every series at once."""
    parts = []
    scores, metric, baseline = ctx["scores"], ctx["metric"], run.baseline
    if baseline and metric and baseline in scores:
        skill = panel_plots.series_skill(scores, baseline, ctx["higher"])
        fig = panel_plots.skill_distribution_figure(skill, run.models, ctx["styles"], metric, baseline,
                                                    ctx["off_scale"])
        parts.append(figure("skill_distribution", fig, f"skill of {metric} against {baseline} across series"))
    r = tables.ranks
    if r is None:
        return "\n".join(parts) + paragraph("Ranks need at least two series and two models.")
    fig = panel_plots.rank_heatmap_figure(scores, run.models, metric, ctx["higher"])
    parts.append(figure("rank_heatmap", fig, "share of series at each rank"))
    parts.append(paragraph(
        f"Friedman test on the ranks of {r.metric} over {r.n_series} series: chi2 = {r.statistic:.3g}, "
        f"p = {r.pvalue:.3g}. Nemenyi critical difference at level {r.alpha}: {r.cd:.3g}; models joined by "
        "a bar are not significantly different."))
    fig = plots.cd_figure(r.mean_ranks, r.cd, title=f"mean rank of {r.metric} (1 = best)")
    parts.append(figure("critical_difference", fig, "critical difference diagram"))
    ranks = tables.frames["ranks"]
    if ranks.shape[1] - 2 <= len(ctx["series"]) or ranks.shape[1] <= 14:
        parts.append(table_html(ranks))
    else:  # one column per series: only the series drawn one by one below
        kept = ["model", "mean_rank", *[s for s in ctx["series"] if s in ranks.columns]]
        parts.append(details_html(f"ranks on the {len(kept) - 2} series shown below (all {ranks.shape[1] - 2} "
                                  "in tables/ranks.csv)", table_html(ranks[kept])))
    return "\n".join(parts)


def periods_section(run, ctx: dict, figure: FigureSink) -> str:
    """Skill against the baseline by period as a heat map, then each metric by period (mean over series)."""
    by_period, metric, baseline = run.by_period, ctx["metric"], run.baseline
    parts = []
    if baseline and metric:
        skill = period_skill_table(by_period, metric, baseline)
        if len(skill):
            skill = skill.reindex([m for m in run.models if m in skill.index and m != baseline])
            fig = panel_plots.period_heatmap_figure(skill, metric, baseline, ctx["off_scale"])
            parts.append(figure("period_skill", fig, f"skill of {metric} against {baseline} by period"))
            parts.append(paragraph("Skill: 1 - geometric mean over series of metric(model) / metric(baseline) "
                                   "for the origins whose cutoff falls in the period (calendar years, then the "
                                   "named periods of the experiment)."))
    table = period_table(by_period)
    for i, name in enumerate(run.metric_names):
        rows = table[table["metric"] == name].drop(columns="metric")
        if rows.empty:
            continue
        rows = rows.drop(columns="scale") if rows["scale"].nunique() == 1 else rows
        body = table_html(rows.reset_index(drop=True))
        parts.append(f"<h3>{name} by period</h3>" + body if i == 0 else details_html(f"{name} by period", body))
    parts.append(paragraph("Mean over series; the same tables are in metrics_by_period.csv and .md."))
    return "\n".join(parts)


def horizon_section(run, tables, ctx: dict, figure: FigureSink) -> str:
    """Each metric by step, competitive models drawn, the table of every model beside."""
    out = []
    stepped = set(run.metrics.loc[run.metrics["h"] > 0, "metric"])
    for name in run.metric_names:
        if name not in stepped:  # e.g. trading metrics exist only over all steps together
            continue
        fig = plots.horizon_figure(run.metrics, name, run.models, ctx["styles"], ctx["off_scale"],
                                   ctx["off_scale_why"])
        img = figure(f"horizon_{name}", fig, f"{name} by horizon")
        out.append(f"<div>{img}{table_html(tables.frames[f'horizon_{name}'])}</div>")
    note = (f"Plots show the baseline and the models within {ctx['factor']:g}x of its "
            f"{ctx['metric']}; the tables show every model.") if ctx["off_scale"] else ""
    return (paragraph(note) if note else "") + '<div class="grid">' + "\n".join(out) + "</div>"


def series_section(run, tables, options, panel, ctx: dict, figure: FigureSink) -> str:
    """Forecast paths, cumulative loss, DM tests and MCS of each series chosen to be shown."""
    parts = [paragraph(ctx["series_note"])]
    dm, mcs = tables.frames.get("dm"), tables.frames.get("mcs")
    scores = ctx["scores"]
    for uid in ctx["series"]:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(uid))
        history = panel[panel["unique_id"] == uid] if panel is not None else None
        keep, off = _series_competitive(run, ctx, scores.loc[uid] if uid in scores.index else None)
        best = [m for m in (scores.loc[uid, keep].sort_values(ascending=ctx["higher"]).index
                            if uid in scores.index else keep) if m != run.baseline][:1]
        bands = [m for m in [run.baseline, *best] if m]
        parts.append(f"<h3>{uid}</h3>")
        fig = plots.forecast_figure(run.forecasts, uid, run.models, options.last_origins, history,
                                    styles=ctx["styles"], off_scale=off, off_scale_why=ctx["off_scale_why"],
                                    band_models=bands)
        parts.append(figure(f"forecasts_{safe}", fig, f"{uid} forecasts against actuals"))
        if run.baseline and tables.losses is not None and uid in tables.losses.index.get_level_values(0):
            fig = plots.cumulative_loss_figure(tables.losses, uid, run.baseline, run.models, ctx["styles"], off,
                                               ctx["off_scale_why"])
            parts.append(figure(f"cumulative_{safe}", fig, f"{uid} cumulative loss difference"))
        if dm is not None:
            rows = dm[dm["unique_id"] == uid].drop(columns="unique_id").reset_index(drop=True)
            classes = pd.DataFrame("", index=rows.index, columns=rows.columns)
            classes["verdict"] = rows["verdict"]
            parts.append(table_html(rows, classes))
        if mcs is not None:
            kept = mcs[(mcs["unique_id"] == uid) & mcs["included"]]["model"].tolist()
            parts.append(paragraph(f"Model confidence set ({1 - options.mcs_alpha:.0%}): {', '.join(kept)}."))
    return "\n".join(parts)


def _series_competitive(run, ctx: dict, scores: pd.Series | None) -> tuple[list[str], list[str]]:
    """Competitive models on one series, by its own scores (a model can be close on one series only)."""
    if scores is None:
        return ctx["competitive"], ctx["off_scale"]
    return competitive_models(scores.reindex(run.models), run.baseline, ctx["factor"], ctx["higher"])


def pt_section(pt: pd.DataFrame, alpha: float) -> str:
    """Per model: mean hit rate and on how many series the direction test is significant; the full table folded."""
    summary = pt.groupby("model", sort=False).agg(series=("unique_id", "nunique"), hit_rate=("hit_rate", "mean"),
                                                  significant=("pvalue", lambda p: int((p < alpha).sum())))
    summary = summary.sort_values("hit_rate", ascending=False, kind="stable").reset_index()
    note = ("One-step directions from each cutoff; hit_rate: mean over series of the share of directions called "
            f"right; significant: series on which the Pesaran-Timmermann p-value is below {alpha:g} (the model "
            "calls the direction better than chance). No-change forecasts have no direction (—).")
    full = table_html(pt) if pt["unique_id"].nunique() <= 20 else paragraph(
        f"{pt['unique_id'].nunique()} series: the per-series table is in tables/pt.csv.")
    return table_html(summary) + paragraph(note) + details_html("per series", full)
