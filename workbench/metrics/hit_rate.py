"""HR@k, the hit rate of the ∞-AE paper: a **truncated recall** (recall whose denominator is capped at k).

For user u with positives P_u, ranked list T_u (top-k after masking the context items) and
m_u = min(|P_u|, k):

    HR@k(u) = |T_u ∩ P_u| / m_u

So HR@k = 1 when all k slots hold positives, or when every positive is ranked in the top k. This is
the authors' ``HR@k``; it equals :func:`~workbench.metrics.recall.recall_at_k` when |P_u| ≤ k and
precision@k when |P_u| ≥ k. Users without positives (m_u = 0) get NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from workbench.metrics._validation import check_n_positives
from workbench.metrics.recall import hit_counts

__all__ = ["hit_rate_at_k"]


def hit_rate_at_k(
    hits: NDArray[np.bool_], n_positives: NDArray[np.integer], k: int
) -> NDArray[np.float64]:
    """Truncated recall HR@k per user.

    Parameters
    ----------
    hits:
        bool (b, K), K ≥ k: ``hits[u, r]`` is true when the item at rank r of user u is a positive.
    n_positives:
        int (b,): |P_u|, the number of positives of each user.
    k:
        cut-off, k ≥ 1.

    Returns
    -------
    float64 (b,): |T_u ∩ P_u| / min(|P_u|, k), NaN where |P_u| = 0.
    """
    n_hits, k = hit_counts(hits, k)
    counts = check_n_positives(n_positives, len(n_hits))
    m = np.minimum(counts, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m > 0, n_hits / m, np.nan)
