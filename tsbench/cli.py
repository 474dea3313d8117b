"""The ``tsbench`` command line: each command parses its options and calls the library."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tsbench.errors import TsbenchError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Fair, reproducible backtests of forecasting models on financial series.")
console = Console()
err_console = Console(stderr=True)

__all__ = ["app", "main"]


@app.command()
def run(
    file: Path = typer.Argument(..., help="Experiment file (YAML)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output folder (overrides 'output')."),
    fresh: bool = typer.Option(False, "--fresh", help="Recompute every cell instead of resuming."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar; print only the result."),
) -> None:
    """Backtest every forecaster of FILE and print the leaderboard."""
    from tsbench.config import load_experiment
    from tsbench.report.tables import leaderboard_markdown
    from tsbench.runner import run_experiment

    experiment = load_experiment(file)
    result = run_experiment(experiment, base_dir=file.parent, output=output, fresh=fresh, progress=not quiet)
    console.print(leaderboard_markdown(result.leaderboard, title=f"{experiment.name}: leaderboard"), markup=False)
    console.print(f"results: {result.run_dir}  ({result.computed} cells computed, {result.reused} reused)")
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
def validate(file: Path = typer.Argument(..., help="Experiment file (YAML).")) -> None:
    """Check an experiment file without running it."""
    from tsbench.config import load_experiment

    experiment = load_experiment(file)
    console.print(f"{file}: valid ({len(experiment.data)} data source(s), "
                  f"{len(experiment.forecasters)} forecaster(s), metrics: {', '.join(experiment.metric_names())})")


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


def main() -> None:
    """Entry point of the console script: typed errors become one readable message."""
    try:
        # outside standalone mode typer returns exit codes (typer.Exit, 130 on Ctrl-C) instead of exiting
        code = app(standalone_mode=False)
    except TsbenchError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted: finished cells are kept; run the same command again to resume.")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
    if code == 130:
        err_console.print("interrupted: finished cells are kept; run the same command again to resume.")
    if isinstance(code, int) and code:
        sys.exit(code)
