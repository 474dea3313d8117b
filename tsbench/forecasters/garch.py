"""GARCH-family volatility models on ``arch``: refitted per block, re-filtered with fixed parameters in between.

The model reads the returns from the panel's ``return`` column (a
``target: variance`` panel, see :mod:`tsbench.data.variance`), or from ``y``
where there is none. Its point forecast at step ``h`` is the conditional
variance of the return ``h`` sessions ahead; its quantiles are of that return
(the Value-at-Risk), from the fitted error distribution.

Between refits the parameters stay fixed: at each cutoff ``arch`` filters the
returns up to the cutoff with them (``fix``) and forecasts, exactly as a
model fitted on that history would with those parameters. Refits start the
optimiser from the last parameters of the same series (warm start).
Multi-step forecasts are analytic where ``arch`` has them (GARCH and
GJR-GARCH at every horizon, EGARCH at one step) and simulated otherwise,
with a seeded generator.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsbench.data.variance import RETURN
from tsbench.forecasters._checks import check_choice, check_horizon, check_int
from tsbench.forecasters.base import BaseForecaster
from tsbench.panel import DS, ID, Y, check_panel, iter_series, quantile_columns

__all__ = ["Garch", "VOLATILITIES", "DISTRIBUTIONS", "MEANS", "garch_model", "returns_of"]

#: Volatility processes, as named in experiments, and their ``arch`` spelling.
VOLATILITIES = {"garch": "GARCH", "gjr-garch": "GARCH", "egarch": "EGARCH"}
DISTRIBUTIONS = {"normal": "normal", "t": "t", "skewt": "skewt"}
MEANS = {"zero": "Zero", "constant": "Constant", "ar": "AR"}


def returns_of(frame: pd.DataFrame) -> np.ndarray:
    """The returns a volatility model reads: the ``return`` column when present, else ``y``."""
    return frame[RETURN if RETURN in frame.columns else Y].to_numpy(dtype=float)


def garch_model(returns: np.ndarray, vol: str = "garch", p: int = 1, o: int = 0, q: int = 1,
                dist: str = "normal", mean: str = "constant", lags: int = 1, seed: int | None = None):
    """The ``arch`` model of these settings on ``returns`` (GJR-GARCH is GARCH with ``o >= 1``).

    With ``seed``, the error distribution draws its simulations from a generator seeded with it.
    """
    from arch import arch_model

    o = max(o, 1) if vol == "gjr-garch" else o
    kwargs: dict[str, Any] = {"lags": lags} if mean == "ar" else {}
    model = arch_model(returns, mean=MEANS[mean], vol=VOLATILITIES[vol], p=p, o=o, q=q,
                       dist=DISTRIBUTIONS[dist], rescale=False, **kwargs)
    if seed is not None:
        model.distribution = type(model.distribution)(seed=np.random.default_rng(seed))
    return model


class Garch(BaseForecaster):
    """GARCH, GJR-GARCH or EGARCH with normal, Student-t or skew-t errors (registry name ``garch``).

    Parameters
    ----------
    vol
        ``garch``, ``gjr-garch`` or ``egarch``.
    p, o, q
        Orders of the ARCH, asymmetric and GARCH terms (``gjr-garch`` uses at least ``o = 1``).
    dist
        Error distribution: ``normal``, ``t`` or ``skewt``.
    mean
        Mean model: ``zero``, ``constant`` or ``ar`` (with ``lags``).
    lags
        Autoregressive lags of the ``ar`` mean.
    simulations
        Paths drawn where forecasts are simulated.
    seed
        Seed of those simulations (the experiment's seed when unset).
    """

    tags: ClassVar = {"quantiles": True, "batch_origins": True, "min_train_size": 30, "variance_model": True}
    name = "garch"

    def __init__(self, vol: str = "garch", p: int = 1, o: int = 0, q: int = 1, dist: str = "normal",
                 mean: str = "constant", lags: int = 1, simulations: int = 1000, seed: int | None = None) -> None:
        self.vol = vol
        self.p = p
        self.o = o
        self.q = q
        self.dist = dist
        self.mean = mean
        self.lags = lags
        self.simulations = simulations
        self.seed = seed

    def check_params(self) -> None:
        check_choice("vol", self.vol, list(VOLATILITIES))
        check_choice("dist", self.dist, list(DISTRIBUTIONS))
        if self.mean not in MEANS:
            raise ValueError(
                f"mean must be one of {list(MEANS)} (the arch mean models tsbench maps: Zero, Constant, AR), "
                f"got {self.mean!r}."
            )
        check_int("p", self.p, low=1)
        check_int("o", self.o, low=0)
        check_int("q", self.q, low=0)
        check_int("lags", self.lags, low=1)
        check_int("simulations", self.simulations, low=10)
        check_int("seed", self.seed, optional=True)

    # -- fitting ----------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return {"vol": self.vol, "p": self.p, "o": self.o, "q": self.q, "dist": self.dist,
                "mean": self.mean, "lags": self.lags}

    def _fit(self, train: pd.DataFrame) -> None:
        previous = getattr(self, "params_", {})
        params, info = {}, {}
        for uid, g in iter_series(train):
            params[uid], info[str(uid)] = self._fit_series(returns_of(g), previous.get(uid))
        self.params_ = params
        self.fit_info_ = info
        self.notes_ = {"var": f"quantiles of the fitted {self.dist} error distribution"}

    def _fit_series(self, returns: np.ndarray, previous: np.ndarray | None) -> tuple[np.ndarray, dict]:
        model = garch_model(returns, **self._settings())
        start = previous if previous is not None and np.all(np.isfinite(previous)) else None
        result = model.fit(disp="off", starting_values=start, show_warning=False)
        if start is not None and result.convergence_flag != 0:
            result = model.fit(disp="off", show_warning=False)  # a poor warm start must not cost the fit
        params = np.asarray(result.params, dtype=float)
        info = {"converged": bool(result.convergence_flag == 0), "warm_start": start is not None,
                "loglikelihood": float(result.loglikelihood),
                "params": {k: float(v) for k, v in result.params.items()}}
        return params, info

    # -- forecasting ------------------------------------------------------------------
    def _method(self, horizon: int) -> str:
        return "analytic" if self.vol != "egarch" or horizon == 1 else "simulation"

    def forecast_returns(self, uid: object, returns: np.ndarray, horizon: int,
                         quantiles: tuple[float, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Variance (``horizon``,) and return quantiles (``horizon``, ``len(quantiles)``) from the end of ``returns``.

        The parameters are those fitted on series ``uid``; ``arch`` filters
        ``returns`` with them and forecasts.
        """
        params = self.params_[uid]
        method = self._method(horizon)
        seed = _seed(self.seed) if method == "simulation" else None
        fixed = garch_model(returns, **self._settings(), seed=seed).fix(params)
        extra = {"simulations": self.simulations} if method == "simulation" else {}
        fc = fixed.forecast(horizon=horizon, method=method, reindex=False, **extra)
        variance = np.asarray(fc.variance.to_numpy()[-1], dtype=float)
        if not quantiles:
            return variance, np.empty((horizon, 0))
        if method == "simulation":
            paths = np.asarray(fc.simulations.values)[-1]  # (simulations, horizon)
            return variance, np.quantile(paths, quantiles, axis=0).T
        mean = np.asarray(fc.mean.to_numpy()[-1], dtype=float)
        model = fixed.model
        dist_params = params[len(params) - model.distribution.num_params:] if model.distribution.num_params else None
        z = np.asarray(model.distribution.ppf(list(quantiles), dist_params), dtype=float)
        return variance, mean[:, None] + np.sqrt(variance)[:, None] * z[None, :]

    def _predict(self, context, horizon, quantiles):
        parts = []
        for uid, g in iter_series(context):
            parts.append(self._rows(uid, returns_of(g), horizon, quantiles))
        return pd.concat(parts, ignore_index=True)

    def _rows(self, uid, returns, horizon, quantiles) -> pd.DataFrame:
        if uid not in self.params_:
            from tsbench.errors import DataError

            raise DataError(f"Garch was not fitted on series '{uid}'; it forecasts only series seen in fit.")
        variance, qs = self.forecast_returns(uid, returns, horizon, quantiles)
        frame = pd.DataFrame({ID: [uid] * horizon, "h": np.arange(1, horizon + 1), "y_pred": variance})
        for col, values in zip(quantile_columns(quantiles), qs.T):
            frame[col] = values
        return frame

    def predict_origins(self, history, cutoffs, horizon, quantiles=()):
        """Forecast from each cutoff, slicing each series' returns in place (one pass per series)."""
        from tsbench.data.calendar import future_ds, infer_step

        self._check_fitted()
        horizon = check_horizon(horizon)
        quantiles = self._check_quantiles(quantiles)
        history = check_panel(history, "history")
        wanted = cutoffs.groupby(ID, sort=False)["cutoff"].apply(lambda s: np.sort(s.to_numpy()))
        parts, cuts, future = [], [], []
        for uid, g in iter_series(history):
            if uid not in wanted.index:
                continue
            ds, returns = g[DS].to_numpy(), returns_of(g)
            step = infer_step(ds)
            for cut in wanted[uid]:
                end = int(np.searchsorted(ds, cut, side="right"))
                parts.append(self._rows(uid, returns[:end], horizon, quantiles))
                cuts.append(ds[end - 1])
                future.append(future_ds(ds[end - 1], horizon, step))
        out = pd.concat(parts, ignore_index=True)
        out.insert(1, "cutoff", np.repeat(np.asarray(cuts), horizon))
        out.insert(2, DS, np.concatenate(future))
        out.insert(4, "model", self.name)
        return out


def _seed(seed: int | None) -> int:
    return 0 if seed is None else int(seed) % 2**32
