"""The sparse training rows (workbench.distill.sparse_targets) against float64 NumPy: X·X̂ᵀ's value and
gradient, the row sums, norms and entries, on rows with duplicates, unsorted indices, values other
than 1, an empty user and an empty item; and Distill-CF's loss fitted to them against the same rows
dense."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.distill import distillation_loss
from workbench.distill.sparse_targets import SparseTargets, inner_products
from workbench.kernels.ntk import NTKConfig


def awkward_matrix() -> sp.csr_matrix:
    """60 x 45 with values other than 1, user 7 and item 13 empty, a duplicate and unsorted indices."""
    matrix = random_binary_matrix(60, 45, 0.15, seed=5).tocsr().astype(np.float32)
    matrix = sp.lil_matrix(matrix.multiply(np.random.default_rng(0).uniform(0.5, 2.0, size=matrix.shape)))
    matrix[7, :] = 0
    matrix[:, 13] = 0
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    coo = matrix.tocoo()
    order = np.random.default_rng(1).permutation(coo.nnz)
    rows, columns, values = coo.row[order], coo.col[order], coo.data[order]
    # one entry split in two halves: a duplicate that must be summed
    rows, columns, values = np.append(rows, rows[0]), np.append(columns, columns[0]), np.append(values, values[0] / 2)
    values[0] /= 2
    return sp.csr_matrix((values, (rows, columns)), shape=matrix.shape), matrix


def test_value_and_gradient_equal_the_dense_product() -> None:
    awkward, expected_matrix = awkward_matrix()
    targets = SparseTargets.from_matrix(awkward)
    dense = expected_matrix.toarray().astype(np.float64)
    assert targets.n_users == 60 and targets.n_items == 45 and int(targets.row_pointers[-1]) == expected_matrix.nnz
    rng = np.random.default_rng(2)
    summary = rng.uniform(size=(9, 45)).astype(np.float32)
    cotangent = rng.normal(size=(60, 9)).astype(np.float32)

    value, pullback = jax.vjp(lambda s: jax.jit(inner_products)(targets, s), jnp.asarray(summary))
    (gradient,) = pullback(jnp.asarray(cotangent))
    expected_value = dense @ summary.astype(np.float64).T
    expected_gradient = cotangent.astype(np.float64).T @ dense  # Gᵀ·X, (μ, d)
    assert value.shape == (60, 9) and gradient.shape == (9, 45)
    np.testing.assert_allclose(value, expected_value, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-5, atol=1e-5)
    assert not np.asarray(value)[7].any() and not np.asarray(gradient)[:, 13].any()  # the empty user and item


def test_it_is_the_loss_s_product_under_autodiff() -> None:
    """Inside a scalar function: jax.grad through the custom VJP equals the dense product's gradient."""
    matrix = random_binary_matrix(40, 30, 0.2, seed=8).tocsr()
    targets = SparseTargets.from_matrix(matrix)
    dense = jnp.asarray(matrix.toarray(), jnp.float32)
    summary = jnp.asarray(np.random.default_rng(3).uniform(size=(6, 30)), jnp.float32)

    def loss(product):
        return lambda s: jnp.sum(jnp.tanh(product(s)))

    sparse_gradient = jax.grad(loss(lambda s: inner_products(targets, s)))(summary)
    dense_gradient = jax.grad(loss(lambda s: dense @ s.T))(summary)
    np.testing.assert_allclose(sparse_gradient, dense_gradient, rtol=1e-5, atol=1e-6)


def test_row_sums_norms_and_entries() -> None:
    awkward, expected_matrix = awkward_matrix()
    targets = SparseTargets.from_matrix(awkward)
    dense = expected_matrix.toarray().astype(np.float64)
    np.testing.assert_allclose(targets.row_sums(), dense.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(targets.squared_norms(), (dense**2).sum(axis=1), rtol=1e-6)
    assert float(targets.row_sums()[7]) == 0.0  # the empty user
    scores = np.random.default_rng(4).normal(size=dense.shape).astype(np.float32)
    rows, columns = expected_matrix.nonzero()  # CSR order: by user, then item
    np.testing.assert_array_equal(targets.at_entries(jnp.asarray(scores)), scores[rows, columns])
    np.testing.assert_array_equal(targets.entry_users, rows)


@pytest.mark.parametrize("cardinality_weight", [1e-3, 1.0])
def test_the_loss_fitted_to_sparse_rows_equals_the_dense_rows(cardinality_weight: float) -> None:
    """Value and gradient in the summary, float32: the sparse form (Σ X⊙pred at X's entries minus the
    row sums times logsumexp) against log_softmax on the dense rows. Values other than 1 and an empty
    user make a wrong row sum or a missed entry show."""
    awkward, expected_matrix = awkward_matrix()
    sparse = SparseTargets.from_matrix(awkward)
    dense = jnp.asarray(expected_matrix.toarray(), jnp.float32)
    summary = jnp.asarray(np.random.default_rng(6).uniform(0.05, 0.95, size=(9, 45)), jnp.float32)
    mean_user_size = float(expected_matrix.sum()) / 60

    def loss(targets):
        return jax.jit(jax.value_and_grad(lambda s: distillation_loss(s, targets, 0.5, mean_user_size, cardinality_weight, NTKConfig())))

    (dense_value, dense_gradient), (sparse_value, sparse_gradient) = loss(dense)(summary), loss(sparse)(summary)
    np.testing.assert_allclose(sparse_value, dense_value, rtol=1e-6)
    scale = float(jnp.abs(dense_gradient).max())
    assert float(jnp.abs(sparse_gradient - dense_gradient).max()) < 1e-5 * scale
    # and the check can fail: rows of ones instead of the values give another loss
    ones = SparseTargets.from_matrix(expected_matrix.astype(bool).astype(np.float32))
    assert abs(float(loss(ones)(summary)[0]) - float(dense_value)) > 1e-3 * abs(float(dense_value))
