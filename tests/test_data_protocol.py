"""The paper's protocol: binarisation, user filter, dense re-indexing and the seeded per-user split."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.data.interactions import Interactions
from workbench.data.protocol import (
    apply_protocol,
    carve_validation,
    index_given_split,
    per_user_split,
    split_boundaries,
)
from workbench.errors import WorkbenchError


def varied_users(sizes: range | list[int], seed: int = 0, n_items: int = 60) -> Interactions:
    """User u (id 100 + u) has sizes[u] distinct random items (ids 1000 + k), rows shuffled."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for user, size in enumerate(sizes):
        users += [100 + user] * size
        items += (1000 + rng.choice(n_items, size=size, replace=False)).tolist()
    order = rng.permutation(len(users))
    return Interactions(users=np.array(users)[order], items=np.array(items)[order], source="generated")


def counts_by_user(indexed, code: int) -> np.ndarray:
    return np.bincount(indexed.user_index[indexed.split == code], minlength=indexed.n_users)


def test_split_counts_per_user_follow_the_floors() -> None:
    sizes = list(range(3, 31))
    indexed = apply_protocol(varied_users(sizes), seed=0)
    n = np.array(sizes)
    assert indexed.user_ids.tolist() == [100 + u for u in range(len(sizes))]
    assert counts_by_user(indexed, 0).tolist() == ((8 * n) // 10 - 1).tolist()
    assert counts_by_user(indexed, 1).tolist() == ((9 * n) // 10 - (8 * n) // 10).tolist()
    assert counts_by_user(indexed, 2).tolist() == (n - (9 * n) // 10 + 1).tolist()
    # spot checks against the formula written out by hand
    by_size = dict(zip(sizes, zip(counts_by_user(indexed, 0), counts_by_user(indexed, 1), counts_by_user(indexed, 2))))
    assert by_size[3] == (1, 0, 2)
    assert by_size[10] == (7, 1, 2)
    assert by_size[29] == (22, 3, 4)


def test_every_user_has_a_test_item_and_splits_partition_the_pairs() -> None:
    rows = varied_users(list(range(3, 31)) * 3, seed=5)
    indexed = apply_protocol(rows, seed=11)
    assert (counts_by_user(indexed, 2) >= 1).all()
    pairs = set(zip(indexed.user_ids[indexed.user_index].tolist(), indexed.item_ids[indexed.item_index].tolist()))
    assert pairs == set(zip(rows.users.tolist(), rows.items.tolist()))
    assert len(pairs) == len(indexed.split)  # each pair in exactly one split


def test_same_seed_same_split_different_seed_different_split() -> None:
    rows = varied_users(list(range(3, 31)), seed=1)
    first, again, other = apply_protocol(rows, seed=7), apply_protocol(rows, seed=7), apply_protocol(rows, seed=8)
    assert np.array_equal(first.split, again.split)
    assert not np.array_equal(first.split, other.split)
    assert "seed 7" in first.split_origin


def test_split_does_not_depend_on_row_order() -> None:
    rows = varied_users(list(range(3, 20)), seed=2)
    order = np.random.default_rng(0).permutation(len(rows))
    shuffled = Interactions(users=rows.users[order], items=rows.items[order])
    a, b = apply_protocol(rows, seed=3), apply_protocol(shuffled, seed=3)
    assert np.array_equal(a.user_index, b.user_index) and np.array_equal(a.item_index, b.item_index)
    assert np.array_equal(a.split, b.split)


def test_users_below_threshold_dropped_and_items_reindexed() -> None:
    # user 1: 2 items (dropped); user 2: 3 rows but only 2 distinct items (dropped); user 3: 3 items.
    rows = Interactions(
        users=np.array([1, 1, 2, 2, 2, 3, 3, 3]),
        items=np.array([50, 51, 52, 52, 53, 50, 54, 55]),
        ratings=np.array([1, 2, 3, 4, 5, 1, 1, 1]),
    )
    indexed = apply_protocol(rows, seed=0)
    assert indexed.user_ids.tolist() == [3]
    assert indexed.item_ids.tolist() == [50, 54, 55]  # 51, 52, 53 belonged to dropped users only
    assert indexed.user_index.tolist() == [0, 0, 0]
    assert sorted(indexed.item_index.tolist()) == [0, 1, 2]
    lower = apply_protocol(rows, seed=0, min_interactions=2)
    assert lower.user_ids.tolist() == [1, 2, 3]


def test_duplicates_collapse_and_ratings_are_ignored() -> None:
    rows = Interactions(
        users=np.array(["u", "u", "u", "u", "v", "v", "v"], dtype=object),
        items=np.array(["a", "b", "a", "c", "a", "b", "d"], dtype=object),
        ratings=np.array([1, 5, 2, 1, 1, 1, 1], dtype=np.float32),
    )
    indexed = apply_protocol(rows, seed=0)
    assert len(indexed.split) == 6
    assert indexed.user_ids.tolist() == ["u", "v"] and indexed.item_ids.tolist() == ["a", "b", "c", "d"]


def test_empty_after_filtering_names_the_threshold() -> None:
    rows = Interactions(users=np.array([1, 1, 2]), items=np.array([1, 2, 3]), source="tiny.csv")
    with pytest.raises(WorkbenchError, match=r"tiny\.csv: the dataset is empty after filtering.*min_interactions=3"):
        apply_protocol(rows)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_min_interactions_must_be_a_positive_integer(bad) -> None:
    rows = varied_users([5, 6])
    with pytest.raises(WorkbenchError, match="min_interactions"):
        apply_protocol(rows, min_interactions=bad)


def test_floors_equal_the_authors_float_expressions() -> None:
    n = np.arange(1, 1_000_001, dtype=np.int64)
    first, second = split_boundaries(n)
    assert np.array_equal(first, np.floor(0.8 * n).astype(np.int64))  # int(0.8 * n) in preprocess.py
    assert np.array_equal(second, np.floor(0.9 * n).astype(np.int64))


def test_per_user_split_positions_are_uniform() -> None:
    # 4,000 users with the same 10 rows: each row is test with probability 2/10, train 7/10.
    n_users, size = 4000, 10
    users = np.repeat(np.arange(n_users), size)
    split = per_user_split(users, n_users, seed=0).reshape(n_users, size)
    test_rate = (split == 2).mean(axis=0)
    train_rate = (split == 0).mean(axis=0)
    assert np.allclose(test_rate, 0.2, atol=0.03) and np.allclose(train_rate, 0.7, atol=0.03)


def test_small_users_split() -> None:
    # n = 1 and n = 2 (possible with min_interactions=1): everything in test.
    users = np.array([0, 1, 1])
    assert per_user_split(users, 2, seed=0).tolist() == [2, 2, 2]


def test_carve_validation_rule() -> None:
    sizes = {0: 1, 1: 2, 2: 9, 3: 10, 4: 25, 5: 40}
    users = np.concatenate([np.full(t, u) for u, t in sizes.items()] + [np.array([0, 5])])
    split = np.concatenate([np.zeros(sum(sizes.values()), dtype=np.int8), np.array([2, 2], dtype=np.int8)])
    carved = carve_validation(users, split, seed=0)
    validation = {u: int(((users == u) & (carved == 1)).sum()) for u in sizes}
    assert validation == {0: 0, 1: 1, 2: 1, 3: 1, 4: 2, 5: 4}
    assert carved[-2:].tolist() == [2, 2]
    assert all(((users == u) & (carved == 0)).sum() >= 1 for u in sizes)
    assert not np.array_equal(carve_validation(users, split, seed=1), carved)
    assert np.array_equal(carve_validation(users, split, seed=0), carved)
    with pytest.raises(WorkbenchError, match="percent"):
        carve_validation(users, split, seed=0, percent=100)


def test_given_split_is_kept_and_reindexed_over_all_rows() -> None:
    rows = Interactions(
        users=np.array([7, 7, 9, 9, 9]),
        items=np.array([3, 4, 3, 3, 8]),
        split=np.array([0, 2, 0, 2, 1]),
        split_origin="paper split",
    )
    indexed = index_given_split(rows)
    assert indexed.split.tolist() == [0, 2, 0, 2, 1]
    assert indexed.user_ids.tolist() == [7, 9] and indexed.item_ids.tolist() == [3, 4, 8]
    assert indexed.user_index.tolist() == [0, 0, 1, 1, 1]
    assert indexed.item_index.tolist() == [0, 1, 0, 0, 2]
    assert indexed.split_origin == "paper split"
