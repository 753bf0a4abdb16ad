"""Seconds per Distill-CF optimiser step, and peak memory, on ML-1M (μ = 500, γ = 200, all users).

    python benchmarks/distill_ml1m.py [--steps 8] [--budget 500] [--draws 200] [--output FILE]

One fresh process: load ML-1M, compile the update, then time ``--steps`` updates (each waits for its
result). Reports the median step, the compile+first step apart, and ru_maxrss. Validation
evaluations are not part of a step (they run every ``evaluate_every`` steps; timed apart).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from distill_setup import add_step_arguments, ml1m_step_inputs
from machine import describe

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    add_step_arguments(parser)
    args = parser.parse_args()

    import jax
    import numpy as np

    from workbench.distill.distill import choose_inner_lambda, draw_summary, update_step
    from workbench.evaluation import EvaluationConfig, EvaluationData

    inputs = ml1m_step_inputs(args.budget, args.draws)
    dataset, config, optimizer = inputs.dataset, inputs.config, inputs.optimizer
    logits, state, key = inputs.logits, inputs.state, inputs.key
    targets, lam, mean_size = inputs.targets, inputs.lam, inputs.mean_size

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
        "machine": {**describe(), "device": str(jax.devices()[0].device_kind)},
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
