"""check_forecaster passes honest forecasters and names the check that a broken one fails."""

import pytest

import plugin_fixtures as fx
from tsbench.forecasters.baselines import MovingAverage, Naive
from tsbench.testing import check_forecaster, check_no_lookahead, synthetic_panel


def test_report_lists_every_check_and_passes_an_honest_model():
    report = check_forecaster(Naive())
    assert report.passed, str(report)
    names = [r.name for r in report.results]
    for expected in ("output frame: one series, horizon 1, timestamp ds",
                     "output frame: many series, horizon 7, timestamp ds",
                     "output frame: many series, horizon 5, integer ds",
                     "predict before fit raises NotFittedError", "bad input: horizon 0",
                     "no look-ahead", "deterministic under a seed", "clone from parameters",
                     "quantiles ordered"):
        assert expected in names
    assert report.failed_names == []


def test_class_attribute_cheater_is_caught():
    fx.ClassCacheCheater.memory.clear()
    report = check_forecaster(fx.ClassCacheCheater())
    assert report.failed_names == ["no look-ahead"], str(report)
    assert "class attribute" in report.failed[0].detail


def test_cheater_is_caught_again_when_checked_twice_in_one_process():
    # the second run must not find its panel already cached from the first
    for _ in range(2):
        assert not check_no_lookahead(fx.ClassCacheCheater()).passed


def test_predict_origins_that_ignores_cutoffs_is_caught():
    report = check_forecaster(fx.PeekingLocal())
    assert "no look-ahead" in report.failed_names
    assert "predict_origins" in next(r.detail for r in report.failed if r.name == "no look-ahead")


def test_wrong_shape_is_caught_in_every_output_check():
    report = check_forecaster(fx.WrongShape())
    output_checks = [r for r in report.results if r.name.startswith("output frame")]
    assert output_checks and not any(r.passed for r in output_checks)
    assert "rows" in output_checks[0].detail


def test_protocol_only_plugin_passes_and_wrong_output_names_the_plugin():
    assert check_forecaster(fx.PlainMean(window=3)).passed
    report = check_forecaster(fx.PlainWrongShape())
    failed = report.failed
    assert failed and all("PluginError" in r.detail and "plugin_fixtures:PlainWrongShape" in r.detail
                          for r in failed if r.name.startswith("output frame"))


def test_missing_guards_fail_the_error_checks():
    report = check_forecaster(fx.NoGuards())
    assert set(report.failed_names) == {
        "predict before fit raises NotFittedError", "bad input: training data without 'y'", "bad input: horizon 0",
        "bad input: quantiles when unsupported",
    }, str(report)
    details = {r.name: r.detail for r in report.failed}
    assert "instead of NotFittedError" in details["predict before fit raises NotFittedError"]
    assert "KeyError" in details["bad input: training data without 'y'"]


def test_non_deterministic_model_fails_determinism():
    assert "deterministic under a seed" in check_forecaster(fx.Noisy()).failed_names


def test_clone_round_trip_must_reproduce_parameters():
    class Forgetful(MovingAverage):
        def get_params(self):
            return {"window": 20}  # ignores the value actually held

    report = check_forecaster(Forgetful(window=3))
    assert "clone from parameters" in report.failed_names


def test_raise_on_failure_raises_with_the_report():
    with pytest.raises(AssertionError, match="FAIL.*no look-ahead"):
        check_forecaster(fx.PeekingLocal(), raise_on_failure=True)


def test_class_is_accepted_and_synthetic_panel_is_seeded():
    assert check_forecaster(MovingAverage).passed
    a, b = synthetic_panel(2, 30, seed=4), synthetic_panel(2, 30, seed=4)
    assert a.equals(b) and a["unique_id"].nunique() == 2
    assert not a.equals(synthetic_panel(2, 30, seed=5))
    assert synthetic_panel(1, 10, timestamps=False)["ds"].tolist() == list(range(10))
