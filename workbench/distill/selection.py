"""The inner λ of Distill-CF: ∞-AE fitted on a summary for every λ of a grid, scored on validation.

At each validation Distill-CF fits ∞-AE on the current summary X̂ (μ, d) for every λ of its inner grid
and keeps the λ with the best validation HR@100 over the real users. With K̂ = NTK(X̂, X̂) (μ, μ),
λ̃ = λ·trace(K̂)/μ and the query kernel K_q = NTK(X_u, X̂) of the real users' training rows
(n_u, μ), ∞-AE's validation scores are::

    scores_λ = K_q · (K̂ + λ̃I)⁻¹ · X̂                                       (n_u, d)

Only the middle factor depends on λ. :func:`inner_lambda_hit_rates` therefore builds K̂ and K_q once
per validation, and per λ factors the small μ × μ matrix (Cholesky), solves for α_λ = (K̂ + λ̃I)⁻¹X̂
(μ, d) and multiplies K_q·α_λ with dense BLAS, a batch of users at a time, ranking each batch's top
100 items (training items masked) for HR@10 and HR@100 only. Going through the general evaluation
instead (``InfiniteAE.fit_grid`` and ``evaluate_fitted``) computes the query kernel once per λ and
every metric of the report (NDCG, PSP, Recall, AUC), which the choice of λ does not use: on ML-1M
at μ = 500 this route takes about a quarter of its time (BENCHMARKS.md, "Distill-CF in minutes").

Cost per validation: O(n_u·μ·d) for K_q once, and per λ O(μ³ + μ²·d) for α and O(n_u·μ·d) for the
scores, plus the top-k. Memory: K_q (n_u·μ) and one batch of scores (batch × d), never n_u × d.

The kernels and the factorisation are those of ∞-AE's CPU path in float32, so the HR values equal
``evaluate_fitted``'s up to float rounding (a rank can swap where two scores tie to the last bit).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from workbench.kernels.linalg import ScipyAlgebra
from workbench.kernels.ntk import NTKConfig, ntk_from_inner_products
from workbench.metrics.hit_rate import hit_rate_at_k
from workbench.metrics.ranking import hits, top_k_items

#: Users scored at a time: a batch's scores are batch × d float32 (3,706 items: 30 MB).
BATCH_USERS = 2048


def inner_lambda_hit_rates(
    summary: np.ndarray,
    train: sp.csr_matrix,
    positives: sp.csr_matrix,
    lambdas: tuple[float, ...],
    ntk: NTKConfig,
    *,
    batch_users: int = BATCH_USERS,
) -> list[tuple[float, float, float]]:
    """Validation HR@10 and HR@100 (×100) of ∞-AE fitted on ``summary``, for each λ of ``lambdas``.

    Args:
        summary: (μ, d) float, the summary X̂ (entries in [0, 1]).
        train: (n_users, d) sparse, the real users' training rows: the queries' context, masked
            before ranking.
        positives: (n_users, d) sparse, the validation items; users without any are skipped.
        lambdas: the grid, in order.
        ntk: the kernel's network.
        batch_users: users scored at a time.

    Returns:
        ``(λ, HR@10, HR@100)`` per λ, in grid order, leaving out a λ at which K̂ + λ̃I is not
        positive definite in float32; HR over the users with validation items (NaN when none).
    """
    summary = np.ascontiguousarray(summary, dtype=np.float32)
    n_items = summary.shape[1]
    users = np.flatnonzero(np.diff(positives.indptr) > 0)
    context = train[users].astype(np.float32)
    wanted = positives[users]
    n_positives = np.diff(wanted.indptr)

    algebra = ScipyAlgebra()
    summary_norms = np.einsum("ij,ij->i", summary, summary)
    kernel = np.asarray(
        ntk_from_inner_products(algebra.gram(summary), summary_norms, summary_norms, n_features=n_items, config=ntk)
    )
    query_norms = np.asarray(context.multiply(context).sum(axis=1), dtype=np.float32).ravel()
    query_kernel = np.asarray(
        ntk_from_inner_products(
            np.asarray(context @ summary.T, dtype=np.float32), query_norms, summary_norms, n_features=n_items, config=ntk
        )
    )
    mean_diagonal = float(np.trace(kernel, dtype=np.float64)) / len(kernel)

    results = []
    for lam in lambdas:
        try:
            factor = algebra.cholesky(kernel, lam * mean_diagonal)
        except np.linalg.LinAlgError:
            continue
        dual = algebra.cholesky_solve(factor, summary)  # α_λ, (μ, d)
        totals = {10: 0.0, 100: 0.0}
        for start in range(0, len(users), batch_users):
            stop = min(start + batch_users, len(users))
            top = top_k_items(query_kernel[start:stop] @ dual, context[start:stop], 100)
            hit = hits(top, wanted[start:stop])
            for k in totals:
                totals[k] += float(hit_rate_at_k(hit, n_positives[start:stop], k).sum())
        count = len(users)
        results.append((lam, *(100.0 * totals[k] / count if count else float("nan") for k in (10, 100))))
    return results
