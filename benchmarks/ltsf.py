"""The long-horizon (LTSF) protocol on ETTh1/ETTh2: test MSE/MAE of every deep model beside the published numbers.

The protocol of Informer, Autoformer, DLinear, PatchTST and iTransformer:
train = the first 8,640 hourly rows (12 months), validation the next 2,880,
test the next 2,880; a standard scaler fitted on the training rows; input 96;
every test origin (stride 1) forecast, the first one's input reaching back into
the validation part; MSE and MAE on the scaled values over every window, step
and channel (the 7 columns, ``channels: all``). Each model is trained once, with
its defaults except the paper's squared loss and the 4-month validation part,
and predicts every test origin of every channel in one batched pass. Run::

    python benchmarks/ltsf.py ../shared/data/ETTh1.csv ../shared/data/ETTh2.csv --horizons 96
    python benchmarks/ltsf.py ../shared/data/ETTh1.csv --device cuda        # on a GPU machine

Results are printed as Markdown and written to ``--out`` (CSV) when given.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tsbench.data.loader import load_panel
from tsbench.engine.cells import plan_cells, run_cell
from tsbench.engine.origins import plan_backtest, standardize
from tsbench.experiment import parse_experiment
from tsbench.forecasters.registry import make_forecaster

NEW = ["dlinear", "nlinear", "patchtst", "nhits", "itransformer"]
MODELS = ["random_walk", *NEW, "lstm", "transformer"]
HORIZONS = [96, 192, 336, 720]

#: Published test (MSE, MAE) on ETT under this protocol, by (model, data set, horizon) and source.
ZENG = "Zeng et al., AAAI 2023, Table 2 (input 336)"
NIE = "Nie et al., ICLR 2023, Table 3, PatchTST/42 (input 336)"
LIU = "Liu et al., ICLR 2024, full long-term results (appendix table of Table 2; input 96)"
PUBLISHED: dict[tuple[str, str, int], list[tuple[str, float, float]]] = {}


def _add(model: str, data: str, source: str, rows: list[tuple[float, float]]) -> None:
    for h, (mse, mae) in zip(HORIZONS, rows):
        PUBLISHED.setdefault((model, data, h), []).append((source, mse, mae))


_add("dlinear", "ETTh1", LIU, [(0.386, 0.400), (0.437, 0.432), (0.481, 0.459), (0.519, 0.516)])
_add("dlinear", "ETTh2", LIU, [(0.333, 0.387), (0.477, 0.476), (0.594, 0.541), (0.831, 0.657)])
_add("dlinear", "ETTh1", ZENG, [(0.375, 0.399), (0.405, 0.416), (0.439, 0.443), (0.472, 0.490)])
_add("dlinear", "ETTh2", ZENG, [(0.289, 0.353), (0.383, 0.418), (0.448, 0.465), (0.605, 0.551)])
_add("nlinear", "ETTh1", ZENG, [(0.374, 0.394), (0.408, 0.415), (0.429, 0.427), (0.440, 0.453)])
_add("nlinear", "ETTh2", ZENG, [(0.277, 0.338), (0.344, 0.381), (0.357, 0.400), (0.394, 0.436)])
_add("patchtst", "ETTh1", LIU, [(0.414, 0.419), (0.460, 0.445), (0.501, 0.466), (0.500, 0.488)])
_add("patchtst", "ETTh2", LIU, [(0.302, 0.348), (0.388, 0.400), (0.426, 0.433), (0.431, 0.446)])
_add("patchtst", "ETTh1", NIE, [(0.375, 0.399), (0.414, 0.421), (0.431, 0.436), (0.449, 0.466)])
_add("patchtst", "ETTh2", NIE, [(0.274, 0.336), (0.339, 0.379), (0.331, 0.380), (0.379, 0.422)])
_add("itransformer", "ETTh1", LIU, [(0.386, 0.405), (0.441, 0.436), (0.487, 0.458), (0.503, 0.491)])
_add("itransformer", "ETTh2", LIU, [(0.297, 0.349), (0.380, 0.400), (0.428, 0.432), (0.427, 0.445)])


def experiment(path: Path, horizon: int):
    """The ETT protocol on one file, as a tsbench experiment."""
    return parse_experiment(
        {
            "name": "ltsf",
            "data": [{"source": f"csv:{path}", "columns": {"time": "date"}}],
            "backtest": {"protocol": "split", "horizon": horizon, "train": 8640, "val": 2880, "test": 2880,
                         "scale": "standard", "channels": "all"},
            "forecasters": [{"name": "random_walk", "model": "naive"}],
            "metrics": ["mse", "mae"],
        },
        check_models=False,
    )


def forecaster(name: str, threads: int, device: str):
    """A model with its defaults, except the paper's squared loss and 4-month validation part."""
    if name == "random_walk":
        return make_forecaster(name, "naive")
    params = {"num_threads": threads, "device": device, "val_size": 0.25}
    if name in NEW:
        params["loss"] = "mse"
    return make_forecaster(name, name, params)


def run(path: Path, horizon: int, models: list[str], threads: int, device: str, seed: int) -> list[dict]:
    """Train and test every model on one file and horizon; one row of scores and timings per model."""
    exp = experiment(path.resolve(), horizon)
    panel, _ = load_panel(exp.data)
    plans = plan_backtest(panel, exp.backtest)
    panel = standardize(panel, plans)
    rows = []
    for name in models:
        cells = plan_cells(panel, plans, [forecaster(name, threads, device)], horizon, (), seed)
        started = time.perf_counter()
        results = [run_cell(cell) for cell in cells]  # one cell for a global model, one per series else
        for result in results:
            if result.error:
                raise RuntimeError(f"{name} on {path.name}, horizon {horizon}: {result.error}\n{result.traceback}")
        forecasts = pd.concat([r.forecasts for r in results], ignore_index=True)
        err = (forecasts["y"] - forecasts["y_pred"]).to_numpy()
        n_origins = forecasts.groupby("unique_id")["cutoff"].nunique()
        rows.append({
            "data": path.stem, "horizon": horizon, "model": name,
            "mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err))),
            "fit_s": sum(r.meta.get("fit_time", np.nan) for r in results),
            "predict_s": sum(r.meta.get("predict_time", np.nan) for r in results),
            "cell_s": time.perf_counter() - started,
            "origins_x_channels": f"{int(n_origins.iloc[0])} x {len(n_origins)}",
        })
        print(rows[-1], flush=True)
    return rows


def with_published(results: pd.DataFrame) -> pd.DataFrame:
    """Each measured row beside the published numbers for the same model, data set and horizon."""
    out = []
    for row in results.to_dict("records"):
        published = PUBLISHED.get((row["model"], row["data"], row["horizon"]), [])
        line = {**row, "published": "; ".join(f"{mse:.3f}/{mae:.3f} ({src})" for src, mse, mae in published) or "none"}
        if published:
            line["mse_vs_published"] = row["mse"] / published[0][1] - 1  # against the first source listed
        out.append(line)
    return pd.DataFrame(out)


def markdown(frame: pd.DataFrame) -> str:
    """A frame as a Markdown table (without the optional tabulate dependency)."""
    rows = [list(map(str, frame.columns))] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join([lines[0], "|" + "---|" * len(frame.columns), *lines[1:]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", type=Path, nargs="+", help="ETTh1.csv / ETTh2.csv")
    parser.add_argument("--horizons", type=int, nargs="+", default=HORIZONS)
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="'cpu', 'cuda' or 'auto'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="CSV file for the results")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, device {args.device}, "
          f"load average {os.getloadavg()[0]:.1f}")
    rows = [r for path in args.paths for h in args.horizons
            for r in run(path, h, args.models, args.threads, args.device, args.seed)]
    table = with_published(pd.DataFrame(rows))
    if args.out:
        table.to_csv(args.out, index=False)
    print(markdown(table.round(3)))


if __name__ == "__main__":
    main()
