"""∞-AE on a dataset whose kernel is large (Gowalla, Yelp2018): the workbench's path against a plain one.

Three fresh child processes run one after the other, so that each one's peak resident memory
(ru_maxrss) is its own and no two compete for the cores:

* **workbench**: ``evaluate_model(InfiniteAE())`` as ``workbench evaluate`` runs it — λ chosen on a
  random subset of users, one blocked in-place factorisation and inverse on both cores, batched
  scoring through the sparse training matrix.
* **plain**: one λ (the one the workbench chose), computed the plain way: the same kernel, then
  LAPACK's ``spotrf`` and ``spotri`` on one BLAS thread (the setting that never crashes), then the
  same batched sparse scoring for validation and test.
* **floor**: the time of n³ float32 flops at this machine's measured ``sgemm`` rate (a product of
  n × n by n × 1024, scaled), against which every stage is quoted.

    python benchmarks/infinite_ae_large.py --dataset gowalla [--output FILE] [--exact-grid]

``--exact-grid`` adds a fourth run: the whole λ grid on all users (one factorisation per λ), to show
what choosing λ on a subset changes. Writes JSON (default
benchmarks/results/infinite_ae_large.<dataset>.json) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_workbench(dataset_name: str, exact: bool) -> dict:
    from workbench.data import load_dataset
    from workbench.evaluation import config_for, evaluate_model
    from workbench.models import InfiniteAE

    dataset = load_dataset(dataset_name)
    model = InfiniteAE(selection_users=None) if exact else InfiniteAE()
    started = time.perf_counter()
    report = evaluate_model(model, dataset, seed=0, config=config_for(dataset), progress=False)
    total = time.perf_counter() - started
    subset_seconds = sum(step.seconds for step in report.selection) if not exact else 0.0
    fit = {key.removeprefix("chosen_fit_"): value for key, value in report.seconds.items() if key.startswith("chosen_fit_")}
    stages = {f"choose λ on a subset ({len(report.selection)} λ)": subset_seconds} if not exact else {}
    stages.update({f"{name} (chosen λ, all users)": value for name, value in fit.items()})
    if exact:
        stages["whole grid on all users (5 λ, incl. the kernel and validation)"] = report.seconds["select_on_validation"]
    else:
        stages["validation (chosen λ, all users)"] = report.seconds["select_on_validation"] - subset_seconds - sum(fit.values())
    stages["test"] = report.seconds["test"]
    return {
        "path": "workbench, exact grid" if exact else "workbench",
        "n_users": dataset.n_users,
        "n_items": dataset.n_items,
        "train_interactions": int(dataset.train.nnz),
        "seconds_total": total,
        "stages": stages,
        "chosen_lambda": report.hyperparameters["lambda"],
        "selection": [{"lambda": step.hyperparameters["lambda"], "HR@100": step.validation["HR@100"]} for step in report.selection],
        "validation": report.validation,
        "test": report.test,
        "notes": list(report.notes),
        "peak_rss_bytes": _peak_rss(),
    }


def run_plain(dataset_name: str, lam: float) -> dict:
    import numpy as np
    import scipy.linalg
    from threadpoolctl import threadpool_limits

    from workbench.kernels.blocked_linalg import mirror_lower_of_f
    from workbench.data import load_dataset
    from workbench.evaluation import EvaluationData, config_for, evaluate_fitted
    from workbench.kernels.linalg import ScipyAlgebra
    from workbench.models import InfiniteAE
    from workbench.models.infinite_ae import FittedInfiniteAE, _SupportState

    dataset = load_dataset(dataset_name)
    config = config_for(dataset)
    data = EvaluationData.prepare(dataset, seed=0, config=config)
    stages = {}
    started = time.perf_counter()
    train = dataset.train
    state = _SupportState.build(InfiniteAE(), train, np.arange(train.shape[0]), np.arange(train.shape[0]), ScipyAlgebra())
    kernel = state.kernel()
    shift = lam * float(np.trace(kernel, dtype=np.float64)) / len(kernel)
    stages["kernel"] = time.perf_counter() - started
    started = time.perf_counter()
    kernel[np.diag_indices_from(kernel)] += np.float32(shift)
    with threadpool_limits(limits=1, user_api="blas"):
        factor, info = scipy.linalg.lapack.spotrf(kernel.T, lower=1, overwrite_a=1, clean=0)
        assert info == 0 and np.shares_memory(factor, kernel), info
        stages["factor (LAPACK, 1 thread)"] = time.perf_counter() - started
        started = time.perf_counter()
        inverse, info = scipy.linalg.lapack.spotri(factor, lower=1, overwrite_c=1)
        assert info == 0 and np.shares_memory(inverse, kernel), info
    mirror_lower_of_f(kernel)
    stages["invert (LAPACK, 1 thread)"] = time.perf_counter() - started
    fitted = FittedInfiniteAE(lam=lam, shift=shift, state=state, inverse=kernel)
    started = time.perf_counter()
    validation = evaluate_fitted(fitted, data, "validation", config)
    stages["validation"] = time.perf_counter() - started
    started = time.perf_counter()
    test = evaluate_fitted(fitted, data, "test", config)
    stages["test"] = time.perf_counter() - started
    return {
        "path": "plain, one λ",
        "seconds_total": sum(stages.values()),
        "stages": stages,
        "chosen_lambda": lam,
        "validation": validation.metrics,
        "test": test.metrics,
        "peak_rss_bytes": _peak_rss(),
    }


def run_floor(n: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    square = rng.random((n, n), dtype=np.float32)
    panel = rng.random((n, 1024), dtype=np.float32)
    square[:, :1024] @ panel[:1024]  # warm the threads
    started = time.perf_counter()
    square @ panel
    seconds = time.perf_counter() - started
    rate = 2.0 * n * n * 1024 / seconds
    return {"sgemm_flops_per_second": rate, "n_cubed_seconds": float(n) ** 3 / rate}


def _child(kind: str, *arguments: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, *arguments], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _cpu() -> dict:
    flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace") if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in flags.splitlines() if line.startswith("model name")), platform.processor())
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "avx512": " avx512f" in flags,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="gowalla")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--exact-grid", action="store_true", help="also run the whole grid on all users")
    parser.add_argument("--skip-plain", action="store_true", help="only the workbench path (and the floor)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "workbench":
            result = run_workbench(rest[0], exact=rest[1] == "exact")
        elif kind == "plain":
            result = run_plain(rest[0], float(rest[1]))
        else:
            result = run_floor(int(rest[0]))
        print(json.dumps(result, default=float))
        return
    runs = [_child("workbench", args.dataset, "subset")]
    print(f"workbench: {runs[0]['seconds_total']:.0f} s", file=sys.stderr, flush=True)
    if not args.skip_plain:
        runs.append(_child("plain", args.dataset, str(runs[0]["chosen_lambda"])))
        print(f"plain: {runs[1]['seconds_total']:.0f} s", file=sys.stderr, flush=True)
    if args.exact_grid:
        runs.append(_child("workbench", args.dataset, "exact"))
    floor = _child("floor", str(runs[0]["n_users"]))
    for run in runs:
        run["stage_ratio_to_n_cubed_floor"] = {name: seconds / floor["n_cubed_seconds"] for name, seconds in run["stages"].items()}
    result = {
        "question": "∞-AE on a large dataset: whole λ grid plus test, against a plain one-λ implementation",
        "dataset": args.dataset,
        "date": date.today().isoformat(),
        "machine": _cpu(),
        "floor": floor,
        "runs": runs,
    }
    if not args.skip_plain:
        result["ratio_workbench_to_plain"] = runs[0]["seconds_total"] / runs[1]["seconds_total"]
    output = args.output or HERE / "results" / f"infinite_ae_large.{args.dataset}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    os.replace(temporary, output)
    print(f"| path | stage | seconds | × n³ floor ({floor['n_cubed_seconds']:.0f} s) |\n|---|---|---|---|")
    for run in runs:
        for name, seconds in run["stages"].items():
            print(f"| {run['path']} | {name} | {seconds:.1f} | {seconds / floor['n_cubed_seconds']:.2f} |")
        print(f"| {run['path']} | **total** (peak {run['peak_rss_bytes'] / 2**30:.2f} GiB, λ = {run['chosen_lambda']:g}, "
              f"test NDCG@10 {run['test']['NDCG@10']:.2f}) | {run['seconds_total']:.1f} | "
              f"{run['seconds_total'] / floor['n_cubed_seconds']:.2f} |")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
