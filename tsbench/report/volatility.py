"""The report's volatility section: forecast against proxy, the VaR band with its breaches, and the test tables.

Shown for runs whose series have ``target: variance``. The tables are
computed from the forecast frame and the panel (for the realised returns),
like every other table: Kupiec and Christoffersen p-values per series, model
and VaR level, and the Diebold-Mariano test on QLIKE against the baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from tsbench.data.variance import RETURN
from tsbench.metrics.registry import get_metric, is_metric
from tsbench.metrics.risk import cumulated, hits_frame, qlike_losses
from tsbench.panel import DS, ID
from tsbench.report.html import paragraph, table_html
from tsbench.report.significance import overlap_of
from tsbench.stats import diebold_mariano
from tsbench.stats.var_tests import christoffersen_cc, christoffersen_independence, kupiec_pof

__all__ = ["is_volatility_run", "var_levels", "var_test_table", "qlike_dm_table", "volatility_section"]

DEFAULT_LEVELS = (0.01, 0.05)


def is_volatility_run(run) -> bool:
    """True when every series of the run was forecast on ``target: variance``."""
    targets = [d.get("target") for d in run.config.get("data", [])]
    return bool(targets) and all(t == "variance" for t in targets)


def var_levels(metric_names: Sequence[str]) -> list[float]:
    """The VaR levels the run's metrics name (``kupiec_1`` -> 0.01), else 1% and 5%."""
    levels = set()
    for name in metric_names:
        if is_metric(name) and get_metric(name).kind == "var" and name != get_metric(name).base:
            levels.add(float(name.rpartition("_")[2]) / 100.0)
    return sorted(levels) or list(DEFAULT_LEVELS)


def var_test_table(forecasts: pd.DataFrame, panel: pd.DataFrame, levels: Sequence[float]) -> pd.DataFrame:
    """Breach rate and Kupiec / Christoffersen p-values of the one-step VaR, per series, model and level."""
    rows = []
    for level in levels:
        hits = hits_frame(forecasts, [ID, "model"], panel, level)
        for (uid, model), g in hits.groupby([ID, "model"], sort=True):
            h = g["hit"].dropna()
            rows.append({ID: uid, "model": model, "level": level, "n": len(h), "breaches": int(h.sum()),
                         "rate": float(h.mean()) if len(h) else np.nan,
                         "kupiec_p": kupiec_pof(h, level).pvalue,
                         "christoffersen_ind_p": christoffersen_independence(h).pvalue,
                         "christoffersen_cc_p": christoffersen_cc(h, level).pvalue})
    return pd.DataFrame(rows)


def qlike_dm_table(forecasts: pd.DataFrame, baseline: str | None, alpha: float = 0.05) -> pd.DataFrame:
    """Mean QLIKE per series and model, and the DM test on per-origin QLIKE against ``baseline``."""
    y, f = cumulated(forecasts)
    losses = forecasts[[ID, "cutoff", "model"]].assign(loss=qlike_losses(y, f))
    table = losses.pivot_table(index=[ID, "cutoff"], columns="model", values="loss", aggfunc="mean").dropna()
    rows = []
    for uid, g in table.groupby(level=0, sort=True):
        lag = overlap_of(forecasts, uid)
        for model in g.columns:
            row = {ID: uid, "model": model, "qlike": float(g[model].mean())}
            if baseline in g.columns and model != baseline and len(g) > 2:
                dm = diebold_mariano(g[model].to_numpy(), g[baseline].to_numpy(), h=lag, loss=lambda e: e)
                row.update(dm_stat=float(dm.statistic), dm_p=float(dm.pvalue),
                           better_than_baseline=bool(dm.statistic < 0 and dm.pvalue < alpha))
            rows.append(row)
    return pd.DataFrame(rows)


def _proxy_figure(forecasts: pd.DataFrame, uid: str, models: Sequence[str]):
    from tsbench.report import plots

    plt = plots.require_matplotlib()
    one = forecasts[(forecasts[ID] == uid) & (forecasts["h"] == 1)]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    proxy = one.drop_duplicates(DS).sort_values(DS)
    ax.plot(proxy[DS], proxy["y"], ".", color="0.7", markersize=3, label="proxy")
    for model in models:
        g = one[one["model"] == model].sort_values(DS)
        ax.plot(g[DS], g["y_pred"], linewidth=1, label=model)
    ax.set_yscale("log")
    ax.set_title(f"{uid}: one-step variance forecast and proxy")
    ax.legend(fontsize=7, ncol=4)
    return fig


def _var_figure(forecasts: pd.DataFrame, panel: pd.DataFrame, uid: str, models: Sequence[str], level: float):
    from tsbench.report import plots

    plt = plots.require_matplotlib()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    hits = hits_frame(forecasts[forecasts[ID] == uid], [ID, "model"], panel, level)
    dates = forecasts[(forecasts[ID] == uid) & (forecasts["h"] == 1)].set_index(["model", "cutoff"])[DS]
    hits = hits.assign(ds=dates.reindex(pd.MultiIndex.from_frame(hits[["model", "cutoff"]])).to_numpy())
    first = hits[hits["model"] == models[0]].sort_values(DS)
    ax.plot(first[DS], first["ret"], color="0.6", linewidth=0.8, label="return")
    for model in models:
        g = hits[hits["model"] == model].sort_values(DS)
        line, = ax.plot(g[DS], g["var"], linewidth=1, label=f"{model} VaR")
        breach = g[g["hit"] == 1]
        ax.plot(breach[DS], breach["ret"], "x", color=line.get_color(), markersize=6)
    ax.set_title(f"{uid}: one-step {level:.0%} VaR and its breaches (x)")
    ax.legend(fontsize=7, ncol=4)
    return fig


def volatility_section(run, panel: pd.DataFrame | None, figure: Callable, alpha: float = 0.05) -> str | None:
    """HTML of the volatility section, or None for runs that are not on ``target: variance``."""
    if not is_volatility_run(run):
        return None
    forecasts, models = run.forecasts, run.models
    parts = []
    dm = qlike_dm_table(forecasts, run.baseline, alpha)
    parts.append(table_html(dm) + paragraph(
        "QLIKE of the h-step variance sums; the DM test compares per-origin QLIKE with the baseline "
        f"({run.baseline or 'none'}); a negative statistic with p below {alpha:g} means the model is better."))
    have_returns = panel is not None and RETURN in panel.columns
    levels = var_levels(run.metric_names)
    if have_returns:
        tests = var_test_table(forecasts, panel, levels)
        tests.to_csv(_tables_dir(run) / "volatility_var_tests.csv", index=False)
        parts.append(table_html(tests) + paragraph(
            "One-step VaR backtests: breach rate, and p-values of Kupiec's proportion of failures and "
            "Christoffersen's independence and conditional coverage tests (below 0.05 rejects). The VaR is each "
            "model's return quantile where it forecasts one, else a normal with mean zero and the forecast variance."))
    else:
        parts.append(paragraph("VaR backtests need the realised returns: rebuild the report from the data folder."))
    dm.to_csv(_tables_dir(run) / "volatility_qlike_dm.csv", index=False)
    for uid in sorted(forecasts[ID].astype(str).unique()):
        parts.append(figure(f"volatility_{uid}", _proxy_figure(forecasts, uid, models), f"{uid} variance forecasts"))
        if have_returns:
            fig = _var_figure(forecasts, panel, uid, models, levels[0])
            parts.append(figure(f"var_{uid}", fig, f"{uid} VaR band"))
    return "\n".join(parts)


def _tables_dir(run):
    folder = run.run_dir / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
