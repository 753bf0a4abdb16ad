"""Argument checks every sampler shares: the training matrix and the budget's user count.

Seeds and numbers are checked by :mod:`workbench.validation`, re-exported here for the samplers.
"""

from __future__ import annotations


import numpy as np
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.samplers.budget import Budget
from workbench.validation import check_positive_float, check_positive_int, check_seed, check_user_item_matrix

__all__ = [
    "active_users", "check_budget", "check_positive_float", "check_positive_int", "check_seed", "check_train",
    "users_within_budget",
]


def check_train(train: sp.spmatrix) -> sp.csr_matrix:
    """`train` as a float32 CSR copy with sorted indices, refusing what cannot be sampled.

    Expects a non-empty (n_users, n_items) scipy.sparse matrix with finite non-negative values.
    """
    return check_user_item_matrix(train, "train", dtype=np.float32, copy=True, non_negative=True, non_empty=True)


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
