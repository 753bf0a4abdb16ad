"""Private helpers shared by the metric modules: parameter checks and CSR row arithmetic.

Every check raises :class:`~workbench.errors.WorkbenchError` with a message that names the parameter
and says what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from workbench.errors import WorkbenchError
from workbench.validation import check_user_item_matrix

__all__ = [
    "check_k",
    "check_ks",
    "as_csr",
    "as_scores",
    "csr_row_ids",
    "take_rows",
    "check_n_positives",
]


def check_k(k: object, name: str = "k") -> int:
    """Return ``k`` as an ``int`` if it is a positive integer, else raise ``WorkbenchError``."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise WorkbenchError(f"{name} must be a positive integer, got {k!r} ({type(k).__name__})")
    if int(k) <= 0:
        raise WorkbenchError(f"{name} must be a positive integer (k ≥ 1), got {int(k)}")
    return int(k)


def check_ks(ks: Sequence[int] | int) -> tuple[int, ...]:
    """Validate cut-offs: a non-empty collection of positive integers; sorted, duplicates dropped."""
    if isinstance(ks, numbers.Integral) and not isinstance(ks, bool):
        ks = (int(ks),)
    try:
        values = list(ks)  # type: ignore[arg-type]
    except TypeError:
        raise WorkbenchError(f"ks must be a sequence of positive integers k, got {ks!r}") from None
    if not values:
        raise WorkbenchError("ks must hold at least one cut-off k, got an empty sequence")
    return tuple(sorted({check_k(k) for k in values}))


def as_csr(matrix: object, name: str) -> sp.csr_matrix:
    """``matrix`` as a canonical CSR matrix (sorted indices, no duplicates, no stored zeros).

    Copies only when the input is not already canonical. Every stored entry then means "present".
    """
    return check_user_item_matrix(matrix, name)


def as_scores(scores: object, name: str = "scores") -> NDArray[np.floating]:
    """``scores`` as a 2-D floating array (no copy for float32/float64 input)."""
    array = np.asarray(scores)
    if array.ndim != 2:
        raise WorkbenchError(f"{name} must be a 2-D array (users × items), got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        if not (np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_):
            raise WorkbenchError(f"{name} must hold real numbers, got dtype {array.dtype}")
        array = array.astype(np.float64)
    return array


def check_n_positives(n_positives: object, n_rows: int, name: str = "n_positives") -> NDArray[np.int64]:
    """Positive counts per user as int64 (b,), checked against the number of rows ``n_rows``."""
    counts = np.asarray(n_positives)
    if counts.shape != (n_rows,):
        raise WorkbenchError(
            f"{name} must have shape ({n_rows},) to match hits with {n_rows} rows, got {counts.shape}"
        )
    if counts.size and (not np.issubdtype(counts.dtype, np.integer) or counts.min() < 0):
        raise WorkbenchError(f"{name} must hold non-negative integer counts, got dtype {counts.dtype}")
    return counts.astype(np.int64, copy=False)


def csr_row_ids(indptr: NDArray[np.integer]) -> NDArray[np.int64]:
    """The row of every stored entry, int64 (nnz,): ``np.repeat(arange(n_rows), diff(indptr))``."""
    n_rows = len(indptr) - 1
    return np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(indptr))


def take_rows(
    indptr: NDArray[np.integer], indices: NDArray[np.integer], rows: NDArray[np.integer]
) -> tuple[NDArray[np.int64], NDArray[np.integer]]:
    """Gather CSR rows ``rows`` (any order) without a Python loop.

    Returns the new ``indptr`` (int64, ``len(rows) + 1``) and ``indices`` (same dtype as ``indices``).
    """
    rows = np.asarray(rows, dtype=np.int64)
    starts = indptr[rows].astype(np.int64)
    counts = indptr[rows + 1].astype(np.int64) - starts
    new_indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_indptr[1:])
    positions = np.repeat(starts - new_indptr[:-1], counts) + np.arange(new_indptr[-1], dtype=np.int64)
    return new_indptr, indices[positions]
