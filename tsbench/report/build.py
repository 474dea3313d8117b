"""Rebuild every table and the HTML report of a run from its stored results, without refitting."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tsbench.engine.store import write_atomic
from tsbench.errors import ConfigError, DataError
from tsbench.report.significance import (
    RankSummary,
    dm_table,
    leaderboard_with_tests,
    mcs_table,
    origin_losses,
    pt_table,
    rank_summary,
)
from tsbench.report.tables import (
    dataset_of,
    frame_markdown,
    horizon_table,
    leaderboard,
    leaderboard_markdown,
    mean_table,
    rank_table,
    relative_table,
)
from tsbench.report.verdict import columns_note, verdict_text

__all__ = [
    "ReportOptions",
    "RunData",
    "ReportTables",
    "ReportOutput",
    "load_run",
    "reload_panel",
    "with_y_last",
    "compute_tables",
    "write_tables",
    "build_report",
]


@dataclass(frozen=True)
class ReportOptions:
    """What the report tests and draws.

    ``alpha`` is the level of the DM and Nemenyi tests, ``mcs_alpha`` that of
    the model confidence set, ``last_origins`` how many origins the forecast
    plots show, ``plots`` whether to draw figures (needs matplotlib),
    ``max_series`` how many series get figures of their own (the others are
    summarised across series), ``competitive`` the factor of the baseline's
    score within which a model sets the scale of the plots.
    """

    alpha: float = 0.05
    mcs_alpha: float = 0.1
    last_origins: int = 3
    plots: bool = True
    seed: int = 0
    max_series: int = 12
    competitive: float = 1.25

    def __post_init__(self) -> None:
        for name in ("alpha", "mcs_alpha"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise ConfigError(f"report {name} must lie strictly between 0 and 1, got {value}; e.g. 0.05.")
        if self.last_origins < 1:
            raise ConfigError(f"report last_origins must be at least 1, got {self.last_origins}.")
        if self.max_series < 0:
            raise ConfigError(f"report max_series must be 0 or more, got {self.max_series}.")
        if self.competitive <= 1:
            raise ConfigError(f"report competitive must be above 1, got {self.competitive}; e.g. 1.25.")


@dataclass
class RunData:
    """The stored results of one run: forecasts, metrics and manifest."""

    run_dir: Path
    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    manifest: dict
    by_period: pd.DataFrame | None = None
    #: The leaderboard the runner already built (without test columns); rebuilt from ``metrics`` when absent.
    leaderboard: pd.DataFrame | None = None

    @property
    def config(self) -> dict:
        return self.manifest.get("config", {})

    @property
    def name(self) -> str:
        return str(self.manifest.get("experiment", self.run_dir.name))

    @property
    def metric_names(self) -> list[str]:
        # the resolved names in the experiment's order (e.g. coverage_90), else the declared ones
        names = list(self.manifest.get("metric_scales") or {})
        names = names or [m if isinstance(m, str) else next(iter(m)) for m in self.config.get("metrics", [])]
        present = set(self.metrics["metric"].unique())
        return [m for m in names if m in present] + sorted(present - set(names))

    @property
    def baseline(self) -> str | None:
        base = self.config.get("baseline")
        return base if base in set(self.forecasts["model"].unique()) else None

    @property
    def models(self) -> list[str]:
        declared = [f["name"] for f in self.config.get("forecasters", [])]
        present = list(self.forecasts["model"].unique())
        return [m for m in declared if m in present] + sorted(set(present) - set(declared))

    @property
    def datasets(self) -> dict[str, str]:
        return dataset_of(self.manifest.get("data", []))


def load_run(run_dir: str | Path) -> RunData:
    """Read ``forecasts.parquet``, ``metrics.parquet`` and ``manifest.json`` from a run folder."""
    run_dir = Path(run_dir)
    needed = ["forecasts.parquet", "metrics.parquet", "manifest.json"]
    missing = [n for n in needed if not (run_dir / n).exists()]
    if missing:
        raise DataError(
            f"{run_dir} is not a finished run folder: {', '.join(missing)} missing (expected {', '.join(needed)}). "
            "Point at the folder `tsbench run` printed, e.g. results/quickstart/<hash>."
        )
    manifest = json.loads((run_dir / "manifest.json").read_text())
    periods = run_dir / "metrics_by_period.parquet"
    return RunData(run_dir, pd.read_parquet(run_dir / "forecasts.parquet"),
                   pd.read_parquet(run_dir / "metrics.parquet"), manifest,
                   pd.read_parquet(periods) if periods.exists() else None)


def reload_panel(run: RunData, base_dir: Path) -> pd.DataFrame | None:
    """The run's data loaded again, or None when it cannot be or no longer matches the run.

    Only used for what the stored forecasts lack (history before the first
    origin, the value at the first cutoff); a series whose fingerprint differs
    from the manifest's makes the whole panel unused, as do standardised runs.
    """
    from tsbench.experiment import parse_experiment
    from tsbench.data.loader import load_panel
    from tsbench.errors import TsbenchError

    if run.config.get("backtest", {}).get("scale", "none") != "none":
        return None
    try:
        experiment = parse_experiment(run.config, check_models=False)
        panel, infos = load_panel(experiment.data, Path(base_dir))
    except (TsbenchError, OSError):
        return None
    stored = {str(d.get("unique_id")): d.get("fingerprint") for d in run.manifest.get("data", [])}
    if any(stored.get(info.unique_id) != info.fingerprint for info in infos):
        return None
    return panel


def with_y_last(forecasts: pd.DataFrame, panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Forecasts with ``y_last``, the value at each cutoff: from ``panel`` when given, else from stored actuals.

    Without the panel, a cutoff's value is known when an earlier origin
    forecast that date (true for every origin but the first when origins are
    at most a horizon apart); other rows get NaN.
    """
    if "y_last" in forecasts.columns:
        return forecasts
    if panel is not None:
        last = panel[["unique_id", "ds", "y"]].rename(columns={"ds": "cutoff", "y": "y_last"})
    else:
        last = forecasts[["unique_id", "ds", "y"]].drop_duplicates(["unique_id", "ds"])
        last = last.rename(columns={"ds": "cutoff", "y": "y_last"})
    return forecasts.merge(last, on=["unique_id", "cutoff"], how="left", validate="many_to_one")


@dataclass
class ReportTables:
    """Every frame of the report; Markdown, CSV and HTML are rendered from these."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    ranks: RankSummary | None = None
    losses: pd.DataFrame | None = None
    verdict: str = ""
    tests_note: str = ""


def compute_tables(run: RunData, options: ReportOptions, panel: pd.DataFrame | None = None) -> ReportTables:
    """Compute the tables and tests of a run."""
    metrics, names, baseline = run.metrics, run.metric_names, run.baseline
    forecasts = with_y_last(run.forecasts, panel)
    out = ReportTables(losses=origin_losses(forecasts) if len(forecasts) else None)
    n_series = forecasts["unique_id"].nunique()
    board = run.leaderboard
    if board is None:
        board = leaderboard(metrics, names, baseline, run.models, n_series=n_series,
                            coverage=run.manifest.get("coverage"))
    out.ranks = rank_summary(metrics, names[0], options.alpha) if names else None
    dm = dm_table(forecasts, baseline, options.alpha) if baseline and len(run.models) > 1 else None
    mcs = mcs_table(forecasts, options.mcs_alpha, options.seed) if len(forecasts) else None
    f = out.frames
    f["leaderboard"] = leaderboard_with_tests(board, dm, mcs, out.ranks)
    out.verdict = verdict_text(f["leaderboard"], out.ranks, options.alpha, options.mcs_alpha)
    out.tests_note = columns_note(n_series, names[0] if names else None, options.alpha, options.mcs_alpha)
    f["by_dataset"] = mean_table(metrics, names, run.datasets)
    if names:
        f["ranks"] = rank_table(metrics, names[0])
    if baseline:
        f["relative"] = relative_table(metrics, names, baseline)
    for name in names:
        f[f"horizon_{name}"] = horizon_table(metrics, name)
    if dm is not None:
        f["dm"] = dm
    f["pt"] = pt_table(forecasts)
    if mcs is not None:
        f["mcs"] = mcs
    if out.ranks is not None:
        r = out.ranks
        f["friedman"] = pd.DataFrame([{"metric": r.metric, "series": r.n_series, "models": len(r.mean_ranks),
                                       "chi2": r.statistic, "pvalue": r.pvalue, "nemenyi_cd": r.cd}])
    return out


def write_tables(run_dir: Path, tables: ReportTables, title: str, name: str | None = None,
                 scales: dict[str, str] | None = None) -> Path:
    """Write each frame as ``tables/<name>.csv`` and all of them to ``tables.md``.

    The leaderboard with its test columns also replaces the run's top-level
    ``leaderboard.csv`` and ``leaderboard.md`` (the latter with the verdict
    above the table), so every copy of the leaderboard says the same.
    """
    run_dir = Path(run_dir)
    folder = run_dir / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    board = tables.frames.get("leaderboard")
    if board is not None:
        md = leaderboard_markdown(board, title=f"{name or run_dir.name}: leaderboard", scales=scales,
                                  verdict=tables.verdict, tests_note=tables.tests_note)
        write_atomic(run_dir / "leaderboard.csv", lambda p: board.to_csv(p, index=False))
        write_atomic(run_dir / "leaderboard.md", lambda p: p.write_text(md))
    parts = [f"# {title}", ""]
    for name, frame in tables.frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        parts.append(frame_markdown(frame, title=name))
    path = Path(run_dir) / "tables.md"
    path.write_text("\n".join(parts))
    return path


@dataclass
class ReportOutput:
    """What :func:`build_report` computed and the paths it wrote (``tables``, ``report``, ``plots``)."""

    tables: ReportTables
    paths: dict[str, Path]


def build_report(
    run_dir: str | Path,
    options: ReportOptions | None = None,
    panel: pd.DataFrame | None = None,
    run: RunData | None = None,
    progress: bool = False,
) -> ReportOutput:
    """Write tables (CSV, Markdown), plots (PNG) and ``report.html`` for a run folder.

    Parameters
    ----------
    run_dir
        A folder written by ``tsbench run``.
    options
        Levels and plot settings (:class:`ReportOptions`).
    panel
        The data panel, when at hand: it gives exact cutoff values for the
        Pesaran-Timmermann test and history for the forecast plots.
    run
        Already loaded results (the runner passes them to skip re-reading).
    progress
        Show a progress line for the report step on the terminal.

    Returns
    -------
    ReportOutput
        The frames, and the paths written: ``tables``, plus ``report`` and
        ``plots`` when plots are on.

    Raises
    ------
    PluginError
        When plots are asked for and matplotlib is missing (the tables are
        written before).
    """
    from tsbench.report.page import render_report
    from tsbench.report.progress import report_progress

    options = options or ReportOptions()
    run = run or load_run(run_dir)
    with report_progress(progress) as step:
        step("tables and tests")
        tables = compute_tables(run, options, panel)
        written = write_tables(run.run_dir, tables, f"{run.name}: result tables", run.name,
                               run.manifest.get("metric_scales"))
        output = ReportOutput(tables, {"tables": written})
        if options.plots:
            output.paths.update(render_report(run, tables, options, panel, progress=step))
    return output
