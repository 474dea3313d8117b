"""The run's forecasts file, streamed from the stored cells a chunk at a time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tsbench.panel import DS, ID
from tsbench.store import RunStore, write_atomic

__all__ = ["collect", "empty_forecasts"]

#: Forecast rows held in memory at once while the final tables are built.
CHUNK_ROWS = 500_000


def collect(store: RunStore, cells, path: Path) -> int:
    """Write the forecasts of every stored cell of ``cells`` to ``path``; return the row count.

    Cells are read back in the order of the final file (model, then series) and
    written in row groups of about :data:`CHUNK_ROWS` rows, so building the file
    never holds more than one chunk of cells in memory. Scoring needs every
    model's forecasts of a series together and reads the finished file.

    Parameters
    ----------
    store
        The run's cell store.
    cells
        The planned cells; those not stored (failed) are skipped.
    path
        Where ``forecasts.parquet`` is written (atomically).
    """
    done = store.finished()
    order = sorted((c for c in cells if c.key in done), key=lambda c: (c.alias, min(c.series)))
    counted: list[int] = []
    write_atomic(path, lambda tmp: _write(store, order, tmp, counted))
    return sum(counted)


def _write(store, order, tmp: Path, counted: list) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    buffer: list[pd.DataFrame] = []
    rows = 0

    def flush() -> None:
        nonlocal writer, buffer, rows
        frame = pd.concat(buffer, ignore_index=True)
        buffer, rows = [], 0
        counted.append(len(frame))
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
