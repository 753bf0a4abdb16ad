"""Top-k ranking of score matrices, and the boolean hit matrix every ranking metric reads.

For a batch of ``b`` users over ``d`` items, :func:`top_k_items` returns, per user, the ``k`` items
with the highest scores among the *candidates* (the items not in the user's context, e.g. the
training items), best first:

    T_u = argtop-k_{i ∉ C_u} s_{u,i}

Tie rule (deterministic, the same as a stable descending sort of the scores, i.e. the authors'
``jnp.argsort(-scores)``): equal scores are ordered by **lower item index first**. Excluded items are
never returned; a row with fewer than ``k`` candidates is padded on the right with ``-1``.

:func:`hits` then marks which ranked items are positives: ``H[u, r] = [T_u[r] ∈ P_u]``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from workbench.errors import WorkbenchError
from workbench.metrics._validation import as_csr, as_scores, check_k, csr_row_ids, take_rows

__all__ = ["top_k_items", "hits"]

#: Scores per block of rows handed to one thread (about 4 MB of float32: fits a core's L2/L3 share).
_BLOCK_ELEMENTS = 1 << 20


def top_k_items(
    scores: NDArray[np.floating],
    exclude: sp.csr_matrix | None,
    k: int,
    *,
    n_threads: int | None = None,
) -> NDArray[np.int32]:
    """The ``k`` best candidate items per row, best first.

    Parameters
    ----------
    scores:
        float32/float64 array of shape ``(b, d)``: one row of item scores per user. Not modified.
        NaN scores are refused (``WorkbenchError``); ``±inf`` are ordinary values.
    exclude:
        scipy.sparse matrix of shape ``(b, d)`` (CSR preferred) whose stored entries are the context
        items of each row (never returned), or ``None`` for no exclusion.
    k:
        number of items to return per row, ``k ≥ 1``. ``k`` may exceed ``d``.
    n_threads:
        worker threads over blocks of rows (NumPy releases the GIL in ``argpartition``); ≤ 1 runs
        serially; default ``min(4, os.cpu_count())``.

    Returns
    -------
    int32 array of shape ``(b, k)``: item indices by descending score, ties by ascending item index,
    padded with ``-1`` where a row has fewer than ``k`` candidate items.
    """
    k = check_k(k)
    scores = as_scores(scores)
    b, d = scores.shape
    if exclude is None:
        exclude_indptr = np.zeros(b + 1, dtype=np.int64)
        exclude_indices = np.zeros(0, dtype=np.int32)
    else:
        exclude = as_csr(exclude, "exclude")
        if exclude.shape != scores.shape:
            raise WorkbenchError(
                f"exclude must have the shape of scores: scores has shape {scores.shape}, "
                f"exclude has shape {exclude.shape}"
            )
        exclude_indptr, exclude_indices = exclude.indptr, exclude.indices
    if b == 0 or d == 0:
        return np.full((b, k), -1, dtype=np.int32)

    rows_per_block = max(1, _BLOCK_ELEMENTS // max(d, 1))
    bounds = [(start, min(start + rows_per_block, b)) for start in range(0, b, rows_per_block)]

    def rank_block(bound: tuple[int, int]) -> NDArray[np.int32]:
        start, stop = bound
        lo, hi = exclude_indptr[start], exclude_indptr[stop]
        return _top_k_block(
            scores[start:stop],
            exclude_indptr[start : stop + 1] - lo,
            exclude_indices[lo:hi],
            k,
        )

    if n_threads is None:
        n_threads = min(4, os.cpu_count() or 1)
    if n_threads <= 1 or len(bounds) == 1:
        blocks = [rank_block(bound) for bound in bounds]
    else:
        with ThreadPoolExecutor(max_workers=min(n_threads, len(bounds))) as pool:
            blocks = list(pool.map(rank_block, bounds))
    return np.concatenate(blocks, axis=0)


def hits(top_items: NDArray[np.integer], positives: sp.csr_matrix) -> NDArray[np.bool_]:
    """Boolean hit matrix ``H[u, r] = [top_items[u, r] ∈ P_u]``.

    Parameters
    ----------
    top_items:
        integer array of shape ``(b, K)`` from :func:`top_k_items` (``-1`` = padding, never a hit).
    positives:
        scipy.sparse matrix of shape ``(b, d)``: row ``u`` stores the positive items of user ``u``
        (rows aligned with ``top_items``).

    Returns
    -------
    bool array of shape ``(b, K)``.

    Vectorised as one ``searchsorted`` of the keys ``u·d + item`` in the (globally sorted) keys of the
    canonical CSR entries.
    """
    positives = as_csr(positives, "positives")
    top_items = np.asarray(top_items)
    if top_items.ndim != 2 or top_items.shape[0] != positives.shape[0]:
        raise WorkbenchError(
            "top_items must be 2-D with one row per row of positives: top_items has shape "
            f"{top_items.shape}, positives has shape {positives.shape}"
        )
    b, d = positives.shape
    if positives.nnz == 0 or top_items.size == 0:
        return np.zeros(top_items.shape, dtype=bool)
    keys = csr_row_ids(positives.indptr) * d + positives.indices
    queries = np.arange(b, dtype=np.int64)[:, None] * d + top_items
    found = np.searchsorted(keys, queries)
    np.minimum(found, len(keys) - 1, out=found)
    return (keys[found] == queries) & (top_items >= 0) & (top_items < d)


def _top_k_block(
    scores: NDArray[np.floating],
    exclude_indptr: NDArray[np.integer],
    exclude_indices: NDArray[np.integer],
    k: int,
) -> NDArray[np.int32]:
    """:func:`top_k_items` for one block of rows; ``exclude_*`` are that block's CSR arrays.

    Fast path: ``argpartition`` then a sort of the ``k + 1`` best items. Rows whose k-th best value is
    tied with unselected items (or is ``-inf``, the value of excluded items) are redone exactly by
    :func:`_top_k_tied_rows`.
    """
    n_rows, d = scores.shape
    masked = np.array(scores, copy=True, order="C")
    exclude_counts = np.diff(exclude_indptr)
    flat_excluded = np.repeat(np.arange(n_rows, dtype=np.int64) * d, exclude_counts) + exclude_indices
    np.put(masked, flat_excluded, -np.inf)

    k_eff = min(k, d)
    top = np.full((n_rows, k), -1, dtype=np.int32)
    if k_eff == d:  # everything is selected: the tie-exact path handles padding and exclusion
        tied = np.arange(n_rows)
        kth = masked.min(axis=1)
    else:
        # Positions d-k-1.. hold the k+1 best: sorting them (item index ascending, then score
        # descending, stably) gives the top k and the runner-up, whose score tells boundary ties.
        candidates = np.argpartition(masked, d - k_eff - 1, axis=1)[:, d - k_eff - 1 :]
        candidates.sort(axis=1)
        values = np.take_along_axis(masked, candidates, axis=1)
        if np.isnan(values).any():  # NaN sorts above everything, so any NaN lands in the top part
            raise WorkbenchError("scores contain NaN; a model must give every item a real score")
        order = np.argsort(-values, axis=1, kind="stable")
        top[:, :k_eff] = np.take_along_axis(candidates, order[:, :k_eff], axis=1)
        kth, runner_up = np.take_along_axis(values, order[:, k_eff - 1 :], axis=1).T
        tied = np.flatnonzero(runner_up == kth)  # also every row whose k-th best is -inf
    if len(tied):
        if np.isnan(masked[tied]).any():
            raise WorkbenchError("scores contain NaN; a model must give every item a real score")
        tied_indptr, tied_indices = take_rows(exclude_indptr, exclude_indices, tied)
        excluded = np.zeros((len(tied), d), dtype=bool)
        excluded[csr_row_ids(tied_indptr), tied_indices] = True
        top[tied] = _top_k_tied_rows(masked[tied], excluded, kth[tied], k)
    return top


def _top_k_tied_rows(
    masked: NDArray[np.floating],
    excluded: NDArray[np.bool_],
    kth: NDArray[np.floating],
    k: int,
) -> NDArray[np.int32]:
    """Exact top-k for rows with ties at the boundary value ``kth`` (float (r,), the k-th best score).

    All items scoring above ``kth`` are taken; the remaining slots go to the lowest-index candidates
    scoring exactly ``kth``. ``masked``: (r, d) scores with excluded items at ``-inf``; ``excluded``:
    (r, d) bool. Returns int32 (r, k), padded with ``-1``.
    """
    n_rows, d = masked.shape
    n_selected = np.minimum(k, d - excluded.sum(axis=1))
    above = masked > kth[:, None]
    at_boundary = (masked == kth[:, None]) & ~excluded
    still_needed = n_selected - above.sum(axis=1)
    running = np.cumsum(at_boundary, axis=1, dtype=np.int32)  # how many tied items so far, per row
    selected = above | (at_boundary & (running <= still_needed[:, None]))
    rows, items = np.nonzero(selected)  # row-major: items ascend within a row
    counts = np.bincount(rows, minlength=n_rows)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    slots = np.arange(len(rows)) - np.repeat(starts, counts)
    top = np.full((n_rows, k), -1, dtype=np.int64)
    top[rows, slots] = items
    padded = top < 0
    values = np.where(padded, -np.inf, masked[np.arange(n_rows)[:, None], np.where(padded, 0, top)])
    order = np.lexsort((np.where(padded, d, top), -values, padded), axis=-1)
    return np.take_along_axis(top, order, axis=1).astype(np.int32)
