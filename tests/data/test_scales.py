"""Scale conversions: every pair round-trips, the maths match the definitions, the loader keeps the levels."""

import itertools

import numpy as np
import pandas as pd
import pytest

from tsbench.config import DataSpec
from tsbench.data.loader import load_panel, load_panel_levels
from tsbench.data.scales import SCALES, convert_forecasts, levels_on_scale, quantiles_convertible
from tsbench.data.targets import to_target
from tsbench.errors import DataError
from tsbench.panel import quantile_column

H = 3


def price_panel(seed: int = 0, n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for uid, start in (("a", 100.0), ("b", 20.0)):
        y = start * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
        frames.append(pd.DataFrame({"unique_id": uid, "ds": pd.bdate_range("2021-03-01", periods=n), "y": y}))
    return pd.concat(frames, ignore_index=True)


def forecasts_on(levels: pd.DataFrame, target: str, seed: int = 1) -> pd.DataFrame:
    """Random forecasts on ``target`` with actuals, from two cutoffs per series."""
    rng = np.random.default_rng(seed)
    panel = levels_on_scale(levels, target)
    rows = []
    for uid, g in panel.groupby("unique_id"):
        for c in (10, 20):
            for h in range(1, H + 1):
                y = g["y"].iloc[c + h]
                pred = y + rng.normal(0, 0.01 * (abs(y) + 0.01))
                rows.append((uid, g["ds"].iloc[c], g["ds"].iloc[c + h], h, "m", y, pred, pred - 0.02, pred + 0.02))
    cols = ["unique_id", "cutoff", "ds", "h", "model", "y", "y_pred", quantile_column(0.1), quantile_column(0.9)]
    return pd.DataFrame(rows, columns=cols)


@pytest.mark.parametrize("source,scale", list(itertools.product(SCALES, SCALES)))
def test_every_conversion_round_trips(source, scale):
    levels = price_panel()
    original = forecasts_on(levels, source)
    there = convert_forecasts(original, levels, source, scale)
    back = convert_forecasts(there, levels, scale, source)
    np.testing.assert_allclose(back["y_pred"], original["y_pred"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(back["y"], original["y"], rtol=1e-9, atol=1e-12)
    q = quantile_column(0.1)
    if quantiles_convertible(source, scale, H):
        np.testing.assert_allclose(back[q], original[q], rtol=1e-9, atol=1e-12)
    else:  # only the first step can be carried exactly
        first = back["h"] == 1
        np.testing.assert_allclose(back.loc[first, q], original.loc[first, q], rtol=1e-9)
        assert there.loc[~first, q].isna().all()


def test_log_return_to_price_compounds_from_the_cutoff_price():
    levels = price_panel()
    fc = forecasts_on(levels, "log_return").query("unique_id == 'a' and cutoff == cutoff.min()")
    anchor = levels.set_index(["unique_id", "ds"]).loc[("a", fc["cutoff"].iloc[0]), "y"]
    got = convert_forecasts(fc, levels, "log_return", "price")
    np.testing.assert_allclose(got["y_pred"], anchor * np.exp(np.cumsum(fc["y_pred"].to_numpy())))
    actual = levels.set_index(["unique_id", "ds"]).loc[list(zip(["a"] * H, fc["ds"])), "y"].to_numpy()
    np.testing.assert_allclose(got["y"], actual)


def test_price_to_return_uses_the_previous_forecast_step():
    levels = price_panel()
    fc = forecasts_on(levels, "price").query("unique_id == 'b' and cutoff == cutoff.max()")
    anchor = levels.set_index(["unique_id", "ds"]).loc[("b", fc["cutoff"].iloc[0]), "y"]
    path = np.r_[anchor, fc["y_pred"].to_numpy()]
    got = convert_forecasts(fc, levels, "price", "return")
    np.testing.assert_allclose(got["y_pred"], path[1:] / path[:-1] - 1)


def test_no_change_forecast_stays_exact_after_conversion():
    levels = price_panel()
    fc = forecasts_on(levels, "log_price")
    last = levels_on_scale(levels, "log_price").set_index(["unique_id", "ds"])["y"]
    fc["y_pred"] = last.loc[list(zip(fc["unique_id"], fc["cutoff"]))].to_numpy()
    on_price = convert_forecasts(fc, levels, "log_price", "price")
    anchors = levels.set_index(["unique_id", "ds"])["y"].loc[list(zip(fc["unique_id"], fc["cutoff"]))].to_numpy()
    assert (on_price["y_pred"].to_numpy() == anchors).all()
    assert (convert_forecasts(fc, levels, "log_price", "log_return")["y_pred"] == 0).all()


def test_per_series_targets():
    levels = price_panel()
    fa = forecasts_on(levels, "return").query("unique_id == 'a'")
    fb = forecasts_on(levels, "log_price").query("unique_id == 'b'")
    mixed = pd.concat([fa, fb], ignore_index=True)
    got = convert_forecasts(mixed, levels, {"a": "return", "b": "log_price"}, "price")
    alone = convert_forecasts(fb, levels, "log_price", "price")
    np.testing.assert_allclose(got.query("unique_id == 'b'")["y_pred"], alone["y_pred"])


def test_missing_price_is_a_data_error():
    levels = price_panel()
    fc = forecasts_on(levels, "price")
    with pytest.raises(DataError, match="no price observed"):
        convert_forecasts(fc, levels.iloc[15:], "price", "log_price")


def test_loader_keeps_levels_that_rebuild_the_target(tmp_path):
    levels = price_panel()
    levels.to_csv(tmp_path / "p.csv", index=False)
    spec = DataSpec(source="csv:p.csv", target="log_return", last=12)
    panel, kept, infos = load_panel_levels([spec], tmp_path)
    assert infos[0].target == "log_return"
    for uid, g in panel.groupby("unique_id"):
        lv = kept[kept["unique_id"] == uid]
        assert len(lv) == len(g) + 1 and lv["ds"].iloc[1] == g["ds"].iloc[0]
        rebuilt = to_target(lv, "log_return")
        np.testing.assert_allclose(rebuilt["y"].to_numpy(), g["y"].to_numpy())
    plain, _ = load_panel([spec], tmp_path)
    pd.testing.assert_frame_equal(plain, panel)
