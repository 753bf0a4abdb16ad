"""Seconds per Distill-CF update on ML-1M (μ = 500, γ = 200): the draws made again, kept per update, kept in one buffer.

    python benchmarks/distill_store_draws.py [--rounds 3] [--updates 5] [--budget 500] [--draws 200] [--output FILE]

Three ways to take the same update, in one process, alternating in rounds so that a change in the
machine's load falls on all three:

- ``made again``: ``store_draws=False``; the backward pass makes the γ draws again from their keys
  (O(μ·d) memory), through :func:`workbench.distill.step`;
- ``kept, a buffer per update``: ``store_draws=True`` through :func:`workbench.distill.step`, which
  makes a fresh (γ, μ, d) buffer inside each update;
- ``kept, one buffer``: ``store_draws=True`` through :func:`workbench.distill.run_steps`, whose
  updates pass one donated buffer from each to the next (what :func:`workbench.distill.distill` runs).

Each update starts from the same state (the binary rows of μ random users, seed 0, λ = 1) and waits
for its result. Per way: the median seconds per update, and the page faults and system CPU seconds
per update (``getrusage``): a fresh 1.5 GB buffer is faulted in page by page, which costs system
time that the user-level profile does not show. Writes benchmarks/results/distill_store_draws.json
(atomically).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=5, help="updates timed per way and round")
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "distill_store_draws.json")
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp

    from workbench.atomic import write_atomic
    from workbench.data import load_dataset
    from workbench.distill import DistillConfig, StepData, StepSettings, init, run_steps, step

    machine = describe()
    dataset = load_dataset("ml-1m")
    config = DistillConfig(budget=args.budget, draws=args.draws)
    start = dataclasses.replace(init(dataset, config, 0), lam=jnp.asarray(1.0, jnp.float32))
    data = StepData.from_dataset(dataset)
    base = StepSettings.from_config(config)
    made_again, kept = dataclasses.replace(base, store_draws=False), dataclasses.replace(base, store_draws=True)

    def by_step(settings: StepSettings):
        def updates(count: int) -> list[float]:
            seconds, state = [], start
            for _ in range(count):
                started = time.perf_counter()
                state, loss = step(state, data, settings)
                loss.block_until_ready()
                seconds.append(time.perf_counter() - started)
            return seconds
        return updates

    def by_run_steps(count: int) -> list[float]:
        # run_steps queues its updates; each timed here is one call of count 1 after a first call
        # that made the buffer, so time the whole run and divide (the buffer is made once per run)
        started = time.perf_counter()
        state = run_steps(start, data, count, kept)
        state.loss.block_until_ready()
        return [(time.perf_counter() - started) / count] * count

    ways = {"made again": by_step(made_again), "kept, a buffer per update": by_step(kept), "kept, one buffer": by_run_steps}
    for way in ways.values():  # compile
        way(1)
    totals = {name: {"seconds": [], "minor_faults": 0, "system_seconds": 0.0, "updates": 0} for name in ways}
    for round_index in range(args.rounds):
        for name, way in ways.items():
            before = resource.getrusage(resource.RUSAGE_SELF)
            seconds = way(args.updates)
            after = resource.getrusage(resource.RUSAGE_SELF)
            totals[name]["seconds"].extend(seconds)
            totals[name]["minor_faults"] += after.ru_minflt - before.ru_minflt
            totals[name]["system_seconds"] += after.ru_stime - before.ru_stime
            totals[name]["updates"] += len(seconds)
            print(f"round {round_index}: {name:28s} {statistics.median(seconds):6.3f} s/update", flush=True)
    results = {
        name: {
            "median_seconds": statistics.median(total["seconds"]),
            "seconds": total["seconds"],
            "minor_faults_per_update": total["minor_faults"] / total["updates"],
            "system_seconds_per_update": total["system_seconds"] / total["updates"],
        }
        for name, total in totals.items()
    }
    reference = results["made again"]["median_seconds"]
    for name, result in results.items():
        result["ratio_to_made_again"] = result["median_seconds"] / reference
        print(f"{name:28s} median {result['median_seconds']:.3f} s ({result['ratio_to_made_again']:.2f}x), "
              f"{result['minor_faults_per_update']:,.0f} faults and {result['system_seconds_per_update']:.2f} s system per update")
    payload = {
        "question": "seconds per Distill-CF update on ML-1M: the draws made again, kept per update, kept in one buffer",
        "date": date.today().isoformat(),
        "machine": machine,
        "settings": {"budget": args.budget, "draws": args.draws, "rounds": args.rounds, "updates": args.updates,
                     "stored_draws_gib": 4 * args.draws * args.budget * dataset.n_items / 2**30},
        "results": results,
    }
    write_atomic(args.output, json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
