"""Results on disk: one file pair per finished cell, written atomically, read back to resume."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from tsbench.cells import CellResult

__all__ = ["RunStore", "write_atomic", "write_json"]


def write_atomic(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then move the file into place, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_atomic(path, lambda p: p.write_text(json.dumps(obj, indent=2, default=str)))


class RunStore:
    """The cells of one run under ``run_dir/cells``.

    A cell counts as finished when its ``.json`` record exists; the forecasts
    (``.parquet``) are written first, so a crash between the two only costs
    that cell. Failed cells are not stored, so a re-run tries them again.
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
        return {p.stem for p in self.cells_dir.glob("*.json") if (self.cells_dir / f"{p.stem}.parquet").exists()}

    def save(self, result: CellResult) -> None:
        """Store a successful cell's forecasts and record."""
        assert result.forecasts is not None  # internal invariant: only called on success
        write_atomic(self.cells_dir / f"{result.key}.parquet", lambda p: result.forecasts.to_parquet(p, index=False))
        record = {"key": result.key, "model": result.alias, "series": list(result.series), **result.meta}
        write_json(self.cells_dir / f"{result.key}.json", record)

    def records(self, keys: set[str] | None = None) -> list[dict]:
        """The JSON records of stored cells (all, or those in ``keys``)."""
        keys = self.finished() if keys is None else keys & self.finished()
        return [json.loads((self.cells_dir / f"{k}.json").read_text()) for k in sorted(keys)]

    def read(self, key: str) -> pd.DataFrame:
        """The stored forecasts of one cell."""
        return pd.read_parquet(self.cells_dir / f"{key}.parquet")
