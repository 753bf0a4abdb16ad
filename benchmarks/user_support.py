"""Nyström landmarks against a random sample of users, for ∞-AE: test metric against the support's size.

    python benchmarks/user_support.py --dataset ml-1m [--fractions 0.01,0.05,0.2] [--full-json FILE]

Runs ``workbench.support.study.support_curve`` (λ chosen on validation for every point, seed 0) and
writes its rows to benchmarks/results/user_support.<dataset>.csv and a JSON summary beside it.
``--full-json`` takes the full model's report from ``benchmarks/infinite_ae_large.py``'s JSON
instead of fitting it again (its first run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--fractions", default="0.01,0.05,0.2")
    parser.add_argument("--full-json", type=Path, help="the full model's results from infinite_ae_large.py")
    args = parser.parse_args()

    from workbench.data import load_dataset
    from workbench.evaluation import ModelReport
    from workbench.support.study import SupportStudyConfig, support_curve, support_table

    dataset = load_dataset(args.dataset)
    full = None
    if args.full_json is not None:
        run = json.loads(args.full_json.read_text())["runs"][0]
        full = ModelReport(
            dataset=dataset.name, model="infinite-ae", hyperparameters={"lambda": run["chosen_lambda"]},
            validation=run["validation"], test=run["test"], selection=(), seconds={"total": run["seconds_total"]},
            users={}, seed=0,
        )
    config = SupportStudyConfig(fractions=tuple(float(part) for part in args.fractions.split(",")))
    started = time.perf_counter()
    frame = support_curve(dataset, config, seed=0, full=full)
    seconds = time.perf_counter() - started
    csv_path = HERE / "results" / f"user_support.{args.dataset}.csv"
    json_path = csv_path.with_name(f"user_support.{args.dataset}.json")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = csv_path.with_name(f".{csv_path.name}.{os.getpid()}.tmp")
    frame.to_csv(temporary, index=False)
    os.replace(temporary, csv_path)
    tables = {metric: support_table(frame, metric).to_dict(orient="records") for metric in ("NDCG@10", "HR@10", "HR@100")}
    summary = {
        "question": "∞-AE with m users carrying the model: Nyström landmarks vs a random sample",
        "dataset": args.dataset,
        "split": dataset.split_origin,
        "date": date.today().isoformat(),
        "seconds": seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "full_from": str(args.full_json) if args.full_json else "fitted here",
        "tables": tables,
        "seconds_per_point": frame[["method", "fraction", "seconds", "lambda"]].to_dict(orient="records"),
    }
    temporary.write_text(json.dumps(summary, indent=2, default=float) + "\n", encoding="utf-8")
    os.replace(temporary, json_path)
    table = support_table(frame, "NDCG@10")
    print("| share of users | users | sample | Nyström | all users |\n|---|---|---|---|---|")
    for row in table.itertuples(index=False):
        print(f"| {100 * row.fraction:g} % | {row.support_users:,} | {row.sample:.2f} | {row.nystrom:.2f} | {row.full:.2f} |")
    print(f"wrote {csv_path} and {json_path.name} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
