"""∞-AE: an autoencoder with infinitely wide hidden layers, solved in closed form through its NTK.

Kernel ridge regression over users (docs/infinite_ae.md). With support rows S (n, d) — the training
rows of all users, or of ``user_support`` random users — and query rows Q (a user's context)::

    K = NTK(S, S);   λ̃ = λ·trace(K)/n;   α = (K + λ̃I)⁻¹ S;   scores(Q) = NTK(Q, S)·α

λ is the only hyper-parameter, chosen on validation from a grid (default {1, 5, 20, 50, 100}).
When the query rows are the support rows themselves (validation: a user's context is their
training row), ``K(K + λ̃I)⁻¹S = S − λ̃(K + λ̃I)⁻¹S`` — no cross kernel is needed.

Two ways to apply (K + λ̃I)⁻¹, chosen by cost (:func:`workbench.models.infinite_ae_plan.choose_route`):

* **dual** (d ≲ n, e.g. ML-1M): α = (K + λ̃I)⁻¹S as a dense n × d matrix, by two triangular solves
  with the Cholesky factor; validation scores S_B − λ̃α_B, test scores NTK(Q_B, S)·α.
* **inverse** (d > n, e.g. Gowalla: 29,858 users, 40,981 items): nothing of size n × d is ever
  dense. The factor is turned into the inverse in place; validation scores
  S_B − λ̃·(K + λ̃I)⁻¹_B·S and test scores (NTK(Q_B, S)·(K + λ̃I)⁻¹)·S are computed a batch of users
  at a time, the last product with the sparse S.

On the CPU the kernel, its factor and its inverse share one n × n buffer, factored and inverted in
place by :mod:`workbench.kernels.blocked_linalg` (both cores, never the multi-threaded LAPACK Cholesky that
crashed on some machines); with one λ the kernel itself is overwritten, with several it is kept and
each λ works on a copy. On a GPU (JAX) the dual route runs on the device at full float32 precision.

With ``support_method="nystrom"`` every user stays a regression target and ``user_support`` users
are landmarks (:mod:`workbench.models.nystrom`). On a large dataset the evaluation may choose λ on
``selection_users`` random users and refit once with the chosen λ (:meth:`InfiniteAE.selection_subset`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from workbench.kernels.blocked_linalg import cholesky_in_place, inverse_from_cholesky_in_place
from workbench.errors import WorkbenchError
from workbench.kernels.linalg import (
    ALGEBRA_NAMES,
    AlgebraName,
    DenseAlgebra,
    ScipyAlgebra,
    dense_algebra,
    prefer_sparse_product,
    precision_scope,
)
from workbench.kernels.memory import available_device_memory, require_memory
from workbench.models.base import check_score_inputs, check_train_matrix
from workbench.validation import check_choice, check_dtype, check_lambdas
from workbench.kernels.ntk import NTKConfig, ntk_from_inner_products

DEFAULT_LAMBDAS: tuple[float, ...] = (1.0, 5.0, 20.0, 50.0, 100.0)

#: Above this many support users, λ is chosen on this many random users and refitted once.
DEFAULT_SELECTION_USERS = 8_000

#: Support rows are also kept dense (for fast cross Gram matrices) when they take at most this much.
DENSE_ROWS_LIMIT = 512 * 2**20

SUPPORT_METHODS: tuple[str, ...] = ("sample", "nystrom")
ROUTES: tuple[str, ...] = ("auto", "dual", "inverse")


@dataclass(frozen=True)
class InfiniteAE:
    """∞-AE configuration.

    Attributes:
        lambdas: the λ grid (each > 0); λ is chosen on validation.
        ntk: the network whose NTK is the kernel (depth, σw², σb²).
        user_support: fit with this many random users (all users when None); every user is still
            scored. What they are for depends on ``support_method``.
        support_method: "sample" — fit on the ``user_support`` users only, discarding the others
            (the authors' choice on Netflix, 5 % of users); "nystrom" — every user stays a
            regression target and the ``user_support`` users are landmarks.
        selection_users: when more users than this would be in the support and the grid has
            several λ, the evaluation chooses λ on this many random users and refits once with the
            chosen λ (see :meth:`selection_subset`); None always searches the whole grid on all users.
        route: how (K + λ̃I)⁻¹ is applied on the CPU: "dual" (store α, n × d), "inverse" (store the
            n × n inverse, nothing n × d), or "auto" (the cheaper: dual when d ≤ n + nnz/n).
        dtype: "float32" (default) or "float64".
        linear_algebra: "auto" (SciPy on a CPU, JAX on a GPU), "scipy" or "jax".
        batch_size: users scored per batch.
    """

    lambdas: tuple[float, ...] = DEFAULT_LAMBDAS
    ntk: NTKConfig = field(default_factory=NTKConfig)
    user_support: int | None = None
    support_method: Literal["sample", "nystrom"] = "sample"
    selection_users: int | None = DEFAULT_SELECTION_USERS
    route: Literal["auto", "dual", "inverse"] = "auto"
    dtype: Literal["float32", "float64"] = "float32"
    linear_algebra: AlgebraName = "auto"
    batch_size: int = 2048
    name: str = "infinite-ae"

    def __post_init__(self) -> None:
        object.__setattr__(self, "lambdas", check_lambdas(tuple(self.lambdas)))
        for parameter in ("user_support", "selection_users"):
            value = getattr(self, parameter)
            if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1):
                raise WorkbenchError(f"{parameter} must be a positive number of users, got {value!r}")
        if self.support_method not in SUPPORT_METHODS:
            raise WorkbenchError(f"support_method must be one of {', '.join(SUPPORT_METHODS)}, got {self.support_method!r}")
        if self.route not in ROUTES:
            raise WorkbenchError(f"route must be one of {', '.join(ROUTES)}, got {self.route!r}")
        check_dtype(self.dtype)
        check_choice("linear_algebra", self.linear_algebra, ALGEBRA_NAMES)
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise WorkbenchError(f"batch_size must be a positive integer, got {self.batch_size!r}")

    @property
    def uses_nystrom(self) -> bool:
        return self.support_method == "nystrom" and self.user_support is not None

    def select_support(self, n_users: int, seed: int) -> np.ndarray:
        """Sorted indices of the support users (or landmarks): all of them, or ``user_support`` drawn with ``seed``."""
        if self.user_support is None or self.user_support >= n_users:
            return np.arange(n_users)
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(n_users, size=self.user_support, replace=False))

    def selection_subset(self, n_users: int, seed: int) -> np.ndarray | None:
        """The users on whom λ is chosen when that is cheaper than the whole grid on all of them, else None.

        Each λ costs one n³ factorisation and inverse; on m random users it costs (m/n)³ of that.
        Then one fit with the chosen λ on all users follows. None when ``selection_users`` is None,
        the grid has one λ, Nyström is used (its λ grid is already cheap), or the support is small.
        """
        n_support = n_users if self.user_support is None else min(self.user_support, n_users)
        if self.selection_users is None or len(self.lambdas) < 2 or self.uses_nystrom or n_support <= self.selection_users:
            return None
        rng = np.random.default_rng([seed, 7])  # a stream apart from the support's draw
        return np.sort(rng.choice(n_users, size=self.selection_users, replace=False))

    def with_lambda(self, lam: float) -> InfiniteAE:
        """This configuration with the single λ chosen on a subset (no further subset selection)."""
        return replace(self, lambdas=(lam,), selection_users=None)

    def fit_grid(
        self, train: sp.csr_matrix, *, seed: int = 0, row_users: np.ndarray | None = None
    ) -> Iterator[FittedInfiniteAE]:
        """Fit ∞-AE for every λ of the grid, computing the kernel once.

        Args:
            train: (n_rows, n_items) training matrix (binary in the paper; any non-negative values:
                a Distill-CF summary is continuous in [0, 1]).
            seed: draws the support users (or landmarks) when ``user_support`` is set.
            row_users: (n_rows,) int, the user each row of ``train`` belongs to, −1 for a
                synthetic row; None when row u is user u. Scoring a user with their own row as
                context then takes the shortcut S − λ̃α.

        Yields:
            One fitted model per λ, in grid order.

        Raises:
            MemoryBudgetError: before allocating, when the kernel and its companions would not fit.
        """
        from workbench.models.infinite_ae_plan import plan_fit

        train = check_train_matrix(train)
        owners = np.arange(train.shape[0]) if row_users is None else np.asarray(row_users, dtype=np.int64)
        if owners.shape != (train.shape[0],):
            raise WorkbenchError(f"row_users must have one entry per training row ({train.shape[0]}), got shape {owners.shape}")
        algebra = dense_algebra(self.linear_algebra)
        plan = plan_fit(self, train.shape[0], train.shape[1], train.nnz, algebra=algebra.name)
        available = available_device_memory()
        require_memory(plan.describe(), plan.peak_bytes, available=available, instead=plan.alternatives(self, available))
        if self.uses_nystrom:
            from workbench.models.nystrom import fit_nystrom_grid

            yield from fit_nystrom_grid(self, train, owners, seed=seed, algebra=algebra)
            return
        support_users = self.select_support(train.shape[0], seed)
        state = _SupportState.build(self, train, owners, support_users, algebra)
        if algebra.name == "scipy":
            yield from _fit_on_cpu(self, state, route=plan.route)
        else:
            yield from _fit_on_device(self, state)


@dataclass(frozen=True, eq=False)
class _SupportState:
    """What every λ shares: the support rows (sparse, and dense where cheap), their norms, the algebra."""

    algebra: DenseAlgebra
    dtype: np.dtype
    ntk: NTKConfig
    support_users: np.ndarray  # (n,) int, sorted
    support_position: np.ndarray  # (max user + 1,) int: the support row of each user, −1 if none
    rows: sp.csr_matrix  # (n, d) in dtype
    dense: Any  # (n, d) on the algebra's backend, or None when too large (CPU only)
    squared_norms: np.ndarray  # (n,)
    batch_size: int

    @classmethod
    def build(
        cls, model: InfiniteAE, train: sp.csr_matrix, owners: np.ndarray, support_users: np.ndarray, algebra: DenseAlgebra
    ) -> _SupportState:
        dtype = np.dtype(model.dtype)
        rows = train[support_users].astype(dtype)
        rows.sort_indices()
        keep_dense = algebra.name != "scipy" or rows.shape[0] * rows.shape[1] * dtype.itemsize <= DENSE_ROWS_LIMIT
        with precision_scope(dtype):
            dense = algebra.asarray(rows, dtype) if keep_dense else None
        support_owners = owners[support_users]
        real = support_owners >= 0
        position = np.full(int(owners.max(initial=-1)) + 1, -1, dtype=np.int64)
        position[support_owners[real]] = np.flatnonzero(real)
        squared_norms = np.asarray(rows.multiply(rows).sum(axis=1), dtype=dtype).ravel()
        return cls(algebra, dtype, model.ntk, support_users, position, rows, dense, squared_norms, model.batch_size)

    @property
    def n_support(self) -> int:
        return self.rows.shape[0]

    @cached_property
    def by_item(self) -> sp.csr_matrix:
        """(d, n) the support rows transposed, as CSR: the users of each item."""
        return self.rows.T.tocsr()

    @cached_property
    def item_degrees(self) -> np.ndarray:
        """(d,) how many support rows hold each item."""
        return np.diff(self.by_item.indptr)

    def kernel(self) -> np.ndarray:
        """(n, n) NTK(S, S) as a C-ordered NumPy array, built a block of rows at a time in one buffer (CPU)."""
        n, n_items = self.n_support, self.rows.shape[1]
        if self.dense is not None:
            buffer = self.algebra.gram(self.dense)
        else:
            buffer = np.empty((n, n), dtype=self.dtype)
            for start in range(0, n, self.batch_size):
                stop = min(start + self.batch_size, n)
                buffer[start:stop] = (self.rows[start:stop] @ self.by_item).toarray()
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            buffer[start:stop] = np.asarray(
                ntk_from_inner_products(
                    buffer[start:stop], self.squared_norms[start:stop], self.squared_norms, n_features=n_items, config=self.ntk
                )
            )
        return buffer

    def cross_kernel(self, context: sp.csr_matrix) -> Any:
        """(b, n) NTK(Q, S) for sparse query rows Q (b, d), on the algebra's backend."""
        context = context.astype(self.dtype)
        if self.dense is not None and (
            self.algebra.name != "scipy" or not prefer_sparse_product(context, self.item_degrees, self.n_support)
        ):
            cross = self.algebra.cross_gram(context, self.dense)
        else:
            cross = (context @ self.by_item).toarray()
        query_norms = np.asarray(context.multiply(context).sum(axis=1), dtype=self.dtype).ravel()
        kernel = ntk_from_inner_products(
            cross, query_norms, self.squared_norms, n_features=context.shape[1], config=self.ntk
        )
        return np.asarray(kernel) if self.algebra.name == "scipy" else kernel

    def times_rows(self, left: np.ndarray) -> np.ndarray:
        """(b, d) ``left @ S`` for dense (b, n) ``left``, through the sparse S (CPU)."""
        return np.ascontiguousarray((self.by_item @ np.ascontiguousarray(left.T)).T)

    def support_positions(self, users: np.ndarray) -> np.ndarray:
        """(b,) the support row of each user, −1 for users outside the support."""
        positions = np.full(len(users), -1, dtype=np.int64)
        known = users < len(self.support_position)
        positions[known] = self.support_position[users[known]]
        return positions


def _factor_error(lam: float, shift: float, dtype: np.dtype) -> WorkbenchError:
    return WorkbenchError(
        f"∞-AE: K + λ̃I is not numerically positive definite at λ = {lam:g} (λ̃ = {shift:.3g}, "
        f"{np.dtype(dtype).name}); use a larger λ or float64"
    )


def _fit_on_cpu(model: InfiniteAE, state: _SupportState, *, route: str) -> Iterator[FittedInfiniteAE]:
    """The CPU path: one n × n buffer (two with several λ), factored and inverted in place."""
    started = time.perf_counter()
    with precision_scope(state.dtype):
        kernel = state.kernel()
    mean_diagonal = float(np.trace(kernel, dtype=np.float64)) / state.n_support
    kernel_seconds = time.perf_counter() - started
    last = len(model.lambdas) - 1
    for index, lam in enumerate(model.lambdas):
        shift = lam * mean_diagonal
        started = time.perf_counter()
        work = kernel if index == last else kernel.copy()  # the last λ consumes the kernel itself
        if index == last:
            del kernel
        try:
            cholesky_in_place(work, shift)
        except np.linalg.LinAlgError:
            raise _factor_error(lam, shift, state.dtype) from None
        factored = time.perf_counter()
        seconds = {"kernel": kernel_seconds, "factor": factored - started}
        if route == "dual":
            # the factor L lies in work.T's lower triangle (an F-ordered view): α = (L Lᵀ)⁻¹ S
            rhs = state.dense if state.dense is not None else state.rows.toarray()
            dual = ScipyAlgebra().cholesky_solve(work.T, rhs)
            del work
            seconds["solve"] = time.perf_counter() - factored
            yield FittedInfiniteAE(lam=lam, shift=shift, state=state, dual=dual, stage_seconds=seconds)
        else:
            try:
                inverse_from_cholesky_in_place(work)
            except np.linalg.LinAlgError:
                raise _factor_error(lam, shift, state.dtype) from None
            seconds["invert"] = time.perf_counter() - factored
            yield FittedInfiniteAE(lam=lam, shift=shift, state=state, inverse=work, stage_seconds=seconds)
            del work


def _fit_on_device(model: InfiniteAE, state: _SupportState) -> Iterator[FittedInfiniteAE]:
    """The JAX path (a GPU): dense support rows and kernel on the device, the dual route."""
    algebra = state.algebra
    with precision_scope(state.dtype):
        gram = algebra.gram(state.dense)
        kernel = ntk_from_inner_products(
            gram, state.squared_norms, state.squared_norms, n_features=state.rows.shape[1], config=state.ntk
        )
        del gram
        mean_diagonal = float(kernel.trace()) / state.n_support
    for lam in model.lambdas:
        shift = lam * mean_diagonal
        with precision_scope(state.dtype):
            try:
                factor = algebra.cholesky(kernel, shift)
            except np.linalg.LinAlgError:
                raise _factor_error(lam, shift, state.dtype) from None
            dual = algebra.cholesky_solve(factor, state.dense)
            del factor
        yield FittedInfiniteAE(lam=lam, shift=shift, state=state, dual=dual)


@dataclass(frozen=True)
class FittedInfiniteAE:
    """∞-AE fitted with one λ: scores(Q) = NTK(Q, S)·(K + λ̃I)⁻¹S, through α (dual) or the inverse."""

    lam: float
    shift: float  # λ̃ = λ·trace(K)/n
    state: _SupportState
    dual: Any = None  # α = (K + λ̃I)⁻¹S, (n, d), on the algebra's backend; or None
    inverse: np.ndarray | None = None  # (K + λ̃I)⁻¹, (n, n), symmetric; or None
    stage_seconds: Mapping[str, float] = field(default_factory=dict)  # kernel, factor, solve/invert

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {"lambda": self.lam, "user_support": int(self.state.n_support), "depth": self.state.ntk.depth}

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Scores (b, n_items) for ``users`` with ``context`` rows (b, n_items); see the module doc."""
        state = self.state
        users, context = check_score_inputs(users, context, state.rows.shape[1], "∞-AE")
        positions = state.support_positions(users)
        in_support = bool(len(users)) and bool((positions >= 0).all())
        rows = _as_slice_if_contiguous(positions)
        with precision_scope(state.dtype):
            if in_support and _same_rows(context, state.rows[rows]):
                own = state.rows[rows].toarray()
                if self.dual is not None:
                    return own - self.shift * state.algebra.to_numpy(self.dual[rows])
                return own - self.shift * state.times_rows(self.inverse[rows])
            cross_kernel = state.cross_kernel(context)
            if self.dual is not None:
                return state.algebra.to_numpy(state.algebra.matmul(cross_kernel, self.dual))
            return state.times_rows(cross_kernel @ self.inverse)


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

