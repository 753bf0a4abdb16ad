"""`Interactions`: the rows a reader found in a file, before any filtering or re-indexing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.errors import WorkbenchError

#: Codes of `Interactions.split` (and of the authors' ``index.npz``): train, validation, test.
TRAIN, VALIDATION, TEST = 0, 1, 2
SPLIT_NAMES: tuple[str, str, str] = ("train", "validation", "test")


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view of `array` (the caller's own array keeps its flags)."""
    view = array.view()
    view.flags.writeable = False
    return view


def _as_ids(values: np.ndarray, field: str) -> np.ndarray:
    """Ids as int64 when they are integers, else as an object array (strings)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise WorkbenchError(f"Interactions.{field}: expected a 1-D array, got shape {array.shape}")
    if array.dtype.kind in "iub":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "O" or array.dtype.kind in "US":
        return array.astype(object, copy=False)
    raise WorkbenchError(f"Interactions.{field}: expected integer or string ids, got dtype {array.dtype}")


@dataclass(frozen=True, eq=False)
class Interactions:
    """One row per (user, item) event read from a file, in file order.

    Attributes:
        users: original user ids, shape (n,), int64, or object (str) when the format has string ids.
        items: original item ids, shape (n,), int64 or object (str), as `users`.
        ratings: shape (n,) float32, or None when the format carries none. The paper's protocol
            ignores the value: every rating is a positive.
        split: shape (n,) int8 with 0 = train, 1 = validation, 2 = test, or None when the file
            carries no split (then `workbench.data.protocol` draws the seeded one).
        source: the file(s) read, for messages and provenance.
        split_origin: how `split` was made (e.g. "paper split"); None when `split` is None.

    The arrays are stored as read-only views; `len(interactions)` is n.
    """

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray | None = None
    split: np.ndarray | None = None
    source: str = ""
    split_origin: str | None = None

    def __post_init__(self) -> None:
        users = _as_ids(self.users, "users")
        items = _as_ids(self.items, "items")
        n = users.shape[0]
        if items.shape[0] != n:
            raise WorkbenchError(f"Interactions from {self.source!r}: {n} users but {items.shape[0]} items")
        ratings = None
        if self.ratings is not None:
            ratings = np.asarray(self.ratings, dtype=np.float32)
            if ratings.shape != (n,):
                raise WorkbenchError(
                    f"Interactions from {self.source!r}: ratings have shape {ratings.shape}, expected ({n},)"
                )
        split = None
        if self.split is not None:
            split = np.asarray(self.split)
            if split.shape != (n,):
                raise WorkbenchError(
                    f"Interactions from {self.source!r}: split has shape {split.shape}, expected ({n},)"
                )
            bad = (split < TRAIN) | (split > TEST)
            if bad.any():
                raise WorkbenchError(
                    f"Interactions from {self.source!r}: split codes must be 0 (train), 1 (validation) "
                    f"or 2 (test), found {split[bad][0]!r}"
                )
            split = split.astype(np.int8, copy=False)
        object.__setattr__(self, "users", _read_only(users))
        object.__setattr__(self, "items", _read_only(items))
        object.__setattr__(self, "ratings", None if ratings is None else _read_only(ratings))
        object.__setattr__(self, "split", None if split is None else _read_only(split))
        if split is None:
            object.__setattr__(self, "split_origin", None)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def __repr__(self) -> str:
        split = "no split" if self.split is None else f"split: {self.split_origin or 'given'}"
        return f"Interactions({len(self):,} rows, {split}, source={self.source!r})"
