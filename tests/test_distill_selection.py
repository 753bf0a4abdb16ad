"""Distill-CF's inner-λ validation against the general evaluation it shortcuts: ∞-AE fitted on the
summary through ``InfiniteAE.fit_grid`` and scored by ``evaluate_fitted``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import generated_dataset
from workbench.distill.distill import DistillConfig, choose_inner_lambda
from workbench.distill.selection import inner_lambda_hit_rates
from workbench.evaluation import EvaluationConfig, EvaluationData, evaluate_fitted
from workbench.kernels.ntk import NTKConfig, ntk_from_inner_products
from workbench.models.infinite_ae import InfiniteAE

LAMBDAS = (1e-5, 1e-3, 0.1, 1.0, 5.0, 50.0)


@pytest.fixture(scope="module")
def dataset():
    return generated_dataset(400, 300, 0.04, seed=5)


def summaries(dataset, seed: int) -> list[np.ndarray]:
    """A binary user sample (a summary at step 0) and a continuous one in [0, 1]."""
    rng = np.random.default_rng(seed)
    binary = dataset.train[np.sort(rng.choice(dataset.n_users, 40, replace=False))].toarray().astype(np.float32)
    continuous = np.clip(rng.dirichlet(np.full(dataset.n_items, 0.05), size=40) * 30, 0, 1).astype(np.float32)
    return [binary, continuous]


def through_the_evaluation(summary: np.ndarray, dataset, lambdas=LAMBDAS) -> list[tuple[float, float, float]]:
    data = EvaluationData.prepare(dataset, seed=0, config=EvaluationConfig())
    fits = InfiniteAE(lambdas=lambdas).fit_grid(sp.csr_matrix(summary), row_users=np.full(len(summary), -1))
    results = []
    for fitted in fits:
        metrics = evaluate_fitted(fitted, data, "validation", EvaluationConfig()).metrics
        results.append((fitted.lam, metrics["HR@10"], metrics["HR@100"]))
    return results


def hit_rate_ranges(summary: np.ndarray, dataset, lam: float, ks=(10, 100)) -> np.ndarray:
    """(len(ks), 2) the lowest and highest validation HR@k (×100) that any order of tied scores gives.

    ∞-AE fitted on ``summary`` scores each validation user's unseen items: the package's NTK
    (float32), then the solve and the scores in float64. Items
    whose summary columns are equal (common in a binary sample of a few users, and every item no
    summary row holds) score the same in exact arithmetic, so float32 may order them either way. For
    a user whose k-th place falls inside such a tie group (scores within 1e-6 of the largest, relative),
    the group's t = k − (items above it) slots hold between max(0, t − non-positives in the group)
    and min(t, positives in the group) positives; elsewhere the top-k is decided.
    """
    x = summary.astype(np.float64)
    users = np.flatnonzero(np.diff(dataset.validation.indptr) > 0)
    context = dataset.train[users].toarray()
    wanted = dataset.validation[users].toarray() > 0
    norms = (x * x).sum(axis=1)
    kernel = np.asarray(ntk_from_inner_products(x @ x.T, norms, norms, n_features=x.shape[1], config=NTKConfig()), np.float64)
    cross = np.asarray(
        ntk_from_inner_products(context @ x.T, (context * context).sum(axis=1), norms, n_features=x.shape[1], config=NTKConfig()),
        np.float64,
    )
    scores = cross @ np.linalg.solve(kernel + lam * np.trace(kernel) / len(kernel) * np.eye(len(kernel)), x)
    scores[context > 0] = -np.inf
    tolerance = 1e-6 * np.abs(scores[np.isfinite(scores)]).max()
    descending = -np.sort(-scores, axis=1)
    ranges = []
    for k in ks:
        low = high = 0.0
        for row, positives, cut in zip(scores, wanted, descending[:, k - 1]):
            above = row > cut + tolerance
            group = np.abs(row - cut) <= tolerance
            slots = k - above.sum()
            in_group = (group & positives).sum()
            decided = (above & positives).sum()
            denominator = min(positives.sum(), k)
            low += (decided + max(0, slots - (group.sum() - in_group))) / denominator
            high += (decided + min(slots, in_group)) / denominator
        ranges.append((100.0 * low / len(users), 100.0 * high / len(users)))
    return np.array(ranges)


@pytest.mark.parametrize("which", [0, 1], ids=["binary sample", "continuous summary"])
def test_hit_rates_equal_the_general_evaluation(dataset, which: int) -> None:
    summary = summaries(dataset, seed=which)[which]
    lean = inner_lambda_hit_rates(summary, dataset.train, dataset.validation, LAMBDAS, NTKConfig(), batch_users=64)
    full = through_the_evaluation(summary, dataset)
    assert [lam for lam, *_ in lean] == [lam for lam, *_ in full] == list(LAMBDAS)
    hr = np.array([values for _, *values in lean])
    general = np.array([values for _, *values in full])
    # Both within what the exact scores allow: where they decide the top-k, equal; where a tie
    # straddles the k-th place (the binary sample), any order of the tie. The continuous summary has
    # no ties, so there the two must agree to the last digit.
    ranges = np.array([hit_rate_ranges(summary, dataset, lam) for lam in LAMBDAS])  # (λ, k, 2)
    assert ((ranges[..., 1] - ranges[..., 0]) > 1e-9).any() == (which == 0), ranges
    for computed in (hr, general):
        assert (ranges[..., 0] - 1e-9 <= computed).all() and (computed <= ranges[..., 1] + 1e-9).all(), (computed, ranges)
    if which == 1:
        np.testing.assert_allclose(hr, general, rtol=0, atol=1e-9)
    assert len({round(value, 6) for value in hr[:, 1]}) > 1, "the λ must matter on this data for the check to mean something"


def test_batches_do_not_change_the_result(dataset) -> None:
    summary = summaries(dataset, seed=3)[1]
    one = inner_lambda_hit_rates(summary, dataset.train, dataset.validation, LAMBDAS, NTKConfig(), batch_users=10_000)
    many = inner_lambda_hit_rates(summary, dataset.train, dataset.validation, LAMBDAS, NTKConfig(), batch_users=7)
    np.testing.assert_allclose(np.array(one), np.array(many), rtol=1e-12)


def test_choose_inner_lambda_takes_the_best_hr100(dataset) -> None:
    summary = summaries(dataset, seed=4)[1]
    data = EvaluationData.prepare(dataset, seed=0, config=EvaluationConfig())
    lam, hr10, hr100 = choose_inner_lambda(summary, data, DistillConfig(budget=40, lambdas=LAMBDAS), seed=0)
    full = through_the_evaluation(summary, dataset)
    best = max(full, key=lambda entry: entry[2])  # max keeps the first of equal values, as the choice does
    assert lam == best[0] and hr100 == pytest.approx(best[2], abs=1e-9) and hr10 == pytest.approx(best[1], abs=1e-9)


def test_an_empty_summary_scores_nothing(dataset) -> None:
    data = EvaluationData.prepare(dataset, seed=0, config=EvaluationConfig())
    config = DistillConfig(budget=40, lambdas=LAMBDAS)
    assert choose_inner_lambda(np.zeros((40, dataset.n_items), np.float32), data, config, seed=0) == (LAMBDAS[0], 0.0, 0.0)
