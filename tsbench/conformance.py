"""The contract checks behind :func:`tsbench.testing.check_forecaster`, one function per check.

Each check takes an unfitted forecaster (with cheap parameters) and returns a
:class:`CheckResult`; :func:`tsbench.testing.yield_checks` names them and picks
those that apply to the forecaster's tags.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.covariates import Covariates
from tsbench.errors import NotFittedError
from tsbench.forecasters.base import clone
from tsbench.panel import DS, FORECAST_COLUMNS, ID, Y, quantile_columns, quantile_columns_of

__all__ = [
    "same_forecasts",
    "CheckResult",
    "synthetic_panel",
    "check_output_frame",
    "check_not_fitted",
    "check_bad_fit",
    "check_bad_predict",
    "check_no_lookahead",
    "check_deterministic",
    "check_clone",
    "check_quantiles_ordered",
    "fresh",
    "plain",
]

#: Each look-ahead check draws a panel never shown before, so a forecaster that
#: remembers data across instances cannot have seen its future in an earlier check.
_FRESH_PANELS = itertools.count()


@dataclass
class CheckResult:
    """The outcome of one conformance check."""

    name: str
    passed: bool
    detail: str = ""
    #: True when the check does not apply to the forecaster (it passes; ``detail`` says why).
    skipped: bool = False


def synthetic_panel(
    n_series: int = 2, length: int = 120, timestamps: bool = True, seed: int = 0, prefix: str = "s"
) -> pd.DataFrame:
    """Seeded random-walk-plus-cycle series in long format, for checks and tests.

    Parameters
    ----------
    n_series, length
        Number of series and observations per series.
    timestamps
        Business-day timestamps in ``ds`` when True, integer steps 0, 1, ... otherwise.
    seed
        Seed of the random walk.
    prefix
        Series are named ``<prefix>0``, ``<prefix>1``, ...
    """
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        t = np.arange(length)
        y = 10.0 + i + np.cumsum(rng.normal(0, 0.1, length)) + 0.5 * np.sin(2 * np.pi * t / 7)
        ds = pd.bdate_range("2020-01-01", periods=length) if timestamps else t
        frames.append(pd.DataFrame({ID: f"{prefix}{i}", DS: ds, Y: y}))
    return pd.concat(frames, ignore_index=True)


def fresh(forecaster, seed: int):
    """An unfitted clone without covariates, seeded as the backtest engine seeds each cell.

    The checks' panels carry no covariate columns; the leakage checks
    (:mod:`tsbench.leakage`) give the clone covariates of their own.
    """
    return seeded(plain(clone(forecaster)), seed)


def plain(model):
    """``model`` reading no covariates (the covariates it was given are dropped); returns ``model``."""
    if getattr(model, "covariates", None):
        model.covariates = Covariates()
    return model


def seeded(model, seed: int):
    # exactly what run_cell does before fitting, so the checks see what a backtest sees
    from tsbench.engine.cells import fill_unset_params, seed_everything

    seed_everything(seed)
    fill_unset_params(model, seed=seed, random_state=seed)
    return model


def _head(panel: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` observations of each series."""
    return panel[panel.groupby(ID, sort=False).cumcount().to_numpy() < n].reset_index(drop=True)


def _fail(detail: str) -> CheckResult:
    return CheckResult("", False, detail)


def _ok() -> CheckResult:
    return CheckResult("", True)


def check_output_frame(forecaster, n_series: int, horizon: int, timestamps: bool, length: int, seed: int) -> CheckResult:
    panel = synthetic_panel(n_series, length, timestamps, seed=seed)
    train = _head(panel, length - 10)  # predict from a context longer than the training data
    train_copy, panel_copy = train.copy(), panel.copy()
    model = fresh(forecaster, seed).fit(train)
    out = model.predict(panel, horizon)
    if not (train.equals(train_copy) and panel.equals(panel_copy)):
        return _fail("fit or predict modified the frame it was given")
    return _frame_problems(out, panel, horizon, model.name, ())


def _frame_problems(out, context: pd.DataFrame, horizon: int, name: str, quantiles: tuple) -> CheckResult:
    """Check a forecast frame against the context it was made from."""
    if not isinstance(out, pd.DataFrame):
        return _fail(f"predict returned {type(out).__name__}, expected a DataFrame")
    wanted = FORECAST_COLUMNS + quantile_columns(quantiles)
    missing = [c for c in wanted if c not in out.columns]
    extra = [c for c in out.columns if c not in wanted]
    if missing or extra:
        return _fail(f"columns {list(out.columns)}: missing {missing}, unexpected {extra}")
    ids = pd.unique(context[ID])
    if len(out) != len(ids) * horizon:
        return _fail(f"{len(out)} rows, expected {len(ids)} series x horizon {horizon} = {len(ids) * horizon}")
    pairs = set(zip(out[ID], out["h"]))
    if pairs != {(u, h) for u in ids for h in range(1, horizon + 1)}:
        return _fail("(unique_id, h) pairs are not each series of the context with h = 1..horizon once")
    if not np.isfinite(out["y_pred"].to_numpy(dtype=float)).all():
        return _fail("y_pred has missing or infinite values")
    last = context.groupby(ID, sort=False)[DS].last()
    if not (out["cutoff"].to_numpy() == out[ID].map(last).to_numpy()).all():
        return _fail("cutoff is not the last ds of each context series")
    if pd.api.types.is_datetime64_any_dtype(context[DS]) != pd.api.types.is_datetime64_any_dtype(out[DS]):
        return _fail(f"ds has dtype {out[DS].dtype} but the context's ds has dtype {context[DS].dtype}")
    ordered = out.sort_values([ID, "h"])
    after = (ordered[DS].to_numpy() > ordered["cutoff"].to_numpy()).all()
    rising = ordered.groupby(ID, sort=False)[DS].apply(lambda s: s.is_monotonic_increasing and s.is_unique).all()
    if not (after and rising):
        return _fail("ds must lie after the cutoff and increase with h")
    if not (out["model"] == name).all():
        return _fail(f"model column holds {sorted(map(str, out['model'].unique()))}, expected the alias {name!r}")
    return _ok()


def check_not_fitted(forecaster, length: int) -> CheckResult:
    try:
        plain(clone(forecaster)).predict(synthetic_panel(1, length), 2)
    except NotFittedError:
        return _ok()
    except Exception as exc:
        return _fail(f"raised {type(exc).__name__} ({exc}) instead of NotFittedError")
    return _fail("predict before fit returned a forecast")


def _expect_value_error(action: Callable[[], object], what: str, mentions: str) -> CheckResult:
    """A clear error is a ValueError (DataError, ConfigError are ones) whose message names the problem."""
    try:
        action()
    except ValueError as exc:
        if mentions.lower() in str(exc).lower():
            return _ok()
        return _fail(f"{what} raised {type(exc).__name__} ({exc}), whose message does not mention {mentions}")
    except Exception as exc:
        return _fail(f"{what} raised {type(exc).__name__} ({exc}); expected a ValueError such as DataError")
    return _fail(f"{what} was accepted silently")


def check_bad_fit(forecaster, length: int, seed: int) -> CheckResult:
    train = synthetic_panel(2, length, seed=seed).drop(columns=[Y])
    return _expect_value_error(lambda: fresh(forecaster, seed).fit(train), "fit without a 'y' column", "'y'")


def check_bad_predict(forecaster, length: int, seed: int, horizon: int, quantiles: tuple) -> CheckResult:
    panel = synthetic_panel(2, length, seed=seed)
    model = fresh(forecaster, seed).fit(panel)
    what = f"predict(horizon={horizon}" + (f", quantiles={quantiles})" if quantiles else ")")
    mentions = "quantile" if quantiles else "horizon"
    return _expect_value_error(lambda: model.predict(panel, horizon, quantiles), what, mentions)


def same_forecasts(a: pd.DataFrame, b: pd.DataFrame, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """Whether two forecast frames hold the same origins and steps with equal values (to ``rtol``/``atol``)."""
    keys = [ID, "cutoff", "h"]
    if len(a) != len(b):
        return False
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    if not (a[keys].astype(str).to_numpy() == b[keys].astype(str).to_numpy()).all():
        return False
    cols = ["y_pred", *quantile_columns_of(a)]
    return all(np.allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=rtol, atol=atol, equal_nan=True)
               for c in cols)


def check_no_lookahead(forecaster, horizon: int = 5, seed: int = 0) -> CheckResult:
    """Data after a cutoff must never change the forecast made at that cutoff.

    On a panel no earlier check has used: (1) fit up to cutoff ``c0`` and forecast
    at ``c0``; (2) show a fresh instance the whole panel, future included (fit
    and predict on it), then fit a new instance up to ``c0`` and forecast at
    ``c0`` again: the forecast must not change. A forecaster that keeps data
    across instances (a class attribute, a module-level cache) and reads the
    future from it fails here. (3) Forecast at a later cutoff ``c1`` too, and ask
    ``predict_origins`` for both cutoffs given a history whose values after
    ``c1`` are replaced by noise: a forecaster that slices correctly gives the
    same forecasts as ``predict`` from contexts that end at the cutoffs.
    """
    forecaster = adapted(forecaster)
    k = next(_FRESH_PANELS)
    length = max(120, int(forecaster.all_tags().get("min_train_size") or 2) + 50)
    panel = synthetic_panel(2, length, seed=10_007 + k, prefix=f"lookahead{k}_")
    c0, c1 = length - 25, length - 20
    train, context1 = _head(panel, c0 + 1), _head(panel, c1 + 1)
    first = fresh(forecaster, seed).fit(train).predict(train, horizon)

    fresh(forecaster, seed).fit(panel).predict(panel, horizon)  # the future is now known to the process
    model = fresh(forecaster, seed).fit(train)
    again = model.predict(train, horizon)
    if not same_forecasts(first, again):
        return _fail("after an instance was shown the data past the cutoff, a new instance fitted up to the "
                     "cutoff forecast differently: the forecaster keeps data across instances (e.g. in a class "
                     "attribute) and reads the future from it (or it is not deterministic)")

    reference = pd.concat([again, model.predict(context1, horizon)], ignore_index=True)
    noisy = panel.copy()
    after = noisy.groupby(ID, sort=False).cumcount().to_numpy() > c1
    noise = np.random.default_rng(k).normal(0, 50, after.sum())
    noisy.loc[after, Y] = noisy.loc[after, Y].to_numpy() * 3 + noise
    cutoffs = pd.DataFrame(
        [(uid, g[DS].iloc[c]) for uid, g in panel.groupby(ID, sort=False) for c in (c0, c1)], columns=[ID, "cutoff"]
    )
    batched = model.predict_origins(noisy, cutoffs, horizon)
    if not same_forecasts(reference, batched):
        return _fail("predict_origins gave other forecasts at a cutoff than predict from the context ending "
                     "there, when the history after the cutoff was changed: it reads data past the cutoff")
    return _ok()


def adapted(forecaster):
    from tsbench.forecasters.adapter import adapt_instance

    return adapt_instance(forecaster)


def check_deterministic(forecaster, length: int, seed: int) -> CheckResult:
    panel = synthetic_panel(2, length, seed=seed)
    a = fresh(forecaster, seed).fit(panel).predict(panel, 5)
    b = fresh(forecaster, seed).fit(panel).predict(panel, 5)
    if same_forecasts(a, b, rtol=1e-7, atol=1e-10):
        return _ok()
    return _fail("two fits with the same parameters and seed gave different forecasts")


def check_clone(forecaster, length: int, seed: int) -> CheckResult:
    params = forecaster.get_params()
    rebuilt = type(forecaster)(**params).get_params()
    if not _equal(rebuilt, params):
        return _fail(f"{type(forecaster).__name__}(**get_params()).get_params() gave {rebuilt!r}, expected {params!r}")
    panel = synthetic_panel(1, length, seed=seed)
    original = seeded(plain(copy.deepcopy(forecaster)), seed).fit(panel).predict(panel, 3)
    model = fresh(forecaster, seed)
    before = model.get_params()
    model.fit(panel)
    if not same_forecasts(original, model.predict(panel, 3)):
        return _fail("a clone forecasts differently from the original: get_params() does not return "
                     "every value the constructor stored")
    if not _equal(model.get_params(), before):
        return _fail("fit changed the constructor parameters; store fitted state in attributes ending in '_'")
    twin = clone(model)
    if twin.name != model.name:
        return _fail(f"clone lost the alias: {twin.name!r} instead of {model.name!r}")
    try:
        twin.predict(panel, 1)
    except Exception:  # which error is the business of the predict-before-fit check
        return _ok()
    return _fail("a clone of a fitted forecaster can predict: clone must give an unfitted forecaster")


def _equal(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    try:
        return bool(a == b)
    except Exception:  # objects whose == is not a truth value
        return a is b


def check_quantiles_ordered(forecaster, levels: tuple[float, ...], length: int, seed: int) -> CheckResult:
    panel = synthetic_panel(2, length, seed=seed)
    asked = tuple(sorted(levels, reverse=True))  # columns must follow the level, not the order asked
    out = fresh(forecaster, seed).fit(panel).predict(panel, 5, quantiles=asked)
    shape = _frame_problems(out, panel, 5, out["model"].iloc[0] if len(out) else "", asked)
    if not shape.passed:
        return shape
    values = out[quantile_columns(sorted(levels))].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        return _fail("quantile columns have missing or infinite values")
    if not np.all(np.diff(values, axis=1) >= -1e-9):
        return _fail("quantile columns are not ordered by level (a lower level has a higher value)")
    return _ok()
