"""Which dataset and split an artefact was made on: a fingerprint, stored with every result.

A :class:`DatasetFingerprint` holds a dataset's name, its split origin (which names the seed of a
seeded split, e.g. "seeded 80/10/10 split, seed 0"), its shape and ``digest``: 16 hex digits of a
SHA-256 over the shape and the train, validation and test matrices (their ``indptr`` and
``indices``; entries are all 1). Two datasets with the same digest hold the same interactions in the
same split, so results made on one are valid on the other; a different digest means another dataset
or another split, and using the artefact would mix them (a sample drawn from another split holds
test interactions of this one).

Samples and Distill-CF summaries (``workbench.samplers.sample``), budget-curve rows
(``workbench.budget.runs``), ``evaluate``/``reproduce`` JSON, recorded notebook results and the
data-budget report carry it; :func:`check_same_data` refuses a mismatch, naming both.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError

_SPLITS = ("train", "validation", "test")
_CACHE: weakref.WeakKeyDictionary[Any, DatasetFingerprint] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class DatasetFingerprint:
    """A dataset's name, split origin, shape and the digest of its three split matrices."""

    name: str
    split_origin: str
    n_users: int
    n_items: int
    digest: str

    def describe(self) -> str:
        """E.g. ``ml-100k (seeded 80/10/10 split, seed 0; fingerprint 3fa8c2d1e0b94f7a)``."""
        return f"{self.name} ({self.split_origin}; fingerprint {self.digest})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable: {"name", "split_origin", "n_users", "n_items", "fingerprint"}."""
        return {
            "name": self.name, "split_origin": self.split_origin, "n_users": self.n_users, "n_items": self.n_items,
            "fingerprint": self.digest,
        }

    @classmethod
    def from_dict(cls, value: Any, where: str) -> DatasetFingerprint:
        """The inverse of :meth:`as_dict`; a WorkbenchError naming ``where`` when it is not one."""
        try:
            if not isinstance(value, Mapping):
                raise TypeError(f"expected a mapping, got {type(value).__name__}")
            digest = str(value["fingerprint"])
            if len(digest) != 16 or any(char not in "0123456789abcdef" for char in digest):
                raise ValueError(f"fingerprint {digest!r} is not 16 hex digits")
            n_users, n_items = value["n_users"], value["n_items"]
            for field, number in (("n_users", n_users), ("n_items", n_items)):
                if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                    raise ValueError(f"{field} {number!r} is not a count")
            return cls(str(value["name"]), str(value["split_origin"]), n_users, n_items, digest)
        except (KeyError, TypeError, ValueError) as error:
            raise WorkbenchError(f"{where}: the recorded dataset is not readable ({error})") from None


def _digest(dataset: Any) -> str:
    hasher = hashlib.sha256(b"workbench dataset fingerprint v1\0")
    hasher.update(np.asarray(dataset.train.shape, dtype="<i8").tobytes())
    for split in _SPLITS:
        matrix = getattr(dataset, split)
        if not matrix.has_sorted_indices:  # a Dataset's matrices are sorted; a copy keeps this one unchanged
            matrix = matrix.sorted_indices()
        hasher.update(split.encode("ascii") + b"\0")
        hasher.update(np.ascontiguousarray(matrix.indptr, dtype="<i8").tobytes())
        hasher.update(np.ascontiguousarray(matrix.indices, dtype="<i4").tobytes())
    return hasher.hexdigest()[:16]


def dataset_fingerprint(dataset: Any) -> DatasetFingerprint:
    """The fingerprint of a ``workbench.data.Dataset`` (computed once per dataset object, then cached).

    About 10 ms per million interactions. A Dataset's matrices are to be treated as immutable; one
    changed in place after its fingerprint was taken keeps the old fingerprint.
    """
    try:
        return _CACHE[dataset]
    except (KeyError, TypeError):
        pass
    fingerprint = DatasetFingerprint(
        name=str(dataset.name), split_origin=str(dataset.split_origin), n_users=int(dataset.n_users),
        n_items=int(dataset.n_items), digest=_digest(dataset),
    )
    try:
        _CACHE[dataset] = fingerprint
    except TypeError:  # not weak-referenceable: computed again next time
        pass
    return fingerprint


def check_same_data(recorded: DatasetFingerprint, dataset: Any, what: str) -> None:
    """Refuse to use ``what`` (e.g. "sample file s.npz"), made on ``recorded``, with ``dataset``.

    The digests are compared: the same interactions in the same split are accepted whatever the
    name; anything else is refused, naming both datasets, splits and fingerprints.
    """
    current = dataset_fingerprint(dataset)
    if recorded.digest != current.digest:
        raise WorkbenchError(
            f"{what} was made on {recorded.describe()}, but the dataset here is {current.describe()}: "
            "another dataset or another split, whose test interactions it may hold; use the same dataset "
            "and --seed as when it was made, or re-make it on this one"
        )


__all__ = ["DatasetFingerprint", "check_same_data", "dataset_fingerprint"]
