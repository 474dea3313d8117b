"""The backtest's progress bar, with a time estimate built from what each model's cells have cost so far."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

__all__ = ["CellEta", "progress_bar", "format_eta"]


class CellEta:
    """Seconds left, estimated from the cells still to run and the measured cost of each model's cells.

    Cells of one model cost about the same, cells of different models do not
    (an ARIMA cell can take a hundred times a naive one). The estimate is
    ``sum over models of (cells left) x (mean seconds of its finished cells)``,
    divided by the cells running at once; a model with no finished cell yet is
    charged the mean of the models measured so far. Until the first cell
    finishes there is no estimate.
    """

    def __init__(self, models: Iterable[str], parallel: int = 1) -> None:
        self.left = Counter(models)
        self.seconds: dict[str, float] = {}
        self.done: Counter = Counter()
        self.parallel = max(1, int(parallel))

    def finished(self, model: str, seconds: float) -> None:
        """Record one finished (or failed) cell of ``model`` that took ``seconds``."""
        self.left[model] -= 1
        self.done[model] += 1
        self.seconds[model] = self.seconds.get(model, 0.0) + max(0.0, float(seconds))

    def remaining(self) -> float | None:
        """Estimated seconds until every cell has finished, or None before any cell has."""
        means = {m: self.seconds[m] / self.done[m] for m in self.done}
        if not means:
            return None
        fallback = sum(means.values()) / len(means)
        work = sum(n * means.get(m, fallback) for m, n in self.left.items() if n > 0)
        return work / self.parallel


def format_eta(seconds: float | None) -> str:
    """``"1:02:03"``, ``"4:05"``, or ``"-:--"`` when unknown."""
    if seconds is None:
        return "-:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_bar(enabled: bool):
    """A rich progress bar for the cells: done/total, failures, elapsed time and the per-model ETA."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]backtest"), BarColumn(), MofNCompleteColumn(),
        TextColumn("failed: {task.fields[failed]}"), TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"),
        disable=not enabled, transient=False,
    )
