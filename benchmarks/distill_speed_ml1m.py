"""Time to a Distill-CF summary of ML-1M (μ = 500): an older checkout's code and settings against today's, side by side.

    python benchmarks/distill_speed_ml1m.py --before 1482d9d [--before-settings "--steps 500 --patience 150
        --temperature 5"] [--seeds 42,1,2] [--output FILE]

Runs ``benchmarks/distill_quality_ml1m.py`` in fresh processes, one after the other on the same
machine, for each seed in turn: first with the package of commit ``--before`` (checked out into a
temporary git worktree and put first on ``PYTHONPATH``) and that commit's default settings spelled
out in ``--before-settings``, then with this checkout's package and its ``DistillConfig`` defaults
(before and today alternate, so that a change in the machine's load falls on both). Each run
distils (validations included), then fits ∞-AE on the summary and evaluates it on test. Writes
benchmarks/results/distill_speed_ml1m.seed<seed>.json for one seed, or
distill_speed_ml1m.seeds<a-b-c>.json for several (a temporary name, then renamed): the machine, every
run's results (settings, history, ``distill_seconds``, peak memory, test metrics), the median
distillation time of each side and their ratio, today's over before.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from checkout import checkout, head
from machine import describe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
QUALITY = HERE / "distill_quality_ml1m.py"


def run(package_root: Path, flags: list[str], output: Path) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(package_root)}
    command = [sys.executable, str(QUALITY), "--budget", "500", *flags, "--output", str(output)]
    print("$", shlex.join(command), f"(PYTHONPATH={package_root})", flush=True)
    subprocess.run(command, check=True, env=environment, cwd=HERE)
    return json.loads(output.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit whose code is today's baseline")
    parser.add_argument("--before-settings", default="--steps 500 --patience 150 --temperature 5",
                        help="flags of distill_quality_ml1m.py giving that commit's defaults")
    parser.add_argument("--seeds", default="42", help="comma-separated seeds, one before/today pair each")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    seeds = [int(text) for text in args.seeds.split(",")]
    machine = describe()
    commit = head()
    runs: dict[str, list[dict]] = {"before": [], "today": []}
    with tempfile.TemporaryDirectory() as scratch, checkout(args.before) as worktree:
        for seed in seeds:
            flags = ["--seed", str(seed)]
            runs["before"].append(run(worktree, shlex.split(args.before_settings) + flags, Path(scratch) / f"before{seed}.json"))
            runs["today"].append(run(ROOT, flags, Path(scratch) / f"today{seed}.json"))
    median = {side: statistics.median(result["distill_seconds"] for result in results) for side, results in runs.items()}
    quality = {side: [result["test"]["NDCG@10"] for result in results] for side, results in runs.items()}
    payload = {
        "question": "time to a μ = 500 Distill-CF summary of ML-1M, before and today, in one run",
        "date": date.today().isoformat(),
        "machine": machine,
        "seeds": seeds,
        "before": {"commit": args.before, "flags": args.before_settings, "runs": runs["before"]},
        "today": {"commit": commit, "flags": "DistillConfig defaults", "runs": runs["today"]},
        "median_distill_seconds": median,
        "time_ratio": median["today"] / median["before"],
        "test_NDCG@10": quality,
        "test_NDCG@10_mean": {side: statistics.fmean(values) for side, values in quality.items()},
    }
    if len(seeds) == 1:  # the layout of the one-seed file recorded before --seeds
        payload["before"].update(runs["before"][0])
        payload["today"].update(runs["today"][0])
    name = f"seed{seeds[0]}" if len(seeds) == 1 else "seeds" + "-".join(map(str, seeds))
    output = args.output or HERE / "results" / f"distill_speed_ml1m.{name}.json"
    temporary = output.with_name(output.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    temporary.replace(output)
    print(json.dumps({key: payload[key] for key in ("median_distill_seconds", "time_ratio", "test_NDCG@10")}))


if __name__ == "__main__":
    main()
