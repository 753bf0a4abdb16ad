"""On a GPU: ∞-AE's test metrics through JAX (full float32 precision) against the CPU's recorded ones.

    python benchmarks/gpu_metrics.py [--output FILE]

Cases: ML-1M (all users), Gowalla (all users; λ chosen on 8,000 users as on the CPU) and Gowalla
with a Nyström support of 5 % of the users. Each case's CPU reference is read from the results this
repository recorded on a CPU (benchmarks/results/); a case passes when every test metric in %
agrees within 0.05 points (AUC within 0.0005). Writes JSON and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TOLERANCE = 0.05


def cpu_reference(case: str) -> dict[str, float]:
    if case == "ml-1m":
        runs = json.loads((RESULTS / "infinite_ae_ml1m.cpu.json").read_text())["runs"]
        return next(run["test"] for run in runs if run["algebra"] == "scipy")
    if case == "gowalla":
        return json.loads((RESULTS / "infinite_ae_large.gowalla.json").read_text())["runs"][0]["test"]
    frame = pd.read_csv(RESULTS / "user_support.gowalla.csv")
    row = frame[(frame["method"] == "nystrom") & (frame["fraction"] == 0.05)].iloc[0]
    return {name.removeprefix("test "): float(row[name]) for name in frame if name.startswith("test ")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=RESULTS / "gpu_metrics.json")
    parser.add_argument("--cases", default="ml-1m,gowalla,gowalla-nystrom")
    args = parser.parse_args()

    import jax

    from workbench.data import load_dataset
    from workbench.evaluation import config_for, evaluate_model
    from workbench.models import InfiniteAE

    rows = []
    for case in args.cases.split(","):
        dataset = load_dataset("gowalla" if case.startswith("gowalla") else case)
        options = {"user_support": round(0.05 * dataset.n_users), "support_method": "nystrom"} if case.endswith("nystrom") else {}
        started = time.perf_counter()
        report = evaluate_model(InfiniteAE(linear_algebra="jax", **options), dataset, seed=0, config=config_for(dataset), progress=False)
        seconds = time.perf_counter() - started
        reference = cpu_reference(case)
        differences = {
            metric: report.test[metric] - value for metric, value in reference.items() if metric in report.test
        }
        worst = max(abs(value) * (100 if metric.endswith("AUC") else 1) for metric, value in differences.items())
        rows.append({
            "case": case, "device": str(jax.devices()[0].device_kind), "seconds": seconds,
            "lambda": report.hyperparameters["lambda"], "test": report.test, "cpu_test": reference,
            "differences": differences, "worst_difference_points": worst, "agrees": worst <= TOLERANCE,
        })
        print(f"{case}: λ = {report.hyperparameters['lambda']:g}, NDCG@10 {report.test['NDCG@10']:.2f} (CPU {reference['NDCG@10']:.2f}), "
              f"largest difference {worst:.4f} points, {seconds:.0f} s", flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.output.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"tolerance_points": TOLERANCE, "cases": rows}, indent=2, default=float) + "\n", encoding="utf-8")
    os.replace(temporary, args.output)
    if not all(row["agrees"] for row in rows):
        raise SystemExit("the GPU's test metrics differ from the CPU's by more than 0.05 points")


if __name__ == "__main__":
    main()
