"""A one-line progress display for the report step: what is being drawn and how long it has taken."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["report_progress"]


@contextmanager
def report_progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A callable ``step(what)`` that updates one terminal line (a no-op when not ``enabled``).

    The line counts the steps done (tables, then each figure) and the time
    spent, so a long report step is never silent.
    """
    if not enabled:
        yield lambda what: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]report"), SpinnerColumn(), TextColumn("{task.completed} step(s) done,"),
               TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("", total=None)
        first = True

        def step(what: str) -> None:
            nonlocal first
            bar.update(task, advance=0 if first else 1, description=what)
            first = False

        yield step
        bar.update(task, advance=1, description="report written")
