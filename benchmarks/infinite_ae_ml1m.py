"""How long does ∞-AE take on ML-1M (the paper's split): the whole λ grid plus the test evaluation?

Each run is a fresh Python process, so that its peak resident memory (ru_maxrss) is its own; the
dataset is loaded in that process and its load time reported apart. Runs are repeated and the
median reported. Both dense-algebra backends are measured in the same invocation, so their ratio
is meaningful on whatever machine this runs on.

    python benchmarks/infinite_ae_ml1m.py [--repeats 3] [--algebras scipy,jax] [--baseline-ref REF] [--output FILE]

``--baseline-ref REF`` also times the package as it was at git commit REF (a temporary worktree on
the child's PYTHONPATH), on SciPy, interleaved run by run with today's code: "not slower" is then a
ratio measured in one invocation.

Writes JSON (default benchmarks/results/infinite_ae_ml1m.<device>.json) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


def one_run(algebra: str) -> dict:
    """Runs in the child process: load ML-1M, evaluate ∞-AE, report times and peak memory."""
    import resource

    import jax

    from workbench.data import load_dataset
    from workbench.evaluation import evaluate_model
    from workbench.models import InfiniteAE

    started = time.perf_counter()
    dataset = load_dataset("ml-1m")
    loaded = time.perf_counter()
    report = evaluate_model(InfiniteAE(linear_algebra=algebra), dataset, seed=0, progress=False)
    finished = time.perf_counter()
    return {
        "algebra": algebra,
        "device": str(jax.devices()[0].device_kind),
        "load_seconds": loaded - started,
        "grid_and_test_seconds": finished - loaded,
        "select_seconds": report.seconds["select_on_validation"],
        "test_seconds": report.seconds["test"],
        "per_lambda_seconds": [step.seconds for step in report.selection],
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "chosen_lambda": report.hyperparameters["lambda"],
        "test": report.test,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--algebras", default="scipy,jax")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--baseline-ref", help="also time the package at this git commit (SciPy path)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child)))
        return

    labels = {algebra: None for algebra in args.algebras.split(",")}
    worktree = None
    if args.baseline_ref:
        worktree = Path(tempfile.mkdtemp(prefix="workbench-baseline-")) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.baseline_ref], cwd=HERE.parent, check=True, capture_output=True)
        labels[f"scipy@{args.baseline_ref}"] = worktree
    runs: dict[str, list[dict]] = {label: [] for label in labels}
    try:
        for repeat in range(args.repeats):  # interleaved, so that a drift of the machine hits every label alike
            for label, tree in labels.items():
                environment = dict(os.environ, PYTHONPATH=str(tree)) if tree else None
                completed = subprocess.run(
                    [sys.executable, __file__, "--child", label.split("@")[0]], capture_output=True, text=True, check=False, env=environment
                )
                if completed.returncode != 0:
                    sys.exit(f"run {repeat + 1} of {label} failed:\n{completed.stderr}")
                result = json.loads(completed.stdout.strip().splitlines()[-1])
                runs[label].append(result)
                print(f"{label} run {repeat + 1}: {result['grid_and_test_seconds']:.2f} s, "
                      f"peak {result['peak_rss_bytes'] / 2**30:.2f} GiB", file=sys.stderr)
    finally:
        if worktree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=HERE.parent, check=False)

    summary = {}
    for label, results in runs.items():
        summary[label] = {
            "median_grid_and_test_seconds": statistics.median(r["grid_and_test_seconds"] for r in results),
            "median_select_seconds": statistics.median(r["select_seconds"] for r in results),
            "median_test_seconds": statistics.median(r["test_seconds"] for r in results),
            "median_load_seconds": statistics.median(r["load_seconds"] for r in results),
            "median_peak_rss_gib": statistics.median(r["peak_rss_bytes"] for r in results) / 2**30,
            "chosen_lambda": results[0]["chosen_lambda"],
            "test": results[0]["test"],
        }
    device = runs[next(iter(runs))][0]["device"]
    payload = {
        "question": "∞-AE on ML-1M (paper split): whole λ grid {1,5,20,50,100} + test evaluation",
        "date": date.today().isoformat(),
        "machine": {**describe(), "device": device},
        "repeats": args.repeats,
        "summary": summary,
        "runs": runs,
    }
    output = args.output or HERE / "results" / f"infinite_ae_ml1m.{device.lower().replace(' ', '-')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(payload, indent=2) + "\n")
    os.replace(temporary, output)
    print(f"| algebra | grid + test (median of {args.repeats}) | of which test | peak memory | load | λ | test NDCG@10 |")
    print("|---|---|---|---|---|---|---|")
    baseline_label = f"scipy@{args.baseline_ref}" if args.baseline_ref else "scipy"
    baseline = summary.get(baseline_label, next(iter(summary.values())))["median_grid_and_test_seconds"]
    for algebra, row in summary.items():
        print(f"| {algebra} | {row['median_grid_and_test_seconds']:.1f} s ({row['median_grid_and_test_seconds'] / baseline:.2f}x) "
              f"| {row['median_test_seconds']:.1f} s | {row['median_peak_rss_gib']:.2f} GiB | {row['median_load_seconds']:.1f} s "
              f"| {row['chosen_lambda']:g} | {row['test']['NDCG@10']:.2f} |")
    print(f"written to {output}")


if __name__ == "__main__":
    main()
