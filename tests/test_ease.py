"""EASE and PopRec against their definitions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.errors import WorkbenchError
from workbench.models import EASE, PopRec, make_model


@pytest.fixture(scope="module")
def train() -> sp.csr_matrix:
    return random_binary_matrix(80, 30, 0.2, seed=2)


@pytest.mark.parametrize("algebra", ["scipy", "jax"])
def test_ease_matches_definition(train: sp.csr_matrix, algebra: str) -> None:
    dense = train.toarray().astype(np.float64)
    fitted_models = list(EASE(lambdas=(2.0, 50.0), dtype="float64", linear_algebra=algebra).fit_grid(train))
    for fitted in fitted_models:
        precision = np.linalg.inv(dense.T @ dense + fitted.lam * np.eye(30))
        weights = -precision / np.diag(precision)
        np.fill_diagonal(weights, 0.0)
        users = np.arange(0, 80, 7)
        np.testing.assert_allclose(fitted.score(users, train[users]), dense[users] @ weights, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(np.diag(np.asarray(fitted.weights)), 0.0)


def test_ease_fits_a_continuous_summary_as_it_is(train: sp.csr_matrix) -> None:
    # A Distill-CF summary is continuous in [0, 1]: EASE must use its values, not binarise them.
    rng = np.random.default_rng(3)
    summary = rng.random((12, 30)) * (rng.random((12, 30)) < 0.6)
    fitted = next(EASE(lambdas=(3.0,), dtype="float64").fit_grid(sp.csr_matrix(summary)))
    precision = np.linalg.inv(summary.T @ summary + 3.0 * np.eye(30))
    weights = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    users = np.arange(5)
    np.testing.assert_allclose(fitted.score(users, train[users]), train[users].toarray() @ weights, rtol=1e-8, atol=1e-10)


def test_poprec_scores_items_by_training_count(train: sp.csr_matrix) -> None:
    fitted = next(PopRec().fit_grid(train))
    scores = fitted.score(np.arange(3), train[:3])
    counts = np.asarray(train.sum(axis=0)).ravel()
    for row in scores:
        np.testing.assert_array_equal(row, counts)


def test_unknown_model_lists_the_valid_ones() -> None:
    with pytest.raises(WorkbenchError, match="infinite-ae, ease, poprec"):
        make_model("svd")


@pytest.mark.parametrize("lambdas", [(0.0,), (-5.0,)])
def test_ease_lambda_must_be_positive(lambdas: tuple[float, ...]) -> None:
    with pytest.raises(WorkbenchError, match="λ"):
        EASE(lambdas=lambdas)


def test_empty_training_matrix_is_refused() -> None:
    with pytest.raises(WorkbenchError, match="empty"):
        next(PopRec().fit_grid(sp.csr_matrix((4, 5), dtype=np.float32)))
