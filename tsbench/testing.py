"""Conformance checks that every forecaster, built-in or plugin, must pass.

Run :func:`check_forecaster` on an unfitted instance; it returns a report
listing each check and raises nothing unless ``raise_on_failure`` is set.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsbench.errors import NotFittedError
from tsbench.forecasters.base import clone
from tsbench.panel import FORECAST_COLUMNS, quantile_columns

__all__ = ["CheckResult", "ConformanceReport", "check_forecaster", "synthetic_panel", "check_no_lookahead"]


@dataclass
class CheckResult:
    """The outcome of one conformance check."""

    name: str
    passed: bool
    detail: str = ""


@dataclass
class ConformanceReport:
    """All check results for one forecaster."""

    forecaster: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed."""
        return [r for r in self.results if not r.passed]

    def __str__(self) -> str:
        lines = [f"conformance of {self.forecaster}: {'passed' if self.passed else 'FAILED'}"]
        lines += [f"  [{'ok' if r.passed else 'FAIL'}] {r.name}" + (f": {r.detail}" if r.detail else "") for r in self.results]
        return "\n".join(lines)


def synthetic_panel(n_series: int = 2, length: int = 120, timestamps: bool = True, seed: int = 0) -> pd.DataFrame:
    """Seeded random-walk-plus-cycle series in long format, for checks and tests."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        t = np.arange(length)
        y = 10.0 + i + np.cumsum(rng.normal(0, 0.1, length)) + 0.5 * np.sin(2 * np.pi * t / 7)
        ds = pd.bdate_range("2020-01-01", periods=length) if timestamps else t
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def check_no_lookahead(forecaster, panel: pd.DataFrame, cutoff_pos: int, horizon: int = 3) -> CheckResult:
    """Forecasts made at a cutoff must not change when data after the cutoff change.

    The forecaster is fitted on the data up to the cutoff and asked to predict at
    the cutoff twice: through ``predict`` with the context up to the cutoff, and
    through ``predict_origins`` given the full history with the values after the
    cutoff replaced by noise, which a forecaster that slices correctly never reads.
    """
    name = "no look-ahead"
    parts_train, cutoffs = [], []
    for uid, g in panel.groupby("unique_id", sort=False):
        parts_train.append(g.iloc[: cutoff_pos + 1])
        cutoffs.append((uid, g["ds"].iloc[cutoff_pos]))
    train = pd.concat(parts_train, ignore_index=True)
    perturbed = panel.copy()
    pos = perturbed.groupby("unique_id").cumcount().to_numpy()
    after = pos > cutoff_pos
    rng = np.random.default_rng(123)
    perturbed.loc[after, "y"] = perturbed.loc[after, "y"].to_numpy() * 3 + rng.normal(0, 50, after.sum())
    a = clone(forecaster).fit(train).predict(train, horizon)
    b_model = clone(forecaster).fit(train)
    b = b_model.predict_origins(perturbed, pd.DataFrame(cutoffs, columns=["unique_id", "cutoff"]), horizon)
    a = a.sort_values(["unique_id", "h"]).reset_index(drop=True)
    b = b.sort_values(["unique_id", "h"]).reset_index(drop=True)
    if len(a) != len(b) or not np.allclose(a["y_pred"], b["y_pred"], rtol=1e-9, atol=1e-9):
        return CheckResult(name, False, "forecasts at the cutoff changed when data after it changed")
    return CheckResult(name, True)


def check_forecaster(forecaster, raise_on_failure: bool = False, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> ConformanceReport:
    """Run every contract check on ``forecaster`` (an unfitted instance with cheap parameters)."""
    report = ConformanceReport(repr(forecaster))
    tags = forecaster.all_tags() if hasattr(forecaster, "all_tags") else dict(getattr(forecaster, "tags", {}))
    checks: list[tuple[str, Callable[[], CheckResult | None]]] = [
        ("output frame, one series, horizon 1", lambda: _check_output(forecaster, 1, 1, True)),
        ("output frame, many series, horizon 7", lambda: _check_output(forecaster, 3, 7, True)),
        ("predict before fit raises NotFittedError", lambda: _check_not_fitted(forecaster)),
        ("no look-ahead", lambda: check_no_lookahead(forecaster, synthetic_panel(2, 120), 89)),
        ("deterministic", lambda: _check_deterministic(forecaster)),
        ("clone from parameters", lambda: _check_clone(forecaster)),
    ]
    if not tags.get("requires_timestamps"):
        checks.append(("integer ds", lambda: _check_output(forecaster, 2, 4, False)))
    if tags.get("quantiles"):
        checks.append(("quantiles ordered", lambda: _check_quantiles(forecaster, quantiles)))
    for name, run in checks:
        try:
            result = run() or CheckResult(name, True)
            result.name = name
        except Exception as exc:  # a failing check is reported, not raised
            result = CheckResult(name, False, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
        report.results.append(result)
    if raise_on_failure and not report.passed:
        raise AssertionError(str(report))
    return report


def _check_output(forecaster, n_series: int, horizon: int, timestamps: bool) -> CheckResult:
    panel = synthetic_panel(n_series, 100, timestamps)
    out = clone(forecaster).fit(panel).predict(panel, horizon)
    missing = [c for c in FORECAST_COLUMNS if c not in out.columns]
    if missing:
        return CheckResult("", False, f"missing columns {missing}")
    if len(out) != n_series * horizon:
        return CheckResult("", False, f"{len(out)} rows, expected {n_series * horizon}")
    if sorted(out["h"].unique()) != list(range(1, horizon + 1)):
        return CheckResult("", False, f"h values {sorted(out['h'].unique())}")
    if not np.isfinite(out["y_pred"].to_numpy(dtype=float)).all():
        return CheckResult("", False, "non-finite y_pred")
    last = panel.groupby("unique_id")["ds"].last()
    if not (out["cutoff"].to_numpy() == out["unique_id"].map(last).to_numpy()).all():
        return CheckResult("", False, "cutoff is not the last ds of each context series")
    return CheckResult("", True)


def _check_not_fitted(forecaster) -> CheckResult:
    panel = synthetic_panel(1, 50)
    try:
        clone(forecaster).predict(panel, 2)
    except NotFittedError:
        return CheckResult("", True)
    except Exception as exc:
        return CheckResult("", False, f"raised {type(exc).__name__} instead of NotFittedError")
    return CheckResult("", False, "predict before fit returned a forecast")


def _check_deterministic(forecaster) -> CheckResult:
    panel = synthetic_panel(2, 100)
    a = clone(forecaster).fit(panel).predict(panel, 5)
    b = clone(forecaster).fit(panel).predict(panel, 5)
    same = np.allclose(a["y_pred"], b["y_pred"], rtol=0, atol=1e-10)
    return CheckResult("", same, "" if same else "two fits with the same parameters gave different forecasts")


def _check_clone(forecaster) -> CheckResult:
    copy = clone(forecaster)
    same = type(copy) is type(forecaster) and copy.get_params().keys() == forecaster.get_params().keys()
    return CheckResult("", same, "" if same else "clone does not reproduce the parameters")


def _check_quantiles(forecaster, levels: tuple[float, ...]) -> CheckResult:
    panel = synthetic_panel(2, 100)
    out = clone(forecaster).fit(panel).predict(panel, 5, quantiles=levels)
    cols = quantile_columns(sorted(levels))
    values = out[cols].to_numpy(dtype=float)
    ordered = bool(np.all(np.diff(values, axis=1) >= -1e-9))
    return CheckResult("", ordered, "" if ordered else "quantile columns are not ordered by level")
