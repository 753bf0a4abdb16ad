"""User RNS: a uniformly random subset of the users, with all of their training interactions."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from workbench.samplers._checks import active_users, check_seed, check_train, users_within_budget
from workbench.samplers.budget import Budget
from workbench.samplers.sample import TrainingSample, build_sample

NAME = "user-rns"


def user_rows_sample(
    train: sp.csr_matrix,
    users: np.ndarray,
    *,
    sampler: str,
    budget: Budget,
    seed: int,
    parameters: dict[str, Any],
) -> TrainingSample:
    """The sample made of the full training rows of `users` ((n,) int), in ascending user order."""
    users = np.sort(np.asarray(users, dtype=np.int64))
    return build_sample(
        train[users],
        users,
        train=train,
        sampler=sampler,
        budget=budget.label,
        seed=seed,
        parameters={"users_kept": int(users.shape[0]), **parameters},
    )


def sample_user_rns(train: sp.csr_matrix, budget: Budget, seed: int) -> TrainingSample:
    """Keep n random users and all of their training interactions (User RNS).

    Rule: n = budget.n_users(n_users); draw n users uniformly without replacement, with
    ``numpy.random.default_rng(seed)``, among the users with at least one training interaction
    (a count above their number raises `WorkbenchError`, a fraction is capped at it). Rows are in
    ascending user order.

    Args:
        train: (n_users, n_items) CSR, the full training matrix (float32, binary).

    Returns:
        A `TrainingSample` of n rows, each the chosen user's full training row.
    """
    train = check_train(train)
    seed = check_seed(seed)
    n = users_within_budget(train, budget)
    candidates = active_users(train)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(candidates, size=n, replace=False)
    return user_rows_sample(train, chosen, sampler=NAME, budget=budget, seed=seed, parameters={})
