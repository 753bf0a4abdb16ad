"""PSP@k, propensity-scaled precision (Jain et al., 2016), as the ∞-AE authors compute it.

Item propensity weight (inverse propensity), from the item's train count n_i and the number N of
training interactions (nnz of the train matrix), with A = 0.55, B = 1.5:

    C   = (ln N − 1) · (B + 1)^A
    w_i = 1 + C · (n_i + B)^(−A)

For user u with positives P_u, ranked list T_u (top-k after masking) and m_u = min(|P_u|, k):

    PSP@k(u) = ( Σ_{i ∈ T_u ∩ P_u} w_i / m_u ) ÷ ( sum of the m_u largest w_i, i ∈ P_u )

The numerator is divided by m_u and the normaliser is not: this is the authors' code, kept as is
(so PSP@k(u) ≤ 1 / m_u). Rare items (small n_i) weigh more. Users without positives get NaN.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from workbench.errors import WorkbenchError
from workbench.metrics._validation import as_csr, csr_row_ids
from workbench.metrics.recall import hit_counts

__all__ = ["psp_item_weights", "psp_at_k", "psp_normaliser"]

PSP_A = 0.55
PSP_B = 1.5


def psp_item_weights(
    train: sp.csr_matrix,
    a: float = PSP_A,
    b: float = PSP_B,
    *,
    n_interactions: int | None = None,
) -> NDArray[np.float64]:
    """Inverse-propensity weights w_i = 1 + C·(n_i + B)^(−A), C = (ln N − 1)·(B + 1)^A.

    Parameters
    ----------
    train:
        scipy.sparse (n_users, n_items): the training interactions; n_i = stored entries of column i.
    a, b:
        the constants A ≥ 0 and B > 0 (defaults 0.55 and 1.5, the authors').
    n_interactions:
        N; default ``train.nnz`` (the authors' number of training rows).

    Returns
    -------
    float64 (n_items,).
    """
    train = as_csr(train, "train")
    if not (math.isfinite(a) and a >= 0):
        raise WorkbenchError(f"a (the propensity exponent A) must be a finite number ≥ 0, got {a!r}")
    if not (math.isfinite(b) and b > 0):
        raise WorkbenchError(f"b (the propensity offset B) must be a finite number > 0, got {b!r}")
    n = train.nnz if n_interactions is None else n_interactions
    if n <= 0:
        raise WorkbenchError(
            f"n_interactions (N, the number of training interactions) must be ≥ 1, got {n}"
        )
    item_counts = np.bincount(train.indices, minlength=train.shape[1]).astype(np.float64)
    c = (math.log(n) - 1.0) * (b + 1.0) ** a
    return 1.0 + c * np.power(item_counts + b, -a)


def psp_normaliser(
    positives: sp.csr_matrix, item_weights: NDArray[np.floating], k: int
) -> NDArray[np.float64]:
    """Per user, the sum of the m_u = min(|P_u|, k) largest weights w_i over i ∈ P_u.

    ``positives``: scipy.sparse (b, d); ``item_weights``: float (d,). Returns float64 (b,) (0 for users
    without positives). Vectorised: one integer sort of the entries by (row, −w), then a ``bincount``.
    """
    positives = as_csr(positives, "positives")
    weights = _check_weights(item_weights, positives.shape[1])
    n_rows, n_items = positives.shape
    rows = csr_row_ids(positives.indptr)
    # Rank items once by weight (heaviest first); sorting the keys row·d + rank then orders each
    # row's positives by descending weight, with one integer sort.
    by_weight = np.argsort(-weights, kind="stable")
    weight_rank = np.empty(n_items, dtype=np.int64)
    weight_rank[by_weight] = np.arange(n_items)
    keys = np.sort(rows * n_items + weight_rank[positives.indices])
    sorted_weights = weights[by_weight[keys % n_items]]
    rank_in_row = np.arange(len(rows)) - positives.indptr[rows]
    m = np.minimum(np.diff(positives.indptr), k)
    kept = rank_in_row < m[rows]
    return np.bincount(rows[kept], weights=sorted_weights[kept], minlength=n_rows)


def psp_at_k(
    top_items: NDArray[np.integer],
    hits: NDArray[np.bool_],
    positives: sp.csr_matrix,
    item_weights: NDArray[np.floating],
    k: int,
) -> NDArray[np.float64]:
    """PSP@k per user.

    Parameters
    ----------
    top_items:
        int (b, K), K ≥ k: ranked items (``-1`` = padding), as from
        :func:`~workbench.metrics.ranking.top_k_items`.
    hits:
        bool (b, K): ``hits[u, r] = [top_items[u, r] ∈ P_u]``.
    positives:
        scipy.sparse (b, d): the positives P_u, rows aligned with ``top_items``.
    item_weights:
        float (d,): w_i, from :func:`psp_item_weights`.
    k:
        cut-off, k ≥ 1.

    Returns
    -------
    float64 (b,): (Σ_{i ∈ T∩P} w_i / m_u) / (sum of the m_u largest w_i in P_u); NaN where |P_u| = 0.
    """
    _, k = hit_counts(hits, k)
    positives = as_csr(positives, "positives")
    top_items = np.asarray(top_items)
    if top_items.shape != np.shape(hits) or top_items.shape[0] != positives.shape[0]:
        raise WorkbenchError(
            "top_items, hits and positives must agree on users: top_items has shape "
            f"{top_items.shape}, hits has shape {np.shape(hits)}, positives has shape {positives.shape}"
        )
    weights = _check_weights(item_weights, positives.shape[1])
    top = top_items[:, :k]
    gained = np.where(hits[:, :k], weights[np.where(top >= 0, top, 0)], 0.0).sum(axis=1)
    m = np.minimum(np.diff(positives.indptr), k)
    normaliser = psp_normaliser(positives, weights, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m > 0, (gained / m) / normaliser, np.nan)


def _check_weights(item_weights: NDArray[np.floating], n_items: int) -> NDArray[np.float64]:
    weights = np.asarray(item_weights, dtype=np.float64)
    if weights.shape != (n_items,):
        raise WorkbenchError(
            f"item_weights must have shape ({n_items},), one weight per item, got {weights.shape}"
        )
    return weights
