"""Recall@k, plain (untruncated): the share of a user's positives found in the top k.

For user u with positives P_u and ranked list T_u (top-k after masking the context items):

    Recall@k(u) = |T_u ∩ P_u| / |P_u|

Unlike HR@k (:mod:`workbench.metrics.hit_rate`, the paper's metric, denominator min(|P_u|, k)),
Recall@k cannot reach 1 when |P_u| > k. Users without positives get NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from workbench.errors import WorkbenchError
from workbench.metrics._validation import check_k, check_n_positives

__all__ = ["recall_at_k", "hit_counts"]


def hit_counts(hits: NDArray[np.bool_], k: int) -> tuple[NDArray[np.int64], int]:
    """|T_u ∩ P_u| per user: the number of true values in the first ``k`` columns of ``hits``.

    ``hits``: bool (b, K) with K ≥ k. Returns (int64 (b,), the validated k).
    """
    k = check_k(k)
    hits = np.asarray(hits)
    if hits.ndim != 2 or hits.dtype != np.bool_:
        raise WorkbenchError(
            f"hits must be a 2-D boolean array (users × ranks), got shape {hits.shape}, dtype {hits.dtype}"
        )
    if hits.shape[1] < k:
        raise WorkbenchError(
            f"hits has {hits.shape[1]} ranks, fewer than k = {k}: rank at least k items per user"
        )
    return np.count_nonzero(hits[:, :k], axis=1).astype(np.int64), k


def recall_at_k(
    hits: NDArray[np.bool_], n_positives: NDArray[np.integer], k: int
) -> NDArray[np.float64]:
    """Recall@k per user.

    Parameters
    ----------
    hits:
        bool (b, K), K ≥ k: ``hits[u, r]`` is true when the item at rank r of user u is a positive.
    n_positives:
        int (b,): |P_u|.
    k:
        cut-off, k ≥ 1.

    Returns
    -------
    float64 (b,): |T_u ∩ P_u| / |P_u|, NaN where |P_u| = 0.
    """
    n_hits, k = hit_counts(hits, k)
    counts = check_n_positives(n_positives, len(n_hits))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, n_hits / counts, np.nan)
