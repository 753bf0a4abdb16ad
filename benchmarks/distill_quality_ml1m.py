"""How good is ∞-AE trained on a Distill-CF summary of ML-1M? Test metrics vs μ and steps.

    python benchmarks/distill_quality_ml1m.py --budget 500 --steps 500 [--temperature 10 --draws 200]

Distils ML-1M's training users (the paper's split), then evaluates ∞-AE fitted on the summary (its
λ chosen on validation from the default grid) on the real test split. Writes JSON with the
settings, the distillation history and the test metrics.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from machine import describe

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--temperature", type=float, default=5.0)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--evaluate-every", type=int, default=25)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    from workbench.data import load_dataset
    from workbench.distill import DistillConfig, distill
    from workbench.samplers import SUMMARY_LAMBDAS
    from workbench.samplers import build_sample
    from workbench.evaluation import evaluate_model
    from workbench.models import InfiniteAE

    dataset = load_dataset("ml-1m")
    config = DistillConfig(budget=args.budget, steps=args.steps, temperature=args.temperature, draws=args.draws,
                           evaluate_every=args.evaluate_every)
    started = time.perf_counter()
    result = distill(dataset, config, seed=args.seed)
    distill_seconds = time.perf_counter() - started
    stem = f"distill_quality_ml1m.mu{args.budget}.tau{args.temperature:g}.steps{args.steps}.seed{args.seed}"
    build_sample(result.summary, np.full(args.budget, -1), train=dataset.train, sampler="distill-cf",
                 budget=str(args.budget), seed=args.seed).for_dataset(dataset).save(HERE / "results" / f"{stem}.npz")  # git-ignored
    report = evaluate_model(InfiniteAE(lambdas=SUMMARY_LAMBDAS), dataset, seed=args.seed, train=sp.csr_matrix(result.summary),
                            row_users=np.full(args.budget, -1), progress=False)
    payload = {
        "question": "∞-AE on a Distill-CF summary of ML-1M: test metrics",
        "date": date.today().isoformat(),
        "machine": describe(),
        "settings": {**asdict(config), "seed": args.seed},
        "distill_seconds": distill_seconds,
        "best_step": result.best_step,
        "stopped": result.stopped,
        "history": asdict(result.history),
        "downstream_lambda": report.hyperparameters["lambda"],
        "test": report.test,
        "validation": report.validation,
    }
    output = args.output or HERE / "results" / f"{stem}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    print(json.dumps({k: payload[k] for k in ("best_step", "stopped", "downstream_lambda", "distill_seconds")}, default=float))
    print({k: round(v, 2) for k, v in report.test.items()})


if __name__ == "__main__":
    main()
