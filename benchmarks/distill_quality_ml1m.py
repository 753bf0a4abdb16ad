"""How good is ∞-AE trained on a Distill-CF summary of ML-1M? Test metrics vs μ, τ and steps.

    python benchmarks/distill_quality_ml1m.py --budget 500 [--temperature 10 --steps 500 --patience 50
        --draws 200 --learning-rate 0.04 --start-logit 1 --store-draws/--no-store-draws --seed 42 --variants
        --authors-schedule --authors-adam]

Distils ML-1M's training users (the paper's split) with ``DistillConfig``'s defaults for every flag
not given, then evaluates ∞-AE fitted on the summary (its λ chosen on validation from
``SUMMARY_LAMBDAS``) on the real test split. ``--variants`` also evaluates the same summary with
∞-AE's default grid for real data and binarised (each synthetic user's round(row sum) largest
entries set to 1), for the table of differences with the authors' code. Writes JSON (a temporary
name, then renamed) with the machine, the settings, the distillation history, its seconds and the
test metrics, and the process's peak resident memory; the summary itself goes to a git-ignored .npz beside it.

Two flags run the package's loop with a difference from the authors' code that changes a run
(BENCHMARKS.md, "Distill-CF against the authors' code"): ``--authors-schedule`` validates (and
re-chooses the inner λ) at their steps, every multiple of 25 up to 200 and every multiple of 40,
instead of every ``evaluate_every``; ``--authors-adam`` starts Adam's step count at 1, as their
``opt_update(i, …)`` with i = 1, 2, … does (its bias correction one step ahead: the first update
0.74× optax's). Both, with ``--patience 150``, are the authors' loop but for the noise generator and
the key of the evaluated draw.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import contextlib

import numpy as np
import scipy.sparse as sp

from machine import describe

HERE = Path(__file__).resolve().parent


def authors_validation_steps(step_count: int, config) -> int:
    """The authors' next validation after ``step_count``: a multiple of 25 up to 200, or of 40; at most
    ``config.steps``."""
    step = step_count + 1
    while step < config.steps and not ((step <= 200 and step % 25 == 0) or step % 40 == 0):
        step += 1
    return min(step, config.steps)


@contextlib.contextmanager
def authors_loop(schedule: bool, adam: bool):
    """Within it, :func:`workbench.distill.distill` validates at :func:`authors_validation_steps`
    (``schedule``) and its Adam state starts with count 1, the authors' bias correction (``adam``);
    both undone on exit. With neither, it touches nothing (and imports nothing: the package of an
    older commit, timed by ``distill_speed_ml1m.py``, may not have these names)."""
    if not (schedule or adam):
        yield
        return
    import dataclasses
    import importlib

    import jax.numpy as jnp

    module = importlib.import_module("workbench.distill.distill")

    def init(*args, **kwargs):
        state = original_init(*args, **kwargs)
        first, *rest = state.optimizer_state
        return dataclasses.replace(state, optimizer_state=(first._replace(count=jnp.ones_like(first.count)), *rest))

    original_init, original_next = module.init, module.next_validation
    if adam:
        module.init = init
    if schedule:
        module.next_validation = authors_validation_steps
    try:
        yield
    finally:
        module.init, module.next_validation = original_init, original_next


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
    parser.add_argument("--authors-schedule", action="store_true",
                        help="validate at the authors' steps: multiples of 25 up to 200 and of 40 (see the module doc)")
    parser.add_argument("--authors-adam", action="store_true",
                        help="start Adam's step count at 1, as the authors' code does (see the module doc)")
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
    with authors_loop(args.authors_schedule, args.authors_adam):
        result = distill(dataset, config, seed=args.seed)
    distill_seconds = time.perf_counter() - started
    stem = (f"distill_quality_ml1m.mu{config.budget}.tau{config.temperature:g}.steps{config.steps}"
            f".patience{config.patience}{'' if args.learning_rate is None else f'.lr{config.learning_rate:g}'}"
            f"{'' if args.start_logit is None else f'.start{config.start_logit:g}'}"
            f"{'' if args.store_draws is None else ('.kept' if args.store_draws else '.made-again')}"
            f"{'' if args.evaluate_every is None else f'.every{config.evaluate_every}'}"
            f"{'.authors-schedule' if args.authors_schedule else ''}{'.authors-adam' if args.authors_adam else ''}"
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
        "settings": {**asdict(config), "seed": args.seed, "authors_schedule": args.authors_schedule,
                     "authors_adam": args.authors_adam},
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
