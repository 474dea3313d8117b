"""The runner: plan an experiment into cells, execute them, store them, and build the tables."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tsbench.backtest import plan_backtest, standardize
from tsbench.cells import CellResult, plan_cells, run_cell
from tsbench.config import Experiment, config_hash
from tsbench.data.loader import load_panel
from tsbench.errors import DataError
from tsbench.executors import make_executor
from tsbench.manifest import build_manifest
from tsbench.metrics import evaluate, mase_scale
from tsbench.panel import ID, Y
from tsbench.registry import make_forecaster
from tsbench.report.tables import leaderboard, leaderboard_markdown
from tsbench.store import RunStore, write_atomic, write_json

__all__ = ["RunResult", "run_experiment", "run_dir_for"]

log = logging.getLogger("tsbench")


@dataclass
class RunResult:
    """The outcome of :func:`run_experiment`."""

    run_dir: Path
    leaderboard: pd.DataFrame
    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    failures: list[dict] = field(default_factory=list)
    computed: int = 0
    reused: int = 0

    @property
    def ok(self) -> bool:
        """True when every cell succeeded."""
        return not self.failures


def run_dir_for(experiment: Experiment, output: str | Path | None = None) -> Path:
    """The run folder: ``<output>/<first 12 characters of the config hash>``."""
    base = Path(output or experiment.output or Path("results") / experiment.name)
    return base / config_hash(experiment)[:12]


def run_experiment(
    experiment: Experiment,
    base_dir: str | Path | None = None,
    output: str | Path | None = None,
    fresh: bool = False,
    progress: bool = True,
) -> RunResult:
    """Backtest every forecaster of ``experiment`` and write the results.

    Parameters
    ----------
    experiment
        A validated experiment (see :func:`tsbench.config.load_experiment`).
    base_dir
        Folder that relative data paths are read from (the experiment file's folder).
    output
        Overrides the experiment's ``output`` folder.
    fresh
        Discard cells stored by an earlier run of the same configuration.
    progress
        Show a progress bar on the terminal.
    """
    started = time.perf_counter()
    run_dir = run_dir_for(experiment, output)
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = _attach_log(run_dir / "run.log")
    try:
        return _run(experiment, Path(base_dir or Path.cwd()), run_dir, fresh, progress, started)
    finally:
        log.removeHandler(handler)
        handler.close()


def _run(experiment, base_dir, run_dir, fresh, progress, started) -> RunResult:
    digest = config_hash(experiment)
    log.info("run %s of experiment %s (config %s)", run_dir, experiment.name, digest)
    panel, infos = load_panel(experiment.data, base_dir)
    for info in infos:
        if info.missing:
            log.info("%s: %d missing value(s) handled by policy '%s'", info.unique_id, info.missing, info.missing_policy)
    plans = plan_backtest(panel, experiment.backtest)
    if experiment.backtest.scale == "standard":
        panel = standardize(panel, plans)
    _precheck_metrics(experiment, panel, plans)
    forecasters = [make_forecaster(f.name, f.model, f.params) for f in experiment.forecasters]
    fallbacks = {f.name: make_forecaster(f.fallback, f.fallback) for f in experiment.forecasters if f.fallback}
    cells = plan_cells(panel, plans, forecasters, experiment.backtest.horizon, experiment.quantiles, experiment.seed,
                       fallbacks=fallbacks)
    store = RunStore(run_dir)
    if fresh:
        store.reset()
    done = store.finished()
    todo = [c for c in cells if c.key not in done]
    log.info("%d cells planned, %d already stored, %d to run", len(cells), len(cells) - len(todo), len(todo))
    executor = make_executor(experiment.executor)
    failures = _execute(executor, todo, store, progress, total=len(cells), already=len(cells) - len(todo))
    keys = {c.key for c in cells}
    forecasts = store.forecasts(keys)
    metrics = evaluate(forecasts, panel, experiment.metric_names(), experiment.metric_params()) if len(forecasts) else _empty_metrics()
    names = [f.name for f in experiment.forecasters]
    board = leaderboard(metrics, experiment.metric_names(), experiment.baseline, names, n_series=len(plans))
    timing = {"wall_time": time.perf_counter() - started, "finished": dt.datetime.now().isoformat(timespec="seconds")}
    manifest = build_manifest(experiment, digest, infos, store.records(keys), failures, executor, timing)
    _write_outputs(run_dir, experiment, forecasts, metrics, board, manifest, failures)
    return RunResult(run_dir, board, forecasts, metrics, failures, computed=len(todo), reused=len(cells) - len(todo))


def _execute(executor, cells, store, progress, total, already) -> list[dict]:
    failures: list[dict] = []
    bar = _progress_bar(progress)
    try:
        with bar:
            task = bar.add_task("cells", total=total, completed=already, failed=0)
            for result in executor.map_unordered(run_cell, cells):
                if result.error is None:
                    store.save(result)
                    log.info("cell %s done in %.2fs", result.key, result.meta.get("wall_time", 0.0))
                    if result.meta.get("fallback", {}).get("origins"):
                        log.warning("cell %s: fallback %s forecast %d origin(s): %s", result.key,
                                    result.meta["fallback"]["model"], result.meta["fallback"]["origins"],
                                    result.meta["fallback"]["used"])
                else:
                    failures.append(_failure(result))
                    log.error("cell %s failed: %s\n%s", result.key, result.error, result.traceback)
                bar.update(task, advance=1, failed=len(failures))
    finally:
        executor.close()
    return failures


def _failure(result: CellResult) -> dict:
    return {"key": result.key, "model": result.alias, "series": list(result.series),
            "error": result.error, "traceback": result.traceback}


def _progress_bar(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]backtest"), BarColumn(), MofNCompleteColumn(),
        TextColumn("failed: {task.fields[failed]}"), TimeRemainingColumn(),
        disable=not enabled, transient=False,
    )


def _precheck_metrics(experiment: Experiment, panel: pd.DataFrame, plans) -> None:
    """Fail before any fitting when a metric cannot be computed on some series."""
    names = experiment.metric_names()
    if "mase" in names:
        m = int(experiment.metric_params().get("mase", {}).get("season_length", 1))
        train = pd.concat([g.iloc[: plans[str(uid)].cutoffs[0] + 1] for uid, g in panel.groupby(ID, sort=False)])
        scale = mase_scale(train, m)
        flat = scale[~(scale > 0)]
        if len(flat):
            raise DataError(
                f"series '{flat.index[0]}' is constant over its first training window, so MASE's scale "
                "would be zero. Drop the series, choose another target, or remove 'mase' from metrics."
            )
    if "mape" in names and (panel[Y] == 0).any():
        uid = panel.loc[panel[Y] == 0, ID].iloc[0]
        raise DataError(f"series '{uid}' has zeros, where MAPE is undefined; use smape or mase instead.")


def _write_outputs(run_dir, experiment, forecasts, metrics, board, manifest, failures) -> None:
    write_atomic(run_dir / "forecasts.parquet", lambda p: forecasts.to_parquet(p, index=False))
    write_atomic(run_dir / "metrics.parquet", lambda p: metrics.to_parquet(p, index=False))
    write_atomic(run_dir / "leaderboard.csv", lambda p: board.to_csv(p, index=False))
    md = leaderboard_markdown(board, title=f"{experiment.name}: leaderboard")
    write_atomic(run_dir / "leaderboard.md", lambda p: p.write_text(md))
    write_json(run_dir / "manifest.json", manifest)
    write_json(run_dir / "failures.json", failures)


def _empty_metrics() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                         [(ID, object), ("model", object), ("metric", object), ("h", "int64"), ("value", float)]})


def _attach_log(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handler


def read_failures(run_dir: Path) -> list[dict]:
    """The failures recorded in a run folder."""
    path = Path(run_dir) / "failures.json"
    return json.loads(path.read_text()) if path.exists() else []
