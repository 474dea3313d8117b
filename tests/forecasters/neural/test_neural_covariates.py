"""LSTM and Transformer with covariates: what they learn from them and that they never read ahead."""

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from tsbench.covariates import Covariates  # noqa: E402
from tsbench.errors import DataError  # noqa: E402
from tsbench.forecasters.neural.dlinear import DLinearForecaster  # noqa: E402
from tsbench.forecasters.neural.lstm import LSTMForecaster  # noqa: E402
from tsbench.forecasters.neural.transformer import TransformerForecaster  # noqa: E402

torch.set_num_threads(1)

TINY = {
    "lstm": lambda **kw: LSTMForecaster(**{"input_size": 16, "hidden_size": 8, "max_steps": 20, "batch_size": 16, **kw}),
    "transformer": lambda **kw: TransformerForecaster(
        **{"input_size": 16, "hidden_size": 8, "num_heads": 2, "patch_len": 4, "max_steps": 20, "batch_size": 16, **kw}
    ),
}
MODELS = list(TINY)
ALL = Covariates(past=("p",), known=("c",), static=("s",))
#: Learning runs: enough steps to learn a one-row lookup, a second or two each on one core.
LEARN = {"input_size": 16, "hidden_size": 16, "max_steps": 300, "batch_size": 32, "learning_rate": 3e-3,
         "quantiles": (), "seed": 0}


def with_covariates(model, covariates):
    """``model`` given ``covariates``, through ``use_covariates`` (which checks its tags) where it exists."""
    if hasattr(model, "use_covariates"):
        return model.use_covariates(covariates)
    model.covariates = covariates
    return model


def lagged_panel(k, lag, n_series=4, length=500, seed=0):
    """``y_t = x_{t-k}`` for iid noise ``x``; the past covariate ``a_t = x_{t-lag}`` (published ``lag`` rows late)."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n_series):
        x = rng.normal(size=length + 10)
        t = np.arange(length) + 10
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(length), "y": x[t - k], "a": x[t - lag]}))
    return pd.concat(parts, ignore_index=True)


def mixed_panel(n_series=2, length=120, seed=3):
    """A random walk with a past covariate ``p``, a known one ``c`` and a static one ``s``."""
    rng = np.random.default_rng(seed)
    parts = [pd.DataFrame({"unique_id": f"m{i}", "ds": np.arange(length), "y": np.cumsum(rng.normal(size=length)),
                           "p": rng.normal(size=length), "c": rng.normal(size=length), "s": float(i)})
             for i in range(n_series)]
    return pd.concat(parts, ignore_index=True)


def future_of(panel, steps, seed=4):
    """Known values of ``c`` for ``steps`` rows after each series' last row."""
    rng = np.random.default_rng(seed)
    last = panel.groupby("unique_id")["ds"].max()
    return pd.DataFrame([(u, d + j, rng.normal()) for u, d in last.items() for j in range(1, steps + 1)],
                        columns=["unique_id", "ds", "c"])


def cutoffs_at(panel, positions):
    return pd.DataFrame([(u, g["ds"].iloc[p]) for u, g in panel.groupby("unique_id") for p in positions],
                        columns=["unique_id", "cutoff"])


def mae_ratio(model, panel, first):
    """MAE of one-step forecasts from every origin after ``first``, over the random walk's."""
    model.fit(panel[panel["ds"] < first])
    n = panel.groupby("unique_id").size().min()
    cutoffs = cutoffs_at(panel, range(first - 1, n - 1))
    fc = model.predict_origins(panel, cutoffs, 1).merge(panel, on=["unique_id", "ds"])
    last = panel.set_index(["unique_id", "ds"])["y"].reindex(pd.MultiIndex.from_frame(fc[["unique_id", "cutoff"]]))
    return np.mean(np.abs(fc["y"] - fc["y_pred"])) / np.mean(np.abs(fc["y"] - last.to_numpy()))


@pytest.mark.slow
@pytest.mark.parametrize("name, k, lag", [("lstm", 2, 1), ("lstm", 3, 2), ("transformer", 2, 1), ("transformer", 3, 1)])
def test_a_covariate_published_in_time_forecasts_the_target(name, k, lag):
    model = with_covariates(TINY[name](**LEARN, horizon=1), Covariates(past=("a",)))
    ratio = mae_ratio(model, lagged_panel(k, lag), first=400)
    assert ratio < 0.4, f"MAE {ratio:.2f} x the random walk's with a_t = x_(t-{lag}) and y_t = x_(t-{k})"


@pytest.mark.slow
@pytest.mark.parametrize("name, k, lag", [("lstm", 2, 2), ("lstm", 2, 3), ("transformer", 2, 2)])
def test_a_covariate_published_too_late_does_not(name, k, lag):
    # the best forecast without x_(t+1-k) is its mean, 0.71 x the random walk's MAE; a model that read
    # the covariate one row ahead would forecast the target exactly
    model = with_covariates(TINY[name](**LEARN, horizon=1), Covariates(past=("a",)))
    ratio = mae_ratio(model, lagged_panel(k, lag), first=400)
    assert ratio > 0.6, f"MAE {ratio:.2f} x the random walk's although a_t = x_(t-{lag}) and y_t = x_(t-{k})"


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_known_covariates_forecast_a_target_they_drive(name):
    rng = np.random.default_rng(5)
    parts = []
    for i in range(4):
        c = rng.normal(size=500)
        parts.append(pd.DataFrame({"unique_id": f"k{i}", "ds": np.arange(500), "y": c + 0.1 * rng.normal(size=500),
                                   "c": c}))
    panel = pd.concat(parts, ignore_index=True)
    model = with_covariates(TINY[name](**LEARN, horizon=2), Covariates(known=("c",))).fit(panel[panel["ds"] < 400])
    fc = model.predict_origins(panel, cutoffs_at(panel, range(399, 498)), 2, future=future_of(panel, 0))
    fc = fc.merge(panel, on=["unique_id", "ds"])
    last = panel.set_index(["unique_id", "ds"])["y"].reindex(pd.MultiIndex.from_frame(fc[["unique_id", "cutoff"]]))
    ratio = np.mean(np.abs(fc["y"] - fc["y_pred"])) / np.mean(np.abs(fc["y"] - last.to_numpy()))
    assert ratio < 0.4, f"MAE {ratio:.2f} x the random walk's with y_t = c_t + noise, c known"


@pytest.mark.parametrize("name", MODELS)
def test_rows_after_a_cutoff_never_change_its_forecast(name):
    panel = mixed_panel()
    model = with_covariates(TINY[name](horizon=2, quantiles=(0.1, 0.9), seed=1), ALL).fit(panel[panel["ds"] < 80])
    cutoffs, horizon = cutoffs_at(panel, [79, 90, 100, 119]), 3  # 3 > the trained 2: forecasts are fed back
    future = future_of(panel, horizon)
    base = model.predict_origins(panel, cutoffs, horizon, quantiles=(0.1, 0.9), future=future)
    rng = np.random.default_rng(9)
    for cut in (79, 90, 100):
        changed, later = panel.copy(), future.copy()
        after = changed["ds"] > cut
        changed.loc[after, ["y", "p"]] = rng.normal(0, 100, (after.sum(), 2))
        changed.loc[after, "s"] = 99.0
        changed.loc[changed["ds"] > cut + horizon, "c"] = 1e3  # known values beyond this cutoff's horizon
        later["c"] = 1e3
        fc = model.predict_origins(changed, cutoffs, horizon, quantiles=(0.1, 0.9), future=later)
        mine = (fc["cutoff"] == cut).to_numpy()
        pd.testing.assert_frame_equal(fc[mine], base[mine], check_exact=True)
        assert not np.allclose(fc.loc[~mine, "y_pred"], base.loc[~mine, "y_pred"])  # later cutoffs see them


@pytest.mark.parametrize("name", MODELS)
def test_predict_origins_matches_predict_with_the_known_rows_ahead(name):
    panel = mixed_panel()
    model = with_covariates(TINY[name](horizon=2, seed=2), ALL).fit(panel[panel["ds"] < 80])
    future = future_of(panel, 2)
    batched = model.predict_origins(panel, cutoffs_at(panel, [85, 100, 119]), 2, future=future)
    for p in (85, 100, 119):
        ctx = panel[panel["ds"] <= p]
        ahead = pd.concat([panel[panel["ds"] > p][["unique_id", "ds", "c"]], future], ignore_index=True)
        one = model.predict(ctx, 2, future=ahead)
        got = batched.merge(one[["unique_id", "cutoff", "h"]], on=["unique_id", "cutoff", "h"])
        np.testing.assert_allclose(got["y_pred"], one["y_pred"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", MODELS)
def test_the_covariates_of_the_input_window_are_read(name):
    panel = mixed_panel()
    model = with_covariates(TINY[name](horizon=2, val_size=0.0), ALL).fit(panel)
    future = future_of(panel, 2)
    base = model.predict(panel, 2, future=future)
    recent, old = panel.copy(), panel.copy()
    recent.loc[recent["ds"] >= 110, "p"] += 3.0  # inside the 16-row input window
    old.loc[old["ds"] < 100, ["p", "y"]] += 3.0  # before it: not read
    assert not np.allclose(model.predict(recent, 2, future=future)["y_pred"], base["y_pred"])
    pd.testing.assert_frame_equal(model.predict(old, 2, future=future), base, check_exact=True)


@pytest.mark.parametrize("name", MODELS)
def test_known_covariates_within_the_horizon_change_the_forecast(name):
    panel = mixed_panel()
    model = with_covariates(TINY[name](horizon=2, val_size=0.0), Covariates(known=("c",))).fit(panel)
    future = future_of(panel, 4)
    base = model.predict(panel, 2, future=future)
    inside, beyond = future.copy(), future.copy()
    inside.loc[inside["ds"] == 121, "c"] += 3.0  # the second step ahead
    beyond.loc[beyond["ds"] > 121, "c"] += 3.0
    assert not np.allclose(model.predict(panel, 2, future=inside)["y_pred"], base["y_pred"])
    pd.testing.assert_frame_equal(model.predict(panel, 2, future=beyond), base, check_exact=True)


def test_missing_or_short_future_and_missing_columns_are_named_errors():
    panel = mixed_panel()
    model = with_covariates(TINY["lstm"](horizon=2), ALL).fit(panel)
    with pytest.raises(DataError, match="'future'"):
        model.predict(panel, 2)
    with pytest.raises(DataError, match="need values for 3 step"):
        model.predict(panel, 3, future=future_of(panel, 2))
    with pytest.raises(DataError, match="lacks covariate column"):
        with_covariates(TINY["lstm"](), ALL).fit(panel.drop(columns="p"))
    with pytest.raises(DataError, match="lacks covariate column"):
        model.predict(panel.drop(columns="s"), 2, future=future_of(panel, 2))


def test_changing_covariates_after_fit_asks_for_a_new_fit():
    panel = mixed_panel()
    model = with_covariates(TINY["lstm"](refit_steps=0), Covariates(past=("p",))).fit(panel)
    model.covariates = Covariates()
    with pytest.raises(ValueError, match="fit it again"):
        model.predict(panel, 2)
    model.covariates = ALL  # a new declaration trains from scratch, even with refit_steps
    model.fit(panel)
    assert model.n_fits_ == 1 and model.module_.lstm.input_size == 4
    assert model.predict(panel, 2, future=future_of(panel, 2))["y_pred"].notna().all()


def test_warm_refits_keep_the_first_fits_statistics():
    panel = mixed_panel()
    first = panel[panel["ds"] < 80]
    model = with_covariates(TINY["lstm"](refit_steps=3), ALL).fit(first)
    stats = model.covariate_stats_
    np.testing.assert_allclose(stats[0], first[["p", "c", "s"]].mean().to_numpy())
    model.fit(panel)
    assert model.n_fits_ == 2 and model.covariate_stats_ is stats


def test_tags_say_which_models_take_covariates():
    for cls in (LSTMForecaster, TransformerForecaster):
        tags = cls.all_tags()
        assert tags["covariates"] == ("past", "known", "static") and tags["batch_origins"] and tags["global"]
        assert cls.tags["quantiles"]  # read directly, too
    assert DLinearForecaster.all_tags()["covariates"] == ()
