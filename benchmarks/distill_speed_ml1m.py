"""Time to a Distill-CF summary of ML-1M (μ = 500): an older checkout's code and settings against today's, side by side.

    python benchmarks/distill_speed_ml1m.py --before 1482d9d [--before-settings "--steps 500 --patience 150
        --temperature 5"] [--seed 42] [--output FILE]

Runs ``benchmarks/distill_quality_ml1m.py`` twice in fresh processes, one after the other on the
same machine: first with the package of commit ``--before`` (checked out into a temporary git
worktree and put first on ``PYTHONPATH``) and that commit's default settings spelled out in
``--before-settings``, then with this checkout's package and its ``DistillConfig`` defaults. Each run
distils (validations included), then fits ∞-AE on the summary and evaluates it on test. Writes
benchmarks/results/distill_speed_ml1m.seed<seed>.json (a temporary name, then renamed): the machine,
both runs' results (settings, history, ``distill_seconds``, test metrics) and the ratio of the
distillation times, today's over before.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

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
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    machine = describe()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    with tempfile.TemporaryDirectory() as scratch:
        worktree = Path(scratch) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.before], check=True, cwd=ROOT)
        try:
            seed = ["--seed", str(args.seed)]
            before = run(worktree, shlex.split(args.before_settings) + seed, Path(scratch) / "before.json")
            after = run(ROOT, seed, Path(scratch) / "after.json")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], check=False, cwd=ROOT)
    payload = {
        "question": "time to a μ = 500 Distill-CF summary of ML-1M, before and today, in one run",
        "date": date.today().isoformat(),
        "machine": machine,
        "before": {"commit": args.before, "flags": args.before_settings, **before},
        "today": {"commit": commit, "flags": "DistillConfig defaults", **after},
        "time_ratio": after["distill_seconds"] / before["distill_seconds"],
        "test_NDCG@10": {"before": before["test"]["NDCG@10"], "today": after["test"]["NDCG@10"]},
    }
    output = args.output or HERE / "results" / f"distill_speed_ml1m.seed{args.seed}.json"
    temporary = output.with_name(output.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    temporary.replace(output)
    print(json.dumps({key: payload[key] for key in ("time_ratio", "test_NDCG@10")}))


if __name__ == "__main__":
    main()
