"""`TrainingSample`: the training rows a data-budget sampler kept, what made them, and how to store them.

Every sampler (Interaction RNS, User RNS, Head User, SVP-CF User, Distill-CF) returns one. A
downstream model trains on `TrainingSample.matrix` in place of the full training matrix.

On disk a sample is one ``.npz`` file (`TrainingSample.save`, `load_sample`) holding the CSR arrays
(``data``, ``indices``, ``indptr``, ``shape``), ``row_users`` and ``metadata``: a JSON string with
the sampler, budget, seed, parameters and fractions.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from workbench.errors import DataNotFoundError, WorkbenchError

#: Version of the on-disk layout written by `TrainingSample.save`.
FORMAT_VERSION = 1

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
    """

    matrix: sp.csr_matrix
    row_users: np.ndarray
    sampler: str
    budget: str
    seed: int
    parameters: dict[str, Any] = field(default_factory=dict)
    fraction_users: float = 0.0
    fraction_interactions: float = 0.0

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
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the sample to `path` (an .npz file, written exactly there; parents created).

        The file is written to a temporary name and renamed, so a reader never sees half a file.
        Returns the path.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez_compressed(
                    stream,
                    data=self.matrix.data.astype(np.float32, copy=False),
                    indices=self.matrix.indices.astype(np.int32, copy=False),
                    indptr=self.matrix.indptr.astype(np.int64, copy=False),
                    shape=np.asarray(self.matrix.shape, dtype=np.int64),
                    row_users=self.row_users,
                    metadata=np.asarray(json.dumps(self.metadata, sort_keys=True)),
                )
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
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


def load_sample(path: str | os.PathLike[str], expected_items: int | None = None) -> TrainingSample:
    """Read a sample written by `TrainingSample.save`.

    Raises `WorkbenchError` naming the file when it is missing or not a readable sample, and when
    its number of items differs from `expected_items` (the dataset it is meant for).
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
        if len(shape) != 2:
            raise WorkbenchError(f"shape {shape} is not 2-D")
        matrix = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        matrix.check_format(full_check=True)
        sample = TrainingSample(
            matrix=matrix,
            row_users=arrays["row_users"],
            sampler=str(metadata["sampler"]),
            budget=str(metadata["budget"]),
            seed=int(metadata["seed"]),
            parameters=dict(metadata.get("parameters", {})),
            fraction_users=float(metadata["fraction_users"]),
            fraction_interactions=float(metadata["fraction_interactions"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile, EOFError) as error:
        raise WorkbenchError(f"sample file {source}: not a readable training sample ({error})") from None
    if expected_items is not None and sample.n_items != int(expected_items):
        raise WorkbenchError(
            f"sample file {source}: has {sample.n_items} items, but the dataset has {int(expected_items)} items "
            "(expected_items); was it sampled from another dataset?"
        )
    return sample
