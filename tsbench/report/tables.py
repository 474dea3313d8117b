"""Result tables built from the long metrics frame: leaderboard, per dataset, ranks, skill, per horizon."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsbench.metrics.registry import get_metric, is_metric

__all__ = [
    "TEST_COLUMNS",
    "leaderboard",
    "leaderboard_markdown",
    "dataset_of",
    "mean_table",
    "series_scores",
    "rank_table",
    "relative_table",
    "horizon_table",
    "frame_markdown",
    "period_table",
    "period_markdown",
    "period_skill_table",
]


def leaderboard(
    metrics: pd.DataFrame,
    metric_names: Sequence[str],
    baseline: str | None = None,
    models: Sequence[str] | None = None,
    n_series: int | None = None,
    coverage: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per model, one column per metric (mean over series of the all-steps value).

    Models are sorted by the first metric in its better direction. ``series``
    counts the series each model was scored on, so a model with failed cells
    shows fewer than the others; models with no results at all are kept, empty.
    ``coverage`` (model -> share of the planned forecast origins that were
    scored) adds a ``scored`` column (named so as not to clash with the
    ``coverage`` metric of prediction intervals); a model below 1 is not ``complete``.
    """
    overall = metrics[metrics["h"] == 0]
    table = overall.pivot_table(index="model", columns="metric", values="value", aggfunc="mean")
    table = table.reindex(columns=[m for m in metric_names if m in table.columns])
    counts = overall.groupby("model")["unique_id"].nunique()
    if models is not None:
        table = table.reindex(list(dict.fromkeys([*models, *table.index])))
    first = metric_names[0]
    if first in table.columns:
        ascending = not get_metric(first).higher_is_better
        table = table.sort_values(first, ascending=ascending, na_position="last", kind="stable")
    table.insert(0, "series", counts.reindex(table.index).fillna(0).astype(int))
    if coverage is not None:
        # reference rows that are not forecasters (buy_and_hold) have no planned origins: NaN
        table.insert(1, "scored", [float(coverage[m]) if m in coverage else np.nan for m in table.index])
    if n_series is not None:
        table["complete"] = table["series"] == n_series
        if coverage is not None:
            table["complete"] &= ~(table["scored"] < 1.0)
    table.insert(0, "baseline", [m == baseline for m in table.index])
    table.index.name = "model"
    return table.reset_index()


def leaderboard_markdown(
    table: pd.DataFrame,
    title: str | None = None,
    scales: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    verdict: str | None = None,
    tests_note: str | None = None,
) -> str:
    """The leaderboard as a Markdown table; the baseline is marked with ``*``.

    ``scales`` (metric -> scale, e.g. ``{"mae": "price"}``) labels each metric
    column with the scale it was scored on. A model whose ``scored`` share of
    origins is below 1 shows it next to its series count (``4 (97% of origins)``).
    The test columns (``mean_rank``, ``rank_vs_best``, ``dm_better``,
    ``dm_worse``, ``in_mcs``) follow the metrics when the table has them;
    ``verdict`` is printed above the table, ``tests_note`` (what the test
    columns mean) and ``notes`` (e.g. how trading metrics were annualised) below it.
    """
    metric_cols = [c for c in table.columns if is_metric(c)]
    test_cols = [c for c in TEST_COLUMNS if c in table.columns]
    extra = list(notes)
    scales = scales or {}
    cost_cols = [c for c in ("tune_trials", "tune_cpu_s") if c in table.columns]  # see tsbench.report.tuning
    header = ["model", "series", *(f"{c} [{scales[c]}]" if c in scales else c for c in metric_cols), *test_cols,
              *cost_cols]
    lines = [f"## {title}", ""] if title else []
    if verdict:
        lines += [verdict, ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        name = f"{row['model']} *" if row["baseline"] else str(row["model"])
        series = str(row["series"])
        if "scored" in table.columns and row["scored"] < 1.0:
            series += f" ({_percent(row['scored'])} of origins)"
        cells = [name, series] + [_fmt(row[c]) for c in metric_cols]
        cells += [_test_cell(row[c]) for c in test_cols]
        cells += [str(int(row[c])) if c == "tune_trials" else f"{row[c]:.1f}" for c in cost_cols]
        lines.append("| " + " | ".join(cells) + " |")
    below = []
    if table["baseline"].any():
        below.append("`*` baseline.")
    if "complete" in table.columns and not table["complete"].all():
        missing = table.loc[~table["complete"], "model"].tolist()
        below.append(f"Incomplete (failed cells, see failures.json, or forecasts with NaN/inf that were not "
                     f"scored, see manifest.json 'nonfinite'): {', '.join(map(str, missing))}.")
    arrows = ", ".join(get_metric(c).goal or f"{c} {'higher' if get_metric(c).higher_is_better else 'lower'} is better"
                       for c in metric_cols)
    below.append(f"Mean over series of each metric over all steps; {arrows}.")
    if scales:
        below.append("Scale of each metric in brackets: the values it was computed on.")
    if test_cols and tests_note:
        below.append(tests_note)
    if cost_cols:
        below.append("tune_trials, tune_cpu_s: trials searched and CPU seconds spent tuning, over all blocks and series.")
    return "\n".join(lines + [""] + below + extra) + "\n"


def _percent(share: float) -> str:
    # never round a partial coverage up to 100%
    return f"{np.floor(share * 1000) / 10:g}%"


#: The columns :func:`tsbench.report.significance.leaderboard_with_tests` adds, in the order shown.
TEST_COLUMNS = ("mean_rank", "rank_vs_best", "dm_better", "dm_worse", "in_mcs")


def _test_cell(value) -> str:
    if isinstance(value, str) or pd.isna(value):
        return value if isinstance(value, str) else "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _fmt(value) -> str:
    if pd.isna(value):
        return "—"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.4e}"


def dataset_of(data_infos: Sequence[dict]) -> dict[str, str]:
    """Map each ``unique_id`` to its dataset: the ``source`` of its data entry (from ``manifest.json``)."""
    out = {}
    for info in data_infos:
        kind, _, ref = str(info["source"]).partition(":")
        out[str(info["unique_id"])] = ref if kind == "builtin" else str(info["source"])
    return out


def _overall(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics[metrics["h"] == 0]


def mean_table(
    metrics: pd.DataFrame, metric_names: Sequence[str], datasets: dict[str, str] | None = None
) -> pd.DataFrame:
    """Mean over series of each metric, per dataset and model, plus an ``(all)`` dataset.

    Returns a frame ``dataset, model, series, <metric>...``.
    """
    overall = _overall(metrics).copy()
    overall["dataset"] = overall["unique_id"].map(datasets or {}).fillna("(unknown)") if datasets else "(all)"
    parts = [overall]
    if datasets:
        parts.append(overall.assign(dataset="(all)"))
    both = pd.concat(parts, ignore_index=True)
    table = both.pivot_table(index=["dataset", "model"], columns="metric", values="value", aggfunc="mean")
    table = table.reindex(columns=[m for m in metric_names if m in table.columns])
    counts = both.groupby(["dataset", "model"])["unique_id"].nunique().rename("series")
    table = table.join(counts).reset_index()
    cols = [m for m in metric_names if m in table.columns]
    if cols:
        table = table.sort_values(cols[0], ascending=not get_metric(cols[0]).higher_is_better, kind="stable")
    table = table.sort_values("dataset", key=lambda d: d.map(lambda v: (v != "(all)", v)), kind="stable")
    return table[["dataset", "model", "series", *cols]].reset_index(drop=True)


def series_scores(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per series, one column per model: the all-steps value of ``metric``."""
    rows = _overall(metrics)
    rows = rows[rows["metric"] == metric]
    return rows.pivot_table(index="unique_id", columns="model", values="value", aggfunc="first")


def rank_table(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rank of each model on each series by ``metric`` (1 = best, ties averaged) and the mean rank.

    Returns one row per model: ``model, mean_rank, <series>...``, sorted by mean rank.
    Only series on which every model has a value are ranked.
    """
    scores = series_scores(metrics, metric).dropna(axis=0, how="any")
    ranks = scores.rank(axis=1, ascending=not get_metric(metric).higher_is_better, method="average")
    table = ranks.T
    table.insert(0, "mean_rank", table.mean(axis=1))
    table = table.sort_values("mean_rank", kind="stable")
    table.index.name = "model"
    table.columns.name = None
    return table.reset_index()


def relative_table(metrics: pd.DataFrame, metric_names: Sequence[str], baseline: str) -> pd.DataFrame:
    """Each model against the baseline: ratio of the metric and skill, per metric.

    The ratio is the geometric mean over series of ``metric(model) / metric(baseline)``
    (scale free, so no series dominates); skill is ``1 - ratio`` for metrics where lower
    is better and ``ratio - 1`` where higher is better, so positive skill always means
    better than the baseline. Series where a ratio is not finite and positive are skipped.
    """
    out = {}
    for name in metric_names:
        scores = series_scores(metrics, name)
        if baseline not in scores.columns:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = scores.div(scores[baseline], axis=0)
            logs = np.log(ratios.where((ratios > 0) & np.isfinite(ratios)))
        ratio = np.exp(logs.mean(axis=0))
        out[f"{name}_ratio"] = ratio
        out[f"{name}_skill"] = ratio - 1 if get_metric(name).higher_is_better else 1 - ratio
    table = pd.DataFrame(out)
    table.index.name = "model"
    return table.reset_index()


def horizon_table(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean over series of ``metric`` at each step: one row per model, one column per ``h``."""
    rows = metrics[(metrics["metric"] == metric) & (metrics["h"] > 0)]
    table = rows.pivot_table(index="model", columns="h", values="value", aggfunc="mean")
    table.columns = [f"h{h}" for h in table.columns]
    table.index.name = "model"
    return table.reset_index()


def frame_markdown(table: pd.DataFrame, title: str | None = None) -> str:
    """Any result table as a Markdown table (numbers to 4 significant digits)."""
    lines = [f"### {title}", ""] if title else []
    lines += ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (int, np.integer)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return _fmt(value)
    return str(value)


def period_table(by_period: pd.DataFrame) -> pd.DataFrame:
    """Mean over series: one row per metric and model, one column per period (in the order met)."""
    order = list(dict.fromkeys(by_period["period"]))
    # groupby keeps a model whose values are all missing (e.g. no trades), where pivot_table drops it
    table = by_period.groupby(["metric", "scale", "model", "period"], sort=False)["value"].mean().unstack("period")
    return table.reindex(columns=order).reset_index().rename_axis(columns=None)


def period_markdown(by_period: pd.DataFrame, metric_order: Sequence[str] | None = None,
                    title: str | None = None) -> str:
    """One Markdown table per metric: models down, periods across (mean over series)."""
    table = period_table(by_period)
    periods = [c for c in table.columns if c not in ("metric", "scale", "model")]
    names = list(metric_order or dict.fromkeys(table["metric"]))
    lines = [f"## {title}", ""] if title else []
    for name in [n for n in names if n in set(table["metric"])]:
        rows = table[table["metric"] == name]
        metric = get_metric(name) if is_metric(name) else None
        better = (metric.goal if metric and metric.goal else
                  f"{'higher' if metric and metric.higher_is_better else 'lower'} is better")
        mixed = rows["scale"].nunique() > 1  # series scored on different targets: show each scale's rows
        lines += [f"### {name} ({', '.join(dict.fromkeys(rows['scale']))}; {better})", ""]
        head = ["model", "scale"] if mixed else ["model"]
        lines += ["| " + " | ".join(head + periods) + " |", "|" + "---|" * (len(head) + len(periods))]
        for _, row in rows.iterrows():
            first = [str(row["model"]), str(row["scale"])] if mixed else [str(row["model"])]
            lines.append("| " + " | ".join([*first, *(_fmt(row[p]) for p in periods)]) + " |")
        lines.append("")
    lines.append("Mean over series of each metric over all steps, for the origins whose cutoff falls in the period.")
    return "\n".join(lines) + "\n"


def period_skill_table(by_period: pd.DataFrame, metric: str, baseline: str) -> pd.DataFrame:
    """Skill of ``metric`` against ``baseline`` in each period: rows models, columns periods.

    As in :func:`relative_table`: the geometric mean over series of
    ``metric(model) / metric(baseline)`` within the period, then ``1 - ratio``
    (``ratio - 1`` where higher is better). Empty when the metric or the
    baseline has no by-period values.
    """
    rows = by_period[by_period["metric"] == metric]
    if rows.empty or baseline not in set(rows["model"]):
        return pd.DataFrame()
    order = list(dict.fromkeys(rows["period"]))
    wide = rows.pivot_table(index=["period", "unique_id"], columns="model", values="value", aggfunc="first")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = wide.div(wide[baseline], axis=0)
        logs = np.log(ratios.where((ratios > 0) & np.isfinite(ratios)))
    ratio = np.exp(logs.groupby(level="period").mean()).T
    skill = ratio - 1 if get_metric(metric).higher_is_better else 1 - ratio
    skill = skill.reindex(columns=[p for p in order if p in skill.columns])
    skill.index.name, skill.columns.name = "model", None
    return skill
