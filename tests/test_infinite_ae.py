"""∞-AE against its closed form computed directly in the test (float64), every path of ``score``."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.errors import MemoryBudgetError, WorkbenchError
from workbench.models import InfiniteAE
from workbench.kernels.ntk import NTKConfig, ntk


def closed_form_scores(support: np.ndarray, queries: np.ndarray, lam: float, config: NTKConfig = NTKConfig()) -> np.ndarray:
    """NTK(Q,S)·(K + λ·trace(K)/n·I)⁻¹S, the definition, with no identity or reuse."""
    with jax.enable_x64(True):
        kernel = np.asarray(ntk(support, support, config))
        cross = np.asarray(ntk(queries, support, config))
    shift = lam * np.trace(kernel) / len(kernel)
    return cross @ np.linalg.solve(kernel + shift * np.eye(len(kernel)), support)


@pytest.fixture(scope="module")
def train() -> sp.csr_matrix:
    return random_binary_matrix(70, 45, 0.12, seed=4)


@pytest.mark.parametrize("algebra", ["scipy", "jax"])
def test_scores_of_training_rows_match_closed_form(train: sp.csr_matrix, algebra: str) -> None:
    dense = train.toarray().astype(np.float64)
    model = InfiniteAE(lambdas=(1.0, 20.0), dtype="float64", linear_algebra=algebra)
    fitted_models = list(model.fit_grid(train, seed=0))
    assert [fitted.lam for fitted in fitted_models] == [1.0, 20.0]
    users = np.array([3, 0, 17, 69])
    for fitted in fitted_models:
        scores = fitted.score(users, train[users])  # the identity S − λ̃α
        assert scores.dtype == np.float64
        np.testing.assert_allclose(scores, closed_form_scores(dense, dense[users], fitted.lam), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("algebra", ["scipy", "jax"])
def test_scores_with_a_larger_context_match_closed_form(train: sp.csr_matrix, algebra: str) -> None:
    # Test-time context: the training row plus a few more items (the sparse-difference path), and
    # a context that differs a lot from the training row (the plain cross-Gram path).
    rng = np.random.default_rng(1)
    users = np.arange(0, 70, 3)
    extra = sp.csr_matrix((rng.random((len(users), 45)) < 0.03).astype(np.float32))
    small_change = (train[users] + extra).tocsr()
    small_change.data[:] = 1
    big_change = sp.csr_matrix((rng.random((len(users), 45)) < 0.3).astype(np.float32))
    fitted = next(InfiniteAE(lambdas=(5.0,), dtype="float64", linear_algebra=algebra).fit_grid(train))
    dense = train.toarray().astype(np.float64)
    for context in (small_change, big_change):
        expected = closed_form_scores(dense, context.toarray().astype(np.float64), 5.0)
        np.testing.assert_allclose(fitted.score(users, context), expected, rtol=1e-8, atol=1e-10)


def test_user_support_fits_on_a_seeded_subset_and_scores_everyone(train: sp.csr_matrix) -> None:
    model = InfiniteAE(lambdas=(5.0,), dtype="float64", user_support=25)
    support_users = model.select_support(70, seed=7)
    assert len(support_users) == 25 and len(np.unique(support_users)) == 25
    np.testing.assert_array_equal(support_users, model.select_support(70, seed=7))
    assert not np.array_equal(support_users, model.select_support(70, seed=8))
    fitted = next(model.fit_grid(train, seed=7))
    assert fitted.hyperparameters["user_support"] == 25
    users = np.arange(70)
    dense = train.toarray().astype(np.float64)
    expected = closed_form_scores(dense[support_users], dense, 5.0)
    np.testing.assert_allclose(fitted.score(users, train), expected, rtol=1e-8, atol=1e-10)


def test_float32_default_agrees_with_float64(train: sp.csr_matrix) -> None:
    users = np.arange(70)
    single = next(InfiniteAE(lambdas=(5.0,)).fit_grid(train)).score(users, train)
    double = next(InfiniteAE(lambdas=(5.0,), dtype="float64").fit_grid(train)).score(users, train)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, double, rtol=1e-3, atol=1e-5)


def test_depth_changes_the_kernel(train: sp.csr_matrix) -> None:
    users = np.arange(10)
    deep = next(InfiniteAE(lambdas=(5.0,), dtype="float64", ntk=NTKConfig(depth=2)).fit_grid(train))
    dense = train.toarray().astype(np.float64)
    expected = closed_form_scores(dense, dense[users], 5.0, NTKConfig(depth=2))
    np.testing.assert_allclose(deep.score(users, train[users]), expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("lambdas", [(0.0,), (-1.0,), (1.0, float("nan")), ()])
def test_lambda_must_be_positive(lambdas: tuple[float, ...]) -> None:
    with pytest.raises(WorkbenchError, match="λ"):
        InfiniteAE(lambdas=lambdas)


@pytest.mark.parametrize("options", [{"user_support": 0}, {"dtype": "float16"}, {"linear_algebra": "cuda"}, {"batch_size": 0}])
def test_bad_options_are_refused(options: dict) -> None:
    with pytest.raises(WorkbenchError):
        InfiniteAE(**options)


def test_a_kernel_that_would_not_fit_is_refused_before_allocating() -> None:
    # 300,000 users x 50,000 items: a 335 GiB kernel. The matrix itself is tiny (one item per user).
    n_users = 300_000
    train = sp.csr_matrix(
        (np.ones(n_users, np.float32), (np.arange(n_users), np.arange(n_users) % 50_000)), shape=(n_users, 50_000)
    )
    with pytest.raises(MemoryBudgetError) as error:
        next(InfiniteAE().fit_grid(train))
    message = str(error.value)
    assert "GiB" in message and "user_support" in message and "300,000" in message


def test_context_with_the_wrong_number_of_items_is_refused(train: sp.csr_matrix) -> None:
    fitted = next(InfiniteAE(lambdas=(1.0,)).fit_grid(train))
    with pytest.raises(WorkbenchError, match="45"):
        fitted.score(np.arange(2), sp.csr_matrix((2, 44), dtype=np.float32))


def test_rows_of_a_sample_score_like_the_closed_form(train: sp.csr_matrix) -> None:
    # Fit on 20 sampled users' rows (row_users names them) or on synthetic rows (−1): the scores of
    # every user are NTK(Q, S)·α either way; the shortcut only applies to the sampled users.
    sampled = np.array([5, 9, 11, 30, 31, 32, 40, 41, 50, 51, 52, 53, 60, 61, 62, 63, 64, 65, 66, 67])
    rows = train[sampled]
    dense = rows.toarray().astype(np.float64)
    users = np.arange(70)
    expected = closed_form_scores(dense, train.toarray().astype(np.float64), 5.0)
    for owners in (sampled, np.full(len(sampled), -1)):
        fitted = next(InfiniteAE(lambdas=(5.0,), dtype="float64").fit_grid(rows, row_users=owners))
        np.testing.assert_allclose(fitted.score(users, train), expected, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(fitted.score(sampled[:4], train[sampled[:4]]), expected[sampled[:4]], rtol=1e-8, atol=1e-10)


def test_users_and_context_must_agree(train: sp.csr_matrix) -> None:
    fitted = next(InfiniteAE(lambdas=(1.0,)).fit_grid(train))
    with pytest.raises(WorkbenchError, match="3 entries but context has 2 rows"):
        fitted.score(np.arange(3), train[:2])
    with pytest.raises(WorkbenchError, match="≥ 0"):
        fitted.score(np.array([-1]), train[:1])


def test_a_factorisation_that_fails_is_a_user_error() -> None:
    # duplicated rows make K singular; at a λ of 1e-12 float32 cannot factorise it
    rows = random_binary_matrix(30, 20, 0.2, seed=8)
    duplicated = sp.vstack([rows, rows]).tocsr()
    with pytest.raises(WorkbenchError, match="larger λ"):
        list(InfiniteAE(lambdas=(1e-12,)).fit_grid(duplicated))
