"""`workbench.denoising.noise.add_noise`: exact counts, where the noise goes, seeding, uniformity and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from conftest import random_binary_matrix
from workbench.errors import WorkbenchError
from workbench.denoising.noise import add_noise, interaction_changes, noise_count, noise_limits


def pairs(matrix: sp.csr_matrix) -> set[tuple[int, int]]:
    coo = matrix.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist()))


@pytest.fixture(scope="module")
def train() -> sp.csr_matrix:
    return random_binary_matrix(120, 80, 0.1, seed=3)


def test_noise_count_rounds_halves_up() -> None:
    assert noise_count(0.1, 1000) == 100
    assert noise_count(0.25, 10) == 3  # 2.5 → 3
    assert noise_count(0.0, 1000) == 0
    assert noise_count(1.0, 7) == 7


@pytest.mark.parametrize("rate", [0.05, 0.3, 0.6])
def test_removal_removes_exactly_round_rate_nnz_of_the_interactions(train: sp.csr_matrix, rate: float) -> None:
    noisy = add_noise(train, removal_rate=rate, seed=1)
    removed = int(np.floor(rate * train.nnz + 0.5))
    assert noisy.nnz == train.nnz - removed
    assert pairs(noisy) <= pairs(train)
    assert interaction_changes(train, noisy) == (removed, 0)


def test_removal_keeps_every_user_with_an_interaction(train: sp.csr_matrix) -> None:
    # 3-item users (the fixture's minimum) lose their other items often at this rate; each keeps one.
    noisy = add_noise(train, removal_rate=0.85, seed=2)  # 814 of the at most 838 removable
    assert np.all(np.diff(noisy.indptr) >= 1)
    assert np.count_nonzero(np.diff(noisy.indptr) == 1) > 10  # the guarantee was exercised


def test_removal_without_keeping_users_can_remove_everything(train: sp.csr_matrix) -> None:
    assert add_noise(train, removal_rate=1.0, seed=0, keep_every_user=False).nnz == 0
    noisy = add_noise(train, removal_rate=0.9, seed=2, keep_every_user=False)
    assert noisy.nnz == train.nnz - noise_count(0.9, train.nnz)
    assert np.any(np.diff(noisy.indptr) == 0)


def test_removal_more_than_keeping_users_allows_is_refused_naming_the_rate(train: sp.csr_matrix) -> None:
    with pytest.raises(WorkbenchError, match="removal_rate.*keep_every_user=False"):
        add_noise(train, removal_rate=1.0, seed=0)


def test_users_without_interactions_stay_empty_under_removal() -> None:
    matrix = random_binary_matrix(30, 20, 0.2, seed=5).tolil()
    matrix[4, :] = 0
    matrix = sp.csr_matrix(matrix)
    matrix.eliminate_zeros()
    noisy = add_noise(matrix, removal_rate=0.5, seed=0)
    assert noisy[4].nnz == 0
    assert noisy.nnz == matrix.nnz - noise_count(0.5, matrix.nnz)


@pytest.mark.parametrize("rate", [0.1, 0.5, 1.5])
def test_false_positives_add_exactly_round_rate_nnz_new_pairs(train: sp.csr_matrix, rate: float) -> None:
    noisy = add_noise(train, false_positive_rate=rate, seed=4)
    added = int(np.floor(rate * train.nnz + 0.5))
    assert noisy.nnz == train.nnz + added  # every added pair is new: none was an interaction
    assert pairs(train) <= pairs(noisy)
    assert interaction_changes(train, noisy) == (0, added)


def test_false_positives_avoid_the_excluded_pairs(train: sp.csr_matrix) -> None:
    exclude = random_binary_matrix(120, 80, 0.2, seed=9)
    exclude = sp.csr_matrix(exclude - exclude.multiply(train))  # disjoint from train, like a held-out split
    exclude.eliminate_zeros()
    noisy = add_noise(train, false_positive_rate=1.0, seed=4, exclude=exclude)
    added = pairs(noisy) - pairs(train)
    assert len(added) == train.nnz
    assert not added & pairs(exclude)


def test_both_kinds_together_give_both_exact_counts_and_never_re_add_a_removed_pair(train: sp.csr_matrix) -> None:
    noisy = add_noise(train, removal_rate=0.3, false_positive_rate=0.2, seed=8)
    removed, added = noise_count(0.3, train.nnz), noise_count(0.2, train.nnz)
    assert interaction_changes(train, noisy) == (removed, added)
    assert noisy.nnz == train.nnz - removed + added


def test_output_is_a_new_binary_float32_csr_and_the_input_is_unchanged(train: sp.csr_matrix) -> None:
    before = train.copy()
    noisy = add_noise(train, removal_rate=0.2, false_positive_rate=0.2, seed=0)
    assert isinstance(noisy, sp.csr_matrix) and noisy.dtype == np.float32 and noisy.shape == train.shape
    assert np.all(noisy.data == 1.0) and noisy.has_sorted_indices
    assert (train != before).nnz == 0 and np.array_equal(train.indices, before.indices)


def test_zero_rates_give_the_same_matrix(train: sp.csr_matrix) -> None:
    noisy = add_noise(train, seed=0)
    assert noisy is not train and (noisy != train).nnz == 0


def test_same_seed_same_noise_other_seed_other_noise(train: sp.csr_matrix) -> None:
    settings = {"removal_rate": 0.2, "false_positive_rate": 0.2}
    first, again = add_noise(train, seed=11, **settings), add_noise(train, seed=11, **settings)
    other = add_noise(train, seed=12, **settings)
    assert (first != again).nnz == 0
    assert (first != other).nnz > 0


def test_a_lower_rate_is_a_subset_of_a_higher_rate_for_one_seed(train: sp.csr_matrix) -> None:
    low_removed = pairs(train) - pairs(add_noise(train, removal_rate=0.1, seed=6))
    high_removed = pairs(train) - pairs(add_noise(train, removal_rate=0.4, seed=6))
    assert low_removed < high_removed
    low_added = pairs(add_noise(train, false_positive_rate=0.1, seed=6)) - pairs(train)
    high_added = pairs(add_noise(train, false_positive_rate=0.4, seed=6)) - pairs(train)
    assert low_added < high_added
    # The two kinds use independent streams: adding false positives does not change the removals.
    both = add_noise(train, removal_rate=0.1, false_positive_rate=0.4, seed=6)
    assert pairs(train) - pairs(both) == low_removed


def test_many_rounds_of_rejection_sampling_give_distinct_free_pairs() -> None:
    # 256 draws a round over 1,200 cells: taking every free pair takes many rounds.
    matrix = random_binary_matrix(40, 30, 0.3, seed=1)
    exclude = sp.csr_matrix(np.eye(40, 30, dtype=np.float32))
    free = 40 * 30 - len(pairs(matrix) | pairs(exclude))
    noisy = add_noise(matrix, false_positive_rate=free / matrix.nnz, seed=0, exclude=exclude)  # every free pair
    assert noisy.nnz == matrix.nnz + free
    assert not (pairs(noisy) - pairs(matrix)) & pairs(exclude)
    with pytest.raises(WorkbenchError, match="false_positive_rate.*only"):
        add_noise(matrix, false_positive_rate=(free + 1) / matrix.nnz, seed=0, exclude=exclude)


def test_false_positives_are_uniform_over_the_free_pairs() -> None:
    matrix = random_binary_matrix(12, 10, 0.3, seed=2)
    free = np.ones((12, 10), dtype=bool)
    free[matrix.toarray() > 0] = False
    counts = np.zeros((12, 10))
    runs = 600
    for seed in range(runs):
        counts += (add_noise(matrix, false_positive_rate=5 / matrix.nnz, seed=seed) - matrix).toarray()
    assert counts[~free].sum() == 0
    expected = runs * 5 / free.sum()
    assert stats.chisquare(counts[free], np.full(free.sum(), expected)).pvalue > 1e-3


def test_removals_are_uniform_over_the_interactions() -> None:
    matrix = random_binary_matrix(10, 12, 0.4, seed=4)
    runs = 600
    kept = np.zeros(matrix.nnz)
    for seed in range(runs):
        kept += add_noise(matrix, removal_rate=0.25, seed=seed, keep_every_user=False)[matrix.nonzero()].A1
    removed = runs - kept
    expected = runs * noise_count(0.25, matrix.nnz) / matrix.nnz
    assert stats.chisquare(removed, np.full(matrix.nnz, expected)).pvalue > 1e-3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"removal_rate": -0.1}, "removal_rate"),
        ({"removal_rate": 1.5}, "removal_rate.*\\[0, 1\\]"),
        ({"removal_rate": float("nan")}, "removal_rate.*finite"),
        ({"removal_rate": True}, "removal_rate"),
        ({"false_positive_rate": -1}, "false_positive_rate"),
        ({"false_positive_rate": float("inf")}, "false_positive_rate.*finite"),
        ({"false_positive_rate": "0.1"}, "false_positive_rate"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments_are_refused_naming_the_parameter(train: sp.csr_matrix, arguments: dict, message: str) -> None:
    with pytest.raises(WorkbenchError, match=message):
        add_noise(train, **{"seed": 0, **arguments})


def test_bad_matrices_are_refused(train: sp.csr_matrix) -> None:
    with pytest.raises(WorkbenchError, match="train: expected a scipy.sparse user × item matrix"):
        add_noise(train.toarray(), removal_rate=0.1, seed=0)
    with pytest.raises(WorkbenchError, match="train: expected a binary"):
        add_noise(train * 2.0, removal_rate=0.1, seed=0)
    with pytest.raises(WorkbenchError, match="exclude: expected shape"):
        add_noise(train, false_positive_rate=0.1, seed=0, exclude=sp.csr_matrix((3, 3), dtype=np.float32))
    with pytest.raises(WorkbenchError, match="exclude: expected shape"):  # checked even when nothing is added
        add_noise(train, removal_rate=0.1, seed=0, exclude=sp.csr_matrix((3, 3), dtype=np.float32))
    with pytest.raises(WorkbenchError, match="noisy: expected shape"):
        interaction_changes(train, train[:5])


def test_noise_limits_are_the_largest_counts_add_noise_accepts(train: sp.csr_matrix) -> None:
    exclude = sp.csr_matrix(np.eye(120, 80, dtype=np.float32))
    most_removed, most_added = noise_limits(train, exclude=exclude)
    users = int(np.count_nonzero(np.diff(train.indptr)))
    assert most_removed == train.nnz - users
    assert most_added == 120 * 80 - len(pairs(train) | pairs(exclude))
    assert noise_limits(train, keep_every_user=False)[0] == train.nnz
    assert add_noise(train, removal_rate=most_removed / train.nnz, seed=0).nnz == users
    everything = add_noise(train, false_positive_rate=most_added / train.nnz, seed=0, exclude=exclude)
    assert everything.nnz == train.nnz + most_added
    with pytest.raises(WorkbenchError, match="removal_rate"):
        add_noise(train, removal_rate=(most_removed + 1) / train.nnz, seed=0)
    with pytest.raises(WorkbenchError, match="false_positive_rate"):
        add_noise(train, false_positive_rate=(most_added + 1) / train.nnz, seed=0, exclude=exclude)
