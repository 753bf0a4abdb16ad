"""`TrainingSample`: the training rows a data-budget sampler kept, what made them, and how to store them.

Every sampler (Interaction RNS, User RNS, Head User, SVP-CF User, Distill-CF) returns one. A
downstream model trains on `TrainingSample.matrix` in place of the full training matrix.

On disk a sample is one ``.npz`` file (`TrainingSample.save`, `load_sample`) holding the CSR arrays
(``data``, ``indices``, ``indptr``, ``shape``), ``row_users`` and ``metadata``: a JSON string with
the sampler, budget, seed, parameters, fractions and the dataset the sample was made on (its
fingerprint, :mod:`workbench.provenance`). :func:`load_sample` with ``dataset=`` refuses a sample made on
another dataset or split (it would hold test interactions of this one), and a file from before samples
recorded their dataset (format 1): such a file cannot be checked, and is cheap to re-make.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from workbench.atomic import atomic_write
from workbench.errors import DataNotFoundError, WorkbenchError
from workbench.provenance import DatasetFingerprint, check_same_data, dataset_fingerprint

#: Version of the on-disk layout written by `TrainingSample.save` (2: metadata names the dataset).
FORMAT_VERSION = 2

_ARRAYS = ("data", "indices", "indptr", "shape", "row_users", "metadata")


@dataclass(frozen=True, eq=False)
class TrainingSample:
    """The rows of a data-budget sample.

    Attributes:
        matrix: CSR, shape (rows, n_items), float32. Real rows are the kept (possibly thinned)
            training rows of real users, binary; synthetic rows (Distill-CF) are continuous in
            [0, 1]. A dense array is accepted and stored as CSR (values kept, as float32).
        row_users: (rows,) int64: the dataset user (row of the training matrix) each row belongs
            to, or -1 for a synthetic row.
        sampler: the sampler's registry name, e.g. "user-rns".
        budget: the budget's label, e.g. "2%" or "500 users".
        seed: the seed the sampler ran with.
        parameters: JSON-serialisable description of everything else that made the sample
            (options with their defaults, derived counts, diagnostics).
        fraction_users: rows / users of the dataset (every row is a real user, or a synthetic one).
        fraction_interactions: the sample's interaction mass (the sum of its entries) / the number of
            training interactions (nnz of the full training matrix). For binary rows the mass is
            their nnz; for a continuous summary it is its total weight, not its count of non-zero
            entries (a summary is dense, and counting them gave 283 % at 10 % of ML-1M's users).
        provenance: the dataset and split the sample was made on (`for_dataset` sets it), or None
            for a sample of a bare matrix; `load_sample(path, dataset=...)` requires it.
    """

    matrix: sp.csr_matrix
    row_users: np.ndarray
    sampler: str
    budget: str
    seed: int
    parameters: dict[str, Any] = field(default_factory=dict)
    fraction_users: float = 0.0
    fraction_interactions: float = 0.0
    provenance: DatasetFingerprint | None = None

    def __post_init__(self) -> None:
        matrix = self.matrix
        if isinstance(matrix, np.ndarray):
            if matrix.ndim != 2:
                raise WorkbenchError(f"TrainingSample.matrix: expected a 2-D matrix, got shape {matrix.shape}")
            matrix = sp.csr_matrix(matrix.astype(np.float32, copy=False))
        elif sp.issparse(matrix):
            matrix = sp.csr_matrix(matrix, dtype=np.float32, copy=True)  # the sample owns its arrays
        else:
            raise WorkbenchError(
                f"TrainingSample.matrix: expected a scipy.sparse matrix or a numpy array, got {type(matrix).__name__}"
            )
        if matrix.nnz and not np.all(np.isfinite(matrix.data)):
            raise WorkbenchError("TrainingSample.matrix: expected finite values")
        matrix.sort_indices()
        object.__setattr__(self, "matrix", matrix)
        row_users = np.asarray(self.row_users)
        if row_users.ndim != 1 or row_users.shape[0] != matrix.shape[0]:
            raise WorkbenchError(
                f"TrainingSample.row_users: expected shape ({matrix.shape[0]},), one user per row, "
                f"got {row_users.shape}"
            )
        if row_users.size and not np.issubdtype(row_users.dtype, np.integer):
            raise WorkbenchError(f"TrainingSample.row_users: expected integers, got {row_users.dtype}")
        if row_users.size and row_users.min() < -1:
            raise WorkbenchError("TrainingSample.row_users: expected user rows >= 0, or -1 for synthetic rows")
        row_users = row_users.astype(np.int64, copy=True)
        row_users.flags.writeable = False
        object.__setattr__(self, "row_users", row_users)
        if self.provenance is not None:
            if not isinstance(self.provenance, DatasetFingerprint):
                raise WorkbenchError(
                    f"TrainingSample.provenance: expected a DatasetFingerprint, got {type(self.provenance).__name__}"
                )
            if matrix.shape[1] != self.provenance.n_items:
                raise WorkbenchError(
                    f"TrainingSample.matrix: {matrix.shape[1]} items, but {self.provenance.name} has "
                    f"{self.provenance.n_items} items"
                )
            if row_users.size and row_users.max() >= self.provenance.n_users:
                raise WorkbenchError(
                    f"TrainingSample.row_users: user {int(row_users.max())} is beyond the "
                    f"{self.provenance.n_users:,} users of {self.provenance.name} (expected -1 or 0..{self.provenance.n_users - 1})"
                )
        try:
            parameters = json.loads(json.dumps(dict(self.parameters), allow_nan=False))
        except (TypeError, ValueError) as error:
            raise WorkbenchError(f"TrainingSample.parameters: expected JSON-serialisable values ({error})") from None
        object.__setattr__(self, "parameters", parameters)
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "fraction_users", float(self.fraction_users))
        object.__setattr__(self, "fraction_interactions", float(self.fraction_interactions))

    @property
    def n_rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def nnz(self) -> int:
        return int(self.matrix.nnz)

    @property
    def metadata(self) -> dict[str, Any]:
        """Everything but the arrays, as stored in the file (JSON-serialisable)."""
        return {
            "format_version": FORMAT_VERSION,
            "sampler": self.sampler,
            "budget": self.budget,
            "seed": self.seed,
            "parameters": self.parameters,
            "fraction_users": self.fraction_users,
            "fraction_interactions": self.fraction_interactions,
            "rows": self.n_rows,
            "n_items": self.n_items,
            "nnz": self.nnz,
            "dataset": self.provenance.as_dict() if self.provenance is not None else None,
        }

    def for_dataset(self, dataset: Any) -> TrainingSample:
        """This sample marked as made on ``dataset`` (a `workbench.data.Dataset`): a copy with `provenance`.

        Refused (WorkbenchError) when its items or users do not fit the dataset.
        """
        return dataclasses.replace(self, provenance=dataset_fingerprint(dataset))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the sample to `path` (an .npz file, written exactly there; parents created).

        Written atomically (`workbench.atomic.atomic_write`): a reader never sees half a file, and a
        failed write leaves the previous file as it was. Returns the path.
        """
        target = Path(path)
        with atomic_write(target) as stream:
            np.savez_compressed(
                stream,
                data=self.matrix.data.astype(np.float32, copy=False),
                indices=self.matrix.indices.astype(np.int32, copy=False),
                indptr=self.matrix.indptr.astype(np.int64, copy=False),
                shape=np.asarray(self.matrix.shape, dtype=np.int64),
                row_users=self.row_users,
                metadata=np.asarray(json.dumps(self.metadata, sort_keys=True)),
            )
        return target

    def __repr__(self) -> str:
        return (
            f"TrainingSample(sampler={self.sampler!r}, budget={self.budget!r}, seed={self.seed}, "
            f"rows={self.n_rows}, n_items={self.n_items}, nnz={self.nnz}, "
            f"fraction_users={self.fraction_users:.4g}, fraction_interactions={self.fraction_interactions:.4g})"
        )


def build_sample(
    matrix: sp.csr_matrix | np.ndarray,
    row_users: np.ndarray,
    *,
    train: sp.csr_matrix,
    sampler: str,
    budget: str,
    seed: int,
    parameters: dict[str, Any] | None = None,
) -> TrainingSample:
    """A `TrainingSample` with empty rows dropped and both fractions computed against `train`.

    Args:
        matrix: (rows, n_items) CSR or dense, the candidate rows (empty ones are dropped).
        row_users: (rows,) int, the user of each row (-1 for synthetic rows).
        train: (n_users, n_items) the full training matrix the sample was drawn from / made for.

    fraction_users = kept rows / n_users; fraction_interactions = sum of the kept entries / train.nnz
    (the kept nnz for binary rows, the total weight for continuous ones).
    """
    if isinstance(matrix, np.ndarray):
        matrix = sp.csr_matrix(np.asarray(matrix, dtype=np.float32))
    matrix = sp.csr_matrix(matrix, dtype=np.float32, copy=True)  # never change the caller's arrays
    matrix.eliminate_zeros()
    if matrix.shape[1] != train.shape[1]:
        raise WorkbenchError(f"sample: {matrix.shape[1]} items, but the training matrix has {train.shape[1]} items")
    row_users = np.asarray(row_users, dtype=np.int64)
    keep = np.diff(matrix.indptr) > 0
    if not keep.all():
        matrix = matrix[keep]
        row_users = row_users[keep]
    n_users = max(1, int(train.shape[0]))
    return TrainingSample(
        matrix=matrix,
        row_users=row_users,
        sampler=sampler,
        budget=budget,
        seed=seed,
        parameters=dict(parameters or {}),
        fraction_users=matrix.shape[0] / n_users,
        fraction_interactions=float(matrix.sum(dtype=np.float64)) / train.nnz if train.nnz else 0.0,
    )


def _checked_row_users(row_users: np.ndarray, source: Path, n_users: int | None, whose: str) -> np.ndarray:
    """``row_users`` of a file: integers, -1 or a user of the dataset; else an error naming file and field."""
    if row_users.ndim != 1:
        raise WorkbenchError(f"sample file {source}: row_users has shape {row_users.shape}, expected one user per row")
    if not row_users.size:
        return row_users
    if not np.issubdtype(row_users.dtype, np.integer):
        raise WorkbenchError(f"sample file {source}: row_users holds {row_users.dtype} values, expected integers")
    low, high = int(row_users.min()), int(row_users.max())
    if low < -1:
        raise WorkbenchError(
            f"sample file {source}: row_users holds {low}, expected -1 (a synthetic row) or a user index ≥ 0"
        )
    if n_users is not None and high >= n_users:
        raise WorkbenchError(
            f"sample file {source}: row_users holds {high}, beyond the {n_users:,} users of {whose} "
            f"(expected -1 or 0..{n_users - 1})"
        )
    return row_users


def load_sample(
    path: str | os.PathLike[str], expected_items: int | None = None, *, dataset: Any = None
) -> TrainingSample:
    """Read a sample written by `TrainingSample.save`.

    With ``dataset`` (a `workbench.data.Dataset`, the one the sample is to be used with) the sample
    must have been made on it: same interactions, same split (`workbench.provenance`). A sample made
    on another dataset or split, or one that does not record its dataset (written before samples did,
    or by `save` on a sample never given one with `for_dataset`), is refused: it may hold test
    interactions, and nothing in it can say otherwise.

    Raises `WorkbenchError` naming the file when it is missing or not a readable sample, when a field
    is out of range (``row_users`` beyond the dataset's users, or below -1), when its number of items
    differs from `expected_items`, or when it was made on another dataset or split.
    """
    source = Path(path)
    if not source.is_file():
        raise DataNotFoundError(f"sample file {source}: not found (expected an .npz written by a sampler)")
    try:
        with np.load(source, allow_pickle=False) as archive:
            missing = [name for name in _ARRAYS if name not in archive.files]
            if missing:
                raise WorkbenchError(f"missing arrays {', '.join(missing)}")
            arrays = {name: archive[name] for name in _ARRAYS}
        metadata = json.loads(str(arrays["metadata"][()]))
        if not isinstance(metadata, dict):
            raise WorkbenchError("metadata is not a JSON object")
        shape = tuple(int(size) for size in arrays["shape"].tolist())
        if len(shape) != 2 or min(shape) < 0:
            raise WorkbenchError(f"shape {shape} is not a 2-D shape")
    except (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile, EOFError) as error:
        raise WorkbenchError(f"sample file {source}: not a readable training sample ({error})") from None
    recorded = metadata.get("dataset")
    provenance = DatasetFingerprint.from_dict(recorded, f"sample file {source}") if recorded is not None else None
    if provenance is not None and provenance.n_items != shape[1]:
        raise WorkbenchError(
            f"sample file {source}: has {shape[1]} items, but records {provenance.name}'s {provenance.n_items} items"
        )
    if expected_items is None and dataset is not None:
        expected_items = dataset.n_items
    if expected_items is not None and shape[1] != int(expected_items):
        raise WorkbenchError(
            f"sample file {source}: has {shape[1]} items, but the dataset has {int(expected_items)} items "
            "(expected_items); was it sampled from another dataset?"
        )
    if dataset is not None:
        if provenance is None:
            version = metadata.get("format_version")
            raise WorkbenchError(
                f"sample file {source}: does not record the dataset and split it was made on "
                f"(format {version}{', written before samples recorded them' if version == 1 else ''}), so it "
                f"cannot be checked against {dataset_fingerprint(dataset).describe()}; re-make it with "
                "`workbench sample` or `workbench distill` on this dataset (in Python: "
                "`make_training_sample(dataset, ...)`, or `sample.for_dataset(dataset)` before `save`)"
            )
        check_same_data(provenance, dataset, f"sample file {source}")
    if dataset is not None:
        whose, n_users = dataset.name, int(dataset.n_users)
    elif provenance is not None:
        whose, n_users = provenance.name, provenance.n_users
    else:
        whose, n_users = "", None
    row_users = _checked_row_users(arrays["row_users"], source, n_users, whose)
    try:
        matrix = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        matrix.check_format(full_check=True)
        return TrainingSample(
            matrix=matrix,
            row_users=row_users,
            sampler=str(metadata["sampler"]),
            budget=str(metadata["budget"]),
            seed=int(metadata["seed"]),
            parameters=dict(metadata.get("parameters", {})),
            fraction_users=float(metadata["fraction_users"]),
            fraction_interactions=float(metadata["fraction_interactions"]),
            provenance=provenance,
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, OverflowError) as error:
        raise WorkbenchError(f"sample file {source}: not a readable training sample ({error})") from None
