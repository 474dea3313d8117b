"""Assemble report.html and its PNG figures from the computed report tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tsbench.report import plots
from tsbench.report.html import image_html, page_html, paragraph, table_html
from tsbench.engine.store import write_atomic

__all__ = ["render_report"]


def render_report(run, tables, options, panel: pd.DataFrame | None = None) -> dict[str, Path]:
    """Draw the figures, save them as PNG under ``plots/`` and write the self-contained ``report.html``."""
    plots.require_matplotlib()
    folder = run.run_dir / "plots"
    folder.mkdir(parents=True, exist_ok=True)

    def figure(name: str, fig, alt: str) -> str:
        png = plots.png_bytes(fig)
        (folder / f"{name}.png").write_bytes(png)
        return image_html(png, alt)

    f, models, baseline = tables.frames, run.models, run.baseline
    sections = [("Leaderboard", _leaderboard_section(f["leaderboard"], run, options)),
                ("By dataset", table_html(f["by_dataset"]))]
    sections.append(("Ranks across series", _ranks_section(tables, figure)))
    if "relative" in f:
        sections.append((f"Relative to the baseline ({baseline})", table_html(f["relative"]) + paragraph(
            "ratio: geometric mean over series of metric(model) / metric(baseline); "
            "skill: 1 - ratio (ratio - 1 where higher is better), so positive skill beats the baseline.")))
    horizon = []
    stepped = set(run.metrics.loc[run.metrics["h"] > 0, "metric"])
    for name in run.metric_names:
        if name not in stepped:  # e.g. trading metrics exist only over all steps together
            continue
        img = figure(f"horizon_{name}", plots.horizon_figure(run.metrics, name, models), f"{name} by horizon")
        horizon.append(f"<div>{img}{table_html(f[f'horizon_{name}'])}</div>")
    sections.append(("Error by horizon", '<div class="grid">' + "\n".join(horizon) + "</div>"))
    sections.append(("Series", _series_section(run, tables, options, panel, figure)))
    from tsbench.report.volatility import volatility_section

    volatility = volatility_section(run, panel, figure, options.alpha)
    if volatility is not None:
        sections.append(("Volatility and risk", volatility))
    if len(f["pt"]):
        sections.append(("Direction of change (Pesaran-Timmermann)", table_html(f["pt"]) + paragraph(
            "One-step directions from each cutoff; small p-values mean the model calls the direction better "
            "than chance. No-change forecasts have no direction (—).")))
    failed = run.manifest.get("failed_cells") or []
    if failed:
        sections.append(("Failures", paragraph(f"{len(failed)} cell(s) failed; see failures.json: "
                                               + ", ".join(map(str, failed[:20])))))
    meta = [f"run {run.run_dir.name}", f"config {str(run.manifest.get('config_hash', ''))[:12]}",
            f"baseline {baseline or '(none)'}", f"{run.forecasts['unique_id'].nunique()} series",
            f"{len(models)} models", f"finished {run.manifest.get('timing', {}).get('finished', '?')}"]
    page = page_html(f"{run.name}: forecast comparison", meta, sections)
    path = run.run_dir / "report.html"
    write_atomic(path, lambda p: p.write_text(page, encoding="utf-8"))
    return {"report": path, "plots": folder}


def _leaderboard_section(board: pd.DataFrame, run, options) -> str:
    shown = board.copy()
    shown["model"] = [f"{m} *" if b else m for m, b in zip(shown["model"], shown["baseline"])]
    shown = shown.drop(columns=[c for c in ("baseline", "complete") if c in shown.columns])
    classes = pd.DataFrame("", index=shown.index, columns=shown.columns)
    if "dm_better" in shown:
        classes.loc[shown["dm_better"] > 0, "dm_better"] = "better"
        classes.loc[shown["dm_worse"] > 0, "dm_worse"] = "worse"
    if "rank_vs_best" in shown:
        classes.loc[shown["rank_vs_best"] == "worse", "rank_vs_best"] = "worse"
    n = run.forecasts["unique_id"].nunique()
    note = (f"* baseline. Metrics: mean over series of each metric over all steps. mean_rank: mean rank of "
            f"{run.metric_names[0] if run.metric_names else 'the first metric'} over series (1 = best); "
            f"rank_vs_best 'worse': more than Nemenyi's critical difference behind the best (level {options.alpha}). "
            f"dm_better / dm_worse: number of the {n} series on which the model is significantly more / less "
            f"accurate than the baseline (Diebold-Mariano on squared errors, HLN correction, Holm-adjusted, "
            f"level {options.alpha}). in_mcs: series on which the model is in the {1 - options.mcs_alpha:.0%} "
            "model confidence set (Hansen, Lunde and Nason).")
    return table_html(shown, classes, table_id="leaderboard") + paragraph(note)


def _ranks_section(tables, figure) -> str:
    r = tables.ranks
    if r is None:
        return paragraph("Ranks need at least two series and two models.")
    text = (f"Friedman test on the ranks of {r.metric} over {r.n_series} series: chi2 = {r.statistic:.3g}, "
            f"p = {r.pvalue:.3g}. Nemenyi critical difference at level {r.alpha}: {r.cd:.3g}; models joined by "
            "a bar are not significantly different.")
    fig = plots.cd_figure(r.mean_ranks, r.cd, title=f"mean rank of {r.metric} (1 = best)")
    return paragraph(text) + figure("critical_difference", fig, "critical difference diagram") + table_html(
        tables.frames["ranks"])


def _series_section(run, tables, options, panel, figure) -> str:
    parts = []
    dm, mcs = tables.frames.get("dm"), tables.frames.get("mcs")
    for uid in sorted(run.forecasts["unique_id"].unique()):
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(uid))
        history = panel[panel["unique_id"] == uid] if panel is not None else None
        parts.append(f"<h3>{uid}</h3>")
        fig = plots.forecast_figure(run.forecasts, uid, run.models, options.last_origins, history)
        parts.append(figure(f"forecasts_{safe}", fig, f"{uid} forecasts against actuals"))
        if run.baseline and tables.losses is not None and uid in tables.losses.index.get_level_values(0):
            fig = plots.cumulative_loss_figure(tables.losses, uid, run.baseline, run.models)
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
