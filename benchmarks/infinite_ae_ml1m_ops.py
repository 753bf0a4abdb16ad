"""∞-AE's dense operations on ML-1M's shapes, one at a time: SciPy/OpenBLAS against JAX/XLA, and eigh.

    python benchmarks/infinite_ae_ml1m_ops.py [--repeats 3] [--skip-eigh] [--users N] [--output FILE]

One process, ML-1M's training matrix S (6,040 users × 3,706 items, float32), λ = 5:

* ``gram``: S·Sᵀ; ``ntk_map``: the NTK's element-wise map of that Gram matrix (jit-compiled JAX,
  used on every backend); ``cholesky``: K + λ̃I factored (LAPACK ``potrf``; the CPU path's own
  blocked in-place factorisation as ``cholesky_blocked``); ``solve``: (LLᵀ)⁻¹S with 3,706
  right-hand sides; ``gemm``: K·α, the shape of the test's product.
* ``eigh``: one eigendecomposition of K (``scipy.linalg.eigh``, driver ``evd``, and
  ``numpy.linalg.eigh``), the alternative to one factorisation per λ. Run once each (about half a
  minute apiece); ``--skip-eigh`` leaves it out.

Medians of ``--repeats`` timings after one untimed call (JAX compiles there); JAX results are
waited for. ``--users N`` takes the first N users (a quick check). Writes
benchmarks/results/infinite_ae_ml1m_ops.json (a temporary name, then renamed) with the date and the
machine (``machine.describe``: CPU model, AVX2 or AVX-512, the load when it started).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


def _median_seconds(function, repeats: int, *, warm_up: bool = True) -> dict:
    if warm_up:
        function()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return {"median": statistics.median(seconds), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-eigh", action="store_true")
    parser.add_argument("--users", type=int, help="only the first N users (a quick check)")
    parser.add_argument("--lam", type=float, default=5.0)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    machine = describe()

    import jax
    import numpy as np
    import scipy.linalg

    from workbench.data import load_dataset
    from workbench.kernels.blocked_linalg import cholesky_in_place
    from workbench.kernels.linalg import JaxAlgebra, ScipyAlgebra
    from workbench.kernels.ntk import NTKConfig, ntk_from_inner_products

    rows = load_dataset("ml-1m").train
    if args.users:
        rows = rows[: args.users]
    dense = rows.astype(np.float32).toarray()
    n, d = dense.shape
    norms = (dense * dense).sum(axis=1)
    config = NTKConfig()

    def ntk_map(gram):
        return ntk_from_inner_products(gram, norms, norms, n_features=d, config=config, self_kernel=True)

    kernel = np.asarray(ntk_map(ScipyAlgebra().gram(dense)))
    shift = args.lam * float(np.trace(kernel, dtype=np.float64)) / n
    timings: dict[str, dict] = {}
    for algebra in (ScipyAlgebra(), JaxAlgebra()):
        wait = jax.block_until_ready if algebra.name == "jax" else (lambda value: value)
        rows_here, kernel_here = algebra.asarray(dense, np.float32), algebra.asarray(kernel, np.float32)
        factor = algebra.cholesky(kernel_here, shift)
        alpha = algebra.cholesky_solve(factor, rows_here)
        gram_here = algebra.gram(rows_here)
        operations = {
            "gram": lambda: wait(algebra.gram(rows_here)),
            "ntk_map": lambda: jax.block_until_ready(ntk_map(gram_here)),
            "cholesky": lambda: wait(algebra.cholesky(kernel_here, shift)),
            "solve": lambda: wait(algebra.cholesky_solve(factor, rows_here)),
            "gemm": lambda: wait(algebra.matmul(kernel_here, alpha)),
        }
        if algebra.name == "scipy":
            operations["cholesky_blocked"] = lambda: cholesky_in_place(kernel.copy(), shift)
        for name, function in operations.items():
            timings[f"{algebra.name}.{name}"] = _median_seconds(function, args.repeats)
            print(f"{algebra.name:6} {name:17} {timings[f'{algebra.name}.{name}']['median']:.3f} s", flush=True)
        del rows_here, kernel_here, factor, alpha, gram_here
    if not args.skip_eigh:
        for name, function in (
            ("scipy.eigh_evd", lambda: scipy.linalg.eigh(kernel, driver="evd")),
            ("numpy.eigh", lambda: np.linalg.eigh(kernel)),
        ):
            timings[name] = _median_seconds(function, 1, warm_up=False)
            print(f"{name:24} {timings[name]['median']:.3f} s", flush=True)

    result = {
        "question": "∞-AE's dense operations on ML-1M's shapes: SciPy/OpenBLAS vs JAX/XLA one at a time, and eigh",
        "date": date.today().isoformat(),
        "machine": machine,
        "versions": {"jax": jax.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
        "shape": {"users": n, "items": d},
        "lambda": args.lam,
        "repeats": args.repeats,
        "median_seconds": {name: value["median"] for name, value in timings.items()},
        "timings": timings,
    }
    output = args.output or HERE / "results" / "infinite_ae_ml1m_ops.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    os.replace(temporary, output)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
