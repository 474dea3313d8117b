"""The ``tsbench`` command line: each command parses its options and calls the library."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tsbench.errors import TsbenchError

# Plain (non-rich) help: the rich layout shows a "<bool>" value placeholder after on/off flags.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="Fair, reproducible backtests of forecasting models on financial series.")
# Wide when output is piped, so tables and messages are not cut at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)

__all__ = ["app", "main"]


def _show_version(value: bool) -> None:
    if value:
        from tsbench import __version__

        print(f"tsbench {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                 help="Print the installed version and exit."),
) -> None:
    """Fair, reproducible backtests of forecasting models on financial series."""


@app.command()
def run(
    file: Path = typer.Argument(..., help="Experiment file (YAML)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output folder (overrides 'output')."),
    fresh: bool = typer.Option(False, "--fresh", help="Recompute every cell instead of resuming."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar; print only the result."),
    no_report: bool = typer.Option(False, "--no-report", help="Skip the tables, tests and report.html."),
    no_plugin_check: bool = typer.Option(False, "--no-plugin-check",
                                         help="Skip the no-look-ahead check of forecasters that are not built in."),
) -> None:
    """Backtest every forecaster of FILE and print the leaderboard."""
    from tsbench.experiment import load_experiment, resolve_experiment
    from tsbench.report.tables import leaderboard_markdown
    from tsbench.runner import run_experiment

    _import_from_cwd()
    experiment = load_experiment(file, check_models=False)
    resolved = resolve_experiment(experiment, where=str(file))  # checked once, then handed to the runner
    result = run_experiment(resolved, base_dir=file.parent, output=output, fresh=fresh, progress=not quiet,
                            report=not no_report, check_plugins=not no_plugin_check)
    print(leaderboard_markdown(result.leaderboard, title=f"{experiment.name}: leaderboard", scales=result.scales,
                               notes=result.notes, verdict=result.verdict, tests_note=result.tests_note))
    console.print(f"results: {result.run_dir}  ({result.computed} cells computed, {result.reused} reused)")
    if result.report is not None:
        console.print(f"report: {result.report}", markup=False)
    if result.report_note:
        err_console.print(result.report_note, markup=False)
    if result.failures:
        models = sorted({f["model"] for f in result.failures})
        first = result.failures[0]
        err_console.print(
            f"{len(result.failures)} cell(s) failed, for model(s) {', '.join(models)}; the other results "
            f"are complete. First error ({first['model']} on {', '.join(first['series'][:3])}): "
            f"{first['error']}. Tracebacks are in {result.run_dir / 'failures.json'} and run.log; "
            "run the same command again to retry only the failed cells.",
            markup=False,
        )
        raise typer.Exit(1)


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run folder written by `tsbench run`."),
    alpha: float = typer.Option(0.05, help="Level of the Diebold-Mariano and Nemenyi tests."),
    mcs_alpha: float = typer.Option(0.1, help="Level of the model confidence set."),
    last_origins: int = typer.Option(3, min=1, help="Origins shown in the forecast plots."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Write the tables only, not report.html."),
    data_dir: Path | None = typer.Option(None, help="Folder relative data paths are read from (for history "
                                         "in the plots); default: the current folder."),
) -> None:
    """Rebuild the tables, tests and report.html of RUN_DIR from its stored results (no refitting)."""
    from tsbench.report.build import ReportOptions, build_report, load_run, reload_panel
    from tsbench.report.tables import leaderboard_markdown

    run = load_run(run_dir)
    options = ReportOptions(alpha=alpha, mcs_alpha=mcs_alpha, last_origins=last_origins, plots=not no_plots,
                            seed=int(run.manifest.get("seed", 0)))
    output = build_report(run_dir, options, panel=reload_panel(run, data_dir or Path.cwd()), run=run, progress=True)
    tables = output.tables
    console.print(leaderboard_markdown(tables.frames["leaderboard"], title=f"{run.name}: leaderboard",
                                       scales=run.manifest.get("metric_scales"), verdict=tables.verdict,
                                       tests_note=tables.tests_note), markup=False, soft_wrap=True)
    for name, path in output.paths.items():
        console.print(f"{name}: {path}", markup=False)


@app.command()
def compare(
    run_a: Path = typer.Argument(..., help="The earlier run folder."),
    run_b: Path = typer.Argument(..., help="The later run folder."),
    metric: list[str] | None = typer.Option(None, "--metric", "-m",
                                            help="Metric to compare (repeatable); default: the first of RUN_A."),
) -> None:
    """Show what changed between two runs, model by model."""
    from tsbench.report.build import load_run
    from tsbench.report.compare import compare_runs
    from tsbench.report.tables import frame_markdown

    a, b = load_run(run_a), load_run(run_b)
    table = compare_runs(a, b, metric or a.metric_names[:1])
    console.print(frame_markdown(table, title=f"{run_a} -> {run_b}"), markup=False, soft_wrap=True)
    console.print("Metrics are means over the series both runs scored; change = B - A.", markup=False)


@app.command("tune-report")
def tune_report(run_dir: Path = typer.Argument(..., help="A run folder written by `tsbench run`.")) -> None:
    """Show the parameters each tuned forecaster chose per block and its gain over the defaults."""
    from tsbench.report.tuning import tune_report as report_of

    print(report_of(run_dir))


@app.command()
def validate(file: Path = typer.Argument(..., help="Experiment file (YAML).")) -> None:
    """Check an experiment file, its data and its backtest plan without fitting anything."""
    from tsbench.experiment import load_experiment, resolve_experiment
    from tsbench.runner import plan_run

    _import_from_cwd()
    experiment = load_experiment(file, check_models=False)
    planned = plan_run(resolve_experiment(experiment, where=str(file)), base_dir=file.parent)
    origins = sum(len(p.cutoffs) for p in planned.series_plans.values())
    print(f"{file}: valid ({len(experiment.data)} data source(s), {len(planned.series_plans)} series, "
          f"{origins} forecast origins, {len(experiment.forecasters)} forecaster(s), {len(planned.cells)} cells, "
          f"metrics: {', '.join(experiment.metric_names())})")


@app.command()
def datasets() -> None:
    """List the built-in financial series with frequency, length and date range."""
    from tsbench.data.builtin import builtin_manifests, load_builtin_wide

    table = Table("name", "series", "package", "frequency", "rows", "from", "to", "description")
    for name, m in builtin_manifests().items():
        try:
            frame = load_builtin_wide(name)[m.columns].dropna(how="all")
            rows, start, end = str(len(frame)), f"{frame.index[0]:%Y-%m-%d}", f"{frame.index[-1]:%Y-%m-%d}"
        except TsbenchError as exc:
            rows, start, end = "?", "?", str(exc).split(".")[0]
        table.add_row(name, ", ".join(m.columns), m.package, m.frequency, rows, start, end, m.description)
    console.print(table)


@app.command()
def models(
    targets: list[str] = typer.Argument(
        None, help="Dotted paths 'package.module:Class' or library models 'statsforecast:AutoETS' to check and list too."
    ),
    library: str = typer.Option(None, "--library", help="List every model of this library instead (statsforecast, sktime, darts)."),
) -> None:
    """List every forecaster: built-ins, installed plugins and given dotted paths, with tags and parameters."""
    from tsbench.forecasters.registry import REQUIRED, describe_models

    _import_from_cwd()
    if library:
        from tsbench.forecasters.external import library_models

        infos = describe_models(tuple(library_models(library)) + tuple(targets or ()), installed=False)
    else:
        infos = describe_models(tuple(targets or ()))
    for info in infos:
        spec = info.spec
        where = spec.origin if spec.origin == "builtin" or spec.name == spec.target else f"{spec.origin}: {spec.target}"
        console.print(f"{spec.name}  [{where}]" + (f"  {info.summary}" if info.summary else ""), markup=False)
        if info.error:
            console.print(f"    error: {info.error}", markup=False, style="red")
            continue
        params = ", ".join(f"{k}={v}" if v is REQUIRED else f"{k}={v!r}" for k, v in info.params.items())
        console.print(f"    tags: {_format_tags(info.tags)}", markup=False)
        console.print(f"    covariates: {info.covariates_text()}", markup=False)
        console.print(f"    parameters: {params or '-'}", markup=False)
    broken = [i.spec.name for i in infos if i.error]
    if broken:
        err_console.print(f"{len(broken)} model(s) could not be loaded ({', '.join(broken)}); "
                          "the others are usable.", markup=False)
    if any(i.error and i.spec.name in (targets or ()) for i in infos):
        raise typer.Exit(1)


def _format_tags(tags: dict) -> str:
    """Boolean capabilities that are on, then the other tags as key=value (covariates have their own line)."""
    tags = {k: v for k, v in tags.items() if k not in ("covariates", "categorical_covariates")}
    on = [k for k, v in tags.items() if v is True]
    other = [f"{k}={v}" for k, v in tags.items() if not isinstance(v, bool)]
    return ", ".join(on + other)


def _import_from_cwd() -> None:
    """Let dotted paths name modules in the current folder, as ``python -m tsbench`` would."""
    import os

    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _usage_errors() -> tuple[type[BaseException], ...]:
    """The exception types a command-line usage error arrives as.

    Recent typer releases carry their own copy of click (its exceptions derive
    from ``typer.TyperException``); older ones raise click's own.
    """
    types: list[type[BaseException]] = [typer.TyperException] if hasattr(typer, "TyperException") else []
    try:
        import click

        types.append(click.exceptions.ClickException)
    except ImportError:  # pragma: no cover - typer without click
        pass
    return tuple(types)


def _aborts() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [typer.Abort]
    try:
        import click

        types.append(click.exceptions.Abort)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


_INTERRUPTED = "interrupted: finished cells are kept; run the same command again to resume."


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: every error ends in one readable message and an exit code.

    Usage errors (unknown option, missing argument, bare ``tsbench``) and
    tsbench's typed errors exit with 2; Ctrl-C exits with 130; ``--help`` and
    ``--version`` with 0. No traceback is printed for any of them.
    """
    try:
        # outside standalone mode typer returns exit codes (typer.Exit, 130 on Ctrl-C) instead of exiting
        code = app(args=argv, prog_name="tsbench", standalone_mode=False)
    except TsbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, *_aborts()):
        err_console.print(_INTERRUPTED, markup=False)
        sys.exit(130)
    except _usage_errors() as exc:
        if hasattr(exc, "show"):
            exc.show()
        else:  # pragma: no cover
            print(f"error: {exc}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2) or 2)
    except OSError as exc:  # e.g. a read-only output folder met outside the checks
        print(f"error: {exc.strerror or exc} ({exc.filename or 'no file name'}); check the path and its "
              "permissions.", file=sys.stderr)
        sys.exit(2)
    if code == 130:
        err_console.print(_INTERRUPTED, markup=False)
    if isinstance(code, int) and code:
        sys.exit(code)
