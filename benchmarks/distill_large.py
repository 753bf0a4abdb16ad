"""Distill-CF on data larger than ML-1M (Gowalla; Netflix-shaped generated data): seconds per step,
peak memory, the validation history and ∞-AE's test metrics on the summary.

    python benchmarks/distill_large.py [--dataset gowalla] [--budget 500] [--batch-users 2000]
        [--draws γ] [--tau τ] [--start-logit s] [--steps S] [--evaluate-every E] [--patience P] [--seed 0] [--output FILE]
    python benchmarks/distill_large.py --like netflix --scale 0.02 --budget 500 --batch-users 2000 --time-only

One process, three phases:

1. **steps**: ``init`` and ``StepData.from_dataset`` (the training matrix stays sparse; with
   ``--batch-users b`` an update makes only b rows dense), the first update (compiles), then
   ``--timing-steps`` updates one at a time, each waited for: their seconds and the median (at
   inner λ = 1, the starting users as logits).
2. **distill** (not with ``--time-only``): ``distill()`` with these settings: the validation history
   (step, loss, validation HR@10/HR@100, inner λ, seconds since the start). Its first entry's
   seconds are the step-0 validation alone: ``validation_seconds`` (each validation scores every
   user with validation items, for every inner λ; later intervals add their steps).
3. **test** (not with ``--time-only`` or ``--no-test``): ∞-AE fitted on the best summary, λ chosen on validation from
   ``workbench.samplers.SUMMARY_LAMBDAS`` (as ``distill_quality_ml1m.py``), evaluated on test (on
   Gowalla and Yelp2018 LightGCN's Recall@20/NDCG@20 too).

Peak memory is the process's VmHWM (resident high-water mark, /proc/self/status), read after the
steps and at the end; on a GPU also the device's ``peak_bytes_in_use``. ``step_memory_estimate`` is
what :func:`workbench.distill.distill.check` allowed for (per device). With more than one device
visible the target rows are divided over all of them (docs/distill_cf.md).

``--like netflix --scale s`` generates Netflix-shaped data (``workbench generate``) into a
temporary folder (or ``--data-dir``) first: 480,189·s users x 17,770 items.

Writes JSON atomically to benchmarks/results/distill_large.<dataset>.mu<μ>.b<b|all>[.start<s>].json
(the dataset name carries the scale for generated data; ``.start<s>`` when ``--start-logit`` is not 1). Settings not given are
``DistillConfig``'s defaults. ``--inner-lambdas`` and ``--downstream-lambdas`` shrink the λ grids
(for smoke runs; the defaults are the package's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


def vm_hwm_bytes() -> int | None:
    """The process's peak resident memory (VmHWM) in bytes, or None where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def gib(n_bytes: int | None) -> float | None:
    return None if n_bytes is None else n_bytes / 2**30


def device_peak_bytes() -> int | None:
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")


def float_list(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def load(args: argparse.Namespace, scratch: Path) -> tuple[object, str]:
    """The dataset and the name its results carry."""
    from workbench.data import load_dataset

    if args.like is None:
        return load_dataset(args.dataset, data_dir=args.data_dir), args.dataset
    from workbench.data.generate import GenerateConfig, generate, write_generated

    config = GenerateConfig(like=args.like, scale=args.scale, seed=args.generate_seed)
    folder = args.data_dir or scratch
    if not (Path(folder) / config.dataset_name).is_dir():
        started = time.perf_counter()
        write_generated(generate(config), folder)
        print(f"generated {config.dataset_name} at scale {args.scale:g} in {time.perf_counter() - started:.1f} s", flush=True)
    return load_dataset(config.dataset_name, data_dir=folder), f"{config.dataset_name}.scale{args.scale:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="gowalla", help="a dataset name (default gowalla)")
    parser.add_argument("--like", choices=("netflix",), help="generate data shaped like this dataset instead of --dataset")
    parser.add_argument("--scale", type=float, default=0.02, help="with --like: the fraction of its users (default 0.02)")
    parser.add_argument("--generate-seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, help="where the data is (or is generated); default $WORKBENCH_DATA / a temporary folder")
    parser.add_argument("--budget", type=int, default=500, help="μ, synthetic users (500)")
    parser.add_argument("--batch-users", type=int, help="b, real users per step (default all)")
    parser.add_argument("--draws", type=int, help="γ (default DistillConfig's)")
    parser.add_argument("--tau", type=float, help="τ (default DistillConfig's)")
    parser.add_argument("--start-logit", type=float, help="the starting users' item logit s (default DistillConfig's)")
    parser.add_argument("--steps", type=int, help="Distill-CF's most steps (default DistillConfig's)")
    parser.add_argument("--evaluate-every", type=int, help="steps between validations (default DistillConfig's)")
    parser.add_argument("--patience", type=int, help="early stop (default DistillConfig's)")
    parser.add_argument("--timing-steps", type=int, default=5, help="updates timed one at a time after the first (5)")
    parser.add_argument("--inner-lambdas", type=float_list, help="Distill-CF's inner λ grid (default the package's)")
    parser.add_argument("--downstream-lambdas", type=float_list, help="∞-AE's grid on the summary (default SUMMARY_LAMBDAS)")
    parser.add_argument("--time-only", action="store_true", help="time the steps only: no distillation, no test")
    parser.add_argument("--no-test", action="store_true", help="distil, but do not fit and test ∞-AE on the summary")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    import dataclasses

    import jax
    import jax.numpy as jnp
    import numpy as np
    import scipy.sparse as sp

    from workbench.atomic import write_atomic
    from workbench.distill import DistillConfig, StepData, StepSettings, distill, init, step, step_memory
    from workbench.distill.distill import target_mesh
    from workbench.evaluation import config_for, evaluate_model
    from workbench.models import InfiniteAE
    from workbench.samplers import SUMMARY_LAMBDAS

    with tempfile.TemporaryDirectory(prefix="distill_large.") as scratch:
        started = time.perf_counter()
        dataset, name = load(args, Path(scratch))
        load_seconds = time.perf_counter() - started
    print(dataset, flush=True)
    given = {"draws": args.draws, "temperature": args.tau, "steps": args.steps, "evaluate_every": args.evaluate_every,
             "patience": args.patience, "lambdas": args.inner_lambdas, "start_logit": args.start_logit}
    config = DistillConfig(budget=args.budget, target_batch=args.batch_users,
                           **{name: value for name, value in given.items() if value is not None})
    mesh = target_mesh()
    devices = 1 if mesh is None else mesh.size
    nnz = int(dataset.train.nnz)
    kept = config.draws if config.store_draws else 0  # the draws kept for the backward pass
    estimate = step_memory(dataset.n_users, dataset.n_items, nnz, config.budget, config.target_batch, devices, kept)

    # 1. steps, each waited for, at λ = 1 (as distill_ml1m.py; init's λ is the grid's first, 1e-5, which
    #    distill() replaces at the step-0 validation before any update: at it K̂ + λ̃I may not factor in float32)
    state = dataclasses.replace(init(dataset, config, args.seed), lam=jnp.asarray(1.0, jnp.float32))
    data = StepData.from_dataset(dataset, sparse_products=config.target_batch is None)  # as distill() builds it
    settings = StepSettings.from_config(config)
    started = time.perf_counter()
    state, loss = step(state, data, settings)
    loss.block_until_ready()
    first = time.perf_counter() - started
    times = []
    for _ in range(args.timing_steps):
        started = time.perf_counter()
        state, loss = step(state, data, settings)
        loss.block_until_ready()
        times.append(time.perf_counter() - started)
    peak_after_steps = vm_hwm_bytes()
    device_peak_after_steps = device_peak_bytes()
    median = statistics.median(times) if times else None
    print(f"step: median {median} s over {len(times)}, first (compiles) {first:.1f} s, loss {float(loss):.4f}, "
          f"VmHWM {gib(peak_after_steps):.2f} GiB, estimate {gib(estimate):.2f} GiB per device", flush=True)
    del state, data

    payload: dict = {
        "question": f"Distill-CF on {name}: seconds per step, peak memory, validation history and ∞-AE's test metrics on the summary",
        "date": date.today().isoformat(),
        "machine": {**describe(), "device": str(jax.devices()[0].device_kind), "devices": len(jax.devices()), "jax": jax.__version__},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "dataset": {"name": name, "n_users": dataset.n_users, "n_items": dataset.n_items, "train_interactions": nnz},
        "settings": {**asdict(config), "seed": args.seed, "devices": devices},
        "load_seconds": load_seconds,
        "median_step_seconds": median,
        "step_seconds": times,
        "compile_and_first_step_seconds": first,
        "last_timed_loss": float(loss),
        "step_memory_estimate_gib": gib(estimate),
        "peak_rss_after_steps_gib": gib(peak_after_steps),
        "device_peak_after_steps_gib": gib(device_peak_after_steps),
    }

    if not args.time_only:
        # 2. the distillation
        started = time.perf_counter()
        result = distill(dataset, config, seed=args.seed, progress=True)
        distill_seconds = time.perf_counter() - started
        history = asdict(result.history)
        print(f"distilled in {distill_seconds:.0f} s: best step {result.best_step}, validation HR@100 "
              f"{result.best_validation_hr100:.2f}, stopped: {result.stopped}", flush=True)
        payload.update({
            "distill_seconds": distill_seconds,
            "validation_seconds": history["seconds"][0],  # the step-0 validation, alone
            "best_step": result.best_step,
            "best_validation_hr100": result.best_validation_hr100,
            "inner_lambda": result.lam,
            "stopped": result.stopped,
            "history": history,
        })

    if not args.time_only and not args.no_test:
        # 3. ∞-AE on the best summary of phase 2, tested
        lambdas = args.downstream_lambdas or SUMMARY_LAMBDAS
        started = time.perf_counter()
        report = evaluate_model(
            InfiniteAE(lambdas=lambdas), dataset, seed=args.seed, config=config_for(dataset), train=sp.csr_matrix(result.summary),
            row_users=np.full(config.budget, -1), progress=False,
        )
        payload.update({
            "downstream_lambdas": list(lambdas),
            "downstream_lambda": report.hyperparameters["lambda"],
            "test_seconds": time.perf_counter() - started,
            "test": report.test,
            "validation": report.validation,
        })
        print({key: round(value, 2) for key, value in report.test.items()}, flush=True)

    payload["peak_rss_gib"] = gib(vm_hwm_bytes())
    payload["device_peak_gib"] = gib(device_peak_bytes())
    batch = "all" if config.target_batch is None else str(config.target_batch)
    start = "" if config.start_logit == 1 else f".start{config.start_logit:g}"
    output = args.output or HERE / "results" / f"distill_large.{name}.mu{config.budget}.b{batch}{start}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, json.dumps(payload, indent=2, default=float) + "\n")
    print(json.dumps({key: value for key, value in payload.items() if key not in ("history", "step_seconds", "test", "validation")},
                     indent=2, default=float))
    print(f"written to {output}")


if __name__ == "__main__":
    main()
