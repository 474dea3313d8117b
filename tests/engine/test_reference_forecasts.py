"""The engine gives the forecasts stored from earlier versions: quickstart, fixed split and sliding windows."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.reference_runs import REFERENCE_DIR, compare_forecasts, run_reference

pytest.importorskip("torch")
pytest.importorskip("lightgbm")


@pytest.mark.parametrize("kind", ["quickstart", "split", "sliding"])
def test_forecasts_match_the_stored_reference(tmp_path, kind):
    # every model is seeded and was bit-stable across runs when the files were written
    want = pd.read_parquet(REFERENCE_DIR / f"{kind}.parquet")
    compare_forecasts(run_reference(kind, tmp_path), want, atol=1e-12)
