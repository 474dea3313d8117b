"""Experiments whose forecasts are stored under tests/data/reference, and how to run and compare them.

The stored files were written by the engine before it moved to arrays; the
engine must keep giving the same numbers. ``python -m tests.reference_runs``
writes them again (only do so when a change of forecasts is intended).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tsbench.experiment import load_experiment, parse_experiment
from tsbench.runner import run_experiment

__all__ = ["REFERENCE_DIR", "QUICKSTART", "reference_experiment", "run_reference", "compare_forecasts"]

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "tests" / "data" / "reference"
QUICKSTART = ROOT / "experiments" / "quickstart.yaml"

#: Keys of one forecast row; every other column is a value compared with a tolerance or exactly.
KEYS = ["model", "unique_id", "cutoff", "h"]

_SPLIT_MODELS = [
    {"name": "naive", "model": "naive"},
    {"name": "drift", "model": "drift"},
    {"name": "mean", "model": "mean"},
    {"name": "seasonal_naive", "model": "seasonal_naive", "params": {"season_length": 5}},
    {"name": "moving_average", "model": "moving_average", "params": {"window": 20}},
    {"name": "lightgbm", "model": "lightgbm", "params": {"lags": 8, "n_estimators": 20}},
    {"name": "lstm", "model": "lstm", "params": {"input_size": 16, "hidden_size": 8, "max_steps": 20}},
]


def write_walks(path: Path, n_series: int = 3, n_obs: int = 300, seed: int = 11) -> Path:
    """Seeded geometric random walks on a business-day calendar, as a wide CSV (one column per series)."""
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range("2015-01-02", periods=n_obs)
    prices = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, (n_obs, n_series)), axis=0))
    frame = pd.DataFrame(prices, columns=[f"s{i}" for i in range(n_series)])
    frame.insert(0, "date", ds.strftime("%Y-%m-%d"))
    frame.to_csv(path, index=False)
    return path


def reference_experiment(kind: str, tmp: Path):
    """The experiment ``kind`` (``quickstart``, ``split`` or ``sliding``) with its output under ``tmp``."""
    if kind == "quickstart":
        exp = load_experiment(QUICKSTART)
        return exp.model_copy(update={"output": str(tmp / kind)}), QUICKSTART.parent
    csv = write_walks(tmp / "walks.csv")
    data = [{"source": f"csv:{csv.name}", "columns": {"time": "date"}, "target": "log_price"}]
    if kind == "split":
        backtest = {"protocol": "split", "horizon": 12, "train": 0.7, "val": 0.1, "test": 0.2, "input_size": 24}
        models, quantiles = _SPLIT_MODELS, [0.1, 0.9]
    elif kind == "sliding":
        backtest = {"horizon": 4, "origins": 30, "step": 3, "window": 60, "refit_every": 4}
        models, quantiles = _SPLIT_MODELS[:5], [0.25]
    else:
        raise ValueError(f"unknown reference run {kind!r}; expected 'quickstart', 'split' or 'sliding'")
    raw = {"name": f"reference_{kind}", "data": data, "backtest": backtest, "forecasters": models,
           "quantiles": quantiles, "metrics": ["mae"], "baseline": "naive", "output": str(tmp / kind),
           "executor": {"kind": "processes", "workers": 2}, "seed": 0}
    return parse_experiment(raw), tmp


def run_reference(kind: str, tmp: Path) -> pd.DataFrame:
    """Run reference experiment ``kind`` and return its forecasts in key order."""
    exp, base = reference_experiment(kind, tmp)
    result = run_experiment(exp, base_dir=base, progress=False, report=False)
    assert result.ok, result.failures
    return result.forecasts.sort_values(KEYS, ignore_index=True)


def compare_forecasts(got: pd.DataFrame, want: pd.DataFrame, atol: float = 1e-12) -> None:
    """Raise AssertionError unless ``got`` has the rows, keys and values of ``want`` (values within ``atol``)."""
    assert list(got.columns) == list(want.columns), (list(got.columns), list(want.columns))
    assert len(got) == len(want), (len(got), len(want))
    got, want = got.sort_values(KEYS, ignore_index=True), want.sort_values(KEYS, ignore_index=True)
    for col in want.columns:
        if pd.api.types.is_float_dtype(want[col]):
            np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=0, atol=atol, err_msg=col)
        else:
            pd.testing.assert_series_equal(got[col], want[col], check_dtype=False, obj=col)


def main() -> None:
    import tempfile

    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    for kind in ("quickstart", "split", "sliding"):
        with tempfile.TemporaryDirectory() as tmp:
            forecasts = run_reference(kind, Path(tmp))
            forecasts.to_parquet(REFERENCE_DIR / f"{kind}.parquet", index=False)
            print(kind, len(forecasts), "rows", sorted(forecasts["model"].unique()))


if __name__ == "__main__":
    main()
