"""`Dataset`: binary train / validation / test user × item matrices, with the ids behind them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from workbench.data.interactions import SPLIT_NAMES, TEST, TRAIN, VALIDATION, Interactions
from workbench.data.protocol import IndexedInteractions, index_interactions
from workbench.errors import WorkbenchError


@dataclass(frozen=True)
class SplitStatistics:
    """Counts of one split: users / items with >= 1 interaction in it, its interactions (nnz), and
    density = interactions / (n_users × n_items) of the whole dataset."""

    split: str
    users: int
    items: int
    interactions: int
    density: float


@dataclass(frozen=True)
class DatasetStatistics:
    """Per split (train, validation, test) and `total` (the binary union of the three)."""

    n_users: int
    n_items: int
    splits: tuple[SplitStatistics, ...]

    def __getitem__(self, split: str) -> SplitStatistics:
        for row in self.splits:
            if row.split == split:
                return row
        raise KeyError(split)

    def as_dict(self) -> dict[str, dict[str, float | int]]:
        """{split: {"users", "items", "interactions", "density"}} for JSON reports."""
        return {
            row.split: {
                "users": row.users,
                "items": row.items,
                "interactions": row.interactions,
                "density": row.density,
            }
            for row in self.splits
        }

    def as_frame(self) -> pd.DataFrame:
        """One row per split (index "train", "validation", "test", "total"); columns `users`,
        `items`, `interactions` (int64) and `density` (float64, a fraction: 0.0447 is 4.47 %)."""
        frame = pd.DataFrame(
            [(row.users, row.items, row.interactions, row.density) for row in self.splits],
            index=pd.Index([row.split for row in self.splits], name="split"),
            columns=["users", "items", "interactions", "density"],
        )
        return frame.astype({"users": "int64", "items": "int64", "interactions": "int64", "density": "float64"})


def binary_csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A float32 CSR matrix with 1 at every (rows[k], cols[k]) (repeats collapse), sorted indices."""
    matrix = sp.csr_matrix(
        (np.ones(rows.shape[0], dtype=np.float32), (rows, cols)), shape=shape, dtype=np.float32
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix


def _binary_union(*matrices: sp.csr_matrix) -> sp.csr_matrix:
    union = matrices[0]
    for matrix in matrices[1:]:
        union = union + matrix
    union = sp.csr_matrix(union, dtype=np.float32)
    union.data[:] = 1.0
    union.sort_indices()
    return union


def _frozen_ids(ids: np.ndarray, field: str, expected: int) -> np.ndarray:
    array = np.array(ids, copy=True)
    if array.shape != (expected,):
        raise WorkbenchError(f"Dataset.{field}: expected shape ({expected},), got {array.shape}")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Dataset:
    """A recommendation dataset as three binary user × item matrices.

    Attributes:
        name: short name, e.g. "ml-1m".
        train, validation, test: `scipy.sparse.csr_matrix`, shape (n_users, n_items), float32,
            entries exactly 1.0 where the user interacted with the item in that split, sorted
            indices. Sparse matrices cannot be made read-only: treat them as immutable (copy
            before changing one).
        user_ids: shape (n_users,), the original id of each dense user (int64 or object/str).
        item_ids: shape (n_items,), the original id of each dense item.
        source: the file(s) the data came from.
        split_origin: how the split was made, e.g. "paper split (...)", "seeded 80/10/10 split, seed 0".
        item_titles: title of each dense item (MovieLens), or None.
        item_genres: genres of each dense item joined by '|' ("Comedy|Drama", "" when none;
            MovieLens), or None.

    With the protocol split the three matrices are disjoint. With a split given by the file they
    are kept as given: a pair repeated in two splits (Amazon Magazine has some) stays in both.
    """

    name: str
    train: sp.csr_matrix
    validation: sp.csr_matrix
    test: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    source: str
    split_origin: str
    item_titles: tuple[str, ...] | None = None
    item_genres: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        shape = self.train.shape
        for split in SPLIT_NAMES:
            matrix = getattr(self, split)
            if not sp.issparse(matrix) or matrix.format != "csr":
                raise WorkbenchError(
                    f"Dataset.{split}: expected a scipy.sparse CSR matrix, got {type(matrix).__name__}"
                )
            if matrix.shape != shape:
                raise WorkbenchError(f"Dataset.{split}: shape {matrix.shape} differs from train's {shape}")
            if matrix.dtype != np.float32:
                raise WorkbenchError(f"Dataset.{split}: expected float32 entries, got {matrix.dtype}")
            if matrix.nnz and not np.all(matrix.data == 1.0):
                raise WorkbenchError(f"Dataset.{split}: expected a binary (0/1) matrix")
        object.__setattr__(self, "user_ids", _frozen_ids(self.user_ids, "user_ids", shape[0]))
        object.__setattr__(self, "item_ids", _frozen_ids(self.item_ids, "item_ids", shape[1]))
        for field, what in (("item_titles", "titles"), ("item_genres", "genre strings")):
            values = getattr(self, field)
            if values is None:
                continue
            if isinstance(values, str):
                raise WorkbenchError(f"Dataset.{field}: expected one string per item, got a single string")
            strings = tuple(str(value) for value in values)
            if len(strings) != shape[1]:
                raise WorkbenchError(f"Dataset.{field}: expected {shape[1]} {what}, got {len(strings)}")
            object.__setattr__(self, field, strings)

    @property
    def n_users(self) -> int:
        return int(self.train.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.train.shape[1])

    def matrix(self, split: str) -> sp.csr_matrix:
        """The matrix of `split`: "train", "validation" or "test"."""
        if split not in SPLIT_NAMES:
            raise WorkbenchError(f"split: expected one of {', '.join(SPLIT_NAMES)}, got {split!r}")
        return getattr(self, split)

    def context(self, split: str) -> sp.csr_matrix:
        """What a model sees (and what is masked from ranking) when `split` is scored.

        "validation" -> train; "test" -> train ∪ validation (binary, a new matrix). Shape
        (n_users, n_items), float32.
        """
        if split == "validation":
            return self.train
        if split == "test":
            return _binary_union(self.train, self.validation)
        raise WorkbenchError(f"split: expected 'validation' or 'test' for a context, got {split!r}")

    def statistics(self) -> DatasetStatistics:
        """Users, items, interactions and density of each split and of their binary union ("total")."""
        cells = float(self.n_users) * float(self.n_items)
        matrices = [(split, getattr(self, split)) for split in SPLIT_NAMES]
        matrices.append(("total", _binary_union(self.train, self.validation, self.test)))
        rows = tuple(
            SplitStatistics(
                split=split,
                users=int(np.count_nonzero(np.diff(matrix.indptr))),
                items=int(np.count_nonzero(np.bincount(matrix.indices, minlength=self.n_items))),
                interactions=int(matrix.nnz),
                density=matrix.nnz / cells if cells else 0.0,
            )
            for split, matrix in matrices
        )
        return DatasetStatistics(n_users=self.n_users, n_items=self.n_items, splits=rows)

    def __str__(self) -> str:
        stats = self.statistics()
        lines = [
            f"{self.name}: {self.n_users:,} users × {self.n_items:,} items ({self.split_origin})",
            f"{'split':<12}{'users':>10}{'items':>10}{'interactions':>15}{'density':>10}",
        ]
        for row in stats.splits:
            lines.append(
                f"{row.split:<12}{row.users:>10,}{row.items:>10,}{row.interactions:>15,}{row.density:>10.4%}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n_users={self.n_users}, n_items={self.n_items}, "
            f"nnz=({self.train.nnz}, {self.validation.nnz}, {self.test.nnz}), split_origin={self.split_origin!r})"
        )

    def with_item_titles(self, titles: dict[int, str] | dict[str, str]) -> Dataset:
        """A copy with `item_titles` looked up from {original item id: title} ("" when missing)."""
        looked_up = tuple(titles.get(item, "") for item in self.item_ids.tolist())
        return dataclasses.replace(self, item_titles=looked_up)

    def with_item_genres(self, genres: dict[int, str] | dict[str, str]) -> Dataset:
        """A copy with `item_genres` looked up from {original item id: "Genre1|Genre2"} ("" when missing)."""
        looked_up = tuple(genres.get(item, "") for item in self.item_ids.tolist())
        return dataclasses.replace(self, item_genres=looked_up)


def dataset_from_indexed(name: str, indexed: IndexedInteractions) -> Dataset:
    """The three binary CSR matrices of an `IndexedInteractions` (split codes 0 / 1 / 2)."""
    shape = (indexed.n_users, indexed.n_items)
    matrices = {
        split: binary_csr(indexed.user_index[indexed.split == code], indexed.item_index[indexed.split == code], shape)
        for split, code in zip(SPLIT_NAMES, (TRAIN, VALIDATION, TEST), strict=True)
    }
    return Dataset(
        name=name,
        user_ids=indexed.user_ids,
        item_ids=indexed.item_ids,
        source=indexed.source,
        split_origin=indexed.split_origin,
        **matrices,
    )


def build_dataset(name: str, interactions: Interactions, seed: int = 0, min_interactions: int = 3) -> Dataset:
    """A `Dataset` from the rows a reader returned.

    Without a split in `interactions`: the paper's protocol (`protocol.apply_protocol`: binary,
    users with < `min_interactions` distinct items dropped, dense re-indexing, seeded per-user
    80/10/10 split with >= 1 test item per user). With a split (paper / LightGCN files): kept as
    given, users and items re-indexed densely over all rows (`seed` and `min_interactions` unused).
    """
    return dataset_from_indexed(name, index_interactions(interactions, seed=seed, min_interactions=min_interactions))
