"""Distill-CF's objective: how well ∞-AE fitted on the summary reconstructs the real users (docs/distill_cf.md).

With the real training rows X (b, d), the summary X̂ (μ, d) in [0, 1] and λ̃ = λ·trace(K̂)/μ::

    K̂    = NTK(X̂, X̂)
    pred = NTK(X, X̂)·(K̂ + λ̃I)⁻¹X̂                                        (b, d)
    L    = mean_u[ −Σ_i X[u,i]·log softmax(pred_u)_i ]
           + λ₂ · mean_s(Σ_i X̂[s,i]) / (#train interactions / #users)

The first term is the multinomial likelihood of each user's items under ∞-AE's scores; the second
keeps the synthetic users about as large as real ones (λ₂ = 1e-3). The kernels use the
differentiable form of :func:`workbench.kernels.ntk.ntk_from_inner_products`. Given the same rows as
:class:`workbench.distill.sparse_targets.SparseTargets` (``sparse_targets``), the inner products
X·X̂ᵀ and their gradient are taken from the sparse matrix (nnz·μ instead of n·d·μ multiply-adds);
the rest uses the dense rows.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jax_linalg

from workbench.distill.sparse_targets import SparseTargets, inner_products
from workbench.kernels.ntk import NTKConfig, ntk_from_inner_products


def summary_kernels(
    targets: jax.Array, summary: jax.Array, config: NTKConfig, sparse_targets: SparseTargets | None = None
) -> tuple[jax.Array, jax.Array]:
    """(NTK(X̂, X̂) (μ, μ), NTK(X, X̂) (b, μ)), differentiable in the summary; X·X̂ᵀ from
    ``sparse_targets`` when given (the same rows as ``targets``)."""
    n_features = summary.shape[1]
    summary_inner = summary @ summary.T
    summary_norms = jnp.diag(summary_inner)
    summary_kernel = ntk_from_inner_products(
        summary_inner, summary_norms, summary_norms, n_features=n_features, config=config,
        self_kernel=True, differentiable=True,
    )
    cross_inner = targets @ summary.T if sparse_targets is None else inner_products(sparse_targets, summary)
    cross_kernel = ntk_from_inner_products(
        cross_inner, jnp.sum(targets * targets, axis=1), summary_norms, n_features=n_features,
        config=config, differentiable=True,
    )
    return summary_kernel, cross_kernel


def reconstruction(
    targets: jax.Array, summary: jax.Array, lam: jax.Array, config: NTKConfig, sparse_targets: SparseTargets | None = None
) -> jax.Array:
    """∞-AE's scores (b, d) for the targets, fitted on the summary with regularisation λ."""
    summary_kernel, cross_kernel = summary_kernels(targets, summary, config, sparse_targets)
    size = summary_kernel.shape[0]
    shift = lam * jnp.trace(summary_kernel) / size
    factor = jnp.linalg.cholesky(summary_kernel + shift * jnp.eye(size, dtype=summary.dtype))
    return cross_kernel @ jax_linalg.cho_solve((factor, True), summary)


def distillation_loss(
    summary: jax.Array,
    targets: jax.Array,
    lam: jax.Array,
    mean_user_size: float,
    cardinality_weight: float,
    config: NTKConfig,
    target_count: int | None = None,
    sparse_targets: SparseTargets | None = None,
) -> jax.Array:
    """The scalar objective above; ``mean_user_size`` = #train interactions / #users.

    ``target_count``: the number of real users among the rows of ``targets`` when the rows after
    them are zero padding (to divide the rows among devices): the likelihood is then the sum over
    rows divided by ``target_count`` (a zero row adds 0 to the sum). None: every row is a user and
    the likelihood is the mean over rows. ``sparse_targets``: the same rows, sparse, for X·X̂ᵀ.
    """
    predictions = reconstruction(targets, summary, lam, config, sparse_targets)
    log_probabilities = jax.nn.log_softmax(predictions, axis=-1)
    per_user = jnp.sum(targets * log_probabilities, axis=-1)
    likelihood = -jnp.mean(per_user) if target_count is None else -jnp.sum(per_user) / target_count
    cardinality = jnp.mean(jnp.sum(summary, axis=-1)) / mean_user_size
    return likelihood + cardinality_weight * cardinality
