"""Uniform negative sampling: for each (user, positive item) an item the user did not interact with."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def sample_negatives(train: sp.csr_matrix, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(b,) int64: for each user in `users` an item drawn uniformly from the items absent from its row.

    Exact and vectorised, without rejection: with the user's positives p_0 < p_1 < … (the sorted
    column indices of its row), draw k uniformly in [0, n_items − degree) and return the k-th
    (0-based) absent item, j = k + #{t : p_t − t <= k} (p_t − t is the number of absent items
    below p_t, non-decreasing in t, so the count is one `searchsorted`).

    Args:
        train: (n_users, n_items) CSR with sorted indices.
        users: (b,) int, user rows (repeats allowed).
        rng: the generator to draw from (advanced by one draw of b numbers).

    A user who interacted with every item has no negative: -1 is returned for it.
    """
    n_users, n_items = train.shape
    users = np.asarray(users, dtype=np.int64)
    degree = np.diff(train.indptr).astype(np.int64)
    position = np.arange(train.nnz, dtype=np.int64) - np.repeat(train.indptr[:-1].astype(np.int64), degree)
    below = train.indices.astype(np.int64) - position  # absent items below each positive, per row
    row_of = np.repeat(np.arange(n_users, dtype=np.int64), degree)
    keys = row_of * (n_items + 1) + below  # non-decreasing over the whole matrix
    absent = n_items - degree[users]
    draws = np.floor(rng.random(users.shape[0]) * np.maximum(absent, 1)).astype(np.int64)
    draws = np.minimum(draws, np.maximum(absent - 1, 0))
    skipped = np.searchsorted(keys, users * (n_items + 1) + draws, side="right") - train.indptr[users].astype(np.int64)
    negatives = draws + skipped
    negatives[absent == 0] = -1
    return negatives
