"""∞-AE's ways of applying (K + λ̃I)⁻¹ (dual, inverse), its Nyström support and λ chosen on a subset of users."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import workbench.models.infinite_ae as infinite_ae
from conftest import random_binary_matrix
from test_data_dataset import interactions_from_matrix
from test_infinite_ae import closed_form_scores
from workbench.data import build_dataset
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_model
from workbench.metrics.ranking import top_k_items
from workbench.models import InfiniteAE
from workbench.models.nystrom import FittedNystromAE


@pytest.fixture(scope="module")
def wide() -> sp.csr_matrix:
    """More items than users, sparse: the shape of Gowalla, where the inverse route is chosen."""
    return random_binary_matrix(300, 700, 0.03, seed=11)


def context_with_more_items(train: sp.csr_matrix, seed: int) -> sp.csr_matrix:
    extra = sp.csr_matrix((np.random.default_rng(seed).random(train.shape) < 0.01).astype(np.float32))
    context = (train + extra).tocsr()
    context.data[:] = 1
    return context


def all_scores(fitted, users: np.ndarray, context: sp.csr_matrix, batch: int = 64) -> np.ndarray:
    return np.vstack([fitted.score(users[start : start + batch], context[users[start : start + batch]]) for start in range(0, len(users), batch)])


@pytest.mark.parametrize("dense_rows", [True, False])
def test_inverse_route_equals_the_dual_route(wide: sp.csr_matrix, dense_rows: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not dense_rows:
        monkeypatch.setattr(infinite_ae, "DENSE_ROWS_LIMIT", 0)  # sparse Gram and cross Gram products
    users = np.arange(wide.shape[0])
    test_context = context_with_more_items(wide, seed=1)
    dual = list(InfiniteAE(lambdas=(1.0, 20.0), route="dual", batch_size=128).fit_grid(wide))
    inverse = list(InfiniteAE(lambdas=(1.0, 20.0), route="inverse", batch_size=128).fit_grid(wide))
    assert all(fit.inverse is not None and fit.dual is None for fit in inverse)
    for left, right in zip(dual, inverse, strict=True):
        for context in (wide, test_context):
            expected, scores = all_scores(left, users, context), all_scores(right, users, context)
            np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
            np.testing.assert_array_equal(top_k_items(scores, context, 10), top_k_items(expected, context, 10))


def test_inverse_route_matches_the_closed_form(wide: sp.csr_matrix) -> None:
    dense = wide.toarray().astype(np.float64)
    users = np.arange(0, 300, 7)
    context = context_with_more_items(wide, seed=2)
    fitted = next(InfiniteAE(lambdas=(5.0,), dtype="float64", route="inverse").fit_grid(wide))
    np.testing.assert_allclose(fitted.score(users, wide[users]), closed_form_scores(dense, dense[users], 5.0), rtol=1e-8, atol=1e-10)
    expected = closed_form_scores(dense, context[users].toarray().astype(np.float64), 5.0)
    np.testing.assert_allclose(fitted.score(users, context[users]), expected, rtol=1e-8, atol=1e-10)


def test_auto_route_follows_the_shape(wide: sp.csr_matrix) -> None:
    assert next(InfiniteAE(lambdas=(5.0,)).fit_grid(wide)).inverse is not None  # d > n
    tall = random_binary_matrix(200, 60, 0.1, seed=3)
    assert next(InfiniteAE(lambdas=(5.0,)).fit_grid(tall)).dual is not None  # d < n


def test_a_failing_factorisation_on_the_inverse_route_is_a_user_error() -> None:
    rows = random_binary_matrix(30, 80, 0.2, seed=8)
    duplicated = sp.vstack([rows, rows]).tocsr()
    with pytest.raises(WorkbenchError, match="larger λ"):
        list(InfiniteAE(lambdas=(1e-12,), route="inverse").fit_grid(duplicated))


def test_nystrom_with_every_user_as_landmark_is_the_full_model() -> None:
    train = random_binary_matrix(150, 120, 0.08, seed=5)
    users = np.arange(150)
    context = context_with_more_items(train, seed=3)
    full = list(InfiniteAE(lambdas=(1.0, 20.0), dtype="float64").fit_grid(train))
    nystrom = list(InfiniteAE(lambdas=(1.0, 20.0), dtype="float64", user_support=150, support_method="nystrom", batch_size=40).fit_grid(train))
    assert all(isinstance(fit, FittedNystromAE) for fit in nystrom)
    for left, right in zip(full, nystrom, strict=True):
        assert right.hyperparameters["support_method"] == "nystrom" and right.shift == pytest.approx(left.shift)
        for queries in (train, context):
            np.testing.assert_allclose(right.score(users, queries), left.score(users, queries), rtol=1e-6, atol=1e-8)


def test_nystrom_uses_every_user_as_a_target_and_sample_does_not() -> None:
    # Landmarks are the same users for both methods (same seed); only Nyström learns from the others.
    train = random_binary_matrix(200, 90, 0.1, seed=6)
    users = np.arange(200)
    sample = next(InfiniteAE(lambdas=(5.0,), dtype="float64", user_support=40).fit_grid(train, seed=3))
    nystrom = next(InfiniteAE(lambdas=(5.0,), dtype="float64", user_support=40, support_method="nystrom").fit_grid(train, seed=3))
    np.testing.assert_array_equal(sample.state.support_users, nystrom.landmarks.users)
    full = next(InfiniteAE(lambdas=(5.0,), dtype="float64").fit_grid(train)).score(users, train)
    error_sample = np.abs(sample.score(users, train) - full).mean()
    error_nystrom = np.abs(nystrom.score(users, train) - full).mean()
    assert error_nystrom < error_sample


def test_nystrom_tolerates_users_with_identical_rows() -> None:
    rows = random_binary_matrix(40, 50, 0.1, seed=9)
    duplicated = sp.vstack([rows, rows]).tocsr()
    fitted = next(InfiniteAE(lambdas=(5.0,), user_support=80, support_method="nystrom").fit_grid(duplicated))
    assert np.isfinite(fitted.score(np.arange(80), duplicated)).all()


@pytest.mark.parametrize("options", [{"support_method": "landmarks"}, {"route": "cholesky"}, {"selection_users": 0}])
def test_bad_new_options_are_refused(options: dict) -> None:
    with pytest.raises(WorkbenchError, match=next(iter(options))):
        InfiniteAE(**options)


@pytest.fixture(scope="module")
def generated_dataset():
    matrix = random_binary_matrix(400, 300, 0.06, seed=21)
    return build_dataset("generated", interactions_from_matrix(matrix), seed=0)


def test_lambda_chosen_on_a_subset_then_refitted_on_everyone(generated_dataset) -> None:
    model = InfiniteAE(lambdas=(1.0, 20.0, 200.0), selection_users=150)
    subset = model.selection_subset(generated_dataset.n_users, seed=0)
    assert subset is not None and len(subset) == 150
    np.testing.assert_array_equal(subset, model.selection_subset(generated_dataset.n_users, seed=0))
    report = evaluate_model(model, generated_dataset, seed=0, progress=False)
    assert [step.hyperparameters["user_support"] for step in report.selection] == [150, 150, 150]
    assert report.hyperparameters["user_support"] == generated_dataset.n_users  # the refit is on everyone
    assert any("150 random users of 400" in note for note in report.notes)
    # the same λ on all users, evaluated directly, gives the same test metrics
    direct = evaluate_model(model.with_lambda(report.hyperparameters["lambda"]), generated_dataset, seed=0, progress=False)
    assert direct.test == report.test
    assert report.users["validation_evaluated"] == direct.users["validation_evaluated"]


def test_no_subset_when_it_would_not_save_work(generated_dataset) -> None:
    n = generated_dataset.n_users
    assert InfiniteAE(selection_users=n).selection_subset(n, 0) is None
    assert InfiniteAE(lambdas=(5.0,), selection_users=10).selection_subset(n, 0) is None
    assert InfiniteAE(selection_users=None).selection_subset(n, 0) is None
    assert InfiniteAE(selection_users=10, user_support=50, support_method="nystrom").selection_subset(n, 0) is None
