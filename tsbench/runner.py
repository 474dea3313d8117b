"""The runner: plan an experiment into cells, execute them, store them, and build the tables."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tsbench.config import Experiment, config_hash
from tsbench.data.loader import load_panel_levels
from tsbench.errors import ConfigError
from tsbench.engine.cells import CellResult, plan_cells_by_refit, run_cell, split_cell
from tsbench.engine.coverage import origin_coverage
from tsbench.engine.executors import default_workers, make_executor
from tsbench.engine.manifest import build_manifest, covariates_manifest
from tsbench.engine.progress import CellEta, format_eta, progress_bar
from tsbench.engine.origins import first_cutoffs, plan_backtest, standardize
from tsbench.engine.store import CellWriter, RunLock, RunStore, collect, write_atomic, write_json
from tsbench.engine.tuning import attach_tuners, make_tuner, run_searches
from tsbench.experiment import ResolvedExperiment, check_plugin_lookahead, resolve_experiment
from tsbench.metrics.plan import annualisation_notes, metric_scales, precheck_metrics
from tsbench.metrics.streamed import score_file
from tsbench.report.tables import leaderboard, leaderboard_markdown, period_markdown, period_table
from tsbench.report.tuning import with_tuning_cost

__all__ = ["RunResult", "run_experiment", "run_dir_for"]

log = logging.getLogger("tsbench")


@dataclass
class RunResult:
    """The outcome of :func:`run_experiment`.

    ``forecasts`` is read from ``forecasts.parquet`` when asked for, so a
    large run does not hold every forecast in memory.
    """

    run_dir: Path
    leaderboard: pd.DataFrame
    metrics: pd.DataFrame
    failures: list[dict] = field(default_factory=list)
    computed: int = 0
    reused: int = 0
    scales: dict[str, str] = field(default_factory=dict)
    by_period: pd.DataFrame | None = None
    report: Path | None = None
    report_note: str | None = None
    notes: list[str] = field(default_factory=list)
    verdict: str | None = None
    tests_note: str | None = None

    @property
    def ok(self) -> bool:
        """True when every cell succeeded."""
        return not self.failures

    @property
    def forecasts(self) -> pd.DataFrame:
        """Every forecast of the run (read from ``forecasts.parquet``)."""
        return pd.read_parquet(self.run_dir / "forecasts.parquet")


def run_dir_for(experiment: Experiment, output: str | Path | None = None) -> Path:
    """The run folder: ``<output>/<first 12 characters of the config hash>``."""
    base = Path(output or experiment.output or Path("results") / experiment.name)
    return base / config_hash(experiment)[:12]


def run_experiment(
    experiment: Experiment | ResolvedExperiment,
    base_dir: str | Path | None = None,
    output: str | Path | None = None,
    fresh: bool = False,
    progress: bool = True,
    report: bool = True,
    check_plugins: bool = True,
) -> RunResult:
    """Backtest every forecaster of ``experiment`` and write the results.

    Parameters
    ----------
    experiment
        A validated experiment (see :func:`tsbench.experiment.load_experiment`), or one
        already resolved by :func:`tsbench.experiment.resolve_experiment` (its
        forecasters and metric plans are then used as they are).
    base_dir
        Folder that relative data paths are read from (the experiment file's folder).
    output
        Overrides the experiment's ``output`` folder.
    fresh
        Discard cells stored by an earlier run of the same configuration.
    progress
        Show a progress bar on the terminal.
    report
        Write the result tables and ``report.html`` (also switched off by the
        experiment's ``report: {enabled: false}``); ``tsbench report`` can
        write them later from the stored results.
    check_plugins
        Run the no-look-ahead check on every forecaster that is not built in
        (see :func:`check_plugin_lookahead`) before any work.

    A run holds a lock on its run folder: a second run of the same
    configuration into the same folder waits for the first to finish and
    then reuses its cells, so each cell is computed once.
    """
    started = time.perf_counter()
    resolved = experiment if isinstance(experiment, ResolvedExperiment) else resolve_experiment(experiment)
    experiment = resolved.experiment
    run_dir = run_dir_for(experiment, output)
    make_run_dir(run_dir)
    with RunLock(run_dir, on_wait=_say_waiting):
        saved = (log.level, log.propagate)
        handler = _attach_log(run_dir / "run.log")
        try:
            return _run(resolved, Path(base_dir or Path.cwd()), run_dir, fresh, progress, started, report,
                        check_plugins)
        finally:
            log.removeHandler(handler)
            handler.close()
            log.setLevel(saved[0])
            log.propagate = saved[1]  # the run's file took the log lines; leave the logger as it was


def _say_waiting(run_dir: Path, holder: str) -> None:
    print(f"another run ({holder}) is writing {run_dir}; waiting for it to finish, then its cells are reused "
          "(Ctrl-C to stop waiting).", file=sys.stderr, flush=True)


def make_run_dir(run_dir: Path) -> None:
    """Create the run folder and check it can be written, or raise a :class:`ConfigError` that says why."""
    file = next((p for p in [run_dir, *run_dir.parents] if p.exists() and not p.is_dir()), None)
    if file is not None:
        raise ConfigError(f"output folder {str(run_dir)!r} cannot be created: {str(file)!r} is an existing file, "
                          "not a folder; choose another 'output' in the experiment or --output.")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=run_dir, prefix=".write-check.")
        probe.close()
    except OSError as exc:
        raise ConfigError(f"output folder {str(run_dir)!r} is not writable ({exc.strerror or exc}); choose a "
                          "folder you can write to with 'output' in the experiment or --output.") from None


@dataclass
class PlannedRun:
    """What :func:`plan_run` read and planned: the data, the series' backtest plans and the cells."""

    panel: pd.DataFrame
    levels: pd.DataFrame
    infos: list
    series_plans: dict
    cells: list


def plan_run(resolved: ResolvedExperiment, base_dir: str | Path | None = None) -> PlannedRun:
    """Read the data and plan the backtest: every check that needs the data, shared by ``validate`` and ``run``.

    Raises
    ------
    DataError
        A data file is missing or unreadable, holds bad values, or a series is
        too short for the backtest asked for.
    ConfigError
        A metric cannot be computed on this data.
    """
    experiment = resolved.experiment
    panel, levels, infos = load_panel_levels(experiment.data, Path(base_dir or Path.cwd()))
    series_plans = plan_backtest(panel, experiment.backtest)
    if experiment.backtest.scale == "standard":
        panel = standardize(panel, series_plans)
    precheck_metrics(resolved.metric_plans, panel, first_cutoffs(panel, series_plans), levels,
                     periods=list(experiment.periods))
    cells = plan_cells_by_refit(panel, experiment.backtest, resolved.forecasters,
                                [f.refit_every for f in experiment.forecasters], experiment.quantiles,
                                experiment.seed, fallbacks=resolved.fallbacks, series_plans=series_plans,
                                workers=experiment.executor.workers or default_workers(),
                                covariates=resolved.covariates)
    return PlannedRun(panel, levels, infos, series_plans, cells)


def _run(resolved: ResolvedExperiment, base_dir, run_dir, fresh, progress, started, report=True,
         check_plugins=True) -> RunResult:
    experiment = resolved.experiment
    digest = config_hash(experiment)
    log.info("run %s of experiment %s (config %s)", run_dir, experiment.name, digest)
    executor = make_executor(experiment.executor, run_dir / "run.log")
    if fresh or not RunStore(run_dir).stored():  # a new run: a local pool's workers start while the data are read
        getattr(executor, "start", lambda fn: None)(CellWriter(RunStore(run_dir).cells_dir))
    try:
        planned = plan_run(resolved, base_dir)
        panel, levels, infos, series_plans, cells = planned.panel, planned.levels, planned.infos, planned.series_plans, planned.cells
        targets = {info.unique_id: info.target for info in infos}
        metric_plans = resolved.metric_plans
        names = [p.name for p in metric_plans]
        scales = metric_scales(metric_plans, [spec.target for spec in experiment.data])
        for info in infos:
            if info.missing:
                log.info("%s: %d missing value(s) handled by policy '%s'", info.unique_id, info.missing, info.missing_policy)
        if check_plugins:
            check_plugin_lookahead(resolved)
        store = RunStore(run_dir)
        bt = experiment.backtest  # searches are journaled beside the cells, so --fresh forgets them too
        cells = attach_tuners(cells, {name: make_tuner(spec, budget, bt.horizon, bt.min_train, experiment.seed,
                                                       str(store.cells_dir / "tuning"))
                                      for name, (spec, budget) in resolved.tuning.items()})
        if fresh:
            store.reset()
        store.clean()
        done = store.finished()
        todo = [c for c in cells if c.key not in done]
        log.info("%d cells planned, %d already stored, %d to run", len(cells), len(cells) - len(todo), len(todo))
    except BaseException:
        executor.close(cancel=True)
        raise
    log.info("executor: %s", executor.describe())
    t0 = time.perf_counter()
    run_searches(executor, todo)  # split searches run ahead of their cells, which read them back
    failures = _execute(executor, todo, store, progress, total=len(cells), already=len(cells) - len(todo))
    failures, alone = _retry_lost_chunks(cells, failures, store, experiment.executor, progress)
    cells += alone
    execute_time = time.perf_counter() - t0
    keys = {c.key for c in cells}
    forecasts_path = run_dir / "forecasts.parquet"
    n_rows = collect(store, cells, forecasts_path)  # streamed from the cells, a chunk at a time
    # scored a group of series at a time: memory follows the group, not the run
    metrics, by_period = score_file(forecasts_path, panel, levels, targets, metric_plans, experiment.periods)
    models = [f.name for f in experiment.forecasters]
    records = store.records(keys)
    coverage, nonfinite = origin_coverage(cells, records, forecasts_path)
    for model, count in nonfinite.items():
        log.warning("%s: %d forecast origin(s) with NaN or inf values were not scored", model, count)
    board = with_tuning_cost(leaderboard(metrics, names, experiment.baseline, models, n_series=len(series_plans),
                                         coverage=coverage), records)
    notes = annualisation_notes(metric_plans, levels)
    timing = {"wall_time": time.perf_counter() - started, "execute_time": execute_time,
              "cells_computed": len(todo) - len(failures), "cells_reused": len(cells) - len(todo),
              "cells_failed": len(failures), "finished": dt.datetime.now().isoformat(timespec="seconds")}
    manifest = build_manifest(experiment, digest, infos, records, failures, executor, timing)
    manifest["metric_scales"] = scales
    manifest["coverage"] = coverage
    manifest["nonfinite"] = nonfinite
    manifest["leaderboard_notes"] = notes
    manifest["covariates"] = covariates_manifest(resolved)
    _write_outputs(run_dir, experiment, metrics, board, manifest, failures, scales, notes)
    _write_periods(run_dir, experiment, by_period, names)
    log.info("run finished: %d computed, %d reused, %d failed", len(todo) - len(failures),
             len(cells) - len(todo), len(failures))
    result = RunResult(run_dir, board, metrics, failures, computed=len(todo),
                       reused=len(cells) - len(todo), scales=scales, by_period=by_period, notes=notes)
    if report and experiment.report.enabled and n_rows:
        _write_report(result, experiment, manifest, panel, pd.read_parquet(forecasts_path), progress)
    return result


def _execute(executor, cells, store, progress, total, already) -> list[dict]:
    failures: list[dict] = []
    bar = progress_bar(progress)
    eta = CellEta([c.name for c in cells], parallel=min(getattr(executor, "workers", None) or 1, len(cells) or 1))
    finished = 0
    try:
        with bar:
            task = bar.add_task("cells", total=total, completed=already, failed=0, eta=format_eta(None))
            # a local pool's workers write the forecasts files themselves (a remote one may not share the disk)
            fn = CellWriter(store.cells_dir) if getattr(executor, "kind", None) == "processes" else run_cell
            for result in executor.map_unordered(fn, cells, _failed_result):
                eta.finished(result.name, result.meta.get("wall_time", 0.0))
                if result.error is None:
                    store.save(result)
                    log.info("cell %s done in %.2fs", result.key, result.meta.get("wall_time", 0.0))
                    for lost in _series_failures(result):  # the rest of its chunk is stored
                        failures.append(lost)
                        log.error("cell %s, series %s failed: %s", result.key, lost["series"][0], lost["error"])
                    if result.meta.get("fallback", {}).get("origins"):
                        log.warning("cell %s: fallback %s forecast %d origin(s): %s", result.key,
                                    result.meta["fallback"]["model"], result.meta["fallback"]["origins"],
                                    result.meta["fallback"]["used"])
                elif result.meta.get("failed_series"):  # every series of a chunk failed, each on its own
                    failures.extend(_series_failures(result))
                    log.error("cell %s failed: every series failed, the first with %s", result.key, result.error)
                else:
                    failures.append(_failure(result))
                    log.error("cell %s failed: %s\n%s", result.key, result.error, result.traceback)
                finished += 1
                bar.update(task, advance=1, failed=len(failures), eta=format_eta(eta.remaining()))
    except KeyboardInterrupt:
        log.warning("interrupted after %d of %d cells to run; the %d stored cells are kept",
                    finished, len(cells), already + finished - len(failures))
        executor.close(cancel=True)
        raise
    finally:
        executor.close()
    return failures


def _retry_lost_chunks(cells, failures, store, spec, progress) -> tuple[list[dict], list]:
    """Run each series of a chunk the executor lost (its worker died, or it ran past its time limit) alone.

    Exceptions inside a chunk already fail their series only; a chunk lost as a
    whole is split, so the one series that kills its worker fails alone and the
    others complete. Returns the failures and the cells of one series that were added.
    """
    by_key = {c.key: c for c in cells}
    lost = {f["key"] for f in failures if len(f["series"]) > 1 and not f["traceback"] and f["key"] in by_key}
    if not lost:
        return failures, []
    alone = [one for key in sorted(lost) for one in split_cell(by_key[key])]
    done = store.finished()
    todo = [c for c in alone if c.key not in done]
    log.warning("%d chunk(s) lost as a whole; running their %d series one cell each", len(lost), len(alone))
    kept = [f for f in failures if f["key"] not in lost]
    return kept + _execute(make_executor(spec, store.run_dir / "run.log"), todo, store, progress, total=len(alone), already=len(alone) - len(todo)), alone


def _failed_result(cell, error: str, trace: str) -> CellResult:
    """The result of a cell that the executor had to stop (timeout) or lost (worker died)."""
    return CellResult(cell.key, cell.name, cell.series, None, error=error, traceback=trace)


def _series_failures(result: CellResult) -> list[dict]:
    """One failure per series of a chunk that failed inside it."""
    return [{"key": result.key, "model": result.name, "series": [lost["series"]], "error": lost["error"],
             "traceback": lost["traceback"]} for lost in result.meta.get("failed_series", [])]


def _failure(result: CellResult) -> dict:
    return {"key": result.key, "model": result.name, "series": list(result.series),
            "error": result.error, "traceback": result.traceback}


def _write_outputs(run_dir, experiment, metrics, board, manifest, failures, scales=None, notes=()) -> None:
    write_atomic(run_dir / "metrics.parquet", lambda p: metrics.to_parquet(p, index=False))
    write_atomic(run_dir / "leaderboard.csv", lambda p: board.to_csv(p, index=False))
    md = leaderboard_markdown(board, title=f"{experiment.name}: leaderboard", scales=scales, notes=notes)
    write_atomic(run_dir / "leaderboard.md", lambda p: p.write_text(md))
    write_json(run_dir / "manifest.json", manifest)
    write_json(run_dir / "failures.json", failures)


def _write_periods(run_dir, experiment, by_period, names) -> None:
    """Metrics by calendar year and named period: long parquet, wide CSV and Markdown tables."""
    if by_period is None or by_period.empty:
        return
    write_atomic(run_dir / "metrics_by_period.parquet", lambda p: by_period.to_parquet(p, index=False))
    write_atomic(run_dir / "metrics_by_period.csv", lambda p: period_table(by_period).to_csv(p, index=False))
    md = period_markdown(by_period, names, title=f"{experiment.name}: metrics by period")
    write_atomic(run_dir / "metrics_by_period.md", lambda p: p.write_text(md))


def _write_report(result: RunResult, experiment: Experiment, manifest: dict, panel: pd.DataFrame,
                  forecasts: pd.DataFrame, progress: bool = False) -> None:
    """Tables and report.html from the results in memory; a report problem never fails the run."""
    from tsbench.errors import PluginError
    from tsbench.report.build import ReportOptions, RunData, build_report

    spec = experiment.report
    options = ReportOptions(alpha=spec.alpha, mcs_alpha=spec.mcs_alpha, last_origins=spec.last_origins,
                            seed=experiment.seed, max_series=spec.max_series, competitive=spec.competitive)
    run = RunData(result.run_dir, forecasts, result.metrics, manifest, result.by_period, leaderboard=result.leaderboard)
    try:
        output = build_report(result.run_dir, options, panel=panel, run=run, progress=progress)
    except PluginError as exc:  # matplotlib missing: the tables are written, the page is skipped
        result.report_note = f"report.html skipped: {exc}"
        log.warning(result.report_note)
        return
    except Exception as exc:  # the results are stored; the report can be rebuilt with `tsbench report`
        result.report_note = f"report failed ({type(exc).__name__}: {exc}); rebuild it with `tsbench report {result.run_dir}`"
        log.exception("report failed")
        return
    result.report = output.paths.get("report")
    # the leaderboard with its test columns, as build_report wrote it to leaderboard.csv / .md
    result.leaderboard = output.tables.frames["leaderboard"]
    result.verdict, result.tests_note = output.tables.verdict, output.tables.tests_note


def _attach_log(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handler
