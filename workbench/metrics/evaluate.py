"""Batched evaluation of score matrices: the entry point every model uses.

For each batch of users (any subset, each user at most once over all batches), with the batch's
score matrix S (b × n_items):

1. users without positives in the evaluated split are skipped (and counted), before any ranking;
2. the AUC samples (scores of positives and of sampled negatives) are taken from S *before* masking;
3. the context items (train, or train ∪ validation) are masked and the top max(ks) items ranked once
   (:func:`~workbench.metrics.ranking.top_k_items`);
4. HR@k, NDCG@k, PSP@k and Recall@k are computed per user for every k and summed.

Metrics are averaged over the evaluated users (those with ≥ 1 positive): HR, NDCG, PSP and Recall are
reported ×100 (the paper's units), ``AUC`` (global, the paper's) and ``UserAUC`` (per-user mean, over
users with ≥ 1 positive and ≥ 1 negative) as fractions in [0, 1].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from workbench.errors import WorkbenchError
from workbench.metrics._validation import as_csr, as_scores, check_ks
from workbench.metrics.auc import auc_pair_scores, global_auc, grouped_auc
from workbench.metrics.hit_rate import hit_rate_at_k
from workbench.metrics.ndcg import ndcg_at_k
from workbench.metrics.psp import psp_at_k
from workbench.metrics.ranking import hits as hit_matrix
from workbench.metrics.ranking import top_k_items
from workbench.metrics.recall import recall_at_k

__all__ = ["EvaluationResult", "evaluate_rankings", "metric_names", "RANKING_METRICS"]

#: Ranking metrics, in report order (each reported at every k).
RANKING_METRICS: tuple[str, ...] = ("HR", "NDCG", "PSP", "Recall")


def metric_names(ks: Sequence[int] = (10, 100), *, auc: bool = True) -> list[str]:
    """The metric keys of :func:`evaluate_rankings`, in order.

    ``metric_names((10, 100))`` → ``['HR@10', 'HR@100', 'NDCG@10', 'NDCG@100', 'PSP@10', 'PSP@100',
    'Recall@10', 'Recall@100', 'AUC', 'UserAUC']`` (the last two only when ``auc``).
    """
    checked = check_ks(ks)
    names = [f"{metric}@{k}" for metric in RANKING_METRICS for k in checked]
    return names + (["AUC", "UserAUC"] if auc else [])


@dataclass(frozen=True)
class EvaluationResult:
    """Averages over the evaluated users.

    ``metrics``: HR@k, NDCG@k, PSP@k, Recall@k ×100 (paper units); AUC and UserAUC in [0, 1].
    ``n_users_evaluated``: users with ≥ 1 positive in the split. ``n_users_skipped``: users in the
    batches without positives (not in any average). Users never passed in a batch are in neither.
    """

    metrics: dict[str, float]
    n_users_evaluated: int
    n_users_skipped: int
    n_users_auc: int = field(default=0)  # users in the UserAUC mean (≥ 1 positive and ≥ 1 negative)


def evaluate_rankings(
    score_batches: Iterable[tuple[NDArray[np.integer], NDArray[np.floating]]],
    context: sp.csr_matrix,
    positives: sp.csr_matrix,
    psp_weights: NDArray[np.floating],
    auc_negatives: NDArray[np.integer] | None,
    ks: Sequence[int] = (10, 100),
) -> EvaluationResult:
    """Evaluate a model's scores, batch by batch.

    Parameters
    ----------
    score_batches:
        iterable of ``(user_indices, scores)``: int (b,) user ids (rows of ``context``) and float
        (b, n_items) scores of those users, unmasked. Each user appears at most once in all batches.
    context:
        scipy.sparse (n_users, n_items): items masked before ranking (train for validation;
        train ∪ validation for test).
    positives:
        scipy.sparse (n_users, n_items): the evaluated split's items (P_u).
    psp_weights:
        float (n_items,): from :func:`~workbench.metrics.psp.psp_item_weights` on the train matrix.
    auc_negatives:
        int (n_users, n_neg) from :func:`~workbench.metrics.auc.sample_auc_negatives` (``-1`` =
        padding), or ``None`` to skip AUC and UserAUC.
    ks:
        cut-offs, each ≥ 1; the top max(ks) items are ranked once per batch.

    Returns
    -------
    :class:`EvaluationResult` with the keys of :func:`metric_names`. With no evaluated user every
    metric is NaN.
    """
    ks = check_ks(ks)
    k_max = ks[-1]
    context = as_csr(context, "context")
    positives = as_csr(positives, "positives")
    if context.shape != positives.shape:
        raise WorkbenchError(
            f"context and positives must have the same shape (users × items): context has shape "
            f"{context.shape}, positives has shape {positives.shape}"
        )
    n_users, n_items = positives.shape
    weights = np.asarray(psp_weights, dtype=np.float64)
    if weights.shape != (n_items,):
        raise WorkbenchError(
            f"psp_weights must have shape ({n_items},), one weight per item, got {weights.shape}"
        )
    if auc_negatives is not None:
        auc_negatives = np.asarray(auc_negatives)
        if auc_negatives.ndim != 2 or auc_negatives.shape[0] != n_users:
            raise WorkbenchError(
                f"auc_negatives must have shape ({n_users}, n_negatives), one row per user, "
                f"got {auc_negatives.shape}"
            )
    n_positives_all = np.diff(positives.indptr)

    sums = dict.fromkeys(metric_names(ks, auc=False), 0.0)
    seen = np.zeros(n_users, dtype=bool)
    n_evaluated = n_skipped = 0
    auc_positive: list[NDArray[np.floating]] = []
    auc_negative: list[NDArray[np.floating]] = []
    user_auc_sum, n_user_auc = 0.0, 0

    for batch_number, (users, scores) in enumerate(score_batches):
        users = _check_users(users, n_users, batch_number)
        scores = as_scores(scores, f"scores of batch {batch_number}")
        if scores.shape != (len(users), n_items):
            raise WorkbenchError(
                f"scores of batch {batch_number} must have shape (len(user_indices), n_items) = "
                f"{(len(users), n_items)}, got {scores.shape}"
            )
        if seen[users].any():
            repeated = users[seen[users]][:5].tolist()
            raise WorkbenchError(f"users {repeated} appear in more than one batch; pass each once")
        seen[users] = True

        has_positives = n_positives_all[users] > 0
        n_skipped += int(len(users) - has_positives.sum())
        if not has_positives.all():
            users, scores = users[has_positives], scores[has_positives]
        if len(users) == 0:
            continue
        n_evaluated += len(users)
        batch_positives = positives[users]
        n_positives = np.diff(batch_positives.indptr)

        if auc_negatives is not None:
            pos_rows, pos_scores, neg_rows, neg_scores = auc_pair_scores(
                scores, batch_positives, auc_negatives[users]
            )
            auc_positive.append(pos_scores)
            auc_negative.append(neg_scores)
            user_auc = grouped_auc(pos_rows, pos_scores, neg_rows, neg_scores, len(users))
            defined = ~np.isnan(user_auc)
            user_auc_sum += float(user_auc[defined].sum())
            n_user_auc += int(defined.sum())

        top = top_k_items(scores, context[users], k_max)
        hit = hit_matrix(top, batch_positives)
        for k in ks:
            sums[f"HR@{k}"] += float(hit_rate_at_k(hit, n_positives, k).sum())
            sums[f"NDCG@{k}"] += float(ndcg_at_k(hit, n_positives, k).sum())
            sums[f"PSP@{k}"] += float(psp_at_k(top, hit, batch_positives, weights, k).sum())
            sums[f"Recall@{k}"] += float(recall_at_k(hit, n_positives, k).sum())

    metrics = {
        name: (100.0 * total / n_evaluated if n_evaluated else float("nan"))
        for name, total in sums.items()
    }
    if auc_negatives is not None:
        metrics["AUC"] = (
            global_auc(np.concatenate(auc_positive), np.concatenate(auc_negative))
            if auc_positive
            else float("nan")
        )
        metrics["UserAUC"] = user_auc_sum / n_user_auc if n_user_auc else float("nan")
    return EvaluationResult(
        metrics=metrics,
        n_users_evaluated=n_evaluated,
        n_users_skipped=n_skipped,
        n_users_auc=n_user_auc,
    )


def _check_users(users: object, n_users: int, batch_number: int) -> NDArray[np.int64]:
    """User indices of one batch as int64 (b,), each in 0 .. n_users − 1 and unique."""
    array = np.asarray(users)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise WorkbenchError(
            f"user_indices of batch {batch_number} must be a 1-D integer array, "
            f"got shape {array.shape}, dtype {array.dtype}"
        )
    array = array.astype(np.int64, copy=False)
    if array.size and (array.min() < 0 or array.max() >= n_users):
        raise WorkbenchError(
            f"user_indices of batch {batch_number} must lie in 0 .. {n_users - 1}, "
            f"got values from {array.min()} to {array.max()}"
        )
    if len(np.unique(array)) != len(array):
        raise WorkbenchError(f"user_indices of batch {batch_number} repeat a user; pass each once")
    return array
