"""The LightGBM forecaster: hand-checked strategies, no look-ahead, exact inverses, covariates, config."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lightgbm")

from tsbench.experiment import parse_experiment  # noqa: E402
from tsbench.errors import ConfigError, DataError  # noqa: E402
from tsbench.forecasters.lightgbm.model import LightGBMForecaster  # noqa: E402
from tsbench.forecasters.registry import make_forecaster  # noqa: E402
from tsbench.testing import check_forecaster, synthetic_panel  # noqa: E402

#: One split on lag 1, fitted exactly: the tree returns the mean target of each side.
EXACT_TREE = {
    "lags": 1, "scale": "none", "n_estimators": 1, "learning_rate": 1.0, "num_leaves": 2,
    "min_data_in_leaf": 1, "lgb_params": {"min_sum_hessian_in_leaf": 0.0, "min_data_in_bin": 1},
}


def alternating_panel() -> pd.DataFrame:
    """Two series whose changes alternate 2.0, -0.5, 2.0, ... (series b starts on -0.5)."""
    frames = []
    for uid, phase, start in (("a", 0, 10.0), ("b", 1, 3.0)):
        changes = np.where((np.arange(31) + phase) % 2 == 0, 2.0, -0.5)
        y = start + np.r_[0.0, np.cumsum(changes)]
        frames.append(pd.DataFrame({"unique_id": uid, "ds": np.arange(32), "y": y}))
    return pd.concat(frames, ignore_index=True)


def hand_alternating(panel: pd.DataFrame, horizon: int) -> dict[str, np.ndarray]:
    """The rule by hand: the next change is the other of (2.0, -0.5); add changes to the last level."""
    out = {}
    for uid, g in panel.groupby("unique_id"):
        y = g["y"].to_numpy()
        change, level, path = y[-1] - y[-2], y[-1], []
        for _ in range(horizon):
            change = -0.5 if change == 2.0 else 2.0
            level += change
            path.append(level)
        out[uid] = np.array(path)
    return out


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
@pytest.mark.parametrize("global_model", [True, False])
def test_strategies_match_the_hand_computation(strategy, global_model):
    panel = alternating_panel()
    model = LightGBMForecaster(**EXACT_TREE, strategy=strategy, global_model=global_model, horizon=4).fit(panel)
    out = model.predict(panel, 4)
    for uid, expected in hand_alternating(panel, 4).items():
        got = out.loc[out["unique_id"] == uid, "y_pred"].to_numpy()
        # LightGBM sums gradients in single precision, so leaf values are exact to ~1e-8 only
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert len(model.boosters_) == (1 if strategy == "recursive" else 4) * (1 if global_model else 2)


def manual_features(window: list[float]) -> list[float]:
    """lags 1, 2, 4, rolling mean and std over 3, written out for one window."""
    last3 = np.array(window[-3:])
    return [window[-1], window[-2], window[-4], last3.mean(), last3.std(ddof=1)]


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_features_scaling_and_inverse_match_a_plain_reimplementation(strategy):
    panel = synthetic_panel(2, 90, seed=3)
    params = dict(lags=[1, 2, 4], rolling={"mean": [3], "std": [3]}, transform="log_return", scale="std",
                  strategy=strategy, n_estimators=5, min_data_in_leaf=10, seed=1)
    model = LightGBMForecaster(**params).fit(panel)
    out = model.predict(panel, 3)
    for uid, g in panel.groupby("unique_id"):
        y = g["y"].to_numpy()
        z = np.diff(np.log(y))
        sd = z.std(ddof=1)
        window = list(z / sd)
        changes = []
        for h in range(1, 4):
            if strategy == "recursive":
                step = model.boosters_[(None, 1)].predict(np.array([manual_features(window)]))[0]
                window.append(step)
            else:
                step = model.boosters_[(None, h)].predict(np.array([manual_features(window)]))[0]
            changes.append(step * sd)
        expected = y[-1] * np.exp(np.cumsum(changes))
        got = out.loc[out["unique_id"] == uid, "y_pred"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("transform", ["difference", "log_return", "return"])
def test_zero_change_model_returns_the_last_level_exactly(transform, monkeypatch):
    panel = synthetic_panel(3, 60, seed=5)
    model = LightGBMForecaster(lags=3, transform=transform, n_estimators=2, min_data_in_leaf=5).fit(panel)
    last = panel.groupby("unique_id")["y"].last()
    monkeypatch.setattr(model, "_predict_step", lambda X, groups, h: np.zeros(len(X)))
    out = model.predict(panel, 5)
    assert (out["y_pred"].to_numpy() == out["unique_id"].map(last).to_numpy()).all()
    cutoffs = pd.DataFrame({"unique_id": ["s0", "s2"], "cutoff": panel["ds"].iloc[[40, 40]].to_numpy()})
    batched = model.predict_origins(panel, cutoffs, 4)
    at_cut = panel[panel["ds"] == cutoffs["cutoff"].iloc[0]].set_index("unique_id")["y"]
    assert (batched["y_pred"].to_numpy() == batched["unique_id"].map(at_cut).to_numpy()).all()


def covariate_panel(n_series: int = 3, length: int = 160, seed: int = 0) -> pd.DataFrame:
    """Series whose change depends on a known-in-future column and on yesterday's signal."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        promo = rng.choice([-1.0, 1.0], length)
        signal = rng.normal(0, 1, length)
        change = 0.5 * promo + 0.3 * np.r_[0.0, signal[:-1]] + rng.normal(0, 0.05, length)
        frames.append(pd.DataFrame({
            "unique_id": f"c{i}", "ds": pd.bdate_range("2021-01-04", periods=length),
            "y": 50.0 + np.cumsum(change), "promo": promo, "signal": signal, "unused": 1.0,
        }))
    return pd.concat(frames, ignore_index=True)


LOOKAHEAD_CONFIGS = [
    dict(lags=5),
    dict(lags=[1, 3], rolling={"mean": [4], "std": [6]}, strategy="direct", horizon=3),
    dict(lags=4, global_model=False, calendar=["dayofweek", "month"], transform="log_return"),
    dict(lags=3, known_covariates=["promo"], past_covariates=["signal"], covariate_lags=[1, 2]),
    dict(lags=3, known_covariates=["promo"], past_covariates=["signal"], strategy="direct"),
]


@pytest.mark.parametrize("params", LOOKAHEAD_CONFIGS)
def test_features_at_a_cutoff_use_only_data_up_to_it(params):
    panel = covariate_panel()
    cut, horizon = 110, 4
    pos = panel.groupby("unique_id").cumcount().to_numpy()
    model = LightGBMForecaster(**params, n_estimators=10, min_data_in_leaf=10).fit(panel[pos <= cut])
    cutoffs = panel.loc[pos == cut, ["unique_id", "ds"]].rename(columns={"ds": "cutoff"})
    clean = model.predict_origins(panel, cutoffs, horizon)
    noisy = panel.copy()
    rng = np.random.default_rng(9)
    after = pos > cut
    noisy.loc[after, "y"] = noisy.loc[after, "y"] * 3 + rng.normal(0, 50, after.sum())
    noisy.loc[after, "signal"] = rng.normal(0, 100, after.sum())  # past-only: never read after the cutoff
    perturbed = model.predict_origins(noisy, cutoffs, horizon)
    np.testing.assert_array_equal(clean["y_pred"].to_numpy(), perturbed["y_pred"].to_numpy())
    future = panel[(pos > cut) & (pos <= cut + horizon)][["unique_id", "ds", "promo"]]
    single = model.predict(panel[pos <= cut], horizon, future=future)
    np.testing.assert_allclose(single["y_pred"].to_numpy(), clean["y_pred"].to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("params", LOOKAHEAD_CONFIGS[:3])
def test_batched_origins_equal_one_predict_per_origin(params):
    panel = covariate_panel(2, 140, seed=2)
    pos = panel.groupby("unique_id").cumcount().to_numpy()
    model = LightGBMForecaster(**params, n_estimators=10, min_data_in_leaf=10).fit(panel[pos <= 100])
    cut_pos = [100, 107, 121, 135]
    cutoffs = panel.loc[np.isin(pos, cut_pos), ["unique_id", "ds"]].rename(columns={"ds": "cutoff"})
    batched = model.predict_origins(panel, cutoffs, 3)
    assert len(batched) == len(cutoffs) * 3
    for k in cut_pos:
        one = model.predict(panel[pos <= k], 3)
        part = batched[batched["cutoff"] == panel["ds"].iloc[k]]
        np.testing.assert_allclose(part["y_pred"].to_numpy(), one["y_pred"].to_numpy(), rtol=0, atol=1e-12)
        assert (part["ds"].to_numpy() == one["ds"].to_numpy()).all()


def test_covariates_carry_their_signal():
    panel = covariate_panel(3, 200, seed=4)
    pos = panel.groupby("unique_id").cumcount().to_numpy()
    cut_pos = np.arange(150, 196, 3)
    cutoffs = panel.loc[np.isin(pos, cut_pos), ["unique_id", "ds"]].rename(columns={"ds": "cutoff"})
    actual = panel.set_index(["unique_id", "ds"])["y"]

    def mae(**params) -> float:
        model = LightGBMForecaster(lags=3, n_estimators=60, min_data_in_leaf=10, **params).fit(panel[pos <= 149])
        out = model.predict_origins(panel, cutoffs, 1)
        return float(np.mean(np.abs(out["y_pred"].to_numpy() - actual.loc[list(zip(out["unique_id"], out["ds"]))].to_numpy())))

    plain = mae()
    with_known = mae(known_covariates=["promo"])
    both = mae(known_covariates=["promo"], past_covariates=["signal"])
    assert with_known < 0.6 * plain
    assert both < 0.8 * with_known


def test_known_covariates_need_future_values():
    panel = covariate_panel(2, 80)
    model = LightGBMForecaster(lags=2, known_covariates=["promo"], n_estimators=5, min_data_in_leaf=5).fit(panel)
    with pytest.raises(DataError, match="future"):
        model.predict(panel, 3)
    with pytest.raises(DataError, match="not in the panel"):
        LightGBMForecaster(lags=2, past_covariates=["volume"]).fit(panel)


def test_per_series_models_refuse_unseen_series():
    panel = synthetic_panel(3, 80)
    model = make_forecaster("per_series", "lightgbm", {"global": False, "lags": 3, "n_estimators": 5})
    assert model.global_model is False
    model.fit(panel[panel["unique_id"] != "s2"])
    assert {key for key, _ in model.boosters_} == {"s0", "s1"}
    with pytest.raises(DataError, match="not fitted on series 's2'"):
        model.predict(panel, 2)


def test_seed_and_threads_give_reproducible_forecasts():
    panel = synthetic_panel(2, 120)
    bagging = {"bagging_fraction": 0.5, "bagging_freq": 1}

    def run(seed: int, threads: int) -> np.ndarray:
        model = LightGBMForecaster(lags=5, n_estimators=20, seed=seed, num_threads=threads, lgb_params=bagging)
        return model.fit(panel).predict(panel, 3)["y_pred"].to_numpy()

    np.testing.assert_array_equal(run(1, 1), run(1, 1))
    np.testing.assert_array_equal(run(1, 1), run(1, 2))
    assert not np.array_equal(run(1, 1), run(2, 1))


def test_config_keys_and_lightgbm_parameters_are_checked():
    base = {"name": "x", "data": [{"source": "builtin:sp500"}], "backtest": {"horizon": 2, "origins": 2}}

    def forecaster(params: dict) -> dict:
        return {**base, "forecasters": [{"name": "lgbm", "model": "lightgbm", "params": params}]}

    parse_experiment(forecaster({"global": False, "lags": [1, 5], "lgb_params": {"max_bin": 63, "lambda_l2": 1.0}}))
    for params, message in [
        ({"lgb_params": {"max_binz": 63}}, "unknown LightGBM parameter"),
        ({"lgb_params": {"n_estimators": 5}}, "n_estimators instead"),
        ({"lgb_params": {"nthread": 2}}, "num_threads instead"),
        ({"strategy": "multi-output"}, "strategy"),
        ({"global": False, "global_model": True}, "given twice"),
        ({"rolling": {"mean": [0]}}, "rolling"),
        ({"known_covariates": ["y"]}, "panel column"),
        ({"depth": 3}, "no parameter"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_experiment(forecaster(params))


def test_objective_override_under_an_alias_replaces_the_default():
    from tsbench.forecasters.lightgbm.params import booster_params

    params = booster_params({**LightGBMForecaster(lgb_params={"application": "huber"}).get_params()})
    assert params["application"] == "huber" and "objective" not in params


def test_too_short_history_is_a_data_error():
    panel = synthetic_panel(2, 8)
    with pytest.raises(DataError, match="no training rows"):
        LightGBMForecaster(lags=10).fit(panel)


@pytest.mark.parametrize(
    "params",
    [
        dict(n_estimators=20, min_data_in_leaf=10),
        dict(lags=[1, 2, 5], rolling={"mean": [5], "std": [5]}, strategy="direct", global_model=False,
             transform="log_return", n_estimators=10, min_data_in_leaf=10),
    ],
)
def test_conformance(params):
    report = check_forecaster(LightGBMForecaster(**params))
    assert report.passed, str(report)


def test_conformance_with_calendar_features_on_timestamps():
    report = check_forecaster(LightGBMForecaster(lags=3, calendar=["dayofweek"], n_estimators=10, min_data_in_leaf=10))
    failed = {r.name for r in report.failed}
    # calendar features need timestamps, by design: only the integer-ds output checks may fail
    assert failed and all(name.endswith("integer ds") for name in failed), str(report)


def test_runs_inside_a_backtest_cell_with_batched_origins():
    from tsbench.engine.origins import plan_backtest
    from tsbench.engine.cells import plan_cells, run_cell
    from tsbench.config import BacktestSpec

    panel = synthetic_panel(3, 150, seed=7)
    spec = BacktestSpec(horizon=3, origins=6, step=2, refit_every=3, min_train=60)
    plans = plan_backtest(panel, spec)
    model = make_forecaster("lgbm", "lightgbm", {"lags": 4, "n_estimators": 10, "min_data_in_leaf": 10})
    cells = plan_cells(panel, plans, [model], horizon=3, quantiles=(), seed=11)
    assert len(cells) == 1  # one global cell over all series
    result = run_cell(cells[0])
    assert result.error is None, result.traceback
    assert result.meta["n_fits"] == 2
    assert len(result.forecasts) == 3 * 6 * 3
    assert result.forecasts["y_pred"].notna().all()
    # the cell's forecasts equal a refit by hand at each block's first cutoff, seeded by the experiment
    first_cut = plans["s0"].cutoffs[0]
    pos = panel.groupby("unique_id").cumcount().to_numpy()
    again = LightGBMForecaster(lags=4, n_estimators=10, min_data_in_leaf=10, seed=11).fit(panel[pos <= first_cut])
    one = again.predict(panel[pos <= first_cut], 3)
    got = result.forecasts[result.forecasts["cutoff"] == panel["ds"].iloc[first_cut]].sort_values(["unique_id", "h"])
    np.testing.assert_allclose(got["y_pred"].to_numpy(), one["y_pred"].to_numpy(), rtol=0, atol=1e-12)


def test_reuse_bins_changes_only_refits_and_stays_reproducible():
    panel = synthetic_panel(2, 160, seed=8)
    pos = panel.groupby("unique_id").cumcount().to_numpy()

    def two_fits(reuse: bool) -> tuple[np.ndarray, np.ndarray]:
        model = LightGBMForecaster(lags=5, n_estimators=15, min_data_in_leaf=10, reuse_bins=reuse)
        first = model.fit(panel[pos < 100]).predict(panel[pos < 100], 3)["y_pred"].to_numpy()
        second = model.fit(panel).predict(panel, 3)["y_pred"].to_numpy()
        return first, second

    fresh, reused, again = two_fits(False), two_fits(True), two_fits(True)
    np.testing.assert_array_equal(fresh[0], reused[0])  # the first fit bins its own data either way
    np.testing.assert_array_equal(reused[1], again[1])
    np.testing.assert_allclose(reused[1], fresh[1], rtol=0, atol=0.5)


def test_missing_lightgbm_gives_an_install_hint(monkeypatch):
    import sys

    from tsbench.errors import PluginError

    monkeypatch.setitem(sys.modules, "lightgbm", None)  # makes "import lightgbm" fail
    with pytest.raises(PluginError, match=r"pip install 'tsbench\[lightgbm\]'"):
        make_forecaster("lgbm", "lightgbm", {"lags": 3})
