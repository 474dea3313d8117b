"""Which series get figures of their own when a run has more than the report shows one by one."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["select_series"]


def select_series(scores: pd.Series, limit: int) -> tuple[list[str], str]:
    """At most ``limit`` series: the baseline's best and worst and an even spread between, and why.

    Parameters
    ----------
    scores
        The baseline's score on each series (index ``unique_id``), lower is
        better; series without a score come last.
    limit
        How many series to keep; every series when there are no more.

    Returns
    -------
    (list of str, str)
        The chosen series, ordered from the baseline's best to its worst, and
        a sentence that says how they were chosen.
    """
    ordered = list(scores.sort_values(na_position="last", kind="stable").index)
    n = len(ordered)
    if n <= limit:
        return sorted(ordered, key=str), f"All {n} series."
    if limit == 0:
        return [], f"No series shown one by one (report max_series is 0); the {n} series are summarised above."
    picks = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    chosen = [ordered[i] for i in picks]
    return chosen, (f"{len(chosen)} of the {n} series (report max_series = {limit}): the baseline's best, its worst "
                    f"and an even spread between, ordered from best to worst by {scores.name or 'the first metric'}; "
                    "every series is in the tables and the summaries across series.")
