"""Seasonal statistical forecasters against seasonal naive on monthly and quarterly series.

Series that installed packages ship: the monthly built-ins ``crude`` (Brent, WTI)
and ``default`` (AAA, BAA yields) through tsbench's built-in loader, and from
``statsmodels.datasets`` the monthly El Nino sea temperatures, CO2 (weekly,
averaged per month) and the quarterly real GDP and CPI of ``macrodata``. Each
series is cut to its last 15 seasons plus the holdout, and forecast once from
the end of the training part (M4 style): 18 months or 8 quarters ahead, with
``season_length`` 12 or 4. Scores are sMAPE and MASE (seasonal scale), by
tsbench's metrics, per series and averaged; each model's share of seasonal
naive's mean is given too.

Run from the repository root::

    python benchmarks/seasonal_stats.py
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tsbench.data.builtin import load_builtin_wide  # noqa: E402
from tsbench.forecasters.auto_arima import AutoArima  # noqa: E402
from tsbench.forecasters.auto_ets import AutoEts  # noqa: E402
from tsbench.forecasters.baselines import SeasonalNaive  # noqa: E402
from tsbench.forecasters.ets import Ets  # noqa: E402
from tsbench.forecasters.theta import Theta  # noqa: E402
from tsbench.metrics import mase, smape  # noqa: E402
from tsbench.panel import DS, ID, Y  # noqa: E402

HORIZON = {12: 18, 4: 8}
SEASONS_KEPT = 15


def series() -> list[tuple[str, int, np.ndarray]]:
    """(name, season length, values) of every benchmark series."""
    import statsmodels.api as sm

    out = []
    for dataset in ("crude", "default"):
        wide = load_builtin_wide(dataset)
        out += [(f"{dataset}/{col}", 12, wide[col].dropna().to_numpy(float)) for col in wide.columns]
    elnino = sm.datasets.elnino.load_pandas().data.drop(columns="YEAR").to_numpy(float).reshape(-1)
    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().interpolate().to_numpy(float)
    macro = sm.datasets.macrodata.load_pandas().data
    out += [("elnino", 12, elnino), ("co2", 12, co2)]
    out += [(f"macrodata/{col}", 4, macro[col].to_numpy(float)) for col in ("realgdp", "cpi")]
    return out


def models(m: int) -> dict[str, object]:
    return {
        "seasonal_naive": SeasonalNaive(season_length=m),
        "theta": Theta(season_length=m),
        "ets": Ets(error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=m),
        "auto_ets": AutoEts(season_length=m),
        "auto_arima": AutoArima(season_length=m, max_p=2, max_q=2, max_P=1, max_Q=1),
    }


def run() -> tuple[pd.DataFrame, dict[str, float]]:
    rows, seconds = [], {}
    for name, m, y in series():
        h = HORIZON[m]
        y = y[-(SEASONS_KEPT * m + h):]
        frame = pd.DataFrame({ID: name, DS: np.arange(len(y)), Y: y})
        train, test = frame.iloc[:-h], frame.iloc[-h:]
        for label, model in models(m).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = model.fit(train).predict(train, h)
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
            scored = test.merge(fc[[ID, DS, "y_pred"]], on=[ID, DS])
            rows.append({"series": name, "model": label,
                         "smape": float(smape(scored, [ID]).iloc[0]),
                         "mase": float(mase(scored, [ID], train, season_length=m).iloc[0])})
    return pd.DataFrame(rows), seconds


def main() -> None:
    start = time.perf_counter()
    scores, seconds = run()
    table = scores.pivot(index="series", columns="model", values=["smape", "mase"]).round(2)
    print(table.to_string())
    mean = scores.groupby("model")[["smape", "mase"]].mean()
    base = mean.loc["seasonal_naive"]
    summary = mean.assign(smape_vs_snaive=mean["smape"] / base["smape"], mase_vs_snaive=mean["mase"] / base["mase"],
                          seconds=pd.Series(seconds)).round(3)
    print()
    print(summary.to_string())
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
