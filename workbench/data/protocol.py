"""The paper's data protocol: binarise, filter users, re-index densely, split per user.

Everything here is vectorised with numpy (sorts and bincounts, no per-user Python loop) and pure:
randomness comes only from an explicit `seed` (`numpy.random.default_rng(seed)`).

Protocol, for a file without a split (`apply_protocol`):

1. Every rating is a positive (no threshold); duplicate (user, item) rows collapse to one.
2. Users with fewer than `min_interactions` (default 3) *distinct* items are dropped; no item filter.
   (The authors' `preprocess.py` counts raw rows, repeats included. That only matters for files
   with repeated pairs, such as Amazon Magazine; ML-1M has none.)
3. Users and items left are re-indexed densely, in sorted order of their original ids
   (`user_ids[k]` is the original id of dense user k; the same for items).
4. Seeded per-user split (`per_user_split`), the authors' rule: shuffle the user's n interactions;
   the interaction at shuffled position p goes to

       test        if p == 0                      (so every user has >= 1 test item)
       train       if 1 <= p < floor(0.8 n)
       validation  if floor(0.8 n) <= p < floor(0.9 n)
       test        if p >= floor(0.9 n)

   Positions are in the shuffled list of all n interactions, as in `train_test_split` of
   `noveens/infinite_ae_cf/preprocess.py` (`indices[0]` forced to test, then `indices[:int(0.8n)]`
   train, `indices[int(0.8n):int(0.9n)]` validation, the rest test). Hence, for n >= 2:
   #train = floor(0.8n) - 1, #validation = floor(0.9n) - floor(0.8n), #test = n - floor(0.9n) + 1.
   The floors are computed exactly in integers, (8n) // 10 and (9n) // 10 (equal to the authors'
   `int(0.8 * n)` / `int(0.9 * n)` for every n that was checked, 1..10^6).
   The shuffle is made canonical: rows are first sorted by (user, item), so the split depends on
   the seed and the set of pairs, not on the order of lines in the file.

For a file that carries its own split (`index_given_split`): the split is kept as it is; no
filter, no collapse *across* splits (a pair repeated inside one split collapses when the binary
matrices are built). Users and items are re-indexed densely over all rows kept, as the authors'
`load_raw_dataset` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.data.interactions import TEST, TRAIN, VALIDATION, Interactions
from workbench.errors import WorkbenchError


@dataclass(frozen=True, eq=False)
class IndexedInteractions:
    """Interactions re-indexed densely, each with its split.

    Attributes:
        user_index, item_index: shape (n,), int64, dense indices in [0, n_users) / [0, n_items).
        split: shape (n,), int8, 0 train / 1 validation / 2 test.
        user_ids, item_ids: shape (n_users,), (n_items,): original id of each dense index.
        split_origin: how the split was made, e.g. "seeded 80/10/10 split, seed 0".
        source: the file(s) the rows came from.
    """

    user_index: np.ndarray
    item_index: np.ndarray
    split: np.ndarray
    user_ids: np.ndarray
    item_ids: np.ndarray
    split_origin: str
    source: str

    @property
    def n_users(self) -> int:
        return int(self.user_ids.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.item_ids.shape[0])


def dense_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques): codes[k] = position of ids[k] in uniques = sorted distinct ids.

    Shapes: ids (n,) -> codes (n,) int64, uniques (m,) with the dtype of ids (int64 or object).
    """
    codes, uniques = pd.factorize(np.asarray(ids), sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def split_boundaries(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(floor(0.8 n), floor(0.9 n)) computed exactly as (8n) // 10 and (9n) // 10; int64 like n."""
    n = np.asarray(n, dtype=np.int64)
    return (8 * n) // 10, (9 * n) // 10


def _shuffled_ranks(groups: np.ndarray, n_groups: int, rng: np.random.Generator) -> np.ndarray:
    """rank[k] = position of row k in a uniformly random order of the rows of its group.

    groups: (n,) int64 codes in [0, n_groups). Returns (n,) int64. A random permutation followed
    by a stable sort by group gives every group a uniform random order of its rows.
    """
    n = groups.shape[0]
    permutation = rng.permutation(n)
    shuffled_groups = groups[permutation]
    within = np.argsort(shuffled_groups, kind="stable")
    del shuffled_groups  # each (n,) temporary is released as soon as it is used: n may be 1e8
    order = permutation[within]
    del permutation, within
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n, dtype=np.int64)  # position in the order, then minus the group's start
    del order
    ranks -= starts[groups]
    return ranks


def per_user_split(user_index: np.ndarray, n_users: int, seed: int) -> np.ndarray:
    """The paper's seeded split of each user's rows (module docstring, step 4).

    user_index: (n,) int64 dense user of each row (one row per distinct pair).
    Returns split codes, (n,) int8: p == 0 -> test; 1 <= p < floor(0.8 n_u) -> train;
    floor(0.8 n_u) <= p < floor(0.9 n_u) -> validation; else test, with p the row's position in
    the user's shuffled list and n_u the user's number of rows.
    """
    user_index = np.asarray(user_index, dtype=np.int64)
    rng = np.random.default_rng(seed)
    position = _shuffled_ranks(user_index, n_users, rng)
    first_cut, second_cut = split_boundaries(np.bincount(user_index, minlength=n_users))  # per user
    split = np.full(user_index.shape[0], TEST, dtype=np.int8)
    cut = first_cut[user_index]  # one (n,) buffer for the per-row cuts
    split[(position >= 1) & (position < cut)] = TRAIN
    validation = position >= np.maximum(cut, 1, out=cut)
    np.take(second_cut, user_index, out=cut)
    validation &= position < cut
    split[validation] = VALIDATION
    return split


def carve_validation(users: np.ndarray, split: np.ndarray, seed: int, percent: int = 10) -> np.ndarray:
    """Move a seeded `percent` % of each user's train rows to validation (for train/test-only splits).

    A user with t >= 2 train rows gets v = max(1, floor(t * percent / 100)) of them, drawn
    uniformly at random, moved to validation; t - v >= 1 stay in train. Users with t < 2 keep all.
    Test rows are untouched. users: (n,) ids of any dtype; split: (n,) codes 0/2.
    Returns the new split codes, (n,) int8.
    """
    if isinstance(percent, bool) or not isinstance(percent, int | np.integer) or not 0 < percent < 100:
        raise WorkbenchError(f"percent: expected an integer in 1..99, got {percent!r}")
    new_split = np.array(split, dtype=np.int8, copy=True)
    train_rows = np.flatnonzero(new_split == TRAIN)
    if train_rows.size == 0:
        return new_split
    groups, uniques = dense_codes(np.asarray(users)[train_rows])
    n_groups = uniques.shape[0]
    t = np.bincount(groups, minlength=n_groups)
    n_validation = np.where(t >= 2, np.maximum(1, (t * percent) // 100), 0)
    ranks = _shuffled_ranks(groups, n_groups, np.random.default_rng(seed))
    new_split[train_rows[ranks < n_validation[groups]]] = VALIDATION
    return new_split


def _check_min_interactions(min_interactions: int) -> None:
    if isinstance(min_interactions, bool) or not isinstance(min_interactions, int | np.integer):
        raise WorkbenchError(f"min_interactions: expected an integer >= 1, got {min_interactions!r}")
    if min_interactions < 1:
        raise WorkbenchError(f"min_interactions: expected an integer >= 1, got {min_interactions}")


def _sorted_distinct(keys: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """Sorted distinct values of a 1-D int64 array (a sort and a neighbour comparison; numpy's
    hash-based `np.unique` is several times slower on a million keys). `overwrite`: sort `keys`
    in place (the caller's array is changed) instead of sorting a copy."""
    if overwrite:
        keys.sort()
    else:
        keys = np.sort(keys)
    if keys.shape[0] == 0:
        return keys
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


def _compact(codes: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Renumber codes 0..m-1 densely over the codes where keep[code] is True (order preserved)."""
    new_code = np.cumsum(keep, dtype=np.int64) - 1
    return new_code[codes]


def apply_protocol(interactions: Interactions, seed: int = 0, min_interactions: int = 3) -> IndexedInteractions:
    """Binarise, drop users with < min_interactions distinct items, re-index, split (seeded).

    See the module docstring for the exact rules. Rows come out sorted by (user, item).
    Raises WorkbenchError when no user is left.
    """
    _check_min_interactions(min_interactions)
    if len(interactions) == 0:
        raise WorkbenchError(f"{interactions.source}: no interactions to build a dataset from")
    # Each (n,) int64 array costs 8n bytes (0.8 GB for Netflix-sized data): they are built in place
    # where possible and released as soon as they are used.
    user_codes, user_ids = dense_codes(interactions.users)
    item_codes, item_ids = dense_codes(interactions.items)
    n_items = np.int64(item_ids.shape[0])
    pairs = user_codes  # the key user * n_items + item, built in dense_codes' own array
    del user_codes
    pairs *= n_items
    pairs += item_codes
    del item_codes
    pairs = _sorted_distinct(pairs, overwrite=True)  # distinct pairs, by (user, item)
    users, items = np.divmod(pairs, n_items)
    del pairs
    per_user = np.bincount(users, minlength=user_ids.shape[0])
    keep_user = per_user >= min_interactions
    if not keep_user.any():
        raise WorkbenchError(
            f"{interactions.source}: the dataset is empty after filtering: no user has at least "
            f"min_interactions={min_interactions} distinct items (largest: {int(per_user.max())})"
        )
    if not keep_user.all():
        rows = keep_user[users]
        users = users[rows]
        items = items[rows]
        del rows
    item_present = np.bincount(items, minlength=int(n_items)) > 0
    users = _compact(users, keep_user)
    items = _compact(items, item_present)
    user_ids, item_ids = user_ids[keep_user], item_ids[item_present]
    split = per_user_split(users, int(user_ids.shape[0]), seed)
    return IndexedInteractions(
        user_index=users,
        item_index=items,
        split=split,
        user_ids=user_ids,
        item_ids=item_ids,
        split_origin=f"seeded 80/10/10 split, seed {seed}",
        source=interactions.source,
    )


def index_given_split(interactions: Interactions) -> IndexedInteractions:
    """Keep the file's own split; re-index users and items densely (sorted ids) over all rows."""
    if interactions.split is None:
        raise WorkbenchError(f"{interactions.source}: carries no split; use apply_protocol")
    if len(interactions) == 0:
        raise WorkbenchError(f"{interactions.source}: no interactions to build a dataset from")
    users, user_ids = dense_codes(interactions.users)
    items, item_ids = dense_codes(interactions.items)
    return IndexedInteractions(
        user_index=users,
        item_index=items,
        split=np.asarray(interactions.split, dtype=np.int8),
        user_ids=user_ids,
        item_ids=item_ids,
        split_origin=interactions.split_origin or "split given by the file",
        source=interactions.source,
    )


def index_interactions(interactions: Interactions, seed: int = 0, min_interactions: int = 3) -> IndexedInteractions:
    """`index_given_split` when the file carries a split, else `apply_protocol`."""
    if interactions.split is not None:
        return index_given_split(interactions)
    return apply_protocol(interactions, seed=seed, min_interactions=min_interactions)
