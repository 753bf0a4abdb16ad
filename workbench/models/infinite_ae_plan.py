"""What an ∞-AE fit will cost before it starts: peak memory and work of each stage.

The evaluation of ∞-AE runs in stages; for n support users, d items, nnz training interactions,
a grid of G λ and batches of b users, in a dtype of s bytes (notation of docs/infinite_ae.md):

| stage | work (flops) | memory held |
| --- | --- | --- |
| kernel | Gram S·Sᵀ (dense n²d, or sparse ≈ 2n·nnz) + the NTK map (≈ 40 n²) | one n × n buffer |
| solve, per λ | inverse route: n³ (Cholesky n³/3 + inverse 2n³/3); dual: n³/3 + 2n²d | the kernel, a copy when G > 1, and the best λ's result so far |
| validation, per λ | inverse: 2·n·nnz (sparse); dual: n·d | batch buffers, ≈ 4bn + 6bd values |
| test | cross kernel + 2n²·n_test (inverse) or 2n·d·n_test (dual) | the chosen fit + batch buffers |

Nyström with m landmarks holds O(m² + m·d), never O(n·m): accumulating K_mn·K_nm and K_mn·S costs
2nm² + 2m·nnz, each λ a Cholesky of m × m (m³/3) and a solve with d right-hand sides (2m²d), and
scoring a batch costs 2bmd.

A *route* chooses how (K + λ̃I)⁻¹ is applied (see :mod:`workbench.models.infinite_ae`): "dual"
stores α = (K + λ̃I)⁻¹S (n × d) and is cheaper when d ≤ n + nnz/n; "inverse" never stores anything
of size n × d. When λ is chosen on a subset of users (``InfiniteAE.selection_subset``), the plan is
that of the subset's grid followed by one fit on all users with one λ; its peak is the larger.

Predicted seconds divide each stage's work by a rate: measured on this machine by
:func:`measure_rates` (a dense product and a sparse one, about a second), or given for a GPU.
Process overhead (Python, NumPy, JAX) and the dataset's own sparse matrices are included, so
that the peak is comparable with the process's peak resident memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from workbench.kernels.memory import format_bytes

if TYPE_CHECKING:
    from workbench.models.infinite_ae import InfiniteAE

#: Resident memory of a Python process with NumPy, SciPy and JAX loaded (measured: 0.35–0.45 GiB).
PROCESS_BYTES = 450 * 2**20

#: Flops of the element-wise NTK map per kernel entry (arccos, sqrt, a few products), per layer.
NTK_FLOPS_PER_ENTRY = 40


@dataclass(frozen=True)
class Rates:
    """Sustained speeds, in operations per second, of the three kinds of work."""

    dense: float  # float32 matrix products and factorisations
    sparse: float  # sparse x dense products (one core in SciPy)
    elementwise: float  # the NTK map

    @classmethod
    def gpu(cls, tflops: float) -> Rates:
        """Rates of a GPU with ``tflops`` float32 TFLOP/s (full precision, no TF32)."""
        return cls(dense=0.6 * tflops * 1e12, sparse=0.02 * tflops * 1e12, elementwise=0.05 * tflops * 1e12)


def measure_rates(size: int = 1024) -> Rates:
    """This machine's rates, from a float32 product of two ``size`` × ``size`` matrices, a sparse
    product and an element-wise pass (about a second in all)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    left = rng.random((size, size), dtype=np.float32)
    left @ left  # warm the BLAS threads
    started = time.perf_counter()
    left @ left
    dense = 2 * size**3 / (time.perf_counter() - started)
    sparse_matrix = sp.random(8 * size, 4 * size, density=0.002, format="csr", dtype=np.float32, random_state=0)
    right = rng.random((4 * size, 256), dtype=np.float32)
    started = time.perf_counter()
    sparse_matrix @ right
    sparse = 2 * sparse_matrix.nnz * 256 / (time.perf_counter() - started)
    started = time.perf_counter()
    np.arccos(np.clip(left * 0.5, -1, 1)) * np.sqrt(left)
    elementwise = NTK_FLOPS_PER_ENTRY * size * size / (time.perf_counter() - started)
    return Rates(dense=dense, sparse=sparse, elementwise=elementwise)


@dataclass(frozen=True)
class Stage:
    """One stage: what it computes, its work by kind and the memory held while it runs."""

    name: str
    peak_bytes: int
    dense_flops: float = 0.0
    sparse_flops: float = 0.0
    elementwise_flops: float = 0.0

    def seconds(self, rates: Rates) -> float:
        return self.dense_flops / rates.dense + self.sparse_flops / rates.sparse + self.elementwise_flops / rates.elementwise


@dataclass(frozen=True)
class FitPlan:
    """The stages of one ∞-AE evaluation, their peak memory and work."""

    n_users: int
    n_items: int
    nnz: int
    n_support: int
    method: str  # "all users", "sample", "nystrom"
    route: str  # "dual", "inverse" or "nystrom"
    n_lambdas: int
    dtype: str
    stages: tuple[Stage, ...]
    selection_users: int | None = None
    subset: FitPlan | None = field(default=None, repr=False)

    @property
    def peak_bytes(self) -> int:
        own = max(stage.peak_bytes for stage in self.stages)
        return max(own, self.subset.peak_bytes) if self.subset is not None else own

    def all_stages(self) -> tuple[tuple[str, Stage], ...]:
        """(label, stage) for the subset's stages first (when λ is chosen on a subset), then this plan's."""
        head = tuple((f"choose λ on {self.subset.n_support:,} users: {stage.name}", stage) for stage in self.subset.stages) if self.subset else ()
        return head + tuple((stage.name, stage) for stage in self.stages)

    def seconds(self, rates: Rates) -> float:
        return sum(stage.seconds(rates) for _, stage in self.all_stages())

    def describe(self) -> str:
        what = {"nystrom": f"Nyström ∞-AE with {self.n_support:,} landmarks", "sample": f"∞-AE on {self.n_support:,} sampled users"}
        head = what.get(self.method, f"∞-AE with {self.n_support:,} support users")
        kernel = self.n_support * self.n_support * np.dtype(self.dtype).itemsize
        return f"{head} x {self.n_items:,} items ({self.dtype}: a {self.n_support:,} x {self.n_support:,} kernel of {format_bytes(kernel)})"

    def alternatives(self, model: InfiniteAE, available: int | None = None) -> str:
        """What would fit instead, in the words of the Python API and the CLI, with each one's peak memory."""
        options = []
        for fraction in (0.2, 0.05, 0.01):
            m = max(100, min(self.n_users, int(fraction * self.n_users)))
            nystrom = plan_fit(replace(model, user_support=m, support_method="nystrom"), self.n_users, self.n_items, self.nnz)
            if available is None or nystrom.peak_bytes <= 0.75 * available:
                options.append(
                    f"Nyström with {m:,} landmarks ({fraction:.0%} of users; user_support={m}, support_method='nystrom'; "
                    f"CLI: --user-support {m} --support-method nystrom) needs about {format_bytes(nystrom.peak_bytes)} "
                    "and keeps every user as a target"
                )
                break
        options.append("a random sample of users (support_method='sample', the authors' choice on Netflix) discards the others' data")
        options.append(f"a GPU with at least {format_bytes(self.peak_bytes)} of memory runs the full model")
        return "Instead: " + "; ".join(options) + ". `workbench plan` shows each stage's memory and time."


def choose_route(n_support: int, n_items: int, nnz_support: int) -> str:
    """"dual" when storing α (n × d) is the cheaper way to score (d ≤ n + nnz/n), else "inverse"."""
    return "dual" if n_items <= n_support + nnz_support / max(n_support, 1) else "inverse"


def _data_bytes(nnz: int, n_users: int, itemsize: int) -> int:
    # the dataset's matrices (train, validation, test, test context: about 2.5 x the training
    # interactions), index arrays, and the model's support rows and their transpose
    return int(PROCESS_BYTES + (2.5 + 2) * nnz * (itemsize + 4) + 6 * 8 * n_users)


def plan_fit(
    model: InfiniteAE, n_users: int, n_items: int, nnz: int, *, algebra: str = "scipy", with_selection: bool = False, n_eval_users: int | None = None
) -> FitPlan:
    """The plan of ``model`` on a training matrix of ``n_users`` × ``n_items`` with ``nnz`` entries.

    Args:
        algebra: "scipy" (the CPU path) or "jax" (dense, on a device).
        with_selection: include choosing λ on ``model.selection_subset`` users, as the evaluation does.
        n_eval_users: users scored on validation and on test (all users when None).
    """
    itemsize = np.dtype(model.dtype).itemsize
    n_eval = n_users if n_eval_users is None else n_eval_users
    subset = None
    if with_selection:
        chosen = model.selection_subset(n_users, 0)
        if chosen is not None:
            m = len(chosen)
            sub = replace(model, selection_users=None)
            subset = plan_fit(sub, m, n_items, int(nnz * m / n_users), algebra=algebra, n_eval_users=m)
            subset = replace(subset, stages=subset.stages[:-1])  # no test on the subset
            model = model.with_lambda(model.lambdas[0])
    base = _data_bytes(nnz, n_users, itemsize)
    b = min(model.batch_size, n_users)
    batch = itemsize * b * 6 * n_items
    if model.uses_nystrom:
        m = min(model.user_support or n_users, n_users)
        stages = _nystrom_stages(model, n_users, n_items, nnz, m, n_eval, base, batch, itemsize)
        return FitPlan(n_users, n_items, nnz, m, "nystrom", "nystrom", len(model.lambdas), model.dtype, stages, model.selection_users, subset)
    n = min(model.user_support or n_users, n_users)
    nnz_support = int(nnz * n / n_users)
    if algebra != "scipy":
        route = "dual"
    else:
        route = choose_route(n, n_items, nnz_support) if model.route == "auto" else model.route
    square = itemsize * n * n
    rows = itemsize * n * n_items
    dense_rows = rows if (algebra != "scipy" or rows <= _dense_rows_limit()) else 0
    several = len(model.lambdas) > 1
    kernel = Stage(
        "kernel",
        base + dense_rows + square + 2 * itemsize * b * n,
        dense_flops=n * n * n_items if dense_rows else 0.0,
        sparse_flops=0.0 if dense_rows else 2.0 * n * nnz_support,
        elementwise_flops=NTK_FLOPS_PER_ENTRY * model.ntk.depth * n * n,
    )
    batch_square = itemsize * b * n * 4
    if route == "dual":
        held = square * (2 if several else 1) + rows * (2 if several else 1) + (0 if dense_rows else rows)
        solve = Stage("factor and apply the inverse, per λ", base + dense_rows + held, dense_flops=n**3 / 3 + 2.0 * n * n * n_items)
        fitted = rows * (2 if several else 1) + (square if several else 0)
        validate = Stage("validation, per λ", base + dense_rows + fitted + batch, dense_flops=float(n_eval * n_items))
        test = Stage(
            "test",
            base + dense_rows + fitted + batch + batch_square,
            dense_flops=2.0 * n_eval * n * n_items * (2 if dense_rows else 1),
            sparse_flops=0.0 if dense_rows else 2.0 * n_eval * nnz_support,
            elementwise_flops=NTK_FLOPS_PER_ENTRY * model.ntk.depth * n_eval * n,
        )
    else:
        # a grid holds the kernel, the current λ's inverse and the best one so far; the test only the chosen one
        held = square * (3 if several else 1)
        solve = Stage("factor and apply the inverse, per λ", base + dense_rows + held, dense_flops=float(n) ** 3)
        scores = 4 * itemsize * b * n_items  # a batch's scores, their product with S and its copies
        validate = Stage("validation, per λ", base + dense_rows + held + scores, sparse_flops=2.0 * n_eval * nnz_support)
        test = Stage(
            "test",
            base + dense_rows + square + scores + batch_square,
            dense_flops=2.0 * n_eval * n * n + (2.0 * n_eval * n * n_items if dense_rows else 0.0),
            sparse_flops=2.0 * n_eval * nnz_support * (1 if dense_rows else 2),
            elementwise_flops=NTK_FLOPS_PER_ENTRY * model.ntk.depth * n_eval * n,
        )
    grid = len(model.lambdas)
    stages = (
        kernel,
        _times(solve, grid),
        _times(validate, grid),
        test,
    )
    method = "all users" if n == n_users else "sample"
    return FitPlan(n_users, n_items, nnz, n, method, route, grid, model.dtype, stages, model.selection_users, subset)


def _nystrom_stages(
    model: InfiniteAE, n_users: int, n_items: int, nnz: int, m: int, n_eval: int, base: int, batch: int, itemsize: int
) -> tuple[Stage, ...]:
    square = 8 * m * m  # accumulated in float64
    rows = itemsize * m * n_items
    b = min(model.batch_size, n_users)
    grid = len(model.lambdas)
    accumulate = Stage(
        "landmark kernel and accumulation",
        base + 3 * square + 2 * rows + 3 * itemsize * b * m,
        dense_flops=2.0 * n_users * m * m,
        sparse_flops=2.0 * n_users * nnz / n_users * m * 2,
        elementwise_flops=NTK_FLOPS_PER_ENTRY * model.ntk.depth * n_users * m,
    )
    solve = Stage("factor and apply the inverse, per λ", base + 3 * square + 4 * rows, dense_flops=m**3 / 3 + 2.0 * m * m * n_items)
    score = Stage(
        "validation, per λ",
        base + 2 * square + 3 * rows + batch + 3 * itemsize * b * m,
        dense_flops=2.0 * n_eval * m * n_items,
        sparse_flops=2.0 * nnz * m / max(n_users, 1) * n_eval,
        elementwise_flops=NTK_FLOPS_PER_ENTRY * model.ntk.depth * n_eval * m,
    )
    test = replace(score, name="test")
    return (accumulate, _times(solve, grid), _times(score, grid), test)


def _times(stage: Stage, count: int) -> Stage:
    """``stage`` repeated ``count`` times (the work adds up; the memory does not)."""
    if count == 1:
        return stage
    return replace(
        stage,
        name=f"{stage.name} (x{count})",
        dense_flops=stage.dense_flops * count,
        sparse_flops=stage.sparse_flops * count,
        elementwise_flops=stage.elementwise_flops * count,
    )


def _dense_rows_limit() -> int:
    from workbench.models.infinite_ae import DENSE_ROWS_LIMIT

    return DENSE_ROWS_LIMIT


def _format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_plan(
    model: InfiniteAE,
    name: str,
    n_users: int,
    n_items: int,
    nnz: int,
    *,
    rates: Rates,
    available: int,
    device_memory: int,
    device_tflops: float,
) -> str:
    """The plan of ``model`` as text: each stage's peak memory and time here and on a GPU, and what fits.

    Args:
        name: the dataset's name, for the heading.
        rates: this machine's speeds (:func:`measure_rates`).
        available: bytes of memory available here.
        device_memory: bytes of memory of the GPU to plan for.
        device_tflops: that GPU's float32 TFLOP/s.
    """
    here = plan_fit(model, n_users, n_items, nnz, algebra="scipy", with_selection=True)
    device = plan_fit(model, n_users, n_items, nnz, algebra="jax", with_selection=True)
    device_rates = Rates.gpu(device_tflops)
    what = {"inverse": "inverse route: nothing of size users x items is dense", "dual": "dual route: α (users x items) is stored", "nystrom": "Nyström: O(m² + m·d) memory"}
    lines = [
        f"{model.name} on {name}: {n_users:,} users x {n_items:,} items, {nnz:,} training interactions",
        f"{here.describe()}; {what[here.route]}"
        + (f"; λ chosen on {here.subset.n_support:,} random users, then one fit on all" if here.subset else ""),
        "",
        f"{'stage':<58}{'memory here':>13}{'time here':>12}{'GPU memory':>13}{'GPU time':>11}",
    ]
    device_stages = dict(device.all_stages())
    for label, stage in here.all_stages():
        on_device = device_stages.get(label)
        lines.append(
            f"{label:<58}{format_bytes(stage.peak_bytes):>13}{_format_seconds(stage.seconds(rates)):>12}"
            + (f"{format_bytes(on_device.peak_bytes):>13}{_format_seconds(on_device.seconds(device_rates)):>11}" if on_device else f"{'—':>13}{'—':>11}")
        )
    lines.append(
        f"{'whole evaluation (peak, total)':<58}{format_bytes(here.peak_bytes):>13}{_format_seconds(here.seconds(rates)):>12}"
        f"{format_bytes(device.peak_bytes):>13}{_format_seconds(device.seconds(device_rates)):>11}"
    )
    lines.append("")
    fits_here = here.peak_bytes <= available
    fits_device = device.peak_bytes <= device_memory
    lines.append(f"here: {'fits' if fits_here else 'does NOT fit'} ({format_bytes(available)} available; measured {rates.dense / 1e9:.0f} Gflop/s in matrix products)")
    lines.append(f"GPU with {format_bytes(device_memory)} at {device_tflops:g} TFLOP/s: {'fits' if fits_device else 'does NOT fit'} (the dual route, all on the device)")
    if not fits_here:
        lines.append(here.alternatives(model, available))
    return "\n".join(lines)
