"""Models of statsforecast, sktime and Darts run by tsbench's engine against each library's own backtest.

The five daily built-in series as log prices (last 1500 observations, as in the
quickstart), horizon 5, 40 origins 5 apart, expanding window. For each model
tsbench runs the backtest (``run_experiment``, serial, no report) and the
library runs its own on the same origins: statsforecast's
``cross_validation``, sktime's ``evaluate`` with an expanding-window splitter,
Darts' ``historical_forecasts``. The table gives both wall times, their ratio
and the largest absolute difference between the two sets of point forecasts.

Run from the repository root::

    python benchmarks/adapters.py [--library statsforecast sktime darts] [--repeats N]

Each model is fitted once on a short series before anything is timed, so
that numba compilation (statsforecast) and imports count in neither column.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tsbench.data.loader import load_panel  # noqa: E402
from tsbench.experiment import parse_experiment  # noqa: E402
from tsbench.panel import DS, ID, Y  # noqa: E402
from tsbench.runner import run_experiment  # noqa: E402

SERIES = ("sp500", "nasdaq", "wti", "vix", "msft")
H, ORIGINS, STEP = 5, 40, 5


@dataclass
class Case:
    """One model of one library, backtested with ``refit_every`` by both sides."""

    library: str
    model: str
    params: dict = field(default_factory=dict)
    refit_every: int | str = 1

    @property
    def label(self) -> str:
        return f"{self.library}:{self.model} refit_every={self.refit_every}"


CASES = [
    Case("statsforecast", "AutoARIMA", {"season_length": 1}, 1),
    Case("statsforecast", "AutoARIMA", {"season_length": 1}, 5),
    Case("statsforecast", "AutoETS", {"season_length": 1}, 1),
    Case("statsforecast", "AutoTheta", {"season_length": 1}, 1),
    Case("sktime", "ThetaForecaster", {"sp": 1}, 1),
    Case("sktime", "ExponentialSmoothing", {"trend": "add"}, 1),
    Case("sktime", "StatsModelsARIMA", {"order": (1, 1, 0)}, "once"),
    Case("darts", "ExponentialSmoothing", {"trend": None, "seasonal": None}, 1),
    Case("darts", "ARIMA", {"p": 1, "d": 1, "q": 0}, "once"),
    Case("darts", "NBEATSModel", {"input_chunk_length": 20, "output_chunk_length": 5, "num_stacks": 2,
                                  "num_blocks": 1, "layer_widths": 32, "n_epochs": 3, "batch_size": 64,
                                  "random_state": 0}, "once"),
]


def experiment(case: Case, output: str) -> dict:
    """The tsbench experiment of one case, as a mapping."""
    return {
        "name": "adapters",
        "data": [{"source": f"builtin:{s}", "target": "log_price", "last": 1500} for s in SERIES],
        "backtest": {"horizon": H, "origins": ORIGINS, "step": STEP, "window": "expanding",
                     "refit_every": case.refit_every},
        "forecasters": [{"name": "m", "model": f"{case.library}:{case.model}", "params": case.params}],
        "metrics": ["mae"],
        "output": output,
        "executor": {"kind": "serial"},
    }


def run_tsbench(case: Case) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """Wall time of the tsbench run, its forecasts and the panel it read."""
    with tempfile.TemporaryDirectory() as out:
        exp = parse_experiment(experiment(case, out))
        started = time.perf_counter()
        result = run_experiment(exp, fresh=True, progress=False, report=False)
        wall = time.perf_counter() - started
        if not result.ok:
            raise RuntimeError(f"tsbench run of {case.label} failed: {result.failures[0]['error']}")
        return wall, result.forecasts, load_panel(exp.data)[0]


def with_positions(forecasts: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """tsbench forecasts keyed by the cutoff's position in its series (what the libraries index by)."""
    pos = panel.assign(pos=panel.groupby(ID).cumcount())[[ID, DS, "pos"]].rename(columns={DS: "cutoff"})
    return forecasts.merge(pos, on=[ID, "cutoff"])[[ID, "pos", "h", "y_pred"]]


def first_cutoff(n: int) -> int:
    """Position of the first cutoff in a series of ``n`` observations (the last origin leaves ``H`` after it)."""
    return int(n - H - STEP * (ORIGINS - 1) - 1)


# -- the libraries' own backtests: each returns (wall, frame of unique_id, pos, h, y_pred) ------------

def own_statsforecast(case: Case, panel: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    import statsforecast.models as models
    from statsforecast import StatsForecast

    df = panel[[ID, Y]].assign(**{DS: panel.groupby(ID).cumcount()})
    refit = True if case.refit_every == 1 else case.refit_every
    engine = StatsForecast(models=[getattr(models, case.model)(**case.params)], freq=1, n_jobs=1)
    started = time.perf_counter()
    cv = engine.cross_validation(df=df, h=H, n_windows=ORIGINS, step_size=STEP, refit=refit)
    wall = time.perf_counter() - started
    cv = cv.sort_values([ID, "cutoff", DS])
    cv["h"] = cv.groupby([ID, "cutoff"]).cumcount() + 1
    return wall, pd.DataFrame({ID: cv[ID], "pos": cv["cutoff"], "h": cv["h"], "y_pred": cv[case.model]})


def own_sktime(case: Case, panel: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    from sktime.forecasting.model_evaluation import evaluate
    from sktime.split import ExpandingWindowSplitter

    from tsbench.forecasters.external.sktime import sktime_class

    # "refit" fits at every origin; "no-update_params" fits once and then only updates (refit_every: once)
    strategy = {1: "refit", "once": "no-update_params"}[case.refit_every]
    rows, wall = [], 0.0
    for uid, g in panel.groupby(ID, sort=False):
        y = pd.Series(g[Y].to_numpy(dtype=float))
        first = first_cutoff(len(y))
        forecaster = sktime_class(case.model)(**case.params)
        cv = ExpandingWindowSplitter(fh=list(range(1, H + 1)), initial_window=first + 1, step_length=STEP)
        started = time.perf_counter()
        scores = evaluate(forecaster, cv, y, strategy=strategy, return_data=True)
        wall += time.perf_counter() - started
        for _, row in scores.iterrows():
            pred = row["y_pred"]
            rows.append(pd.DataFrame({ID: uid, "pos": int(row["cutoff"]), "h": np.arange(1, H + 1),
                                      "y_pred": pred.to_numpy(dtype=float)}))
    return wall, pd.concat(rows, ignore_index=True)


def own_darts(case: Case, panel: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    import darts.models as models
    from darts import TimeSeries

    series = {uid: TimeSeries.from_values(g[Y].to_numpy(dtype=np.float64)) for uid, g in panel.groupby(ID, sort=False)}
    firsts = {uid: first_cutoff(len(s)) for uid, s in series.items()}
    model = getattr(models, case.model)(**case.params)
    started = time.perf_counter()
    if case.refit_every == "once" and case.model.endswith("Model"):  # global: one fit on every series
        model.fit([s[: firsts[u] + 1] for u, s in series.items()])
        forecasts = [model.historical_forecasts(s, start=firsts[u] + 1, forecast_horizon=H, stride=STEP,
                                                retrain=False, last_points_only=False, verbose=False)
                     for u, s in series.items()]
    elif case.refit_every == "once":  # local, fitted once per series, then new data with fixed parameters
        forecasts = []
        for u, s in series.items():
            model = getattr(models, case.model)(**case.params)
            model.fit(s[: firsts[u] + 1])
            forecasts.append(model.historical_forecasts(s, start=firsts[u] + 1, forecast_horizon=H, stride=STEP,
                                                        retrain=False, last_points_only=False, verbose=False))
    else:
        forecasts = [model.historical_forecasts(s, start=firsts[u] + 1, forecast_horizon=H, stride=STEP,
                                                retrain=True, last_points_only=False, verbose=False)
                     for u, s in series.items()]
    wall = time.perf_counter() - started
    rows = []
    for uid, per_origin in zip(series, forecasts):
        for k, f in enumerate(per_origin):
            rows.append(pd.DataFrame({ID: uid, "pos": firsts[uid] + k * STEP, "h": np.arange(1, H + 1),
                                      "y_pred": f.values().ravel()}))
    return wall, pd.concat(rows, ignore_index=True)


OWN = {"statsforecast": own_statsforecast, "sktime": own_sktime, "darts": own_darts}


def warm_up(case: Case) -> None:
    """One fit and forecast on a short series, so compilation and first imports are not timed."""
    from tsbench.forecasters.registry import make_forecaster
    from tsbench.testing import synthetic_panel

    panel = synthetic_panel(1, 120)
    make_forecaster("warm", f"{case.library}:{case.model}", case.params).fit(panel).predict(panel, H)


def measure(case: Case, repeats: int) -> dict:
    warm_up(case)
    ours = [run_tsbench(case) for _ in range(repeats)]
    panel = ours[0][2]
    theirs = [OWN[case.library](case, panel) for _ in range(repeats)]
    a = with_positions(ours[0][1], panel)
    b = theirs[0][1]
    joined = a.merge(b, on=[ID, "pos", "h"], suffixes=("", "_own"))
    if len(joined) != len(a) or len(a) != len(b):
        raise RuntimeError(f"{case.label}: origins differ ({len(a)} tsbench rows, {len(b)} library rows, "
                           f"{len(joined)} matched)")
    diff = float(np.max(np.abs(joined["y_pred"] - joined["y_pred_own"])))
    wall_ours, wall_own = min(o[0] for o in ours), min(t[0] for t in theirs)
    return {"case": case.label, "tsbench": wall_ours, "own": wall_own, "ratio": wall_ours / wall_own, "diff": diff}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", nargs="*", default=sorted(OWN), help="libraries to measure")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each side; the fastest is reported")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"load: {os.getloadavg()}")
    print("| model | tsbench (s) | library's own backtest (s) | ratio | max abs difference |")
    print("|---|---|---|---|---|")
    for case in CASES:
        if case.library not in args.library:
            continue
        r = measure(case, args.repeats)
        print(f"| {r['case']} | {r['tsbench']:.2f} | {r['own']:.2f} | {r['ratio']:.2f} | {r['diff']:.1e} |", flush=True)
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
