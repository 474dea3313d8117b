"""LightGBM forecaster: gradient-boosted trees on lag features of a stationary target, global by default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from tsbench.errors import ConfigError, DataError, PluginError
from tsbench.forecasters.lightgbm.features import (
    FeatureSpec,
    calendar_features,
    gather,
    lag_windows,
    parse_calendar,
    parse_lags,
    parse_rolling,
    window_features,
)
from tsbench.forecasters.lightgbm.columns import categorical_features, covariate_columns, feature_names
from tsbench.forecasters.lightgbm.params import booster_params, check_forecaster_params
from tsbench.forecasters.lightgbm.arrays import (
    PanelArrays,
    anchor_positions,
    check_levels,
    future_dates,
    known_after,
    last_positions,
    panel_arrays,
)
from tsbench.forecasters.base import BaseForecaster
from tsbench.panel import DS, ID
from tsbench.forecasters.lightgbm.transforms import inverse

__all__ = ["LightGBMForecaster"]


class LightGBMForecaster(BaseForecaster):
    """Gradient-boosted trees on lags of a stationary target, one model over all series.

    The target of each series is first transformed (``difference`` by default)
    and, with ``scale="std"``, divided by its standard deviation so that series
    of different volatility share one model. Features are lags, rolling
    statistics of the lagged target, calendar features of the forecast date,
    and user covariates. ``recursive`` fits one model and feeds its forecasts
    back as lags; ``direct`` fits one model per step ahead.

    Parameters
    ----------
    lags : int or list of int
        ``n`` for lags 1..n, or the lags themselves.
    rolling : dict, optional
        Rolling statistics of the lagged target, e.g. ``{"mean": [5, 20], "std": [20]}``.
    calendar : list of str, optional
        Calendar features of the forecast date (needs timestamps), e.g. ``["dayofweek", "month"]``.
    transform : {"difference", "log_return", "return", "none"}
        Target transform, inverted exactly after prediction.
    scale : {"std", "none"}
        Divide each series' target by its standard deviation up to the cutoff.
    strategy : {"recursive", "direct"}
        Multi-step strategy.
    global_model : bool
        One model for all series (config key ``global``); False fits one per series.
    horizon : int, optional
        Steps the direct strategy fits models for at ``fit``; when None they are
        fitted, from the stored training data, the first time a horizon is asked for.
    known_covariates, past_covariates : list of str
        Panel columns known for the forecast dates (read at the target's row,
        after the cutoff) or only up to the cutoff (read through ``covariate_lags``).
        For covariates given from Python; covariates declared for the forecaster
        (its ``covariates`` attribute, set from the experiment file) are read by
        their declared kind instead, and giving both is a ``ConfigError``.
    covariate_lags : int or list of int
        Lags of the past covariates, counted from the forecast target. Lag ``L``
        of the target ``h`` steps after a cutoff is the row ``h - L`` after it;
        rows after the cutoff are never read (the cutoff's value is repeated).
    n_estimators, learning_rate, num_leaves, min_data_in_leaf : LightGBM settings.
    lgb_params : dict, optional
        Any other LightGBM parameter by its LightGBM name (e.g. ``{"max_bin": 63}``).
    num_threads : int
        Threads LightGBM uses (0: its default).
    reuse_bins : bool
        Let later fits of the same instance (the backtest's refits) reuse the
        feature bin boundaries LightGBM found at the first fit, instead of
        binning again: faster refits, with bins drawn from the earlier data.
    seed : int, optional
        Random seed; the runner sets it to the experiment's seed when None.
    """

    tags: ClassVar = {"global": True, "batch_origins": True, "min_train_size": 2,
                      "covariates": ("past", "known", "static"), "categorical_covariates": True}
    name = "lightgbm"
    #: Configuration keys that are Python keywords, mapped to the constructor's names.
    param_aliases: ClassVar[dict[str, str]] = {"global": "global_model"}

    def __init__(
        self,
        lags: int | Sequence[int] = 10,
        rolling: dict | None = None,
        calendar: Sequence[str] | None = None,
        transform: str = "difference",
        scale: str = "std",
        strategy: str = "recursive",
        global_model: bool = True,
        horizon: int | None = None,
        known_covariates: Sequence[str] = (),
        past_covariates: Sequence[str] = (),
        covariate_lags: int | Sequence[int] = 1,
        n_estimators: int = 100,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_data_in_leaf: int = 50,
        lgb_params: dict | None = None,
        num_threads: int = 1,
        reuse_bins: bool = False,
        seed: int | None = None,
    ) -> None:
        self.lags = lags
        self.rolling = rolling
        self.calendar = calendar
        self.transform = transform
        self.scale = scale
        self.strategy = strategy
        self.global_model = global_model
        self.horizon = horizon
        self.known_covariates = known_covariates
        self.past_covariates = past_covariates
        self.covariate_lags = covariate_lags
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_data_in_leaf = min_data_in_leaf
        self.lgb_params = lgb_params
        self.num_threads = num_threads
        self.reuse_bins = reuse_bins
        self.seed = seed

    def check_params(self) -> None:
        """Raise ``ValueError`` for parameter values that cannot work, ``PluginError`` without lightgbm."""
        try:
            import lightgbm  # noqa: F401
        except ImportError:
            raise PluginError(
                "the 'lightgbm' forecaster needs the lightgbm package, which is not installed. "
                "Install it with: pip install 'tsbench[lightgbm]'"
            ) from None
        check_forecaster_params(self.get_params())
        covariate_columns(self.get_params(), self.covariates)

    # -- fit ---------------------------------------------------------------------------
    def _fit(self, train: pd.DataFrame) -> None:
        try:
            self.check_params()
        except ValueError as exc:
            raise ConfigError(f"{type(self).__name__}: {exc}") from None
        self.spec_ = FeatureSpec(parse_lags(self.lags), parse_rolling(self.rolling))
        self.calendar_ = parse_calendar(self.calendar)
        self.covariate_lags_ = parse_lags(self.covariate_lags)
        self.columns_ = covariate_columns(self.get_params(), self.covariates)
        self.feature_names_ = self._feature_names()
        self.params_ = booster_params(self.get_params())
        frame = self._arrays(train)
        self.boosters_: dict[tuple[object, int], object] = {}
        if not self.reuse_bins or not hasattr(self, "bins_"):
            self.bins_: dict[tuple[object, int], object] = {}  # kept across refits only with reuse_bins
        # the direct strategy may fit more steps later, from the training data only
        self.train_ = frame if self.strategy == "direct" else None
        steps = 1 if self.strategy == "recursive" else int(self.horizon or 0)
        self.steps_ = 0
        for h in range(1, steps + 1):
            self._fit_step(frame, h)

    def _fit_step(self, fr: PanelArrays, h: int) -> None:
        import lightgbm as lgb

        width = self.spec_.width
        rows = np.arange(len(fr.y))
        anchors = rows[(rows + h <= fr.ends) & (rows - width + 1 >= fr.starts)]
        scale = self._scale(fr, fr.ends)  # each series' own scale over its whole training part
        windows = lag_windows(fr.z, anchors, fr.starts[anchors], width) / scale[anchors, None]
        target = fr.z[anchors + h] / scale[anchors]
        X = self._design(fr, anchors, windows, fr.ds[anchors + h], fr.known[anchors + h], shift=0)
        keep = np.isfinite(windows).all(axis=1) & np.isfinite(target)
        X, target, groups = X[keep], target[keep], fr.ids[anchors[keep]]
        keys = [None] if self.global_model else list(pd.unique(fr.ids))
        for key in keys:
            mask = np.ones(len(target), dtype=bool) if key is None else groups == key
            if not mask.any():
                who = "any series" if key is None else f"series '{key}'"
                raise DataError(
                    f"{type(self).__name__}: no training rows for step {h} in {who}: a row needs "
                    f"{width} earlier values of the transformed target. Use a longer history or "
                    "fewer/smaller lags and rolling windows."
                )
            reference = self.bins_.get((key, h)) if self.reuse_bins else None
            categorical = categorical_features(self.columns_, self.covariate_lags_)
            data = lgb.Dataset(X[mask], target[mask], feature_name=self.feature_names_, params=self.params_,
                               reference=reference, **({"categorical_feature": categorical} if categorical else {}))
            # keeping the training booster skips a save/load round trip of the model text on every fit
            self.boosters_[(key, h)] = lgb.train(
                self.params_, data, num_boost_round=int(self.n_estimators), keep_training_booster=True
            )
            if self.reuse_bins and reference is None:
                self.bins_[(key, h)] = data
        self.steps_ = max(self.steps_, h)

    def _ensure_steps(self, horizon: int) -> None:
        for h in range(self.steps_ + 1, horizon + 1):
            self._fit_step(self.train_, h)

    # -- predict -----------------------------------------------------------------------
    def _predict(
        self, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...], future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Point forecasts past the end of each series.

        ``future`` holds the values of the known covariates after the end of
        each series (``unique_id``, ``ds`` and those columns, one row per step).
        """
        fr = self._arrays(context, future)
        anchors = last_positions(fr)
        levels = self._forecast(fr, anchors, horizon)
        raw = pd.DataFrame(
            {ID: np.repeat(fr.ids[anchors], horizon), "h": np.tile(np.arange(1, horizon + 1), len(anchors)),
             "y_pred": levels.ravel()}
        )
        return raw

    def _predict_origins(
        self,
        history: pd.DataFrame,
        cutoffs: pd.DataFrame,
        horizon: int,
        quantiles: tuple[float, ...],
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast at many cutoffs of each series in one pass over all of them.

        The features at a cutoff are built from rows at or before it only;
        known covariates are read from the rows after it (from ``history``,
        then ``future``).
        """
        fr = self._arrays(history, future, strict=False)  # rows after the last cutoff are never read
        anchors = anchor_positions(fr, cutoffs)
        check_levels(fr, anchors, self.transform)
        levels = self._forecast(fr, anchors, horizon)
        dates = future_dates(fr, anchors, horizon)
        out = pd.DataFrame(
            {
                ID: np.repeat(fr.ids[anchors], horizon),
                "cutoff": np.repeat(fr.ds[anchors], horizon),
                DS: dates.ravel(),
                "h": np.tile(np.arange(1, horizon + 1), len(anchors)),
                "model": self.name,
                "y_pred": levels.ravel(),
            }
        )
        return out.sort_values([ID, "cutoff", "h"], kind="stable").reset_index(drop=True)

    def _forecast(self, fr: PanelArrays, anchors: np.ndarray, horizon: int) -> np.ndarray:
        """Levels forecast at each anchor row, shape ``(len(anchors), horizon)``."""
        if self.strategy == "direct":
            self._ensure_steps(horizon)
        width = self.spec_.width
        scale = self._scale(fr, anchors)
        windows = lag_windows(fr.z, anchors, fr.starts[anchors], width) / scale[:, None]
        dates = future_dates(fr, anchors, horizon) if self.calendar_ else None
        known = self._known(fr, anchors, horizon)  # (n, horizon, n_known)
        groups = fr.ids[anchors]
        steps = np.full((len(anchors), horizon), np.nan)
        if self.strategy == "recursive":
            buffer = np.hstack([windows, steps])  # (n, K + horizon): history, then forecasts
            for h in range(1, horizon + 1):
                day = None if dates is None else dates[:, h - 1]
                X = self._design(fr, anchors, buffer[:, h - 1 : h - 1 + width], day, known[:, h - 1], shift=h - 1)
                buffer[:, width + h - 1] = self._predict_step(X, groups, 1)
            steps = buffer[:, width:]
        else:
            for h in range(1, horizon + 1):
                day = None if dates is None else dates[:, h - 1]
                X = self._design(fr, anchors, windows, day, known[:, h - 1], shift=0)
                steps[:, h - 1] = self._predict_step(X, groups, h)
        return inverse(steps * scale[:, None], fr.y[anchors], self.transform)

    def _known(self, fr: PanelArrays, anchors: np.ndarray, horizon: int) -> np.ndarray:
        try:
            return known_after(fr, anchors, horizon)
        except DataError as exc:
            raise DataError(f"{type(self).__name__} '{self.name}': {exc}") from None

    def _predict_step(self, X: np.ndarray, groups: np.ndarray, h: int) -> np.ndarray:
        if self.global_model:
            return self.boosters_[(None, h)].predict(X, num_threads=int(self.num_threads))
        out = np.empty(len(X))
        for key in pd.unique(groups):
            booster = self.boosters_.get((key, h))
            if booster is None:
                raise DataError(
                    f"{type(self).__name__} with global: false was not fitted on series '{key}'; "
                    "per-series models forecast only the series seen in fit (use global: true)."
                )
            mask = groups == key
            out[mask] = booster.predict(X[mask], num_threads=int(self.num_threads))
        return out

    # -- features ------------------------------------------------------------------------
    def _feature_names(self) -> list[str]:
        names = list(self.spec_.names) + [f"cal_{c}" for c in self.calendar_]
        return names + feature_names(self.columns_, self.covariate_lags_)

    def _design(self, fr, anchors, windows, dates, known, shift: int) -> np.ndarray:
        """Feature matrix for targets ``shift + 1`` steps after ``anchors``.

        Past covariates are read at their lags from the target, but never after
        the anchor: steps beyond it repeat the last value seen. Static ones are
        read at the anchor.
        """
        parts = [window_features(windows, self.spec_)]
        if self.calendar_:
            parts.append(calendar_features(dates, self.calendar_))
        if fr.known.shape[1]:
            parts.append(known)
        if fr.past.shape[1]:
            lags = np.asarray(self.covariate_lags_)
            pos = np.minimum(anchors[:, None] + shift + 1 - lags[None, :], anchors[:, None])
            for j in range(fr.past.shape[1]):
                parts.append(gather(fr.past[:, j], pos, fr.starts[anchors, None]))
        if fr.static is not None and fr.static.shape[1]:
            parts.append(fr.static[anchors])
        return np.column_stack(parts)

    def _scale(self, fr: PanelArrays, anchors: np.ndarray) -> np.ndarray:
        """Standard deviation of the target from each anchor's series start up to the anchor."""
        if self.scale == "none":
            return np.ones(len(anchors))
        valid = np.isfinite(fr.z) & fr.observed
        z = np.where(valid, fr.z, 0.0)
        # running sums restart at each series, so no other series' values enter, even by rounding
        sums = pd.DataFrame({"n": valid.astype(float), "s1": z, "s2": z * z}).groupby(fr.starts).cumsum()
        n, s1, s2 = (sums[c].to_numpy()[anchors] for c in ("n", "s1", "s2"))
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (s2 - s1 * s1 / n) / (n - 1)
            sd = np.sqrt(var)
        return np.where((n >= 2) & np.isfinite(sd) & (sd > 0), sd, 1.0)

    def _arrays(self, panel: pd.DataFrame, future: pd.DataFrame | None = None, strict: bool = True) -> PanelArrays:
        if self.calendar_ and not pd.api.types.is_datetime64_any_dtype(panel[DS]):
            raise DataError(
                f"{type(self).__name__}: calendar features {list(self.calendar_)} need timestamps in 'ds', "
                f"got dtype {panel[DS].dtype}; drop 'calendar' for integer-indexed series."
            )
        try:
            cols = self.columns_
            return panel_arrays(panel, self.transform, list(cols.known), list(cols.past), future, strict,
                                static=list(cols.static))
        except DataError as exc:
            raise DataError(f"{type(self).__name__} '{self.name}': {exc}") from None
