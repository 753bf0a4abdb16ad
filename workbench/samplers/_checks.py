"""Argument checks every sampler shares: the training matrix, the seed, the budget's user count."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.samplers.budget import Budget


def check_train(train: sp.spmatrix) -> sp.csr_matrix:
    """`train` as CSR float32 with sorted indices (a copy when converted), refusing what cannot be sampled.

    Expects a non-empty (n_users, n_items) scipy.sparse matrix with finite non-negative values.
    """
    if not sp.issparse(train):
        raise WorkbenchError(f"train: expected a scipy.sparse user × item matrix, got {type(train).__name__}")
    if train.ndim != 2 or train.shape[0] == 0 or train.shape[1] == 0 or train.nnz == 0:
        raise WorkbenchError(
            f"train: expected a non-empty user × item matrix, got shape {train.shape}, {train.nnz} interactions"
        )
    matrix = sp.csr_matrix(train, dtype=np.float32, copy=True)  # never change the caller's arrays
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    if not np.all(np.isfinite(matrix.data)) or (matrix.data < 0).any():
        raise WorkbenchError("train: expected finite, non-negative interaction values")
    if matrix.nnz == 0:
        raise WorkbenchError(f"train: expected at least one interaction, got shape {train.shape} with none")
    matrix.sort_indices()
    return matrix


def check_seed(seed: int) -> int:
    """`seed` as a non-negative int (what `numpy.random.default_rng` accepts)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise WorkbenchError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def check_budget(budget: Budget) -> Budget:
    if not isinstance(budget, Budget):
        raise WorkbenchError(
            f"budget: expected a Budget (use workbench.samplers.parse_budget), got {type(budget).__name__} {budget!r}"
        )
    return budget


def active_users(train: sp.csr_matrix) -> np.ndarray:
    """(k,) int64, ascending: the users with at least one training interaction."""
    return np.flatnonzero(np.diff(train.indptr) > 0).astype(np.int64)


def users_within_budget(train: sp.csr_matrix, budget: Budget) -> int:
    """How many users `budget` allows out of train's n_users, for samplers that keep whole users.

    Only users with at least one training interaction can be kept: a fraction is capped at their
    number (so "100%" keeps them all), a count above it is refused with a `WorkbenchError`.
    """
    n = check_budget(budget).n_users(train.shape[0])
    available = int(np.count_nonzero(np.diff(train.indptr)))
    if budget.proportion is not None:
        return min(n, available)
    if n > available:
        raise WorkbenchError(
            f"budget: {budget.label} asks for {n} users, but only {available} of the {train.shape[0]} users "
            f"have training interactions; expected at most {available} users"
        )
    return n


def check_positive_int(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise WorkbenchError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive_float(name: str, value: float, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise WorkbenchError(f"{name}: expected a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise WorkbenchError(f"{name}: expected a number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return float(value)
