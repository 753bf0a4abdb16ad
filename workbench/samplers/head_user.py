"""Head User: the most active users, with all of their training interactions."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from workbench.samplers._checks import check_seed, check_train, users_within_budget
from workbench.samplers.budget import Budget
from workbench.samplers.sample import TrainingSample
from workbench.samplers.user_rns import user_rows_sample

NAME = "head-user"


def top_users(scores: np.ndarray, n: int, eligible: np.ndarray | None = None) -> np.ndarray:
    """(n,) int64: the indices of the n highest `scores` ((n_users,) float), ties broken by the lower index.

    `eligible` ((n_users,) bool) restricts the choice to those users.
    """
    scores = np.asarray(scores, dtype=np.float64)
    candidates = np.arange(scores.shape[0], dtype=np.int64)
    if eligible is not None:
        candidates = candidates[np.asarray(eligible, dtype=bool)]
    order = np.argsort(-scores[candidates], kind="stable")  # stable: equal scores keep index order
    return candidates[order[:n]]


def sample_head_user(train: sp.csr_matrix, budget: Budget, seed: int) -> TrainingSample:
    """Keep the n most active users and all of their training interactions (Head User).

    Rule: n = budget.n_users(n_users) (see `user_rns.sample_user_rns` for users without
    interactions); rank users by their number of training interactions,
    most first, ties broken by the lower user index; keep the first n. Deterministic: `seed` is
    only recorded (it is taken for the common sampler signature). Rows are in ascending user order.

    Args:
        train: (n_users, n_items) CSR, the full training matrix (float32, binary).

    Returns:
        A `TrainingSample` of n rows, each the chosen user's full training row.
    """
    train = check_train(train)
    seed = check_seed(seed)
    n = users_within_budget(train, budget)
    activity = np.diff(train.indptr)
    chosen = top_users(activity, n, eligible=activity > 0)
    return user_rows_sample(
        train,
        chosen,
        sampler=NAME,
        budget=budget,
        seed=seed,
        parameters={"min_interactions_kept": int(activity[chosen].min())},
    )
