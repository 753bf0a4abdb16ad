"""AUC with sampled negatives: the authors' global AUC, and a per-user AUC (a different metric).

Negatives: for every user u, n (= 50) distinct items drawn uniformly, once and seeded, from the items
that are in neither the user's train positives nor the user's test positives; the same negatives
serve the validation and the test evaluation.

**Global AUC** (the paper's "AUC"): pool every (user, positive item) score with label 1 and every
(user, sampled negative) score with label 0, over all users (scores taken *before* masking the
context items), and compute one Mann–Whitney AUC:

    AUC = ( Σ_{(p, q)} [s_p > s_q] + ½ [s_p = s_q] ) / (n_pos · n_neg)
        = ( R_pos − n_pos (n_pos + 1) / 2 ) / (n_pos · n_neg)

with R_pos the sum of the (tie-averaged) ranks of the positive scores in the pooled sample.
Positives of one user are compared with negatives of *every* user.

**Per-user AUC** ("UserAUC"): the same count within each user only,

    AUC(u) = ( Σ_{p ∈ P_u, q ∈ N_u} [s_up > s_uq] + ½ [s_up = s_uq] ) / (|P_u| · |N_u|)

then averaged over users. It is not the paper's number.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.stats import rankdata

from workbench.errors import WorkbenchError
from workbench.metrics._validation import as_csr, as_scores, check_k, csr_row_ids

__all__ = [
    "sample_auc_negatives",
    "global_auc",
    "per_user_auc",
    "auc_pair_scores",
    "grouped_auc",
]


def sample_auc_negatives(
    train: sp.csr_matrix,
    test: sp.csr_matrix,
    n_negatives: int = 50,
    *,
    seed: int | np.random.Generator = 0,
) -> NDArray[np.int32]:
    """Per user, ``n_negatives`` distinct random items in neither the user's train nor test items.

    Parameters
    ----------
    train, test:
        scipy.sparse (n_users, n_items): the user's train positives and test positives.
    n_negatives:
        negatives per user, ≥ 1.
    seed:
        seed (or ``numpy.random.Generator``); the same seed gives the same negatives.

    Returns
    -------
    int32 (n_users, n_negatives): item indices, ascending per row; a user with fewer eligible items
    gets all of them, padded on the right with ``-1``.

    Vectorised: the eligible items of user u are numbered 0 .. e_u − 1; Floyd's algorithm draws
    ``n_negatives`` distinct numbers for all users at once (one step per negative, not per user), and a
    ``searchsorted`` over the sorted forbidden items maps each number to its item.
    """
    n_negatives = check_k(n_negatives, "n_negatives")
    train = as_csr(train, "train")
    test = as_csr(test, "test")
    if train.shape != test.shape:
        raise WorkbenchError(
            f"train and test must have the same shape (users × items): train has shape "
            f"{train.shape}, test has shape {test.shape}"
        )
    if not isinstance(seed, (numbers.Integral, np.random.Generator)) or isinstance(seed, bool):
        raise WorkbenchError(f"seed must be an integer or a numpy Generator, got {seed!r}")
    rng = np.random.default_rng(seed)
    n_users, n_items = train.shape

    # Forbidden items per user, sorted and unique: the sparsity pattern of train ∪ test.
    forbidden = as_csr(_pattern(train) + _pattern(test), "train ∪ test")
    forbidden_indptr = forbidden.indptr.astype(np.int64)
    forbidden_items = forbidden.indices.astype(np.int64)
    forbidden_rows = csr_row_ids(forbidden_indptr)
    n_eligible = n_items - np.diff(forbidden_indptr)

    ranks = _distinct_ranks(n_eligible, n_negatives, rng)  # int64 (n_users, n), -1 = none
    # The r-th eligible item x satisfies x = r + #{f ∈ F_u : f < x} = r + #{j : f_j − j ≤ r}, where
    # f_j − j (j = position of f_j within the user's sorted forbidden items) is non-decreasing.
    position = np.arange(len(forbidden_items), dtype=np.int64) - forbidden_indptr[forbidden_rows]
    stride = n_items + 1
    shifted = forbidden_rows * stride + (forbidden_items - position)
    users = np.arange(n_users, dtype=np.int64)[:, None]
    n_below = np.searchsorted(shifted, users * stride + ranks, side="right") - forbidden_indptr[users]
    negatives = np.where(ranks >= 0, ranks + n_below, -1)
    negatives = np.sort(np.where(negatives >= 0, negatives, n_items), axis=1)
    negatives[negatives == n_items] = -1
    return negatives.astype(np.int32)


def _pattern(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The sparsity pattern of a canonical CSR matrix, with every stored value 1 (float32)."""
    return sp.csr_matrix(
        (np.ones(matrix.nnz, dtype=np.float32), matrix.indices, matrix.indptr), shape=matrix.shape
    )


def _distinct_ranks(
    n_eligible: NDArray[np.int64], n: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Per row u, ``n`` distinct uniform draws from 0 .. n_eligible[u] − 1 (all of them, then ``-1``,
    when n_eligible[u] < n). Floyd's algorithm, vectorised over rows: int64 (len(n_eligible), n)."""
    ranks = np.where(np.arange(n) < n_eligible[:, None], np.arange(n), -1).astype(np.int64)
    full = np.flatnonzero(n_eligible >= n)
    if len(full) == 0:
        return ranks
    sizes = n_eligible[full]
    chosen = np.empty((len(full), n), dtype=np.int64)
    for step in range(n):  # step j: draw t in [0, e − n + j]; keep t unless taken, then take e − n + j
        upper = sizes - n + step
        drawn = rng.integers(0, upper + 1)
        taken = (chosen[:, :step] == drawn[:, None]).any(axis=1)
        chosen[:, step] = np.where(taken, upper, drawn)
    ranks[full] = chosen
    return ranks


def global_auc(
    positive_scores: NDArray[np.floating], negative_scores: NDArray[np.floating]
) -> float:
    """One Mann–Whitney AUC over pooled scores: P(s_pos > s_neg) + ½ P(s_pos = s_neg).

    Parameters
    ----------
    positive_scores, negative_scores:
        float, any shape (flattened): the scores with label 1 and with label 0.

    Returns
    -------
    float in [0, 1]; NaN when either group is empty. Ties get average ranks (``scipy.stats.rankdata``),
    which counts each tied (positive, negative) pair as ½.
    """
    positive = np.asarray(positive_scores, dtype=np.float64).ravel()
    negative = np.asarray(negative_scores, dtype=np.float64).ravel()
    if np.isnan(positive).any() or np.isnan(negative).any():
        raise WorkbenchError("AUC scores contain NaN; a model must give every item a real score")
    n_pos, n_neg = len(positive), len(negative)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(np.concatenate((positive, negative)))
    rank_sum = float(np.sum(ranks[:n_pos]))
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (float(n_pos) * float(n_neg))


def auc_pair_scores(
    scores: NDArray[np.floating], positives: sp.csr_matrix, negatives: NDArray[np.integer]
) -> tuple[NDArray[np.int64], NDArray[np.floating], NDArray[np.int64], NDArray[np.floating]]:
    """Gather the AUC samples of a batch, from unmasked scores.

    Parameters
    ----------
    scores:
        float (b, d): the model's scores, *before* masking the context items.
    positives:
        scipy.sparse (b, d): the positives P_u.
    negatives:
        int (b, n): sampled negatives per row, ``-1`` = padding.

    Returns
    -------
    (positive_rows int64 (|P|,), positive_scores (|P|,), negative_rows int64 (n_valid,),
    negative_scores (n_valid,)), scores in the dtype of ``scores``.
    """
    scores = as_scores(scores)
    positives = as_csr(positives, "positives")
    negatives = np.asarray(negatives)
    b = scores.shape[0]
    if positives.shape != scores.shape:
        raise WorkbenchError(
            f"positives must have the shape of scores: scores has shape {scores.shape}, "
            f"positives has shape {positives.shape}"
        )
    if negatives.ndim != 2 or negatives.shape[0] != b or not np.issubdtype(negatives.dtype, np.integer):
        raise WorkbenchError(
            f"negatives must be an integer array with one row per row of scores ({b}), "
            f"got shape {negatives.shape}, dtype {negatives.dtype}"
        )
    if negatives.size and negatives.max() >= scores.shape[1]:
        raise WorkbenchError(
            f"negatives hold item {negatives.max()}, outside the {scores.shape[1]} items of scores"
        )
    positive_rows = csr_row_ids(positives.indptr)
    negative_rows, negative_slots = np.nonzero(negatives >= 0)
    negative_items = negatives[negative_rows, negative_slots]
    return (
        positive_rows,
        scores[positive_rows, positives.indices],
        negative_rows.astype(np.int64),
        scores[negative_rows, negative_items],
    )


def grouped_auc(
    positive_groups: NDArray[np.integer],
    positive_scores: NDArray[np.floating],
    negative_groups: NDArray[np.integer],
    negative_scores: NDArray[np.floating],
    n_groups: int,
) -> NDArray[np.float64]:
    """Mann–Whitney AUC within each group (positives compared with the same group's negatives only).

    Groups are integers 0 .. n_groups − 1. Returns float64 (n_groups,), NaN for a group without
    positives or without negatives. Vectorised: one sort by (group, score), then cumulative
    counts of negatives below and tied with each run of equal (group, score).
    """
    groups = np.concatenate((positive_groups, negative_groups)).astype(np.int64)
    values = np.concatenate((positive_scores, negative_scores)).astype(np.float64)
    if np.isnan(values).any():
        raise WorkbenchError("AUC scores contain NaN; a model must give every item a real score")
    is_positive = np.zeros(len(groups), dtype=bool)
    is_positive[: len(positive_groups)] = True
    # Sort by (group, value): one int64 sort of group·n + (rank of the value); faster than lexsort.
    value_rank = np.empty(len(values), dtype=np.int64)
    value_rank[np.argsort(values)] = np.arange(len(values), dtype=np.int64)
    order = np.argsort(groups * len(values) + value_rank)
    groups, values, is_positive = groups[order], values[order], is_positive[order]

    negatives_before = np.zeros(len(groups) + 1, dtype=np.int64)  # [i] = #negatives in sorted[:i]
    np.cumsum(~is_positive, out=negatives_before[1:])
    new_run = np.ones(len(groups), dtype=bool)
    new_run[1:] = (groups[1:] != groups[:-1]) | (values[1:] != values[:-1])
    new_group = np.ones(len(groups), dtype=bool)
    new_group[1:] = groups[1:] != groups[:-1]
    run_starts = np.flatnonzero(new_run)
    run_ends = np.append(run_starts[1:], len(groups))
    run_of = np.cumsum(new_run) - 1
    group_start = np.flatnonzero(new_group)[np.cumsum(new_group) - 1]

    start, end = run_starts[run_of], run_ends[run_of]
    below = negatives_before[start] - negatives_before[group_start]
    tied = negatives_before[end] - negatives_before[start]
    wins = np.bincount(
        groups[is_positive], weights=(below + 0.5 * tied)[is_positive], minlength=n_groups
    )
    n_pos = np.bincount(positive_groups, minlength=n_groups)
    n_neg = np.bincount(negative_groups, minlength=n_groups)
    pairs = n_pos.astype(np.float64) * n_neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / pairs, np.nan)


def per_user_auc(
    scores: NDArray[np.floating], positives: sp.csr_matrix, negatives: NDArray[np.integer]
) -> NDArray[np.float64]:
    """Per-user AUC ("UserAUC", not the paper's global AUC) of each row's positives vs its negatives.

    Parameters
    ----------
    scores:
        float (b, d): scores *before* masking.
    positives:
        scipy.sparse (b, d): positives P_u.
    negatives:
        int (b, n): sampled negatives N_u per row, ``-1`` = padding.

    Returns
    -------
    float64 (b,): AUC(u); NaN for users without positives or without negatives.
    """
    positive_rows, positive_scores, negative_rows, negative_scores = auc_pair_scores(
        scores, positives, negatives
    )
    return grouped_auc(
        positive_rows, positive_scores, negative_rows, negative_scores, np.shape(scores)[0]
    )
