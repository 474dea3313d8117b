"""DLinear, NLinear, PatchTST, N-HiTS and iTransformer: they learn, are seeded, start at the random walk."""

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from tsbench.errors import DataError  # noqa: E402
from tsbench.forecasters.registry import make_forecaster  # noqa: E402
from tsbench.testing import synthetic_panel  # noqa: E402

#: Small versions of each model: a few thousand weights, trained for a few hundred steps.
TINY = {
    "dlinear": {"kernel_size": 5},
    "nlinear": {},
    "patchtst": {"patch_len": 8, "stride": 4, "hidden_size": 16, "num_heads": 2, "num_layers": 1, "d_ff": 32,
                 "dropout": 0.0},
    "nhits": {"hidden_size": 32, "pool_sizes": [2, 1], "downsample": [2, 1]},
    "itransformer": {"hidden_size": 32, "num_heads": 2, "num_layers": 1, "d_ff": 32, "dropout": 0.0,
                     "learning_rate": 3e-3},
}
MODELS = list(TINY)


def tiny(name, **kw):
    params = {"input_size": 32, "max_steps": 300, "batch_size": 32, "learning_rate": 3e-3, "quantiles": (),
              **TINY[name], **kw}
    return make_forecaster(name, name, params)


def sine_panel(n_series=2, length=300):
    t = np.arange(length)
    frames = [pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": np.sin(2 * np.pi * t / 20 + i)}) for i in range(n_series)]
    return pd.concat(frames, ignore_index=True)


def ar2_panel(n_series=3, length=600, seed=2):
    """y_t = 0.5 y_{t-1} - 0.5 y_{t-2} + e_t: oscillating, so the random walk is far from the best forecast."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        e, y = rng.normal(0, 1, length), np.zeros(length)
        for t in range(2, length):
            y[t] = 0.5 * y[t - 1] - 0.5 * y[t - 2] + e[t]
        frames.append(pd.DataFrame({"unique_id": f"a{i}", "ds": np.arange(length), "y": y}))
    return pd.concat(frames, ignore_index=True)


def mse_vs_random_walk(model, panel, first, horizon):
    """Fit on ds < first, forecast every later origin in one call; the model's MSE and the random walk's."""
    model.fit(panel[panel["ds"] < first])
    n = panel.groupby("unique_id").size().min()
    cutoffs = pd.DataFrame([(u, c) for u in panel["unique_id"].unique() for c in range(first - 1, n - horizon)],
                           columns=["unique_id", "cutoff"])
    fc = model.predict_origins(panel, cutoffs, horizon).merge(panel, on=["unique_id", "ds"])
    last = panel.set_index(["unique_id", "ds"])["y"].reindex(pd.MultiIndex.from_frame(fc[["unique_id", "cutoff"]]))
    return np.mean((fc["y"] - fc["y_pred"]) ** 2), np.mean((fc["y"] - last.to_numpy()) ** 2)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_learns_a_noiseless_sine(name):
    mse, rw = mse_vs_random_walk(tiny(name, horizon=5), sine_panel(), first=240, horizon=5)
    assert mse < 0.05 * rw, (mse, rw)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_learns_an_ar2_process(name):
    mse, rw = mse_vs_random_walk(tiny(name, horizon=3), ar2_panel(), first=450, horizon=3)
    assert mse < 0.6 * rw, (mse, rw)  # the best forecast's MSE is about 0.37x the random walk's here


@pytest.mark.parametrize("name", MODELS)
def test_training_is_deterministic_under_a_seed(name):
    panel = synthetic_panel(3, 100)
    a = tiny(name, max_steps=20, seed=7, quantiles=None).fit(panel).predict(panel, 4, quantiles=(0.1, 0.9))
    b = tiny(name, max_steps=20, seed=7, quantiles=None).fit(panel).predict(panel, 4, quantiles=(0.1, 0.9))
    c = tiny(name, max_steps=20, seed=8).fit(panel).predict(panel, 4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["y_pred"], c["y_pred"])


@pytest.mark.parametrize("name", MODELS)
def test_untrained_model_is_the_random_walk(name):
    panel = synthetic_panel(2, 80)
    out = tiny(name, max_steps=1, learning_rate=1e-12).fit(panel).predict(panel, 3)
    last = panel.groupby("unique_id")["y"].last()
    np.testing.assert_allclose(out["y_pred"], out["unique_id"].map(last), rtol=1e-6, atol=1e-6)


def test_itransformer_mixes_aligned_channels_and_needs_them_all_at_predict():
    panel = synthetic_panel(3, 100)
    model = tiny("itransformer", max_steps=5).fit(panel)
    assert model.channels_ == ["s0", "s1", "s2"]
    with pytest.raises(DataError, match="fitted on the channels"):
        model.predict(panel[panel["unique_id"] != "s1"], 2)
    # series observed at different times are not channels: each is forecast alone
    shifted = panel.assign(ds=panel["ds"] + pd.to_timedelta(np.where(panel["unique_id"] == "s2", 1, 0), "D"))
    assert tiny("itransformer", max_steps=5).fit(shifted).channels_ is None


def test_itransformer_forecasts_a_channel_from_another():
    """Channel b is channel a three steps later: only a model that mixes channels can see it coming."""
    rng = np.random.default_rng(0)
    a = np.cumsum(rng.normal(0, 1, 603))
    t = np.arange(600)
    panel = pd.concat([pd.DataFrame({"unique_id": "a", "ds": t, "y": a[3:]}),
                       pd.DataFrame({"unique_id": "b", "ds": t, "y": a[:600]})], ignore_index=True)
    model = tiny("itransformer", horizon=3, max_steps=400, input_size=16)
    fc = model.fit(panel[panel["ds"] < 500]).predict(panel[panel["ds"] < 550], 3)
    b = fc[fc["unique_id"] == "b"]["y_pred"].to_numpy()
    actual = a[550:553]  # b at t = 550, 551, 552 is a at 547, 548, 549: visible in channel a
    assert np.abs(b - actual).mean() < 0.3 * np.abs(a[549] - actual).mean() + 0.05
