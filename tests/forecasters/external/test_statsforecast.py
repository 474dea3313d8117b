"""statsforecast models as tsbench forecasters: same numbers as the library, its intervals as quantiles."""

import numpy as np
import pytest

pytest.importorskip("statsforecast")

from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import AutoARIMA, AutoETS  # noqa: E402

from tsbench.data.loader import load_panel  # noqa: E402
from tsbench.errors import ConfigError  # noqa: E402
from tsbench.forecasters.external.statsforecast import levels_for  # noqa: E402
from tsbench.forecasters.registry import make_forecaster  # noqa: E402
from tsbench.panel import DS, ID, Y  # noqa: E402
from tsbench.runner import run_experiment  # noqa: E402
from tsbench.testing import check_forecaster, synthetic_panel  # noqa: E402
from tests.helpers import experiment  # noqa: E402

#: A representative set, each with cheap parameters: automatic selection, smoothing, theta, baselines.
MODELS = {
    "AutoARIMA": {"max_p": 2, "max_q": 2, "season_length": 1},
    "AutoETS": {"season_length": 5},
    "AutoTheta": {},
    "SeasonalNaive": {"season_length": 5},
    "RandomWalkWithDrift": {},
    "WindowAverage": {"window_size": 10},
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_statsforecast_models_pass_conformance(name):
    report = check_forecaster(make_forecaster(name.lower(), f"statsforecast:{name}", MODELS[name]))
    assert report.passed, str(report)


def _series(panel, uid):
    return panel.loc[panel[ID] == uid, Y].to_numpy(dtype=float)


@pytest.mark.parametrize("library, params", [(AutoARIMA, {"season_length": 1}), (AutoETS, {"season_length": 5})])
def test_forecasts_equal_the_library_fit_and_predict(library, params):
    panel = synthetic_panel(2, 150, seed=3)
    model = make_forecaster("m", f"statsforecast:{library.__name__}", params).fit(panel)
    out = model.predict(panel, 6)
    for uid in ("s0", "s1"):
        own = library(**params).fit(y=_series(panel, uid)).predict(h=6)["mean"]
        np.testing.assert_allclose(out.loc[out[ID] == uid, "y_pred"], own, rtol=0, atol=1e-8)


def test_a_later_origin_is_forecast_with_forward_and_the_fitted_parameters():
    panel = synthetic_panel(1, 160, seed=4)
    train = panel.iloc[:120]
    model = make_forecaster("m", "statsforecast:AutoETS", {"season_length": 5}).fit(train)
    fitted = AutoETS(season_length=5).fit(y=train[Y].to_numpy())
    got = model.predict(panel.iloc[:140], 4)["y_pred"].to_numpy()
    np.testing.assert_allclose(got, fitted.forward(y=panel[Y].to_numpy()[:140], h=4)["mean"], atol=1e-8)
    refit = AutoETS(season_length=5).fit(y=panel[Y].to_numpy()[:140]).predict(h=4)["mean"]
    assert not np.allclose(got, refit)  # the parameters stayed those of the fit, not a new fit's


def test_quantiles_are_the_library_interval_bounds_and_ordered():
    panel = synthetic_panel(1, 150, seed=5)
    out = make_forecaster("m", "statsforecast:AutoARIMA", {"season_length": 1}).fit(panel).predict(
        panel, 5, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)
    )
    own = AutoARIMA(season_length=1).fit(y=panel[Y].to_numpy()).predict(h=5, level=[50, 90])
    np.testing.assert_allclose(out["q_0.05"], own["lo-90"], atol=1e-8)
    np.testing.assert_allclose(out["q_0.75"], own["hi-50"], atol=1e-8)
    np.testing.assert_allclose(out["q_0.5"], out["y_pred"], atol=1e-12)
    values = out[["q_0.05", "q_0.25", "q_0.5", "q_0.75", "q_0.95"]].to_numpy()
    assert (np.diff(values, axis=1) > 0).all()
    assert levels_for((0.1, 0.9, 0.5, 0.25)) == [50, 80]


def test_backtest_equals_the_library_cross_validation(tmp_path):
    exp = experiment(tmp_path, [{"name": "ets", "model": "statsforecast:AutoETS", "params": {"season_length": 5}}],
                     origins=6, refit_every=2, n_series=2)
    result = run_experiment(exp, progress=False, report=False)
    ours = result.forecasts
    panel, _ = load_panel(exp.data)
    library = panel[[ID, Y]].assign(**{DS: panel.groupby(ID).cumcount()})  # integer steps: no calendar needed
    cv = StatsForecast(models=[AutoETS(season_length=5)], freq=1).cross_validation(
        df=library, h=3, n_windows=6, step_size=3, refit=2
    )
    got = ours.sort_values([ID, "cutoff", "h"])["y_pred"].to_numpy()
    want = cv.sort_values([ID, "cutoff", DS])["AutoETS"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8)


def test_errors_name_the_unknown_class_and_the_bad_parameter():
    with pytest.raises(ConfigError, match="unknown statsforecast model 'AutoArima'.*Did you mean \\['AutoARIMA'\\]"):
        make_forecaster("m", "statsforecast:AutoArima")
    with pytest.raises(ConfigError, match="has no parameter.*'order'"):
        make_forecaster("m", "statsforecast:AutoETS", {"order": [1, 1, 0]})
    with pytest.raises(ConfigError, match="needs parameter.*season_length"):
        make_forecaster("m", "statsforecast:SeasonalNaive")


def test_models_of_the_library_are_listed_with_their_tags_and_parameters():
    from tsbench.forecasters.external import library_models
    from tsbench.forecasters.registry import describe_models

    names = library_models("statsforecast")
    assert "statsforecast:AutoARIMA" in names and "statsforecast:AutoETS" in names
    (info,) = describe_models(("statsforecast:AutoETS",), installed=False)
    assert info.error is None and info.tags["quantiles"] and not info.tags["global"]
    assert info.params["season_length"] == 1 and "model" in info.params
