"""Final tables from stored cells: the forecasts file and the metrics, built a few cells at a time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tsbench.metrics import evaluate
from tsbench.panel import DS, ID
from tsbench.store import RunStore, write_atomic

__all__ = ["collect", "empty_forecasts", "empty_metrics"]

#: Forecast rows held in memory at once while the final tables are built.
CHUNK_ROWS = 500_000


def collect(store: RunStore, cells, panel: pd.DataFrame, metrics, metric_params, path: Path) -> pd.DataFrame:
    """Write the forecasts of every stored cell of ``cells`` to ``path`` and return their metrics.

    Cells are read back in the order of the final file (model, then series) and
    scored in chunks of about :data:`CHUNK_ROWS` rows, so memory does not grow
    with the number of cells. Each metric row depends only on one series and
    model, so chunked scores equal scores of the whole frame.

    Parameters
    ----------
    store
        The run's cell store.
    cells
        The planned cells; those not stored (failed) are skipped.
    panel
        The panel the forecasts were made on (for actuals and MASE scales).
    metrics, metric_params
        Metric names and their options, as in the experiment.
    path
        Where ``forecasts.parquet`` is written (atomically).
    """
    done = store.finished()
    order = sorted((c for c in cells if c.key in done), key=lambda c: (c.alias, min(c.series)))
    scores: list[pd.DataFrame] = []
    write_atomic(path, lambda tmp: _write(store, order, panel, metrics, metric_params, tmp, scores))
    if not scores:
        return empty_metrics()
    out = pd.concat(scores, ignore_index=True)
    return out.sort_values(["metric", "model", ID, "h"], ignore_index=True)


def _write(store, order, panel, metrics, metric_params, tmp: Path, scores: list) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    buffer: list[pd.DataFrame] = []
    rows = 0

    def flush() -> None:
        nonlocal writer, buffer, rows
        frame = pd.concat(buffer, ignore_index=True)
        buffer, rows = [], 0
        scores.append(evaluate(frame, panel, metrics, metric_params))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table.cast(writer.schema))

    try:
        for cell in order:
            frame = store.read(cell.key).sort_values([ID, "cutoff", "h"], ignore_index=True)
            buffer.append(frame)
            rows += len(frame)
            if rows >= CHUNK_ROWS:
                flush()
        if buffer:
            flush()
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        empty_forecasts().to_parquet(tmp, index=False)


def empty_forecasts() -> pd.DataFrame:
    """A forecast frame with no rows (every cell failed)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                         [(ID, object), ("cutoff", object), (DS, object), ("h", "int64"), ("model", object),
                          ("y", float), ("y_pred", float)]})


def empty_metrics() -> pd.DataFrame:
    """A metrics frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                         [(ID, object), ("model", object), ("metric", object), ("h", "int64"), ("value", float)]})
