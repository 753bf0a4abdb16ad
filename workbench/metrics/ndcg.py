"""NDCG@k with binary relevance, normalised by the ideal DCG of min(|P_u|, k) positives.

For user u with positives P_u, ranked list T_u (ranks r = 0, 1, ...) and m_u = min(|P_u|, k):

    DCG@k(u)  = Σ_{r < k, T_u[r] ∈ P_u} 1 / log2(r + 2)
    IDCG@k(u) = Σ_{r < m_u} 1 / log2(r + 2)
    NDCG@k(u) = DCG@k(u) / IDCG@k(u)

This is the authors' definition. Users without positives (m_u = 0) get NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from workbench.metrics._validation import check_n_positives
from workbench.metrics.recall import hit_counts

__all__ = ["ndcg_at_k", "rank_discounts"]


def rank_discounts(k: int) -> NDArray[np.float64]:
    """float64 (k,): the DCG discount 1 / log2(r + 2) of ranks r = 0 .. k-1."""
    return 1.0 / np.log2(np.arange(k, dtype=np.float64) + 2.0)


def ndcg_at_k(
    hits: NDArray[np.bool_], n_positives: NDArray[np.integer], k: int
) -> NDArray[np.float64]:
    """NDCG@k per user.

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
    float64 (b,): DCG@k / IDCG@k, NaN where |P_u| = 0.
    """
    n_hits, k = hit_counts(hits, k)
    counts = check_n_positives(n_positives, len(n_hits))
    discounts = rank_discounts(k)
    dcg = np.where(hits[:, :k], discounts, 0.0).sum(axis=1)
    ideal = np.concatenate(([np.nan], np.cumsum(discounts)))  # ideal[m] = IDCG of m positives
    return dcg / ideal[np.minimum(counts, k)]
