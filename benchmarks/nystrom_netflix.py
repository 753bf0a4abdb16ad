"""Nyström ∞-AE on Netflix-shaped data at full size (480,189 users × 17,770 items, ≈ 100 M interactions).

    python benchmarks/nystrom_netflix.py [--scale 1] [--landmarks 2000] [--lambdas 1,5,20] [--data-dir DIR]

Generates the data with ``workbench generate`` (seed 0) into DIR when it is not there, loads it with
the seeded protocol split, evaluates ∞-AE with m Nyström landmarks (λ chosen on validation, test
once) and records each stage's seconds and the process's peak resident memory (ru_maxrss) in
benchmarks/results/nystrom_netflix.scale<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--landmarks", type=int, default=2000)
    parser.add_argument("--lambdas", default="1,5,20")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "workbench-netflix")
    args = parser.parse_args()

    from workbench.data import load_dataset
    from workbench.data.generate import GenerateConfig, generate, write_generated
    from workbench.evaluation import evaluate_model
    from workbench.models import InfiniteAE
    from workbench.models.infinite_ae_plan import measure_rates, plan_fit

    stages: dict[str, float] = {}
    folder = args.data_dir / f"scale{args.scale:g}"
    if not (folder / "synthetic-netflix" / "interactions.npz").exists():
        started = time.perf_counter()
        write_generated(generate(GenerateConfig(like="netflix", scale=args.scale, seed=0)), folder)
        stages["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    dataset = load_dataset("synthetic-netflix", data_dir=folder, seed=0)
    stages["load and split"] = time.perf_counter() - started
    load_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model = InfiniteAE(
        lambdas=tuple(float(value) for value in args.lambdas.split(",")), user_support=args.landmarks, support_method="nystrom"
    )
    plan = plan_fit(model, dataset.n_users, dataset.n_items, int(dataset.train.nnz), with_selection=True)
    rates = measure_rates()
    started = time.perf_counter()
    report = evaluate_model(model, dataset, seed=0)
    total = time.perf_counter() - started
    stages["accumulate, solve and validate every λ"] = report.seconds["select_on_validation"]
    stages["test"] = report.seconds["test"]
    result = {
        "question": "Nyström ∞-AE on Netflix-shaped data on a 2-core CPU: time and peak memory",
        "date": date.today().isoformat(),
        "machine": describe(),
        "dataset": {"scale": args.scale, "users": dataset.n_users, "items": dataset.n_items,
                    "train_interactions": int(dataset.train.nnz), "split": dataset.split_origin},
        "landmarks": args.landmarks,
        "lambdas": model.lambdas,
        "chosen_lambda": report.hyperparameters["lambda"],
        "stages_seconds": stages,
        "evaluation_seconds": total,
        "per_lambda_seconds": [step.seconds for step in report.selection],
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_rss_after_load_bytes": load_peak,
        "plan_peak_bytes": plan.peak_bytes,
        "plan_seconds": plan.seconds(rates),
        "validation": report.validation,
        "test": report.test,
        "notes": list(report.notes),
    }
    output = HERE / "results" / f"nystrom_netflix.scale{args.scale:g}.json"
    temporary = output.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    os.replace(temporary, output)
    print(json.dumps({key: result[key] for key in ("stages_seconds", "peak_rss_bytes", "chosen_lambda")}, indent=2, default=float))
    print(f"test NDCG@10 {report.test['NDCG@10']:.2f}, HR@10 {report.test['HR@10']:.2f}; wrote {output}")


if __name__ == "__main__":
    main()
