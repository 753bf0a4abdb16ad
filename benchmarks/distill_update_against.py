"""Seconds per Distill-CF update on ML-1M (μ = 500, γ = 200, all users): an older checkout's code against today's.

    python benchmarks/distill_update_against.py --before dff2303 [--rounds 3] [--updates 4] [--output FILE]

Each round times, in a fresh process for each side and one side after the other, ``--updates``
updates of ``run_steps`` from the same state (the binary rows of μ random users, seed 0, λ = 1)
after one update to compile: first with the package of commit ``--before`` (checked out into a
temporary git worktree and put first on ``PYTHONPATH``), then with this checkout's. Both use the
``DistillConfig`` defaults of their own code. The sides alternate, so that a change in the machine's
load falls on both. Also each side's loss after those updates, which must agree to float32 rounding
when the change is one of arithmetic order only. Writes
benchmarks/results/distill_update_against.<before>.json (atomically): the machine, every round's
seconds per update, the medians and today's over before.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path

from checkout import ROOT, checkout, head
from machine import describe

HERE = Path(__file__).resolve().parent

#: What one process runs: a JSON line with the seconds per update and the loss after them.
CHILD = """
import dataclasses, json, sys, time
import jax.numpy as jnp
from workbench.data import load_dataset
from workbench.distill import DistillConfig, StepData, StepSettings, init, run_steps
updates = int(sys.argv[1])
dataset = load_dataset("ml-1m")
config = DistillConfig()
start = dataclasses.replace(init(dataset, config, 0), lam=jnp.asarray(1.0, jnp.float32))
settings = StepSettings.from_config(config)
data = StepData.from_dataset(dataset)
run_steps(start, data, 1, settings).loss.block_until_ready()  # compile
started = time.perf_counter()
state = run_steps(start, data, updates, settings)
state.loss.block_until_ready()
print(json.dumps({"seconds_per_update": (time.perf_counter() - started) / updates, "loss": float(state.loss)}))
"""


def time_updates(package_root: Path, updates: int) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(package_root)}
    finished = subprocess.run([sys.executable, "-c", CHILD, str(updates)], check=True, env=environment, cwd=HERE,
                              capture_output=True, text=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit whose code is the baseline")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=4, help="updates timed per side and round")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    from workbench.atomic import write_atomic

    machine = describe()
    commit = head()
    rounds: dict[str, list[dict]] = {"before": [], "today": []}
    with checkout(args.before) as worktree:
        for index in range(args.rounds):
            for side, root in (("before", worktree), ("today", ROOT)):
                rounds[side].append(time_updates(root, args.updates))
                print(f"round {index}: {side} {rounds[side][-1]}", flush=True)
    medians = {side: statistics.median(entry["seconds_per_update"] for entry in entries) for side, entries in rounds.items()}
    ratio = medians["today"] / medians["before"]
    print(f"medians {medians}, today/before {ratio:.3f}")
    payload = {
        "question": "seconds per Distill-CF update on ML-1M, all users: an older checkout's code against today's",
        "date": date.today().isoformat(),
        "machine": machine,
        "before": args.before,
        "today": commit,
        "settings": {"rounds": args.rounds, "updates": args.updates, "state": "init(ml-1m, DistillConfig(), seed 0), λ = 1"},
        "rounds": rounds,
        "median_seconds_per_update": medians,
        "ratio_today_to_before": ratio,
    }
    write_atomic(args.output or HERE / "results" / f"distill_update_against.{args.before}.json", json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
