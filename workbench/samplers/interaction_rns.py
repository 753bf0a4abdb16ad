"""Interaction RNS: a uniformly random subset of the training interactions."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from workbench.samplers._checks import check_budget, check_seed, check_train
from workbench.samplers.budget import Budget
from workbench.samplers.sample import TrainingSample, build_sample

NAME = "interaction-rns"


def sample_interaction_rns(train: sp.csr_matrix, budget: Budget, seed: int) -> TrainingSample:
    """Keep a uniformly random fraction of the training interactions (Interaction RNS).

    Rule: with f = budget.fraction(n_users) (a budget of u users is the fraction u / n_users), keep
    k = max(1, round(f × nnz)) of the nnz training interactions, drawn uniformly without
    replacement with ``numpy.random.default_rng(seed)``. Users left without any interaction are
    dropped; the kept rows are in ascending user order.

    Args:
        train: (n_users, n_items) CSR, the full training matrix (float32, binary).
        budget: the data budget.
        seed: seed of the draw.

    Returns:
        A `TrainingSample` whose rows are subsets of the users' training rows (row_users: their
        users), fraction_interactions = k / nnz, fraction_users = users kept / n_users.
    """
    train = check_train(train)
    budget = check_budget(budget)
    seed = check_seed(seed)
    fraction = budget.fraction(train.shape[0])
    total = int(train.nnz)
    keep_count = max(1, min(total, int(np.floor(fraction * total + 0.5))))
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(total, size=keep_count, replace=False))
    mask = np.zeros(total, dtype=bool)
    mask[chosen] = True
    rows = np.repeat(np.arange(train.shape[0], dtype=np.int64), np.diff(train.indptr))
    kept = sp.csr_matrix(
        (train.data[mask], (rows[mask], train.indices[mask])), shape=train.shape, dtype=np.float32
    )
    kept.sort_indices()
    return build_sample(
        kept,
        np.arange(train.shape[0], dtype=np.int64),
        train=train,
        sampler=NAME,
        budget=budget.label,
        seed=seed,
        parameters={"fraction_of_interactions": fraction, "interactions_kept": keep_count, "interactions_total": total},
    )
