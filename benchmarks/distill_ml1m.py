"""Seconds per Distill-CF optimiser step, and peak memory, on ML-1M (μ = 500, γ = 200, all users).

    python benchmarks/distill_ml1m.py [--steps 8] [--budget 500] [--draws 200] [--output FILE]

One fresh process: load ML-1M, compile the update, then time ``--steps`` updates (each waits for its
result). Reports the median step, the compile+first step apart, and ru_maxrss. Validation
evaluations are not part of a step (they run every ``evaluate_every`` steps; timed apart).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    from workbench.data import load_dataset
    from workbench.distill.distill import DistillConfig, choose_inner_lambda, update_step, draw_summary
    from workbench.evaluation import EvaluationConfig, EvaluationData

    dataset = load_dataset("ml-1m")
    config = DistillConfig(budget=args.budget, draws=args.draws)
    rng = np.random.default_rng(0)
    users = np.sort(rng.choice(dataset.n_users, size=config.budget, replace=False))
    logits = jnp.asarray(dataset.train[users].toarray(), dtype=jnp.float32)
    targets = jnp.asarray(dataset.train.toarray(), dtype=jnp.float32)
    optimizer = optax.adam(config.learning_rate)
    state = optimizer.init(logits)
    key = jax.random.key(0)
    mean_size = dataset.train.nnz / dataset.n_users
    lam = jnp.asarray(1.0, jnp.float32)

    def step(logits, state, key):
        key, step_key = jax.random.split(key)
        logits, state, loss = update_step(logits, state, step_key, targets, lam, mean_size, config=config, optimizer=optimizer)
        loss.block_until_ready()
        return logits, state, key, float(loss)

    started = time.perf_counter()
    logits, state, key, _ = step(logits, state, key)
    first = time.perf_counter() - started
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        logits, state, key, loss = step(logits, state, key)
        times.append(time.perf_counter() - started)
    data = EvaluationData.prepare(dataset, seed=0, config=EvaluationConfig())
    started = time.perf_counter()
    summary = np.asarray(draw_summary(logits, key, config))
    choose_inner_lambda(summary, data, config, 0)
    evaluation_seconds = time.perf_counter() - started

    payload = {
        "question": f"Distill-CF on ML-1M: seconds per optimiser step, μ = {config.budget}, γ = {config.draws}, all users as targets",
        "date": date.today().isoformat(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "device": str(jax.devices()[0].device_kind)},
        "median_step_seconds": statistics.median(times),
        "step_seconds": times,
        "compile_and_first_step_seconds": first,
        "validation_evaluation_seconds": evaluation_seconds,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "last_loss": loss,
    }
    output = args.output or HERE / "results" / f"distill_ml1m.{payload['machine']['device'].lower().replace(' ', '-')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps({k: v for k, v in payload.items() if k != "step_seconds"}, indent=2))


if __name__ == "__main__":
    main()
