"""Seconds per Distill-CF update on ML-1M (μ = 500, γ = 200, all users): X·X̂ᵀ dense against sparse.

    python benchmarks/distill_sparse_targets.py [--rounds 3] [--updates 4] [--output FILE]

The same updates from the same state (the binary rows of μ random users, seed 0, λ = 1), in one
process, alternating in rounds: ``StepData.from_dataset(..., sparse_products=False)`` (X·X̂ᵀ and its
gradient as dense products of the n x d rows) against the default (from the training matrix in CSR
and item order, :mod:`workbench.distill.sparse_targets`). Also the loss and the gradient's largest
difference between the two, relative to its largest entry. Writes
benchmarks/results/distill_sparse_targets.json (atomically).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np

from machine import describe

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=4, help="updates timed per way and round")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "distill_sparse_targets.json")
    args = parser.parse_args()

    import jax.numpy as jnp

    from workbench.atomic import write_atomic
    from workbench.data import load_dataset
    from workbench.distill import DistillConfig, StepData, StepSettings, init, loss_and_gradient, run_steps

    machine = describe()
    dataset = load_dataset("ml-1m")
    config = DistillConfig()
    start = dataclasses.replace(init(dataset, config, 0), lam=jnp.asarray(1.0, jnp.float32))
    settings = StepSettings.from_config(config)
    data = {"dense X·X̂ᵀ": StepData.from_dataset(dataset, sparse_products=False), "sparse X·X̂ᵀ": StepData.from_dataset(dataset)}
    values = {name: loss_and_gradient(start, chosen, settings) for name, chosen in data.items()}
    (dense_loss, dense_gradient), (sparse_loss, sparse_gradient) = (
        (float(loss), np.asarray(gradient, np.float64)) for loss, gradient in values.values()
    )
    agreement = {
        "loss_dense": dense_loss, "loss_sparse": sparse_loss,
        "gradient_max_difference_relative": float(np.abs(dense_gradient - sparse_gradient).max() / np.abs(dense_gradient).max()),
    }
    for chosen in data.values():  # compile
        run_steps(start, chosen, 1, settings).loss.block_until_ready()
    seconds = {name: [] for name in data}
    for round_index in range(args.rounds):
        for name, chosen in data.items():
            started = time.perf_counter()
            run_steps(start, chosen, args.updates, settings).loss.block_until_ready()
            seconds[name].append((time.perf_counter() - started) / args.updates)
            print(f"round {round_index}: {name} {seconds[name][-1]:.3f} s/update", flush=True)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    ratio = medians["sparse X·X̂ᵀ"] / medians["dense X·X̂ᵀ"]
    print(f"medians {medians}, sparse/dense {ratio:.3f}; {agreement}")
    payload = {
        "question": "seconds per Distill-CF update on ML-1M, all users: X·X̂ᵀ dense against sparse",
        "date": date.today().isoformat(),
        "machine": machine,
        "settings": {"budget": config.budget, "draws": config.draws, "rounds": args.rounds, "updates": args.updates},
        "seconds_per_update": seconds,
        "median_seconds_per_update": medians,
        "ratio_sparse_to_dense": ratio,
        "agreement": agreement,
    }
    write_atomic(args.output, json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
