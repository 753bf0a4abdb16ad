"""∞-AE: an autoencoder with infinitely wide hidden layers, solved in closed form through its NTK.

Kernel ridge regression over users (SPEC §2). With support rows S (n, d) — the training rows of all
users, or of ``user_support`` random users — and query rows Q (a user's context)::

    K = NTK(S, S);   λ̃ = λ·trace(K)/n;   α = (K + λ̃I)⁻¹ S;   scores(Q) = NTK(Q, S)·α

λ is the only hyper-parameter, chosen on validation from a grid (default {1, 5, 20, 50, 100}).
When the query rows are the support rows themselves (validation: a user's context is their
training row), ``K(K + λ̃I)⁻¹S = S − λ̃(K + λ̃I)⁻¹S = S − λ̃α`` — no second product is needed.

Work shared across the grid: the Gram matrix S·Sᵀ and the kernel K are computed once; each λ
costs one Cholesky factorisation of K + λ̃I and one solve with d right-hand sides. For a query
user who is in the support, Q·Sᵀ = S_u·Sᵀ + (Q − S_u)·Sᵀ reuses the stored Gram row, so only the
sparse difference (e.g. the user's validation items, when scoring test) is multiplied.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.linalg import ALGEBRA_NAMES, AlgebraName, DenseAlgebra, dense_algebra, precision_scope
from workbench.memory import format_bytes, require_memory
from workbench.models.base import check_train_matrix
from workbench.ntk import NTKConfig, ntk_from_inner_products

DEFAULT_LAMBDAS: tuple[float, ...] = (1.0, 5.0, 20.0, 50.0, 100.0)


def check_lambdas(lambdas: tuple[float, ...], parameter: str = "lambdas") -> tuple[float, ...]:
    """Refuse an empty grid or a λ that is not a finite number > 0."""
    if len(lambdas) == 0:
        raise WorkbenchError(f"{parameter}: the λ grid is empty; give at least one λ > 0")
    for value in lambdas:
        if not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
            raise WorkbenchError(f"{parameter}: every λ must be a finite number > 0, got {value!r}")
    return tuple(float(value) for value in lambdas)


def estimate_fit_bytes(n_support: int, n_items: int, batch_size: int, itemsize: int) -> int:
    """Peak bytes of :meth:`InfiniteAE.fit_grid` plus scoring one batch.

    Three n×n matrices (Gram, kernel, Cholesky factor), four n×d (support rows, α of the current
    and of the best λ, the solve's workspace), and per query batch the b×n cross kernel and the
    b×d scores (twice, for temporaries).
    """
    square = 3 * n_support * n_support
    rows = 4 * n_support * n_items
    batch = 2 * batch_size * (n_support + n_items)
    return itemsize * (square + rows + batch)


@dataclass(frozen=True)
class InfiniteAE:
    """∞-AE configuration.

    Attributes:
        lambdas: the λ grid (each > 0); λ is chosen on validation.
        ntk: the network whose NTK is the kernel (depth, σw², σb²).
        user_support: fit on this many random users only (all users when None); every user is
            still scored. The authors used 5 % of users on Netflix.
        dtype: "float32" (default) or "float64".
        linear_algebra: "auto" (SciPy on a CPU, JAX on a GPU), "scipy" or "jax".
        batch_size: users scored per batch.
    """

    lambdas: tuple[float, ...] = DEFAULT_LAMBDAS
    ntk: NTKConfig = field(default_factory=NTKConfig)
    user_support: int | None = None
    dtype: Literal["float32", "float64"] = "float32"
    linear_algebra: AlgebraName = "auto"
    batch_size: int = 2048
    name: str = "infinite-ae"

    def __post_init__(self) -> None:
        object.__setattr__(self, "lambdas", check_lambdas(tuple(self.lambdas)))
        if self.user_support is not None and (not isinstance(self.user_support, int) or self.user_support < 1):
            raise WorkbenchError(f"user_support must be a positive number of users, got {self.user_support!r}")
        if self.dtype not in ("float32", "float64"):
            raise WorkbenchError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if self.linear_algebra not in ALGEBRA_NAMES:
            raise WorkbenchError(
                f"linear_algebra must be one of {', '.join(ALGEBRA_NAMES)}, got {self.linear_algebra!r}"
            )
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise WorkbenchError(f"batch_size must be a positive integer, got {self.batch_size!r}")

    def select_support(self, n_users: int, seed: int) -> np.ndarray:
        """Sorted indices of the support users: all of them, or ``user_support`` drawn with ``seed``."""
        if self.user_support is None or self.user_support >= n_users:
            return np.arange(n_users)
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(n_users, size=self.user_support, replace=False))

    def fit_grid(
        self, train: sp.csr_matrix, *, seed: int = 0, row_users: np.ndarray | None = None
    ) -> Iterator[FittedInfiniteAE]:
        """Fit ∞-AE for every λ of the grid, computing the kernel once.

        Args:
            train: (n_rows, n_items) training matrix (binary in the paper; any non-negative values:
                a Distill-CF summary is continuous in [0, 1]).
            seed: draws the support users when ``user_support`` is set.
            row_users: (n_rows,) int, the user each row of ``train`` belongs to, −1 for a
                synthetic row; None when row u is user u. Scoring a user with their own row as
                context then takes the shortcut S − λ̃α.

        Yields:
            One :class:`FittedInfiniteAE` per λ, in grid order.

        Raises:
            MemoryBudgetError: before allocating, when the kernel and its companions would not fit.
        """
        train = check_train_matrix(train)
        owners = np.arange(train.shape[0]) if row_users is None else np.asarray(row_users, dtype=np.int64)
        if owners.shape != (train.shape[0],):
            raise WorkbenchError(f"row_users must have one entry per training row ({train.shape[0]}), got shape {owners.shape}")
        support_users = self.select_support(train.shape[0], seed)
        n_support, n_items = len(support_users), train.shape[1]
        dtype = np.dtype(self.dtype)
        require_memory(
            f"∞-AE with {n_support:,} support users x {n_items:,} items ({self.dtype}: "
            f"a {n_support:,} x {n_support:,} kernel of {format_bytes(n_support * n_support * dtype.itemsize)})",
            estimate_fit_bytes(n_support, n_items, self.batch_size, dtype.itemsize),
            instead=(
                "Fit on fewer users with user_support (CLI: --user-support N; the authors used 5 % of "
                "users on Netflix), or run on a GPU with more memory."
            ),
        )
        algebra = dense_algebra(self.linear_algebra)
        with precision_scope(self.dtype):
            support_sparse = train[support_users]
            support = algebra.asarray(support_sparse, dtype)
            gram = algebra.gram(support)
            squared_norms = np.asarray(support_sparse.multiply(support_sparse).sum(axis=1), dtype=dtype).ravel()
            kernel = ntk_from_inner_products(
                gram, squared_norms, squared_norms, n_features=n_items, config=self.ntk
            )
            kernel = algebra.asarray(kernel, dtype) if algebra.name == "scipy" else kernel
            mean_diagonal = float(kernel.trace()) / n_support
        support_owners = owners[support_users]
        real = support_owners >= 0
        position = np.full(int(owners.max(initial=-1)) + 1, -1, dtype=np.int64)
        position[support_owners[real]] = np.flatnonzero(real)
        shared = _SupportState(
            algebra=algebra,
            dtype=dtype,
            ntk=self.ntk,
            support_users=support_users,
            support_position=position,
            support_sparse=support_sparse,
            support=support,
            gram=gram,
            squared_norms=squared_norms,
            batch_size=self.batch_size,
        )
        for lam in self.lambdas:
            shift = lam * mean_diagonal
            with precision_scope(self.dtype):
                try:
                    factor = algebra.cholesky(kernel, shift)
                except np.linalg.LinAlgError:
                    raise WorkbenchError(
                        f"∞-AE: K + λ̃I is not numerically positive definite at λ = {lam:g} (λ̃ = {shift:.3g}, "
                        f"{self.dtype}); use a larger λ or float64"
                    ) from None
                dual = algebra.cholesky_solve(factor, support)
                del factor
            yield FittedInfiniteAE(lam=lam, shift=shift, dual=dual, state=shared)


@dataclass(frozen=True, eq=False)
class _SupportState:
    """What every λ shares: the support rows, their Gram matrix and norms, and the algebra."""

    algebra: DenseAlgebra
    dtype: np.dtype
    ntk: NTKConfig
    support_users: np.ndarray  # (n,) int, sorted
    support_position: np.ndarray  # (max user + 1,) int: the support row of each user, −1 if none
    support_sparse: sp.csr_matrix  # (n, d)
    support: Any  # (n, d) dense, on the algebra's backend
    gram: Any  # (n, n) S·Sᵀ
    squared_norms: np.ndarray  # (n,)
    batch_size: int

    @cached_property
    def support_by_item(self) -> sp.csr_matrix:
        """(d, n) the support rows transposed, as CSR: the users of each item."""
        return self.support_sparse.T.tocsr().astype(self.dtype)


@dataclass(frozen=True)
class FittedInfiniteAE:
    """∞-AE fitted with one λ: scores(Q) = NTK(Q, S)·α with α = (K + λ̃I)⁻¹S."""

    lam: float
    shift: float  # λ̃ = λ·trace(K)/n
    dual: Any  # α, (n, d)
    state: _SupportState

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {"lambda": self.lam, "user_support": int(len(self.state.support_users)), "depth": self.state.ntk.depth}

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Scores (b, n_items) for ``users`` with ``context`` rows (b, n_items); see the module doc."""
        users = np.asarray(users, dtype=np.int64)
        context = sp.csr_matrix(context)
        state = self.state
        if users.ndim != 1 or len(users) != context.shape[0]:
            raise WorkbenchError(f"users has {users.size} entries but context has {context.shape[0]} rows; give one row per user")
        if len(users) and users.min() < 0:
            raise WorkbenchError(f"user indices must be ≥ 0, got {int(users.min())}")
        if context.shape[1] != state.support_sparse.shape[1]:
            raise WorkbenchError(
                f"context has {context.shape[1]} items but ∞-AE was fitted on {state.support_sparse.shape[1]}"
            )
        raw_positions = np.full(len(users), -1, dtype=np.int64)
        known = users < len(state.support_position)
        raw_positions[known] = state.support_position[users[known]]
        in_support = bool(len(users)) and bool((raw_positions >= 0).all())
        positions = _as_slice_if_contiguous(raw_positions)
        with precision_scope(state.dtype):
            if in_support and _same_rows(context, state.support_sparse[positions]):
                return state.algebra.to_numpy(state.support[positions] - self.shift * self.dual[positions])
            cross = self._cross_gram(context, positions if in_support else None)
            query_norms = np.asarray(context.multiply(context).sum(axis=1), dtype=state.dtype).ravel()
            cross_kernel = ntk_from_inner_products(
                cross, query_norms, state.squared_norms, n_features=context.shape[1], config=state.ntk
            )
            if state.algebra.name == "scipy":
                cross_kernel = np.asarray(cross_kernel)
            return state.algebra.to_numpy(state.algebra.matmul(cross_kernel, self.dual))

    def _cross_gram(self, context: sp.csr_matrix, positions: np.ndarray | None) -> Any:
        """Q·Sᵀ; for support users on the CPU as S_u·Sᵀ + (Q − S_u)·Sᵀ, multiplying only the difference."""
        state = self.state
        if positions is None or state.algebra.name != "scipy":
            return state.algebra.cross_gram(context, state.support)
        difference = (context.astype(state.dtype) - state.support_sparse[positions].astype(state.dtype)).tocsr()
        difference.eliminate_zeros()
        if difference.nnz > 0.2 * context.nnz:
            return state.algebra.cross_gram(context, state.support)
        # sparse x sparse: the difference has a few items per user, each item a few hundred users
        update = (difference @ state.support_by_item).toarray()
        return state.gram[positions] + update


def _as_slice_if_contiguous(positions: np.ndarray) -> np.ndarray | slice:
    """``positions`` as a slice when they are consecutive (a view instead of a gathered copy)."""
    if len(positions) and positions[0] >= 0 and np.array_equal(positions, np.arange(positions[0], positions[0] + len(positions))):
        return slice(int(positions[0]), int(positions[0]) + len(positions))
    return positions


def _same_rows(left: sp.csr_matrix, right: sp.csr_matrix) -> bool:
    """Whether two CSR matrices of the same shape hold the same entries."""
    if left.shape != right.shape or left.nnz != right.nnz:
        return False
    return (left != right).nnz == 0
