"""Dense linear algebra for kernel ridge regression, on SciPy's BLAS or on JAX/XLA.

∞-AE and EASE spend nearly all their time in a few dense operations: a Gram matrix, a Cholesky
factorisation and a solve with many right-hand sides, and a matrix product. On a CPU, SciPy/NumPy's
OpenBLAS runs these faster than XLA's CPU backend (measured in ``benchmarks/infinite_ae_ml1m.py``,
see BENCHMARKS.md); on a GPU, JAX is the only sensible choice. :func:`dense_algebra` picks one per
backend: ``"auto"`` means SciPy when JAX's default backend is the CPU, JAX otherwise. The JAX
implementation is the single code path used on a GPU.

All arrays are 2-D, float32 by default (float64 when the inputs are float64).

SVD-AE and GF-CF (:mod:`workbench.models.svd_ae`, :mod:`workbench.models.gf_cf`) also hold sparse
matrices on the JAX path, as ``jax.experimental.sparse.BCOO`` (:func:`to_bcoo`), and run every
function that multiplies them through :func:`full_precision_jit`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any, Literal, Protocol

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jax_linalg
import numpy as np
import scipy.linalg as scipy_linalg
import scipy.sparse as sp
from jax.experimental import sparse as jax_sparse

from workbench.errors import WorkbenchError

AlgebraName = Literal["auto", "scipy", "jax"]

#: Rows per block of a Gram matrix computed on the CPU.
GRAM_BLOCK = 2048
#: Up to this many rows a Gram matrix goes through OpenBLAS's syrk in one call (see ScipyAlgebra.gram).
SYRK_SAFE_ROWS = 12_000
ALGEBRA_NAMES: tuple[str, ...] = ("auto", "scipy", "jax")


class DenseAlgebra(Protocol):
    """The dense operations a kernel model needs, on one backend."""

    name: str

    def asarray(self, matrix: Any, dtype: np.dtype) -> Any:
        """A dense array on this backend from a NumPy array or a SciPy sparse matrix."""

    def to_numpy(self, array: Any) -> np.ndarray:
        """A NumPy array (a copy from a device when needed)."""

    def gram(self, rows: Any) -> Any:
        """(n, n) ``rows @ rows.T`` for dense (n, d) rows."""

    def cross_gram(self, queries: sp.csr_matrix, rows: Any) -> Any:
        """(b, n) ``queries @ rows.T`` for sparse (b, d) queries and dense (n, d) rows."""

    def matmul(self, left: Any, right: Any) -> Any:
        """A dense matrix product."""

    def cholesky(self, matrix: Any, shift: float) -> Any:
        """The lower Cholesky factor of the symmetric ``matrix + shift·I`` (``matrix`` is left unchanged)."""

    def cholesky_solve(self, factor: Any, rhs: Any) -> Any:
        """``(L Lᵀ)⁻¹ rhs`` for the factor from :meth:`cholesky`."""

    def inverse_from_cholesky(self, factor: Any) -> Any:
        """``(L Lᵀ)⁻¹`` as a dense symmetric matrix."""


class ScipyAlgebra:
    """NumPy arrays, OpenBLAS/LAPACK through NumPy and SciPy (the fastest choice on a CPU)."""

    name = "scipy"

    def asarray(self, matrix: Any, dtype: np.dtype) -> np.ndarray:
        if sp.issparse(matrix):
            return matrix.astype(dtype).toarray()
        return np.asarray(matrix, dtype=dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        return np.asarray(array)

    def gram(self, rows: np.ndarray) -> np.ndarray:
        # ``rows @ rows.T`` is recognised by NumPy and sent to OpenBLAS's threaded syrk (half the flops
        # of gemm), which segfaulted here for n = 29,858 (see workbench.kernels.blocked_linalg); it has run
        # without fault up to 12,000 rows. Above that, a block of rows at a time, through gemm.
        n = rows.shape[0]
        if n <= SYRK_SAFE_ROWS:
            return rows @ rows.T
        gram = np.empty((n, n), dtype=rows.dtype)
        for start in range(0, n, GRAM_BLOCK):
            gram[start : start + GRAM_BLOCK] = rows[start : start + GRAM_BLOCK] @ rows.T
        return gram

    def cross_gram(self, queries: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return queries.astype(rows.dtype).toarray() @ rows.T

    def matmul(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return left @ right

    def cholesky(self, matrix: np.ndarray, shift: float) -> np.ndarray:
        # LAPACK wants Fortran order. The matrix is symmetric, so its transpose is the same matrix,
        # and the transpose of a C-ordered array is already Fortran-ordered: a plain memory copy.
        shifted = np.array(matrix.T if matrix.flags.c_contiguous else matrix, order="F")
        shifted[np.diag_indices_from(shifted)] += shift
        factor, info = scipy_linalg.lapack.get_lapack_funcs("potrf", (shifted,))(
            shifted, lower=True, clean=True, overwrite_a=True
        )
        if info != 0:
            raise np.linalg.LinAlgError(f"Cholesky factorisation failed (LAPACK potrf info={info}): the matrix is not positive definite")
        return factor

    def cholesky_solve(self, factor: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        # (L Lᵀ) X = B is solved as Xᵀ (L Lᵀ) = Bᵀ with two right-side triangular solves on Bᵀ:
        # the transpose of a C-ordered B is Fortran-ordered, so B is copied as it lies in memory
        # (no transposing copy) and X comes back C-ordered, as the row slicing that follows wants.
        trsm = scipy_linalg.blas.get_blas_funcs("trsm", (factor, rhs))
        solution = np.array(np.asarray(rhs).T, order="F")
        solution = trsm(1.0, factor, solution, side=1, lower=1, trans_a=1, overwrite_b=1)
        solution = trsm(1.0, factor, solution, side=1, lower=1, trans_a=0, overwrite_b=1)
        return solution.T

    def inverse_from_cholesky(self, factor: np.ndarray) -> np.ndarray:
        inverse, info = scipy_linalg.lapack.get_lapack_funcs("potri", (factor,))(factor, lower=True)
        if info != 0:
            raise np.linalg.LinAlgError(f"inverse from the Cholesky factor failed (LAPACK potri info={info})")
        lower = np.tril(inverse)
        return lower + np.tril(inverse, -1).T


#: Every matrix product on the JAX path asks for full float32 precision: on recent NVIDIA GPUs JAX
#: otherwise computes float32 products in TF32 (a 10-bit mantissa), which moves ∞-AE's scores by
#: about 1e-3 relative and can reorder the top items. (On a CPU this changes nothing.)
FULL_PRECISION = jax.lax.Precision.HIGHEST


def full_precision_jit(function: Callable[..., Any], **jit_options: Any) -> Callable[..., Any]:
    """``jax.jit(function)``, traced and lowered with JAX's default matmul precision set to HIGHEST.

    For functions that multiply a BCOO matrix: ``bcoo_dot_general`` takes no precision argument, and
    where it is not a cuSPARSE call (a CPU, unsorted indices) it lowers to a product written as a
    ``dot_general`` whose precision is read from JAX's default when the function is *lowered*, not
    when it is traced. The context is part of jit's cache key, so every call compiles and runs the
    HIGHEST version. Dense products inside should still name ``precision=FULL_PRECISION``. The
    returned function has ``.lower(...)`` under the same context, for checking the lowered text.
    ``jit_options`` (``static_argnames``, ...) go to ``jax.jit``.
    """
    jitted = jax.jit(function, **jit_options)

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with jax.default_matmul_precision("highest"):
            return jitted(*args, **kwargs)

    def lower(*args: Any, **kwargs: Any) -> Any:
        with jax.default_matmul_precision("highest"):
            return jitted.lower(*args, **kwargs)

    run.lower = lower  # type: ignore[attr-defined]
    return run


def to_bcoo(matrix: sp.spmatrix, dtype: np.dtype | str) -> jax_sparse.BCOO:
    """A SciPy sparse matrix as a BCOO on JAX's default device, in ``dtype``, indices sorted row-major.

    Sorted (and unique) indices are marked as such, which lets a GPU multiply it through cuSPARSE;
    int32 indices. Call inside :func:`precision_scope` for float64. The caller's matrix is not changed.
    """
    csr = sp.csr_matrix(matrix, dtype=dtype, copy=True)
    csr.sum_duplicates()  # also sorts the column indices of each row
    coo = csr.tocoo()
    indices = np.column_stack((coo.row, coo.col)).astype(np.int32)
    return jax_sparse.BCOO(
        (jnp.asarray(coo.data, dtype=dtype), jnp.asarray(indices)), shape=csr.shape, indices_sorted=True, unique_indices=True
    )


def sparse_product_bytes(nnz: int, columns: int, itemsize: int) -> int:
    """Extra bytes a BCOO (nnz entries) times dense (·, columns) product needs on JAX's default backend.

    On a GPU it is a cuSPARSE SpMM (nothing beyond its output); elsewhere XLA gathers one row of the
    dense factor per stored entry, an nnz × columns intermediate.
    """
    return 0 if jax.default_backend() in ("gpu", "cuda", "rocm") else nnz * columns * itemsize


@jax.jit
def _gram(rows: jax.Array) -> jax.Array:
    return jnp.matmul(rows, rows.T, precision=FULL_PRECISION)


@jax.jit
def _matmul(left: jax.Array, right: jax.Array) -> jax.Array:
    return jnp.matmul(left, right, precision=FULL_PRECISION)


@jax.jit
def _shifted_cholesky(matrix: jax.Array, shift: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The factor and whether all of it is finite (a failed factorisation returns NaNs, it does not raise)."""
    factor = jnp.linalg.cholesky(matrix + shift * jnp.eye(matrix.shape[0], dtype=matrix.dtype))
    return factor, jnp.isfinite(factor).all()


@jax.jit
def _cholesky_solve(factor: jax.Array, rhs: jax.Array) -> jax.Array:
    with jax.default_matmul_precision("highest"):
        return jax_linalg.cho_solve((factor, True), rhs)


@jax.jit
def _inverse_from_cholesky(factor: jax.Array) -> jax.Array:
    with jax.default_matmul_precision("highest"):
        return jax_linalg.cho_solve((factor, True), jnp.eye(factor.shape[0], dtype=factor.dtype))


class JaxAlgebra:
    """JAX arrays on JAX's default device (the single code path on a GPU), products at full float32 precision."""

    name = "jax"

    def asarray(self, matrix: Any, dtype: np.dtype) -> jax.Array:
        if sp.issparse(matrix):
            matrix = matrix.astype(dtype).toarray()
        return jnp.asarray(matrix, dtype=dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        return np.asarray(array)

    def gram(self, rows: jax.Array) -> jax.Array:
        return _gram(rows)

    def cross_gram(self, queries: sp.csr_matrix, rows: jax.Array) -> jax.Array:
        return _matmul(jnp.asarray(queries.toarray(), dtype=rows.dtype), rows.T)

    def matmul(self, left: jax.Array, right: jax.Array) -> jax.Array:
        return _matmul(jnp.asarray(left), jnp.asarray(right))

    def cholesky(self, matrix: jax.Array, shift: float) -> jax.Array:
        factor, finite = _shifted_cholesky(matrix, jnp.asarray(shift, matrix.dtype))
        if not bool(finite):
            raise np.linalg.LinAlgError("Cholesky factorisation failed: the matrix is not positive definite")
        return factor

    def cholesky_solve(self, factor: jax.Array, rhs: jax.Array) -> jax.Array:
        return _cholesky_solve(factor, jnp.asarray(rhs))

    def inverse_from_cholesky(self, factor: jax.Array) -> jax.Array:
        return _inverse_from_cholesky(factor)


#: Seconds of one multiply-add of SciPy's sparse x sparse product, in units of one flop of OpenBLAS's
#: sgemm (measured on ML-1M's test contexts: 60 M sparse multiply-adds/s against ≈ 100 Gflop/s).
SPARSE_OP_COST = 1000


def prefer_sparse_product(queries: sp.csr_matrix, item_degrees: np.ndarray, n_rows: int) -> bool:
    """Whether ``queries @ rowsᵀ`` is faster as a sparse x sparse product than densified through BLAS.

    Args:
        queries: (b, d) CSR query rows.
        item_degrees: (d,) how many of the n_rows rows hold each item.
        n_rows: the rows' count.

    The sparse product costs Σ_i (queries holding i)·(rows holding i) multiply-adds, exactly; the
    dense one 2·b·d·n_rows flops. Gowalla's rows are 0.07 % dense (sparse wins by far), ML-1M's
    4.5 % (dense wins by 3x).
    """
    b, d = queries.shape
    if b == 0 or queries.nnz == 0:
        return True
    operations = float(np.bincount(queries.indices, minlength=d) @ np.asarray(item_degrees, dtype=np.float64))
    return operations * SPARSE_OP_COST < 2.0 * b * d * n_rows


def precision_scope(dtype: np.dtype | str) -> contextlib.AbstractContextManager[Any]:
    """A context in which JAX computes in ``dtype``: float64 needs JAX's x64 mode, scoped, not global."""
    return jax.enable_x64(True) if np.dtype(dtype) == np.float64 else contextlib.nullcontext()


def dense_algebra(name: AlgebraName = "auto") -> DenseAlgebra:
    """The dense algebra to use: ``"scipy"``, ``"jax"``, or ``"auto"`` (SciPy on a CPU, JAX elsewhere)."""
    if name == "auto":
        name = "scipy" if jax.default_backend() == "cpu" else "jax"
    if name == "scipy":
        return ScipyAlgebra()
    if name == "jax":
        return JaxAlgebra()
    raise WorkbenchError(f"unknown linear algebra backend {name!r}; expected one of {', '.join(ALGEBRA_NAMES)}")
