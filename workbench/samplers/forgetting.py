"""Forgetting events (Toneva et al., ICLR 2019), as SVP-CF counts them for interactions.

An example is *forgotten* when the model got it right at one epoch and wrong at the next one. The
functions here are pure: they take the per-epoch correctness and count these transitions.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def forgetting_transitions(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """(n,) bool: right at the previous epoch and wrong at the current one.

    Args:
        previous, current: (n,) bool, whether each example was right at two consecutive epochs.
    """
    previous = np.asarray(previous, dtype=bool)
    current = np.asarray(current, dtype=bool)
    if previous.shape != current.shape:
        raise ValueError(f"previous and current correctness differ in shape: {previous.shape} vs {current.shape}")
    return previous & ~current


def count_forgetting_events(correct: np.ndarray) -> np.ndarray:
    """(n,) int64: the number of right → wrong transitions between consecutive epochs of each example.

    Args:
        correct: (epochs, n) bool, ``correct[e, k]``: example k was right at epoch e.

    An example right at every epoch, wrong at every epoch, or learned once and never forgotten
    counts 0; right, wrong, right, wrong counts 2. With E epochs the count is at most E // 2.
    """
    correct = np.asarray(correct, dtype=bool)
    if correct.ndim != 2:
        raise ValueError(f"correct: expected an (epochs, n) array, got shape {correct.shape}")
    if correct.shape[0] < 2:
        return np.zeros(correct.shape[1], dtype=np.int64)
    return np.count_nonzero(correct[:-1] & ~correct[1:], axis=0).astype(np.int64)


def mean_per_user(values: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
    """(n_users,) float64: the mean of `values` ((nnz,), one per stored interaction of the CSR `train`,
    in storage order) over each user's interactions; NaN for users without interactions."""
    counts = np.diff(train.indptr)
    users = np.repeat(np.arange(train.shape[0], dtype=np.int64), counts)
    totals = np.bincount(users, weights=np.asarray(values, dtype=np.float64), minlength=train.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)
