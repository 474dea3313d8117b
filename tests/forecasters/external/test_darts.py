"""Darts models as tsbench forecasters: local and global, same numbers as Darts' own fit/predict."""

import numpy as np
import pytest

pytest.importorskip("darts")
pytest.importorskip("pytorch_lightning")

from darts import TimeSeries  # noqa: E402
from darts.models import ARIMA, ExponentialSmoothing, NBEATSModel  # noqa: E402

from tsbench.errors import ConfigError  # noqa: E402
from tsbench.forecasters.external.darts import QUIET_TRAINER  # noqa: E402
from tsbench.forecasters.registry import make_forecaster, resolve  # noqa: E402
from tsbench.panel import ID, Y  # noqa: E402
from tsbench.testing import check_forecaster, synthetic_panel  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")

NBEATS = {"input_chunk_length": 10, "output_chunk_length": 5, "num_stacks": 1, "num_blocks": 1,
          "layer_widths": 16, "n_epochs": 2, "batch_size": 32}
#: A representative set: local smoothing (probabilistic), ARIMA (forecasts new data with fixed
#: parameters), a baseline, theta, and two global models (a regression and N-BEATS).
MODELS = {
    "ExponentialSmoothing": {"trend": None, "seasonal": None},
    "ARIMA": {"p": 1, "d": 1, "q": 0},
    "NaiveDrift": {},
    "Theta": {},
    "LinearRegressionModel": {"lags": 5},
    "NBEATSModel": NBEATS,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_darts_models_pass_conformance(name):
    report = check_forecaster(make_forecaster("m", f"darts:{name}", MODELS[name]))
    assert report.passed, str(report)


def _ts(panel, uid="s0", end=None):
    return TimeSeries.from_values(panel.loc[panel[ID] == uid, Y].to_numpy(dtype=np.float64)[:end])


def test_tags_say_which_models_are_global_and_probabilistic():
    assert resolve("darts:NBEATSModel").all_tags()["global"]
    assert not resolve("darts:ExponentialSmoothing").all_tags()["global"]
    assert resolve("darts:ExponentialSmoothing").all_tags()["quantiles"]
    assert not resolve("darts:NBEATSModel").all_tags()["quantiles"]
    assert "n_epochs" in resolve("darts:NBEATSModel").param_names()  # a torch model's **kwargs, named


def test_a_local_model_forecasts_as_darts_fit_and_predict():
    panel = synthetic_panel(2, 130, seed=11)
    out = make_forecaster("m", "darts:ExponentialSmoothing", MODELS["ExponentialSmoothing"]).fit(panel).predict(panel, 4)
    for uid in ("s0", "s1"):
        own = ExponentialSmoothing(trend=None, seasonal=None)
        own.fit(_ts(panel, uid))
        np.testing.assert_allclose(out.loc[out[ID] == uid, "y_pred"], own.predict(4).values().ravel(), atol=1e-8)


def test_arima_forecasts_a_later_origin_with_the_fitted_parameters():
    panel = synthetic_panel(1, 150, seed=12)
    model = make_forecaster("m", "darts:ARIMA", MODELS["ARIMA"]).fit(panel.iloc[:110])
    got = model.predict(panel.iloc[:130], 3)["y_pred"].to_numpy()
    own = ARIMA(p=1, d=1, q=0)
    own.fit(_ts(panel, end=110))
    np.testing.assert_allclose(got, own.predict(3, series=_ts(panel, end=130)).values().ravel(), atol=1e-8)


def test_a_global_model_is_trained_once_on_all_series_and_predicts_any_context():
    panel = synthetic_panel(3, 120, seed=13)
    train = panel[panel.groupby(ID).cumcount() < 100]
    model = make_forecaster("m", "darts:NBEATSModel", {**NBEATS, "random_state": 5}).fit(train)
    got = model.predict(panel, 5)
    own = NBEATSModel(**NBEATS, random_state=5, pl_trainer_kwargs=dict(QUIET_TRAINER))
    own.fit([_ts(train, u) for u in ("s0", "s1", "s2")], verbose=False)
    want = own.predict(5, series=[_ts(panel, u) for u in ("s0", "s1", "s2")], verbose=False)
    np.testing.assert_allclose(got["y_pred"], np.concatenate([w.values().ravel() for w in want]), atol=1e-6)


def test_quantiles_of_a_probabilistic_local_model_are_ordered():
    panel = synthetic_panel(1, 130, seed=14)
    out = make_forecaster("m", "darts:ExponentialSmoothing", MODELS["ExponentialSmoothing"]).fit(panel).predict(
        panel, 5, quantiles=(0.1, 0.5, 0.9)
    )
    values = out[["q_0.1", "q_0.5", "q_0.9"]].to_numpy()
    assert (np.diff(values, axis=1) > 0).all()
    assert np.abs(out["q_0.5"] - out["y_pred"]).max() < 0.2 * np.abs(out["q_0.9"] - out["q_0.1"]).min()


def test_errors_name_the_unknown_class_and_the_bad_parameter():
    with pytest.raises(ConfigError, match="unknown darts model 'NBeats'"):
        make_forecaster("m", "darts:NBeats")
    with pytest.raises(ConfigError, match="has no parameter.*'epochs'"):
        make_forecaster("m", "darts:NBEATSModel", {**NBEATS, "epochs": 3})
    with pytest.raises(ConfigError, match="needs parameter.*input_chunk_length"):
        make_forecaster("m", "darts:NBEATSModel", {"output_chunk_length": 5})
