"""The covariate leakage audit: honest covariate models pass, cheaters are caught, others are skipped."""

from __future__ import annotations

import numpy as np
import pytest

import covariate_fixtures as cf
from tsbench.forecasters.baselines import Naive
from tsbench.leakage import COVARIATE_NAMES
from tsbench.testing import check_forecaster, covariate_panel

LEAKAGE = ["covariate leakage: predict_origins", "covariate leakage: predict with future"]


@pytest.mark.parametrize("model", [cf.LaggedRegression, cf.EchoKnown, cf.EchoKnownBatch, cf.ColumnCounter])
def test_honest_covariate_models_pass_every_check_including_the_audit(model):
    report = check_forecaster(model())
    assert report.passed, str(report)
    assert report.skipped_names == []
    assert all(name in [r.name for r in report.results] for name in LEAKAGE)


def test_a_model_without_covariates_has_the_audit_skipped_with_a_reason():
    report = check_forecaster(Naive())
    assert report.passed and report.skipped_names == LEAKAGE
    assert "takes no covariates" in next(r.detail for r in report.results if r.name == LEAKAGE[0])
    assert f"[skip] {LEAKAGE[0]}" in str(report)


def test_a_per_series_model_reading_the_past_covariate_after_its_cutoff_is_caught():
    report = check_forecaster(cf.PeekingCovariate())
    assert report.failed_names == LEAKAGE, str(report)  # every other check passes: only covariates leak
    assert "perturbing the past covariate after cutoff" in report.failed[0].detail
    assert "reads past covariates at rows after the cutoff" in report.failed[0].detail


def test_a_panel_model_reading_the_history_row_after_each_cutoff_is_caught():
    report = check_forecaster(cf.PanelPeeker())
    assert "covariate leakage: predict_origins" in report.failed_names, str(report)
    assert "past covariate" in report.failed[report.failed_names.index(LEAKAGE[0])].detail


def test_a_model_reading_known_values_beyond_the_horizon_is_caught():
    report = check_forecaster(cf.KnownPeeker())
    assert report.failed_names == ["covariate leakage: predict with future"], str(report)
    assert "beyond the horizon" in report.failed[0].detail


def test_the_audit_panel_is_seeded_with_one_covariate_per_kind():
    a, cov = covariate_panel(("past", "known", "static"), 2, 40, seed=3)
    b, _ = covariate_panel(("past", "known", "static"), 2, 40, seed=3)
    assert a.equals(b) and cov.columns == tuple(COVARIATE_NAMES.values())
    only, cov = covariate_panel(("known",), 2, 40, seed=3)
    assert cov.columns == ("cov_known",) and "cov_past" not in only.columns
    assert (a.groupby("unique_id")["cov_static"].nunique() == 1).all()
    assert np.isfinite(a[list(cov.columns)].to_numpy()).all()


def test_use_covariates_refuses_what_the_model_cannot_read():
    from tsbench.covariates import Covariates
    from tsbench.errors import ConfigError

    with pytest.raises(ConfigError, match=r"Naive takes no covariates .*\{'past': \['x'\]\}"):
        Naive().use_covariates(Covariates(past=("x",)))
    assert Naive().use_covariates(Covariates()).covariates == Covariates()

    class NoFuture(cf.PanelPeeker):
        tags = {"covariates": ("past", "known")}

    with pytest.raises(ConfigError, match="its _predict takes no 'future'"):
        NoFuture().use_covariates(Covariates(known=("k",)))
    with pytest.raises(ConfigError, match="does not understand categorical covariates"):
        cf.LaggedRegression().use_covariates(Covariates(static=("sector",), categorical=("sector",)))
    with pytest.raises(TypeError, match="expects a tsbench.covariates.Covariates"):
        cf.LaggedRegression().use_covariates(["x"])
