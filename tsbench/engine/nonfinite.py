"""Forecast origins with NaN or inf values: dropped from a cell's forecasts, and counted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.panel import ID, quantile_columns_of

__all__ = ["drop_nonfinite"]


def drop_nonfinite(forecasts: pd.DataFrame) -> tuple[pd.DataFrame, dict | None]:
    """Remove the origins whose forecasts hold NaN or inf, and say how many there were.

    A forecast with a NaN at one step or quantile is not a forecast of that
    origin: scoring the rest would make the model look complete, and an inf
    would make every mean infinite. The runner counts these origins per model
    and reports the coverage; a configured fallback has already replaced them.
    """
    values = forecasts[["y_pred", *quantile_columns_of(forecasts)]].to_numpy(dtype=float)
    bad = ~np.isfinite(values).all(axis=1)
    if not bad.any():
        return forecasts, None
    keys = [ID, "cutoff"]
    bad_origins = forecasts.loc[bad, keys].drop_duplicates()
    drop = forecasts.merge(bad_origins, on=keys, how="left", indicator=True)["_merge"].eq("both").to_numpy()
    first = bad_origins.iloc[0]
    info = {"origins": int(len(bad_origins)), "series": sorted(map(str, bad_origins[ID].unique()))[:10],
            "first": {"unique_id": str(first[ID]), "cutoff": str(first["cutoff"])}}
    return forecasts.loc[~drop].reset_index(drop=True), info
