"""Checks of parameter values, shared by every module that takes them; each names the parameter.

A value out of range is refused where it enters (a WorkbenchError naming the parameter, what was
expected and what was given), never deep inside numpy with a raw ValueError or OverflowError.
"""

from __future__ import annotations

from collections.abc import Sequence

import math
import numbers

import numpy as np
import scipy.sparse as sp

from workbench.errors import WorkbenchError

#: The largest seed accepted: 2**32 - 1, the range every numpy generator (legacy ones included) takes.
MAX_SEED = 2**32 - 1


def check_seed(value: object, parameter: str = "seed") -> int:
    """`value` as a Python int in [0, MAX_SEED]; WorkbenchError naming `parameter` otherwise.

    Integers of any kind are accepted (numpy's included); bools, floats, strings and None are not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= MAX_SEED:
        raise WorkbenchError(f"{parameter}: expected an integer from 0 to {MAX_SEED}, got {value!r}")
    return int(value)


def check_positive_int(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int ≥ ``minimum``; WorkbenchError naming ``name`` otherwise (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise WorkbenchError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive_float(name: str, value: object, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (≥ 0 with ``allow_zero``); WorkbenchError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise WorkbenchError(f"{name}: expected a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise WorkbenchError(f"{name}: expected a number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return float(value)


def check_lambdas(lambdas: tuple[float, ...], parameter: str = "lambdas") -> tuple[float, ...]:
    """A λ grid as floats; refuses an empty grid or a λ that is not a finite number > 0."""
    if len(lambdas) == 0:
        raise WorkbenchError(f"{parameter}: the λ grid is empty; give at least one λ > 0")
    for value in lambdas:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
            raise WorkbenchError(f"{parameter}: every λ must be a finite number > 0, got {value!r}")
    return tuple(float(value) for value in lambdas)


def check_ranks(ranks: Sequence[int], parameter: str = "ranks") -> tuple[int, ...]:
    """A rank grid as ints; refuses an empty grid or a rank that is not an integer ≥ 1."""
    ranks = tuple(ranks)
    if len(ranks) == 0:
        raise WorkbenchError(f"{parameter}: the rank grid is empty; give at least one rank ≥ 1", parameter=parameter)
    for value in ranks:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise WorkbenchError(f"{parameter}: every rank must be an integer ≥ 1, got {value!r}", parameter=parameter)
    return tuple(int(value) for value in ranks)


def check_alphas(alphas: Sequence[float], parameter: str = "alphas") -> tuple[float, ...]:
    """An α grid as floats; refuses an empty grid or an α that is not a finite number ≥ 0."""
    alphas = tuple(alphas)
    if len(alphas) == 0:
        raise WorkbenchError(f"{parameter}: the α grid is empty; give at least one α ≥ 0", parameter=parameter)
    for value in alphas:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise WorkbenchError(f"{parameter}: every α must be a finite number ≥ 0, got {value!r}", parameter=parameter)
    return tuple(float(value) for value in alphas)


def check_choice(parameter: str, value: object, choices: Sequence[str]) -> str:
    """``value`` when it is one of the strings ``choices``; WorkbenchError naming ``parameter`` and the choices otherwise."""
    if not isinstance(value, str) or value not in choices:
        raise WorkbenchError(f"{parameter} must be one of {', '.join(choices)}, got {value!r}")
    return value


def check_dtype(dtype: str) -> None:
    """Refuses a dtype other than "float32" or "float64" (the models' ``dtype`` option)."""
    if dtype not in ("float32", "float64"):
        raise WorkbenchError(f"dtype must be 'float32' or 'float64', got {dtype!r}")


def check_user_item_matrix(
    matrix: object, parameter: str, *, dtype: type | None = None, copy: bool = False, non_negative: bool = False,
    non_empty: bool = False,
) -> sp.csr_matrix:
    """``matrix`` as a canonical 2-D CSR user × item matrix (sorted indices, duplicates summed, no stored zeros).

    Refuses (WorkbenchError naming ``parameter``) what is not a scipy.sparse 2-D matrix, has a
    non-finite entry, a negative one (``non_negative``) or no entry at all (``non_empty``). Copies when
    ``copy`` or when a conversion is needed; never changes the caller's arrays.
    """
    if not sp.issparse(matrix):
        raise WorkbenchError(f"{parameter}: expected a scipy.sparse user × item matrix, got {type(matrix).__name__}")
    if matrix.ndim != 2:
        raise WorkbenchError(f"{parameter}: expected a 2-D user × item matrix, got shape {matrix.shape}")
    csr = sp.csr_matrix(matrix, dtype=dtype, copy=copy)
    if not csr.has_canonical_format or (csr.nnz and not np.all(csr.data)):
        if not copy:  # a conversion may share the caller's arrays: never change them in place
            csr = csr.copy()
        csr.sum_duplicates()
        csr.eliminate_zeros()
    if non_empty and (csr.shape[0] == 0 or csr.shape[1] == 0 or csr.nnz == 0):
        raise WorkbenchError(f"{parameter}: expected a non-empty user × item matrix, got shape {csr.shape}, {csr.nnz} interactions")
    if csr.nnz and not np.all(np.isfinite(csr.data)):
        raise WorkbenchError(f"{parameter}: expected finite values, found NaN or infinity")
    if non_negative and csr.nnz and (csr.data < 0).any():
        raise WorkbenchError(f"{parameter}: expected non-negative interaction values")
    return csr
