"""Conformance checks that every forecaster, built-in or plugin, must pass.

Run :func:`check_forecaster` on an unfitted instance with cheap parameters; it
returns a :class:`ConformanceReport` naming each check and whether it passed,
and raises only when ``raise_on_failure`` is set. :func:`yield_checks` yields
the named checks themselves (those that apply to the forecaster's tags), for a
test suite that runs them one by one. Built-ins are tested with exactly these
checks, so a plugin author runs what tsbench runs. A forecaster that takes
covariates (its ``covariates`` tag) also gets the leakage audit of
:mod:`tsbench.leakage`; for the others those checks are skipped, saying why.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from tsbench.conformance import (
    CheckResult,
    check_bad_fit,
    check_bad_predict,
    check_clone,
    check_deterministic,
    check_no_lookahead,
    check_not_fitted,
    check_output_frame,
    check_quantiles_ordered,
    synthetic_panel,
)
from tsbench.errors import PluginError
from tsbench.leakage import check_covariate_leakage, check_leakage_future, check_leakage_origins, covariate_panel

__all__ = [
    "CheckResult",
    "ConformanceReport",
    "check_covariate_leakage",
    "check_forecaster",
    "check_leakage_future",
    "check_leakage_origins",
    "check_no_lookahead",
    "covariate_panel",
    "run_check",
    "synthetic_panel",
    "yield_checks",
]


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

    @property
    def failed_names(self) -> list[str]:
        """Names of the checks that failed."""
        return [r.name for r in self.failed]

    @property
    def skipped_names(self) -> list[str]:
        """Names of the checks that do not apply to the forecaster (e.g. covariate leakage without covariates)."""
        return [r.name for r in self.results if r.skipped]

    def __str__(self) -> str:
        lines = [f"conformance of {self.forecaster}: {'passed' if self.passed else 'FAILED'}"]
        for r in self.results:
            mark = "skip" if r.skipped else "ok" if r.passed else "FAIL"
            lines.append(f"  [{mark}] {r.name}" + (f": {r.detail}" if r.detail else ""))
        return "\n".join(lines)


def yield_checks(
    forecaster, quantiles: Sequence[float] = (0.1, 0.5, 0.9), seed: int = 0
) -> Iterator[tuple[str, Callable[[], CheckResult]]]:
    """Yield ``(name, check)`` for every contract check that applies to ``forecaster``.

    ``forecaster`` is an adapted, unfitted instance (see :func:`check_forecaster`,
    which adapts plain classes); each ``check()`` runs one check and returns its
    :class:`CheckResult`.
    """
    tags = forecaster.all_tags()
    n = max(100, int(tags.get("min_train_size") or 2) + 40)
    yield "output frame: one series, horizon 1, timestamp ds", lambda: check_output_frame(forecaster, 1, 1, True, n, seed)
    yield "output frame: many series, horizon 7, timestamp ds", lambda: check_output_frame(forecaster, 3, 7, True, n, seed)
    if not tags.get("requires_timestamps"):
        yield "output frame: one series, horizon 1, integer ds", lambda: check_output_frame(forecaster, 1, 1, False, n, seed)
        yield "output frame: many series, horizon 5, integer ds", lambda: check_output_frame(forecaster, 3, 5, False, n, seed)
    yield "predict before fit raises NotFittedError", lambda: check_not_fitted(forecaster, n)
    yield "bad input: training data without 'y'", lambda: check_bad_fit(forecaster, n, seed)
    yield "bad input: horizon 0", lambda: check_bad_predict(forecaster, n, seed, 0, ())
    yield "no look-ahead", lambda: check_no_lookahead(forecaster, seed=seed)
    # skipped, saying so, for a model whose 'covariates' tag is empty
    yield "covariate leakage: predict_origins", lambda: check_leakage_origins(forecaster, seed=seed)
    yield "covariate leakage: predict with future", lambda: check_leakage_future(forecaster, seed=seed)
    yield "deterministic under a seed", lambda: check_deterministic(forecaster, n, seed)
    yield "clone from parameters", lambda: check_clone(forecaster, n, seed)
    if tags.get("quantiles"):
        yield "quantiles ordered", lambda: check_quantiles_ordered(forecaster, tuple(quantiles), n, seed)
    else:
        yield "bad input: quantiles when unsupported", lambda: check_bad_predict(forecaster, n, seed, 3, (0.5,))


def run_check(name: str, check: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; an exception it raises becomes a failed result with the traceback's tail."""
    try:
        result = check()
    except Exception as exc:  # a failing check is reported, not raised
        result = CheckResult(name, False, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}")
    result.name = name
    return result


def check_forecaster(
    forecaster,
    raise_on_failure: bool = False,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    seed: int = 0,
) -> ConformanceReport:
    """Run every contract check on ``forecaster``.

    Parameters
    ----------
    forecaster
        An unfitted instance with cheap parameters (or a class, made with its
        defaults). Plain classes that only follow the ``Forecaster`` protocol are
        adapted as the engine adapts them.
    raise_on_failure
        Raise ``AssertionError`` with the report when a check fails.
    quantiles
        Levels asked for when the forecaster has the ``quantiles`` tag.
    seed
        Seed set before each fit, as the backtest engine does.

    Returns
    -------
    ConformanceReport
        One result per check; ``report.failed_names`` names those that failed.
    """
    from tsbench.forecasters.adapter import adapt_instance

    if isinstance(forecaster, type):
        forecaster = forecaster()
    report = ConformanceReport(repr(forecaster))
    try:
        forecaster = adapt_instance(forecaster)
        report.forecaster = repr(forecaster)
    except PluginError as exc:
        report.results.append(CheckResult("follows the forecaster contract", False, str(exc)))
        return _finish(report, raise_on_failure)
    report.results += [run_check(name, check) for name, check in yield_checks(forecaster, quantiles, seed)]
    return _finish(report, raise_on_failure)


def _finish(report: ConformanceReport, raise_on_failure: bool) -> ConformanceReport:
    if raise_on_failure and not report.passed:
        raise AssertionError(str(report))
    return report


