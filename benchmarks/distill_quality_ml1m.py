"""How good is ∞-AE trained on a Distill-CF summary of ML-1M? Test metrics vs μ, τ and steps.

    python benchmarks/distill_quality_ml1m.py --budget 500 [--temperature 10 --steps 500 --patience 50
        --draws 200 --learning-rate 0.04 --start-logit 1 --store-draws/--no-store-draws --seed 42 --variants]

Distils ML-1M's training users (the paper's split) with ``DistillConfig``'s defaults for every flag
not given, then evaluates ∞-AE fitted on the summary (its λ chosen on validation from
``SUMMARY_LAMBDAS``) on the real test split. ``--variants`` also evaluates the same summary with
∞-AE's default grid for real data and binarised (each synthetic user's round(row sum) largest
entries set to 1), for the table of differences with the authors' code. Writes JSON (a temporary
name, then renamed) with the machine, the settings, the distillation history, its seconds and the
test metrics, and the process's peak resident memory; the summary itself goes to a git-ignored .npz beside it.
"""

from __future__ import annotations

import argparse
import json
import resource
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
    parser.add_argument("--steps", type=int)
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--draws", type=int)
    parser.add_argument("--evaluate-every", type=int)
    parser.add_argument("--patience", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--start-logit", type=float, help="the logit of a starting user's items (DistillConfig.start_logit)")
    parser.add_argument("--store-draws", action=argparse.BooleanOptionalAction,
                        help="keep a step's Gumbel draws (or not); default: the package's rule")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--variants", action="store_true", help="also evaluate with ∞-AE's default grid and binarised")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    from workbench.data import load_dataset
    from workbench.distill import DistillConfig, distill
    from workbench.samplers import SUMMARY_LAMBDAS
    from workbench.samplers import build_sample
    from workbench.evaluation import evaluate_model
    from workbench.models import InfiniteAE

    dataset = load_dataset("ml-1m")
    given = {"steps": args.steps, "temperature": args.temperature, "draws": args.draws,
             "evaluate_every": args.evaluate_every, "patience": args.patience, "store_draws": args.store_draws,
             "learning_rate": args.learning_rate, "start_logit": args.start_logit}
    config = DistillConfig(budget=args.budget, **{name: value for name, value in given.items() if value is not None})
    started = time.perf_counter()
    result = distill(dataset, config, seed=args.seed)
    distill_seconds = time.perf_counter() - started
    stem = (f"distill_quality_ml1m.mu{config.budget}.tau{config.temperature:g}.steps{config.steps}"
            f".patience{config.patience}{'' if args.learning_rate is None else f'.lr{config.learning_rate:g}'}"
            f"{'' if args.start_logit is None else f'.start{config.start_logit:g}'}"
            f"{'' if args.store_draws is None else ('.kept' if args.store_draws else '.made-again')}"
            f".seed{args.seed}")
    build_sample(result.summary, np.full(args.budget, -1), train=dataset.train, sampler="distill-cf",
                 budget=str(args.budget), seed=args.seed).for_dataset(dataset).save(HERE / "results" / f"{stem}.npz")  # git-ignored
    def downstream(summary: np.ndarray, lambdas: tuple[float, ...] | None):
        model = InfiniteAE(lambdas=lambdas) if lambdas else InfiniteAE()
        return evaluate_model(model, dataset, seed=args.seed, train=sp.csr_matrix(summary),
                              row_users=np.full(args.budget, -1), progress=False)

    report = downstream(result.summary, SUMMARY_LAMBDAS)
    variants = {}
    if args.variants:
        for name, summary, lambdas in (("continuous, ∞-AE's default grid", result.summary, None),
                                       ("binarised, SUMMARY_LAMBDAS", result.binary, SUMMARY_LAMBDAS)):
            other = downstream(summary, lambdas)
            variants[name] = {"lambda": other.hyperparameters["lambda"], "test": other.test, "validation": other.validation}
    payload = {
        "question": "∞-AE on a Distill-CF summary of ML-1M: test metrics",
        "date": date.today().isoformat(),
        "machine": describe(),
        "settings": {**asdict(config), "seed": args.seed},
        "distill_seconds": distill_seconds,
        "peak_resident_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "best_step": result.best_step,
        "stopped": result.stopped,
        "history": asdict(result.history),
        "downstream_lambda": report.hyperparameters["lambda"],
        "test": report.test,
        "validation": report.validation,
        "variants": variants,
    }
    output = args.output or HERE / "results" / f"{stem}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(output.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    temporary.replace(output)
    print(json.dumps({k: payload[k] for k in ("best_step", "stopped", "downstream_lambda", "distill_seconds")}, default=float))
    print({k: round(v, 2) for k, v in report.test.items()})


if __name__ == "__main__":
    main()
