"""LSTM and Transformer forecasters: contract, determinism, learning, quantiles, warm refits."""

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from tsbench.errors import ConfigError, DataError  # noqa: E402
from tsbench.forecasters.neural.lstm import LSTMForecaster  # noqa: E402
from tsbench.forecasters.neural.transformer import TransformerForecaster  # noqa: E402
from tsbench.forecasters.registry import make_forecaster  # noqa: E402
from tsbench.testing import check_forecaster, synthetic_panel  # noqa: E402

TINY = {
    "lstm": lambda **kw: LSTMForecaster(**{"input_size": 16, "hidden_size": 8, "max_steps": 20, "batch_size": 16, **kw}),
    "transformer": lambda **kw: TransformerForecaster(
        **{"input_size": 16, "hidden_size": 8, "num_heads": 2, "patch_len": 4, "max_steps": 20, "batch_size": 16, **kw}
    ),
}
MODELS = list(TINY)


def sine_panel(n_series=2, length=240):
    t = np.arange(length)
    return pd.concat(
        [pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": np.sin(2 * np.pi * t / 20 + i)}) for i in range(n_series)],
        ignore_index=True,
    )


def ar1_panel(phi, n_series=4, length=400, seed=1):
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        e = rng.normal(0, 1, length)
        y = np.zeros(length)
        for t in range(1, length):
            y[t] = phi * y[t - 1] + e[t]
        frames.append(pd.DataFrame({"unique_id": f"a{i}", "ds": np.arange(length), "y": y}))
    return pd.concat(frames, ignore_index=True)


def rolling_forecasts(model, panel, first, horizon):
    """Fit on ds < first, then forecast every later origin in one predict_origins call."""
    model.fit(panel[panel["ds"] < first])
    n = panel.groupby("unique_id").size().min()
    cutoffs = pd.DataFrame(
        [(uid, c) for uid in panel["unique_id"].unique() for c in range(first - 1, n - horizon)],
        columns=["unique_id", "cutoff"],
    )
    fc = model.predict_origins(panel, cutoffs, horizon)
    return fc.merge(panel, on=["unique_id", "ds"])


@pytest.mark.parametrize("name", MODELS)
def test_conformance(name):
    report = check_forecaster(TINY[name]())
    assert report.passed, str(report)


@pytest.mark.parametrize("name", MODELS)
def test_training_is_deterministic_under_a_seed(name):
    panel = synthetic_panel(3, 100)
    a = TINY[name](seed=7).fit(panel).predict(panel, 4, quantiles=(0.1, 0.9))
    b = TINY[name](seed=7).fit(panel).predict(panel, 4, quantiles=(0.1, 0.9))
    c = TINY[name](seed=8).fit(panel).predict(panel, 4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["y_pred"], c["y_pred"])


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_learns_a_clean_sine_wave(name):
    model = TINY[name](input_size=32, hidden_size=16, max_steps=300, learning_rate=3e-3, horizon=5, quantiles=())
    fc = rolling_forecasts(model, sine_panel(), first=200, horizon=5)
    mae = np.mean(np.abs(fc["y"] - fc["y_pred"]))
    panel = sine_panel().set_index(["unique_id", "ds"])["y"]
    last = panel.reindex(pd.MultiIndex.from_frame(fc[["unique_id", "cutoff"]])).to_numpy()
    rw_mae = np.mean(np.abs(fc["y"] - last))
    assert mae < 0.05, f"MAE {mae:.4f} on a unit sine wave"
    assert mae < rw_mae / 10, f"MAE {mae:.4f}, random walk {rw_mae:.4f}"


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_learns_an_ar1_process(name):
    phi, horizon = 0.5, 3
    panel = ar1_panel(phi, n_series=8, length=700)
    model = TINY[name](input_size=32, hidden_size=16, max_steps=300, learning_rate=3e-3, horizon=horizon, quantiles=())
    fc = rolling_forecasts(model, panel, first=550, horizon=horizon)
    last = panel.set_index(["unique_id", "ds"])["y"].reindex(pd.MultiIndex.from_frame(fc[["unique_id", "cutoff"]])).to_numpy()
    optimal = last * phi ** fc["h"].to_numpy()
    mse = np.mean((fc["y"] - fc["y_pred"]) ** 2)
    mse_optimal = np.mean((fc["y"] - optimal) ** 2)
    mse_rw = np.mean((fc["y"] - last) ** 2)
    # instance normalisation hides the series' level, so the model can revert only towards
    # what its window shows; within 20% of the optimal forecast's error is the bar
    assert mse < 1.2 * mse_optimal, f"MSE {mse:.3f}, optimal AR(1) forecast {mse_optimal:.3f}"
    assert mse < 0.8 * mse_rw, f"MSE {mse:.3f}, random walk {mse_rw:.3f}"


@pytest.mark.parametrize("name", MODELS)
def test_untrained_model_is_the_random_walk(name):
    panel = synthetic_panel(2, 80)
    fc = TINY[name](max_steps=1, learning_rate=1e-9, quantiles=()).fit(panel).predict(panel, 3)
    last = panel.groupby("unique_id")["y"].last()
    np.testing.assert_allclose(fc["y_pred"], fc["unique_id"].map(last), rtol=0, atol=1e-6)


def test_predict_origins_matches_predict_at_each_cutoff():
    panel = synthetic_panel(2, 120)
    model = TINY["lstm"](horizon=3).fit(panel[panel.groupby("unique_id").cumcount() < 90])
    positions = [89, 95, 101, 110]
    cutoffs = pd.DataFrame(
        [(uid, g["ds"].iloc[p]) for uid, g in panel.groupby("unique_id") for p in positions], columns=["unique_id", "cutoff"]
    )
    batched = model.predict_origins(panel, cutoffs, 3, quantiles=(0.2, 0.8))
    for p in positions:
        ctx = panel[panel.groupby("unique_id").cumcount() <= p]
        one = model.predict(ctx, 3, quantiles=(0.2, 0.8))
        got = batched.merge(one[["unique_id", "cutoff", "h"]], on=["unique_id", "cutoff", "h"])
        np.testing.assert_allclose(got["y_pred"], one["y_pred"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(got["q_0.8"], one["q_0.8"], rtol=0, atol=1e-9)
        assert (got["ds"].to_numpy() == one["ds"].to_numpy()).all()


def test_quantiles_trained_interpolated_and_out_of_range():
    panel = synthetic_panel(2, 100)
    model = TINY["lstm"](quantiles=(0.1, 0.5, 0.9)).fit(panel)
    fc = model.predict(panel, 4, quantiles=(0.1, 0.3, 0.9))
    assert (fc["q_0.1"] <= fc["q_0.3"]).all() and (fc["q_0.3"] <= fc["q_0.9"]).all()
    assert (fc["q_0.1"] < fc["q_0.9"]).all()
    with pytest.raises(ValueError, match="trained for quantile levels"):
        model.predict(panel, 4, quantiles=(0.05,))
    no_q = TINY["lstm"](quantiles=()).fit(panel)
    with pytest.raises(ValueError, match="set the 'quantiles' parameter"):
        no_q.predict(panel, 2, quantiles=(0.5,))


def test_horizon_longer_than_trained_feeds_forecasts_back():
    panel = synthetic_panel(2, 100)
    model = TINY["transformer"](horizon=2, quantiles=(0.1, 0.9)).fit(panel)
    fc = model.predict(panel, 5, quantiles=(0.1, 0.9))
    assert len(fc) == 10 and np.isfinite(fc[["y_pred", "q_0.1", "q_0.9"]].to_numpy()).all()
    short = model.predict(panel, 2)
    np.testing.assert_allclose(fc[fc["h"] <= 2]["y_pred"], short["y_pred"])
    width = (fc["q_0.9"] - fc["q_0.1"]).to_numpy().reshape(2, 5)
    assert (width[:, 2:] >= width[:, 1:2] - 1e-12).all()


def test_refit_steps_continues_from_previous_weights():
    panel = synthetic_panel(2, 120)
    first = panel[panel.groupby("unique_id").cumcount() < 100]
    keep = TINY["lstm"](refit_steps=0).fit(first)
    before = keep.predict(panel, 3)
    keep.fit(panel)  # refit_steps=0: the weights stay, the context moves on
    assert keep.n_fits_ == 2
    pd.testing.assert_frame_equal(keep.predict(first, 3), TINY["lstm"](refit_steps=0).fit(first).predict(first, 3))
    pd.testing.assert_frame_equal(keep.predict(panel, 3), before)
    tuned = TINY["lstm"](refit_steps=5, early_stopping=0).fit(first)
    tuned.fit(panel)
    assert tuned.train_report_.steps == 5
    scratch = TINY["lstm"]().fit(first).fit(panel)
    pd.testing.assert_frame_equal(scratch.predict(panel, 3), TINY["lstm"]().fit(panel).predict(panel, 3))


def test_registry_names_and_parameter_errors():
    assert isinstance(make_forecaster("a", "lstm", {"max_steps": 5}), LSTMForecaster)
    assert isinstance(make_forecaster("b", "transformer", {"patch_len": 4}), TransformerForecaster)
    with pytest.raises(ConfigError, match="divisible"):
        make_forecaster("c", "transformer", {"hidden_size": 30, "num_heads": 4})
    with pytest.raises(ConfigError, match="input_size"):
        make_forecaster("d", "lstm", {"input_size": 0})


def test_series_without_any_finite_window_is_a_data_error():
    panel = synthetic_panel(1, 30)
    panel["y"] = np.nan
    with pytest.raises(DataError, match="input_size"):
        TINY["lstm"]().fit(panel)
