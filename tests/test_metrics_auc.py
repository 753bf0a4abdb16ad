"""AUC: sampled negatives, the global (pooled) Mann–Whitney AUC and the per-user AUC."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.metrics import global_auc, per_user_auc, sample_auc_negatives


def _brute_force_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    wins = 0.0
    for p in positive:
        for q in negative:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(positive) * len(negative))


def test_global_auc_by_hand_with_ties() -> None:
    positive = np.array([0.9, 0.5, 0.5])
    negative = np.array([0.5, 0.1])
    # pairs: (0.9, 0.5) 1, (0.9, 0.1) 1, (0.5, 0.5) ½, (0.5, 0.1) 1, (0.5, 0.5) ½, (0.5, 0.1) 1
    #        = 5 wins of 6 pairs
    assert global_auc(positive, negative) == pytest.approx(5 / 6, abs=1e-15)
    assert global_auc(np.array([1.0]), np.array([1.0])) == 0.5  # one tie = ½
    assert np.isnan(global_auc(np.array([]), np.array([1.0])))


def test_global_auc_matches_a_pairwise_count() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        positive = rng.integers(0, 6, int(rng.integers(1, 40))).astype(np.float32)  # many ties
        negative = rng.integers(0, 6, int(rng.integers(1, 40))).astype(np.float32)
        assert global_auc(positive, negative) == pytest.approx(
            _brute_force_auc(positive, negative), abs=1e-12
        )


def test_per_user_auc_by_hand_and_by_brute_force() -> None:
    scores = np.array(
        [
            [0.9, 0.5, 0.5, 0.1, 0.3],
            [0.2, 0.2, 0.8, 0.4, 0.0],
            [0.1, 0.2, 0.3, 0.4, 0.5],
        ]
    )
    positives = sp.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0]]))
    negatives = np.array([[2, 3], [0, -1], [1, 2]])
    auc = per_user_auc(scores, positives, negatives)
    # user 0: positives 0.9, 0.5 vs negatives 0.5, 0.1: 1 + 1 + ½ + 1 = 3.5 of 4 = 0.875
    # user 1: positive 0.2 vs negative 0.2 (item 0; -1 is padding): a tie = 0.5
    # user 2: no positives -> NaN
    assert auc[0] == pytest.approx(0.875, abs=1e-15)
    assert auc[1] == pytest.approx(0.5, abs=1e-15)
    assert np.isnan(auc[2])

    rng = np.random.default_rng(9)
    scores = rng.integers(0, 5, (30, 25)).astype(np.float64)
    positives = sp.csr_matrix(rng.random((30, 25)) < 0.2)
    negatives = rng.integers(-1, 25, (30, 6))
    auc = per_user_auc(scores, positives, negatives)
    for u in range(30):
        pos = scores[u, positives[u].indices]
        neg = scores[u, negatives[u][negatives[u] >= 0]]
        if len(pos) and len(neg):
            assert auc[u] == pytest.approx(_brute_force_auc(pos, neg), abs=1e-12)
        else:
            assert np.isnan(auc[u])


def _split(rng: np.random.Generator, n_users: int, n_items: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    interactions = rng.random((n_users, n_items))
    return sp.csr_matrix(interactions < 0.3), sp.csr_matrix((interactions >= 0.3) & (interactions < 0.4))


def test_negatives_avoid_train_and_test_items_and_are_distinct() -> None:
    rng = np.random.default_rng(1)
    train, test = _split(rng, 200, 60)
    negatives = sample_auc_negatives(train, test, 10, seed=4)
    assert negatives.dtype == np.int32 and negatives.shape == (200, 10)
    forbidden = (train + test).toarray() > 0
    for u in range(200):
        row = negatives[u]
        assert (row >= 0).all() and len(set(row.tolist())) == 10
        assert not forbidden[u, row].any()
        assert (np.diff(row) > 0).all()  # ascending


def test_negatives_are_seeded() -> None:
    train, test = _split(np.random.default_rng(2), 50, 40)
    first = sample_auc_negatives(train, test, 5, seed=123)
    np.testing.assert_array_equal(first, sample_auc_negatives(train, test, 5, seed=123))
    assert not np.array_equal(first, sample_auc_negatives(train, test, 5, seed=124))


def test_users_with_few_eligible_items_get_all_of_them_then_padding() -> None:
    train = sp.csr_matrix(np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]]))
    test = sp.csr_matrix(np.array([[0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]]))
    negatives = sample_auc_negatives(train, test, 3, seed=0)
    # user 0: items 4, 5 eligible (2 < 3); user 1: any 3 of 6; user 2: nothing eligible
    assert negatives[0].tolist() == [4, 5, -1]
    assert len(set(negatives[1].tolist())) == 3 and (negatives[1] >= 0).all()
    assert negatives[2].tolist() == [-1, -1, -1]


def test_negatives_are_uniform_over_eligible_items() -> None:
    n_users, n_items = 3000, 20
    train = sp.csr_matrix(np.tile(np.arange(n_items) < 3, (n_users, 1)))  # items 0-2 in train
    test = sp.csr_matrix(np.tile(np.arange(n_items) == 10, (n_users, 1)))  # item 10 in test
    negatives = sample_auc_negatives(train, test, 4, seed=8)
    counts = np.bincount(negatives.ravel(), minlength=n_items)
    assert counts[[0, 1, 2, 10]].sum() == 0
    # 16 eligible items, each drawn with probability 4/16: 750 ± 23.7 (one std) per item
    eligible = np.delete(counts, [0, 1, 2, 10])
    assert np.abs(eligible - 750).max() < 5 * 23.7


def test_bad_parameters_raise() -> None:
    train, test = _split(np.random.default_rng(3), 5, 8)
    with pytest.raises(WorkbenchError, match="n_negatives must be a positive integer"):
        sample_auc_negatives(train, test, 0)
    with pytest.raises(WorkbenchError, match=r"\(5, 8\).*\(5, 7\)"):
        sample_auc_negatives(train, test[:, :7], 3)
    with pytest.raises(WorkbenchError, match="one row per row of scores"):
        per_user_auc(np.zeros((5, 8)), test, np.zeros((4, 2), dtype=int))
