"""The variance target: returns in percent, the proxies, and the errors before any work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.config import DataSpec
from tsbench.data.loader import load_panel
from tsbench.data.variance import WARMUP, variance_panel
from tsbench.errors import ConfigError, DataError
from tsbench.experiment import parse_experiment


def load(tmp_path=None, **spec):
    return load_panel([DataSpec(**spec)], tmp_path)[0]


def test_squared_return_proxy_is_demeaned_by_the_mean_before_each_session():
    import arch.data.sp500

    close = arch.data.sp500.load()["Adj Close"].to_numpy()
    panel = load(source="builtin:sp500", target="variance")
    r = 100 * np.diff(np.log(close))
    k = WARMUP + 5  # the proxy of the (k+1)-th return uses the mean of the k before it
    row = panel[panel["ds"] == arch.data.sp500.load().index[k + 1]].iloc[0]
    assert row["return"] == pytest.approx(r[k])
    assert row["y"] == pytest.approx((r[k] - r[:k].mean()) ** 2)
    assert len(panel) == len(close) - 1 - WARMUP


def test_range_proxies_read_high_low_open_close():
    import arch.data.sp500

    raw = arch.data.sp500.load()
    day = raw.index[100]
    hl, co = np.log(raw.loc[day, "High"] / raw.loc[day, "Low"]), np.log(raw.loc[day, "Close"] / raw.loc[day, "Open"])
    park = load(source="builtin:sp500", target="variance", proxy="parkinson")
    gk = load(source="builtin:sp500", target="variance", proxy="garman_klass")
    assert park.set_index("ds").loc[day, "y"] == pytest.approx(1e4 * hl**2 / (4 * np.log(2)))
    assert gk.set_index("ds").loc[day, "y"] == pytest.approx(1e4 * (0.5 * hl**2 - (2 * np.log(2) - 1) * co**2))
    # the intraday range misses the overnight move: below the squared close-to-close return on average
    assert park["y"].mean() < (park["return"] ** 2).mean()


def test_range_proxy_without_ohlc_columns_is_refused():
    with pytest.raises(DataError, match=r"proxy 'parkinson' reads the columns \['Open', 'High', 'Low', 'Close'\]"):
        load(source="builtin:wti", target="variance", proxy="parkinson")


def test_series_too_short_for_the_proxy_is_refused(tmp_path):
    prices = pd.DataFrame({"ds": pd.bdate_range("2020-01-01", periods=15), "close": 100 + np.arange(15.0)})
    prices.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(DataError, match=r"series 'close' has 15 observation\(s\); target 'variance' with proxy "
                                        r"'squared_return' needs at least 23"):
        load(tmp_path, source="csv:p.csv", target="variance")


def test_proxy_without_variance_target_is_a_config_error():
    raw = {"name": "x", "data": [{"source": "builtin:sp500", "target": "log_return", "proxy": "parkinson"}],
           "backtest": {"horizon": 1, "origins": 2}, "forecasters": [{"name": "n", "model": "naive"}]}
    with pytest.raises(ConfigError, match=r"'proxy' is for 'target: variance', got target 'log_return'"):
        parse_experiment(raw)


def test_non_positive_price_is_refused():
    levels = pd.DataFrame({"unique_id": "a", "ds": np.arange(30), "y": np.r_[1.0, -1.0, np.ones(28)]})
    with pytest.raises(DataError, match="positive prices, got -1.0"):
        variance_panel(levels)
