"""Assemble report.html and its PNG figures from the computed report tables."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tsbench.engine.store import write_atomic
from tsbench.metrics.registry import get_metric
from tsbench.report import plots
from tsbench.report.covariates import covariates_section
from tsbench.report.html import page_html, paragraph, table_html
from tsbench.report.sections import (
    FigureSink,
    across_series_section,
    horizon_section,
    leaderboard_section,
    periods_section,
    pt_section,
    series_section,
)
from tsbench.report.selection import select_series
from tsbench.report.style import competitive_models, model_styles
from tsbench.report.tables import series_scores
from tsbench.report.volatility import volatility_section

__all__ = ["render_report", "settings_lines", "file_links"]

# Files of a run folder that the header links to, when they exist.
_FILES = ("leaderboard.csv", "leaderboard.md", "tables.md", "metrics_by_period.csv", "metrics_by_period.md",
          "forecasts.parquet", "metrics.parquet", "manifest.json", "failures.json", "run.log")


def render_report(run, tables, options, panel: pd.DataFrame | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Draw the figures, save them as PNG under ``plots/`` and write the self-contained ``report.html``.

    ``progress`` is called with a short description before each figure.
    """
    plots.require_matplotlib()
    folder = run.run_dir / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):  # figures of an earlier build (e.g. other series) would be orphans
        old.unlink()
    sink = FigureSink(folder, progress)
    context = _context(run, tables, options)
    f = tables.frames
    sections = [("Verdict", f'<p id="verdict">{html.escape(tables.verdict)}</p>'),
                ("Leaderboard", leaderboard_section(f["leaderboard"], tables.tests_note)),
                ("Across series", across_series_section(run, tables, context, sink))]
    covariates = covariates_section(run.manifest)
    if covariates is not None:
        sections.insert(2, ("Covariates", covariates))
    if "relative" in f:
        sections.append((f"Relative to the baseline ({run.baseline})", table_html(f["relative"]) + paragraph(
            "ratio: geometric mean over series of metric(model) / metric(baseline); "
            "skill: 1 - ratio (ratio - 1 where higher is better), so positive skill beats the baseline.")))
    if run.by_period is not None and len(run.by_period):
        sections.append(("By period", periods_section(run, context, sink)))
    sections.append(("Error by horizon", horizon_section(run, tables, context, sink)))
    if _datasets_worth_showing(f["by_dataset"], run):
        sections.append(("By dataset", table_html(f["by_dataset"])))
    sections.append(("Series", series_section(run, tables, options, panel, context, sink)))
    volatility = volatility_section(run, panel, sink, options.alpha)
    if volatility is not None:
        sections.append(("Volatility and risk", volatility))
    if len(f["pt"]):
        sections.append(("Direction of change (Pesaran-Timmermann)", pt_section(f["pt"], options.alpha)))
    failed = run.manifest.get("failed_cells") or []
    if failed:
        sections.append(("Failures", paragraph(f"{len(failed)} cell(s) failed; see failures.json: "
                                               + ", ".join(map(str, failed[:20])))))
    header = paragraph(" · ".join(settings_lines(run))) + file_links(run.run_dir)
    page = page_html(f"{run.name}: forecast comparison", _meta(run), sections, header=header)
    path = run.run_dir / "report.html"
    write_atomic(path, lambda p: p.write_text(page, encoding="utf-8"))
    return {"report": path, "plots": folder}


def _context(run, tables, options) -> dict:
    """What every section shares: styles, the competitive models, the series drawn one by one."""
    names, baseline = run.metric_names, run.baseline
    metric = names[0] if names else None
    higher = get_metric(metric).higher_is_better if metric else False
    scores = series_scores(run.metrics, metric) if metric else pd.DataFrame()
    board = tables.frames["leaderboard"].set_index("model")
    overall = board[metric] if metric in board else pd.Series(dtype=float)
    keep, off = competitive_models(overall.reindex(run.models), baseline, options.competitive, higher)
    ref = baseline if baseline and baseline in overall.dropna().index else "the best model"
    why = f"{metric} more than {options.competitive:g}x {ref}'s" if metric else "off scale"
    base_scores = scores[baseline] if baseline in scores else (scores.mean(axis=1) if len(scores) else
                                                               pd.Series(dtype=float))
    base_scores = base_scores.rename(f"{baseline or 'the mean'}'s {metric}")
    all_series = sorted(run.forecasts["unique_id"].unique(), key=str)
    base_scores = base_scores.reindex(all_series)
    chosen, chosen_note = select_series(base_scores if not higher else -base_scores, options.max_series)
    return {"metric": metric, "higher": higher, "scores": scores, "styles": model_styles(run.models, baseline),
            "competitive": keep, "off_scale": off, "off_scale_why": why, "series": chosen,
            "series_note": chosen_note, "factor": options.competitive}


def _datasets_worth_showing(by_dataset: pd.DataFrame, run) -> bool:
    """The by-dataset table only helps when datasets group several series, and stays readable."""
    datasets = set(by_dataset["dataset"]) - {"(all)"}
    return 1 < len(datasets) <= 20 and len(datasets) < run.forecasts["unique_id"].nunique()


def _meta(run) -> list[str]:
    timing = run.manifest.get("timing", {})
    return [f"run {run.run_dir.name}", f"config {str(run.manifest.get('config_hash', ''))[:12]}",
            f"baseline {run.baseline or '(none)'}", f"{run.forecasts['unique_id'].nunique()} series",
            f"{len(run.models)} models", f"finished {timing.get('finished', '?')}"]


def settings_lines(run) -> list[str]:
    """The backtest settings as short phrases: target, protocol, horizon, origins, step, window, refits."""
    config = run.config
    bt = config.get("backtest", {})
    targets = sorted({str(d.get("target", "target")) for d in config.get("data", [])})
    out = [f"target: {', '.join(targets) or '?'}", f"protocol: {bt.get('protocol', 'rolling')}",
           f"horizon: {bt.get('horizon', '?')}"]
    if bt.get("protocol", "rolling") == "rolling":
        out.append(f"origins: {bt.get('origins', '?')} every {bt.get('step', 1)} step(s)")
    else:
        out.append(f"split: train {bt.get('train')}, val {bt.get('val')}, test {bt.get('test')}")
    window = bt.get("window", "expanding")
    out.append(f"window: {window}" + (f" ({bt.get('input_size')})" if bt.get("input_size") else ""))
    refits = {f["name"]: f.get("refit_every") for f in config.get("forecasters", []) if f.get("refit_every")}
    text = f"refit every {bt.get('refit_every', 1)}"
    if refits:
        text += " (" + ", ".join(f"{m}: {r}" for m, r in refits.items()) + ")"
    out.append(text)
    out += [f"gap: {bt.get('gap', 0)}", f"scale: {bt.get('scale', 'none')}"]
    if config.get("quantiles"):
        out.append("quantiles: " + ", ".join(f"{q:g}" for q in config["quantiles"]))
    out.append(f"executor: {config.get('executor', {}).get('kind', '?')}")
    return out


def file_links(run_dir: Path) -> str:
    """Links, relative to the report, to the run's files that exist."""
    names = [n for n in _FILES if (Path(run_dir) / n).exists()]
    if (Path(run_dir) / "tables").is_dir():
        names.append("tables/")
    links = " · ".join(f'<a href="{html.escape(n)}">{html.escape(n)}</a>' for n in names)
    return f'<p class="meta">files: {links}</p>' if names else ""

