"""Noisy training data: random removals and random false positives, seeded and exact in count.

:func:`add_noise` corrupts a binary user × item training matrix in two ways, alone or together:

* **removal** at rate r: exactly ``round(r × nnz)`` of the nnz training interactions are removed,
  drawn uniformly without replacement (by default never a user's last one; see below);
* **false positives** at rate r: exactly ``round(r × nnz)`` (user, item) pairs that are *not*
  interactions are added, drawn uniformly without replacement over all such pairs of the matrix
  (every user and every item alike: no popularity weighting).

Both rates are fractions of the *clean* matrix's nnz (``round`` rounds halves up). So false
positives at 0.1 make a matrix with 10 % more interactions, 1/11 of them false; removals at 0.1
leave 90 % of them. A pair removed is never added back as a false positive: false positives are
drawn among pairs outside the clean matrix (and outside ``exclude``, typically the validation and
test positives, so that a false positive never hides a held-out interaction).

Seeding: the two corruptions draw from two independent streams spawned from ``seed``, and each
stream's draws do not depend on the rate. So, for one seed, the interactions removed at a lower rate
are a subset of those removed at a higher rate, and likewise for false positives: a curve over rates
varies the amount of noise, not the noise itself.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.validation import check_seed, check_user_item_matrix

#: Most pairs drawn per round of rejection sampling of false positives (fewer for a matrix with fewer
#: cells). Independent of how many are needed, so that, for one seed, the false positives at a lower
#: rate are a prefix of a higher one's.
_FALSE_POSITIVE_CHUNK = 1 << 16


def noise_count(rate: float, interactions: int) -> int:
    """How many interactions a rate means: ``floor(rate × interactions + 0.5)`` (round, halves up)."""
    return int(np.floor(rate * interactions + 0.5))


def _check_rate(value: float, parameter: str, *, upper: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
        raise WorkbenchError(f"{parameter}: expected a finite number, got {value!r}")
    value = float(value)
    if value < 0 or (upper is not None and value > upper):
        bounds = f"in [0, {upper:g}]" if upper is not None else "≥ 0"
        raise WorkbenchError(f"{parameter}: expected a fraction of the training interactions {bounds}, got {value:g}")
    return value


def _check_binary(matrix: sp.spmatrix, parameter: str, shape: tuple[int, int] | None = None) -> sp.csr_matrix:
    """``matrix`` as a new binary float32 CSR with sorted indices, duplicates summed; checked."""
    checked = check_user_item_matrix(matrix, parameter, dtype=np.float32, copy=True)
    if shape is not None and checked.shape != shape:
        raise WorkbenchError(f"{parameter}: expected shape {shape} (the training matrix's), got {checked.shape}")
    if checked.nnz and not np.all(checked.data == 1.0):
        raise WorkbenchError(f"{parameter}: expected a binary (0/1) matrix; it has values other than 0 and 1")
    return checked


def _removal_mask(train: sp.csr_matrix, count: int, keep_every_user: bool, rng: np.random.Generator) -> np.ndarray:
    """(nnz,) bool: True at the positions (in ``train.data`` order) of the interactions removed."""
    removable = np.ones(train.nnz, dtype=bool)
    if keep_every_user:  # one uniformly random interaction of each non-empty user is kept
        lengths = np.diff(train.indptr)
        nonempty = np.flatnonzero(lengths > 0)
        offsets = np.floor(rng.random(nonempty.shape[0]) * lengths[nonempty]).astype(np.int64)
        removable[train.indptr[nonempty] + offsets] = False
    candidates = np.flatnonzero(removable)
    if count > candidates.shape[0]:
        raise WorkbenchError(
            f"removal_rate: removing {count} of the {train.nnz} training interactions would leave some user with none "
            f"(at most {candidates.shape[0]} can be removed while every user keeps one); lower removal_rate, "
            "or pass keep_every_user=False"
        )
    removed = np.zeros(train.nnz, dtype=bool)
    removed[rng.permutation(candidates)[:count]] = True
    return removed


def _false_positive_keys(forbidden: np.ndarray, cells: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count,) int64 flat keys user·n_items + item, distinct, uniform without replacement over the
    cells not in ``forbidden`` (sorted, distinct flat keys), by rejection sampling."""
    available = cells - forbidden.shape[0]
    if count > available:
        raise WorkbenchError(
            f"false_positive_rate: {count} false positives asked for, but only {available} (user, item) pairs "
            "are neither interactions nor excluded; lower false_positive_rate"
        )
    accepted = np.empty(0, dtype=np.int64)
    chunk = max(256, min(_FALSE_POSITIVE_CHUNK, cells))
    while accepted.shape[0] < count:
        draws = rng.integers(0, cells, size=chunk, dtype=np.int64)
        draws = draws[~np.isin(draws, forbidden, assume_unique=False)]
        _, first = np.unique(draws, return_index=True)  # the first draw of each key, in draw order
        draws = draws[np.sort(first)]
        draws = draws[~np.isin(draws, accepted)]
        accepted = np.concatenate([accepted, draws])
    return accepted[:count]


def add_noise(
    train: sp.spmatrix,
    *,
    false_positive_rate: float = 0.0,
    removal_rate: float = 0.0,
    seed: int,
    exclude: sp.spmatrix | None = None,
    keep_every_user: bool = True,
) -> sp.csr_matrix:
    """A noisy copy of a binary training matrix: random removals and random false positives.

    Pure: ``train`` is not changed, and the same arguments give the same matrix.

    Let nnz be the number of interactions (non-zero entries) of ``train``.

    * Removals: exactly ``round(removal_rate × nnz)`` interactions are removed, uniformly at random
      without replacement. With ``keep_every_user`` (the default) one uniformly random interaction
      of each user who has any is never removed, so no user is left without training data (a user
      with no history is a cold-start user, another problem); the others' interactions are drawn
      uniformly. Users who had no interaction keep none.
    * False positives: exactly ``round(false_positive_rate × nnz)`` (user, item) pairs are set to 1,
      drawn uniformly without replacement over every pair that is 0 in ``train`` and 0 in
      ``exclude``. Every user and item is as likely as another (no popularity weighting), so a
      user's false positives are binomial in number, and a user with none in ``train`` can get some.

    Both counts are fractions of the clean nnz, applied together when both rates are > 0: the
    result has nnz − removed + added interactions, and a removed interaction is never re-added.
    For one ``seed``, a lower rate's removals (false positives) are a subset of a higher rate's.

    Args:
        train: (n_users, n_items) scipy.sparse, binary (every stored value 1).
        false_positive_rate: ≥ 0, false positives added, as a fraction of nnz.
        removal_rate: in [0, 1], interactions removed, as a fraction of nnz.
        seed: ≥ 0; the removals and the false positives use independent streams spawned from it.
        exclude: optional (n_users, n_items) binary matrix of pairs never to add (e.g. validation ∪
            test, so that a false positive never masks a held-out positive).
        keep_every_user: never remove a user's last interaction (see above).

    Returns:
        (n_users, n_items) CSR, float32, binary, sorted indices; a new matrix.

    Raises:
        WorkbenchError: a rate outside its range or not a finite number (the message names it), a bad
            seed, a non-binary or mis-shaped matrix, or more noise than the matrix allows (more removals
            than ``keep_every_user`` permits, more false positives than there are free pairs).
    """
    removal_rate = _check_rate(removal_rate, "removal_rate", upper=1.0)
    false_positive_rate = _check_rate(false_positive_rate, "false_positive_rate", upper=None)
    seed = check_seed(seed)
    clean = _check_binary(train, "train")
    excluded = None if exclude is None else _check_binary(exclude, "exclude", clean.shape)
    n_users, n_items = clean.shape
    removal_rng, false_positive_rng = (np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(2))

    removed = _removal_mask(clean, noise_count(removal_rate, clean.nnz), keep_every_user, removal_rng)
    rows = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(clean.indptr))
    kept_rows, kept_items = rows[~removed], clean.indices[~removed].astype(np.int64)

    added = noise_count(false_positive_rate, clean.nnz)
    if added:
        forbidden_matrix = sp.csr_matrix(clean if excluded is None else clean + excluded)
        forbidden_matrix.sum_duplicates()
        forbidden_rows = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(forbidden_matrix.indptr))
        forbidden = np.unique(forbidden_rows * n_items + forbidden_matrix.indices.astype(np.int64))
        keys = _false_positive_keys(forbidden, n_users * n_items, added, false_positive_rng)
        kept_rows = np.concatenate([kept_rows, keys // n_items])
        kept_items = np.concatenate([kept_items, keys % n_items])

    noisy = sp.csr_matrix(
        (np.ones(kept_rows.shape[0], dtype=np.float32), (kept_rows, kept_items)), shape=clean.shape, dtype=np.float32
    )
    noisy.sum_duplicates()
    noisy.sort_indices()
    return noisy


def noise_limits(train: sp.spmatrix, *, exclude: sp.spmatrix | None = None, keep_every_user: bool = True) -> tuple[int, int]:
    """(most removable, most addable): the largest removal and false-positive counts :func:`add_noise`
    accepts for these arguments, to check a list of rates before any noise is drawn.

    Most removable: nnz, less one interaction per non-empty user with ``keep_every_user``. Most
    addable: the (user, item) pairs that are neither in ``train`` nor in ``exclude``.
    """
    clean = _check_binary(train, "train")
    forbidden = clean if exclude is None else (clean + _check_binary(exclude, "exclude", clean.shape)).tocsr()
    forbidden.sum_duplicates()
    nonempty = int(np.count_nonzero(np.diff(clean.indptr))) if keep_every_user else 0
    return int(clean.nnz) - nonempty, clean.shape[0] * clean.shape[1] - int(forbidden.nnz)


def interaction_changes(clean: sp.spmatrix, noisy: sp.spmatrix) -> tuple[int, int]:
    """(removed, added): interactions of ``clean`` missing from ``noisy``, and of ``noisy`` not in ``clean``.

    Both are binary matrices of the same shape (any non-zero counts as an interaction).
    """
    before = _check_binary(clean, "clean")
    after = _check_binary(noisy, "noisy", before.shape)
    common = int(before.multiply(after).count_nonzero())
    return int(before.nnz) - common, int(after.nnz) - common


__all__ = ["add_noise", "interaction_changes", "noise_count", "noise_limits"]
