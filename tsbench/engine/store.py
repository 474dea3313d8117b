"""Results on disk: one file pair per finished cell, written atomically, read back to resume,
and the run's forecasts file streamed from them a chunk at a time."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from tsbench.engine.cells import CellResult, run_cell
from tsbench.panel import DS, ID

__all__ = ["CellWriter", "RunLock", "RunStore", "StoredForecasts", "collect", "empty_forecasts", "write_atomic",
           "write_forecasts", "write_json"]

#: Forecast rows held in memory at once while the final tables are built.
CHUNK_ROWS = 500_000


def _umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it; put it back at once
    os.umask(mask)
    return mask


def write_atomic(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then move the file into place, so readers never see half a file.

    The file gets the permissions a plain ``open()`` would give it (0666 less
    the umask), not the private 0600 of a temporary file, so colleagues and
    web servers can read results where the umask allows.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_atomic(path, lambda p: p.write_text(json.dumps(obj, indent=2, default=str)))


class RunLock:
    """An exclusive lock on a run folder, held while a run writes it (``run_dir/.lock``).

    A second run of the same folder blocks until the first releases it;
    ``on_wait(run_dir, holder)`` is called once before waiting, with the
    holder's process id and host as written in the lock file. The operating
    system releases the lock when its process dies, even by ``kill -9``.
    Where ``fcntl`` is missing (Windows) no lock is taken.
    """

    def __init__(self, run_dir: Path, on_wait=None) -> None:
        self.path = Path(run_dir) / ".lock"
        self.on_wait = on_wait
        self._file = None

    def __enter__(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return self
        self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if self.on_wait is not None:
                self.on_wait(self.path.parent, self._holder())
            fcntl.flock(self._file, fcntl.LOCK_EX)
        import socket

        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()} on {socket.gethostname()}")
        self._file.flush()
        return self

    def _holder(self, patience: float = 2.0) -> str:
        """Who holds the lock, as it wrote in the file; it writes just after locking, so wait a moment for it."""
        deadline = time.monotonic() + patience
        while True:
            self._file.seek(0)
            text = self._file.read().strip()
            if text or time.monotonic() > deadline:
                return text or "unknown process"
            time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None


class RunStore:
    """The cells of one run under ``run_dir/cells``.

    A cell counts as finished when its ``.json`` record exists; the forecasts
    (``.parquet``) are written first, so a crash between the two only costs
    that cell. Failed cells are not stored, so a re-run tries them again. A
    chunk where some series failed is stored with a ``.partial`` marker: its
    forecasts count in the results, and a re-run computes it again.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.cells_dir = self.run_dir / "cells"

    def reset(self) -> None:
        """Forget every stored cell (``--fresh``)."""
        if self.cells_dir.exists():
            shutil.rmtree(self.cells_dir)

    def clean(self) -> None:
        """Remove half-written files left by a run that was killed while writing."""
        if self.cells_dir.exists():
            for tmp in self.cells_dir.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    def finished(self) -> set[str]:
        """Keys of the cells already stored."""
        if not self.cells_dir.exists():
            return set()
        partial = {p.stem for p in self.cells_dir.glob("*.partial")}
        return self.stored() - partial

    def stored(self) -> set[str]:
        """Keys of the cells whose forecasts are stored, complete or not."""
        if not self.cells_dir.exists():
            return set()
        return {p.stem for p in self.cells_dir.glob("*.json") if (self.cells_dir / f"{p.stem}.parquet").exists()}

    def save(self, result: CellResult) -> None:
        """Store a successful cell's forecasts (unless a :class:`CellWriter` already did) and record."""
        assert result.forecasts is not None  # internal invariant: only called on success
        marker = self.cells_dir / f"{result.key}.partial"
        if result.meta.get("failed_series"):
            write_atomic(marker, lambda p: p.write_text(""))
        if not isinstance(result.forecasts, StoredForecasts):
            write_atomic(self.cells_dir / f"{result.key}.parquet", lambda p: write_forecasts(result.forecasts, p))
        record = {"key": result.key, "model": result.name, "series": list(result.series), **result.meta}
        write_json(self.cells_dir / f"{result.key}.json", record)
        if not result.meta.get("failed_series"):
            marker.unlink(missing_ok=True)

    def records(self, keys: set[str] | None = None) -> list[dict]:
        """The JSON records of stored cells (all, or those in ``keys``)."""
        keys = self.stored() if keys is None else keys & self.stored()
        return [json.loads((self.cells_dir / f"{k}.json").read_text()) for k in sorted(keys)]

    def read(self, key: str) -> pd.DataFrame:
        """The stored forecasts of one cell."""
        return pd.read_parquet(self.cells_dir / f"{key}.parquet")



class StoredForecasts:
    """Stands for a cell's forecasts once they are in the cell's file (see :class:`CellWriter`)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return self.rows


class CellWriter:
    """Runs a cell and writes its forecasts file where it ran: in a worker of a pool on this machine.

    The worker that computed the forecasts writes them, in parallel with the
    other workers, and sends back the result without them, so the run's own
    process neither unpickles nor writes millions of rows one cell after
    another. The record (``.json``) is still written by :meth:`RunStore.save`
    after the forecasts, so a cell counts as finished only once both exist.
    """

    def __init__(self, cells_dir: Path) -> None:
        self.cells_dir = str(cells_dir)

    def __call__(self, cell) -> CellResult:
        result = run_cell(cell)
        if result.error is None and result.forecasts is not None:
            frame = result.forecasts
            write_atomic(Path(self.cells_dir) / f"{result.key}.parquet", lambda p: write_forecasts(frame, p))
            result.forecasts = StoredForecasts(len(frame))
        return result


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
    done = store.stored()
    order = sorted((c for c in cells if c.key in done), key=lambda c: (c.name, min(c.series)))
    counted: list[int] = []
    write_atomic(path, lambda tmp: _write(store, order, tmp, counted))
    return sum(counted)


def _write(store, order, tmp: Path, counted: list) -> None:
    """Stream the cells' forecasts into one parquet file as arrow tables, never as one frame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not order:
        empty_forecasts().to_parquet(tmp, index=False)
        return
    paths = [store.cells_dir / f"{cell.key}.parquet" for cell in order]
    schema = pa.unify_schemas([pq.read_schema(p) for p in paths], promote_options="permissive")
    schema = pa.schema([f for f in schema if f.name != "__index_level_0__"])
    keys = [(ID, "ascending"), ("cutoff", "ascending"), ("h", "ascending")]
    buffer: list = []
    rows = 0
    with pq.ParquetWriter(tmp, schema, use_dictionary=_strings(schema)) as writer:
        for path in paths:
            # strings read as dictionaries (a few distinct ids and names) are decoded by the cast, faster than parsed
            table = pq.read_table(path, read_dictionary=_strings(pq.read_schema(path)))
            table = table.select([c for c in table.column_names if c in schema.names])
            missing = [f for f in schema if f.name not in table.column_names]  # e.g. fallback in other cells only
            for f in missing:
                table = table.append_column(f, pa.nulls(len(table), f.type))
            table = table.select(schema.names).cast(schema)
            buffer.append(table if _in_order(table) else table.sort_by(keys))  # cells of per-series models come sorted
            rows += len(table)
            if rows >= CHUNK_ROWS:
                writer.write_table(pa.concat_tables(buffer))
                counted.append(rows)
                buffer, rows = [], 0
        if buffer:
            writer.write_table(pa.concat_tables(buffer))
            counted.append(rows)


def write_forecasts(frame: pd.DataFrame, path: Path) -> None:
    """Write a forecast frame as parquet, as ``to_parquet`` does, dictionary-encoding its string columns only.

    Dictionaries suit ids and model names (few distinct values); on floats and
    time stamps, whose values rarely repeat, building them costs most of the
    writing time and saves nothing.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, use_dictionary=_strings(table.schema))


def _strings(schema) -> list[str]:
    import pyarrow as pa

    return [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
            or pa.types.is_dictionary(f.type)]


def _in_order(table) -> bool:
    """Whether the rows are sorted by series, cutoff and h (no nulls), so that sorting would keep them as they are."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(table) < 2:
        return True
    ids, cutoff, h = (table.column(c).combine_chunks() for c in (ID, "cutoff", "h"))
    if ids.null_count or cutoff.null_count or h.null_count or not pa.types.is_integer(h.type) or not (
            pa.types.is_timestamp(cutoff.type) or pa.types.is_integer(cutoff.type)):
        return False
    new = np.asarray(pc.not_equal(ids[1:], ids[:-1]), dtype=bool)  # a row that starts another series
    starts = np.flatnonzero(new) + 1
    if len(starts) and not np.asarray(pc.greater(ids.take(starts), ids.take(starts - 1)), dtype=bool).all():
        return False
    step_cut = np.diff(np.asarray(cutoff.cast(pa.int64()) if pa.types.is_timestamp(cutoff.type) else cutoff))
    step_h = np.diff(np.asarray(h))
    return not (~new & ((step_cut < 0) | ((step_cut == 0) & (step_h < 0)))).any()


def empty_forecasts() -> pd.DataFrame:
    """A forecast frame with no rows (every cell failed)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                         [(ID, object), ("cutoff", object), (DS, object), ("h", "int64"), ("model", object),
                          ("y", float), ("y_pred", float)]})
