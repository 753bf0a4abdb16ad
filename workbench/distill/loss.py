"""Distill-CF's objective: how well ∞-AE fitted on the summary reconstructs the real users (docs/distill_cf.md).

With the real training rows X (b, d), the summary X̂ (μ, d) in [0, 1] and λ̃ = λ·trace(K̂)/μ::

    K̂    = NTK(X̂, X̂)
    pred = NTK(X, X̂)·(K̂ + λ̃I)⁻¹X̂                                        (b, d)
    L    = mean_u[ −Σ_i X[u,i]·log softmax(pred_u)_i ]
           + λ₂ · mean_s(Σ_i X̂[s,i]) / (#train interactions / #users)

The first term is the multinomial likelihood of each user's items under ∞-AE's scores; the second
keeps the synthetic users about as large as real ones (λ₂ = 1e-3). The kernels use the
differentiable form of :func:`workbench.kernels.ntk.ntk_from_inner_products`.

The targets X come dense (an array) or sparse (:class:`workbench.distill.sparse_targets.SparseTargets`,
all users on one device). Sparse, the inner products X·X̂ᵀ and their gradient come from the sparse
matrix (nnz·μ instead of n·d·μ multiply-adds), and the likelihood is taken in the equal form::

    Σ_i X[u,i]·log softmax(pred_u)_i = Σ_i X[u,i]·pred[u,i] − (Σ_i X[u,i])·logsumexp_i(pred[u,i])

whose first sum reads pred at X's entries only, so that X is never made n × d. Dense, the loss is
computed exactly as written above.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jax_linalg

from workbench.distill.sparse_targets import SparseTargets, inner_products
from workbench.kernels.ntk import NTKConfig, ntk_from_inner_products


#: The real users' rows: dense (b, d), or sparse (all n users).
Targets = jax.Array | SparseTargets


def summary_kernels(targets: Targets, summary: jax.Array, config: NTKConfig) -> tuple[jax.Array, jax.Array]:
    """(NTK(X̂, X̂) (μ, μ), NTK(X, X̂) (b, μ)), differentiable in the summary."""
    n_features = summary.shape[1]
    summary_inner = summary @ summary.T
    summary_norms = jnp.diag(summary_inner)
    summary_kernel = ntk_from_inner_products(
        summary_inner, summary_norms, summary_norms, n_features=n_features, config=config,
        self_kernel=True, differentiable=True,
    )
    if isinstance(targets, SparseTargets):
        cross_inner, target_norms = inner_products(targets, summary), targets.squared_norms()
    else:
        cross_inner, target_norms = targets @ summary.T, jnp.sum(targets * targets, axis=1)
    cross_kernel = ntk_from_inner_products(
        cross_inner, target_norms, summary_norms, n_features=n_features,
        config=config, differentiable=True,
    )
    return summary_kernel, cross_kernel


def reconstruction(targets: Targets, summary: jax.Array, lam: jax.Array, config: NTKConfig) -> jax.Array:
    """∞-AE's scores (b, d) for the targets, fitted on the summary with regularisation λ."""
    summary_kernel, cross_kernel = summary_kernels(targets, summary, config)
    size = summary_kernel.shape[0]
    shift = lam * jnp.trace(summary_kernel) / size
    factor = jnp.linalg.cholesky(summary_kernel + shift * jnp.eye(size, dtype=summary.dtype))
    return cross_kernel @ jax_linalg.cho_solve((factor, True), summary)


def negative_log_likelihood(targets: Targets, predictions: jax.Array, target_count: int | None = None) -> jax.Array:
    """mean_u[ −Σ_i X[u,i]·log softmax(pred_u)_i ], () float, for scores ``predictions`` (b, d).

    ``target_count``: the real users among the rows when the rows after them are zero padding: the
    sum over rows divided by it (a zero row adds 0). Sparse targets: the form with pred read at X's
    entries (the module's docstring), over all n users.
    """
    if isinstance(targets, SparseTargets):
        fitted = jnp.sum(targets.values * targets.at_entries(predictions))
        normalised = jnp.sum(targets.row_sums() * jax.nn.logsumexp(predictions, axis=-1))
        return -(fitted - normalised) / (targets.n_users if target_count is None else target_count)
    per_user = jnp.sum(targets * jax.nn.log_softmax(predictions, axis=-1), axis=-1)
    return -jnp.mean(per_user) if target_count is None else -jnp.sum(per_user) / target_count


def distillation_loss(
    summary: jax.Array,
    targets: Targets,
    lam: jax.Array,
    mean_user_size: float,
    cardinality_weight: float,
    config: NTKConfig,
    target_count: int | None = None,
) -> jax.Array:
    """The scalar objective above; ``mean_user_size`` = #train interactions / #users.

    ``target_count``: the number of real users among the rows of ``targets`` when the rows after
    them are zero padding (to divide the rows among devices): the likelihood is then the sum over
    rows divided by ``target_count`` (a zero row adds 0 to the sum). None: every row is a user and
    the likelihood is the mean over rows.
    """
    likelihood = negative_log_likelihood(targets, reconstruction(targets, summary, lam, config), target_count)
    cardinality = jnp.mean(jnp.sum(summary, axis=-1)) / mean_user_size
    return likelihood + cardinality_weight * cardinality
