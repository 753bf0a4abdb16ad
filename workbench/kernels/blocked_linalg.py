"""In-place blocked Cholesky factorisation and inverse of a large symmetric positive-definite matrix.

Why not LAPACK's own ``potrf``/``potri`` on the whole matrix: OpenBLAS's multi-threaded Cholesky
has been seen to segfault for n ≳ 16,000 on some CPUs here (not on others), and one BLAS thread is
about twice as slow. These routines follow LAPACK's blocked algorithms (``spotrf``, ``strtri``,
``slauum``) but call LAPACK itself only on diagonal blocks of at most ``block`` rows, under one
BLAS thread; every large piece of work is an ordinary BLAS-3 call (``gemm``, ``trsm``, ``trmm``)
that OpenBLAS runs on all its threads. Not ``syrk``: OpenBLAS's threaded ``syrk`` (which its own
``potrf`` calls) segfaulted here on a 28,834 × 28,834 update, so ``gemm`` does that work. So both cores are used, and the code path that
crashed is never entered, whatever the machine.

Everything works in place on one n × n buffer, so the kernel, its factor and its inverse share
the memory of one matrix (3.3 GiB at n = 29,858 in float32). The buffer is a C-ordered NumPy
array; BLAS sees the same memory as a column-major matrix with leading dimension n, which for a
symmetric matrix is the same matrix. The BLAS/LAPACK entry points are SciPy's
(``scipy.linalg.cython_blas`` / ``cython_lapack``), reached through their exported C pointers, so
that sub-blocks are addressed by pointer and leading dimension with no copies.

Cost: the factorisation is n³/3 flops, the inverse from the factor 2n³/3 more (n³ in all), the same
as LAPACK's.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np
import scipy.linalg.cython_blas as _cython_blas
import scipy.linalg.cython_lapack as _cython_lapack
from threadpoolctl import threadpool_limits

from workbench.errors import WorkbenchError

#: Rows of the diagonal blocks handed to LAPACK (far below the sizes where OpenBLAS crashed).
DEFAULT_BLOCK = 1024

_PYCAPSULE_NAME = ctypes.pythonapi.PyCapsule_GetName
_PYCAPSULE_NAME.restype = ctypes.c_char_p
_PYCAPSULE_NAME.argtypes = [ctypes.py_object]
_PYCAPSULE_POINTER = ctypes.pythonapi.PyCapsule_GetPointer
_PYCAPSULE_POINTER.restype = ctypes.c_void_p
_PYCAPSULE_POINTER.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _routine(module: object, name: str) -> Callable[..., None]:
    """A Fortran BLAS/LAPACK routine from SciPy's Cython tables, as a ctypes function (all arguments by pointer).

    ctypes releases the GIL during the call; the routine runs on OpenBLAS's own threads.
    """
    capsule = module.__pyx_capi__[name]  # type: ignore[attr-defined]
    address = _PYCAPSULE_POINTER(capsule, _PYCAPSULE_NAME(capsule))
    return ctypes.CFUNCTYPE(None)(address)


class _Blas:
    """The routines of one precision ("s": float32, "d": float64), called with Fortran conventions."""

    def __init__(self, prefix: str) -> None:
        self.gemm = _routine(_cython_blas, prefix + "gemm")
        self.trsm = _routine(_cython_blas, prefix + "trsm")
        self.trmm = _routine(_cython_blas, prefix + "trmm")
        self.potrf = _routine(_cython_lapack, prefix + "potrf")
        self.trtri = _routine(_cython_lapack, prefix + "trtri")
        self.lauum = _routine(_cython_lapack, prefix + "lauum")
        self.scalar = ctypes.c_float if prefix == "s" else ctypes.c_double


_BLAS: dict[np.dtype, _Blas] = {}


def _blas(dtype: np.dtype) -> _Blas:
    if dtype not in _BLAS:
        _BLAS[dtype] = _Blas("s" if dtype == np.float32 else "d")
    return _BLAS[dtype]


class _Matrix:
    """Addresses of the sub-blocks of a square buffer seen as a column-major matrix F (F[i, j] = buffer[j, i])."""

    def __init__(self, buffer: np.ndarray) -> None:
        if buffer.ndim != 2 or buffer.shape[0] != buffer.shape[1]:
            raise WorkbenchError(f"expected a square matrix, got shape {buffer.shape}")
        if buffer.dtype not in (np.float32, np.float64):
            raise WorkbenchError(f"expected float32 or float64, got {buffer.dtype}")
        if not buffer.flags.c_contiguous or not buffer.flags.writeable:
            raise WorkbenchError("the matrix must be a writeable, C-ordered array (it is overwritten in place)")
        self.buffer = buffer
        self.n = buffer.shape[0]
        self.itemsize = buffer.dtype.itemsize
        self.base = buffer.ctypes.data
        self.lda = ctypes.c_int(self.n)
        self.blas = _blas(buffer.dtype)

    def at(self, i: int, j: int) -> ctypes.c_void_p:
        """Pointer to F[i, j]."""
        return ctypes.c_void_p(self.base + (i + j * self.n) * self.itemsize)


def _char(value: bytes) -> ctypes.c_char_p:
    return ctypes.c_char_p(value)


def _int(value: int) -> ctypes.c_int:
    return ctypes.c_int(value)


def _ref(value: ctypes._SimpleCData) -> ctypes._CArgObject:  # type: ignore[name-defined]
    return ctypes.byref(value)


def _small_lapack(routine: Callable[..., None], matrix: _Matrix, start: int, size: int, *flags: bytes) -> int:
    """Run a LAPACK routine on the diagonal block F[start:start+size, start:start+size] under one thread."""
    info = ctypes.c_int(0)
    with threadpool_limits(limits=1, user_api="blas"):
        routine(*(_char(flag) for flag in flags), _ref(_int(size)), matrix.at(start, start), _ref(matrix.lda), _ref(info))
    return info.value


def _check_block(block: int) -> int:
    if not isinstance(block, int) or block < 1:
        raise WorkbenchError(f"block must be a positive integer, got {block!r}")
    return block


def cholesky_in_place(buffer: np.ndarray, shift: float = 0.0, *, block: int = DEFAULT_BLOCK) -> None:
    """Overwrite the symmetric positive-definite ``buffer + shift·I`` with its Cholesky factor.

    Args:
        buffer: (n, n) float32 or float64, C-ordered, symmetric; only its upper triangle (in NumPy's
            row-major view) is read. On return the upper triangle holds Lᵀ, i.e. ``buffer.T``'s
            lower triangle is L with L·Lᵀ = buffer + shift·I; the other triangle is left as it was.
        shift: added to the diagonal first (λ̃ of a ridge regression).
        block: rows of the diagonal blocks factored by LAPACK.

    Raises:
        numpy.linalg.LinAlgError: when the matrix is not numerically positive definite (the buffer
            then holds a partial factor).

    Left-looking blocked algorithm, one block column at a time: update the block column with the
    columns already factored (one ``gemm``), factor its diagonal block (LAPACK, one thread), solve
    the panel below it (``trsm``). (OpenBLAS's threaded ``syrk``, which a right-looking update would
    use, segfaulted here on a 28,834-row update: ``gemm`` is used instead.)
    """
    matrix = _Matrix(buffer)
    block = _check_block(block)
    n, blas = matrix.n, matrix.blas
    if shift:
        buffer[np.diag_indices(n)] += buffer.dtype.type(shift)
    one, minus_one = blas.scalar(1.0), blas.scalar(-1.0)
    lda = _ref(matrix.lda)
    for start in range(0, n, block):
        size = min(block, n - start)
        rows = n - start
        if start > 0:
            # F[start:, start:start+size] −= F[start:, :start] · F[start:start+size, :start]ᵀ
            # (this also writes the upper part of the diagonal block, which is never read)
            blas.gemm(
                _char(b"N"), _char(b"T"), _ref(_int(rows)), _ref(_int(size)), _ref(_int(start)), _ref(minus_one),
                matrix.at(start, 0), lda, matrix.at(start, 0), lda, _ref(one), matrix.at(start, start), lda,
            )
        info = _small_lapack(blas.potrf, matrix, start, size, b"L")
        if info != 0:
            raise np.linalg.LinAlgError(
                f"Cholesky factorisation failed at row {start + info} of {n}: the matrix is not positive definite"
            )
        below = rows - size
        if below > 0:
            # F[below, block] := F[below, block] · L_kk⁻ᵀ
            blas.trsm(
                _char(b"R"), _char(b"L"), _char(b"T"), _char(b"N"), _ref(_int(below)), _ref(_int(size)), _ref(one),
                matrix.at(start, start), lda, matrix.at(start + size, start), lda,
            )
    if not np.isfinite(np.diagonal(buffer)).all():
        raise np.linalg.LinAlgError("Cholesky factorisation produced non-finite values: the matrix is not positive definite")


def inverse_from_cholesky_in_place(buffer: np.ndarray, *, block: int = DEFAULT_BLOCK) -> None:
    """Overwrite the factor left by :func:`cholesky_in_place` with the full symmetric inverse (L·Lᵀ)⁻¹.

    Args:
        buffer: (n, n), as returned by :func:`cholesky_in_place`. On return it holds the whole
            symmetric inverse (both triangles).
        block: rows of the diagonal blocks handed to LAPACK.

    Raises:
        numpy.linalg.LinAlgError: when the factor has a zero on its diagonal.

    Two blocked passes as in LAPACK's ``potri``: L⁻¹ (``trtri``: ``trmm`` + ``trsm`` per block
    column, last to first), then L⁻ᵀ·L⁻¹ (``lauum``: ``trmm`` and ``gemm`` per block row);
    finally the lower triangle is mirrored into the upper one, a block at a time.
    """
    matrix = _Matrix(buffer)
    block = _check_block(block)
    n, blas = matrix.n, matrix.blas
    one, minus_one = blas.scalar(1.0), blas.scalar(-1.0)
    lda = _ref(matrix.lda)
    starts = list(range(0, n, block))
    for start in reversed(starts):  # L⁻¹, lower triangle of F
        size = min(block, n - start)
        below = n - start - size
        if below > 0:
            blas.trmm(
                _char(b"L"), _char(b"L"), _char(b"N"), _char(b"N"), _ref(_int(below)), _ref(_int(size)), _ref(one),
                matrix.at(start + size, start + size), lda, matrix.at(start + size, start), lda,
            )
            blas.trsm(
                _char(b"R"), _char(b"L"), _char(b"N"), _char(b"N"), _ref(_int(below)), _ref(_int(size)), _ref(minus_one),
                matrix.at(start, start), lda, matrix.at(start + size, start), lda,
            )
        info = _small_lapack(blas.trtri, matrix, start, size, b"L", b"N")
        if info != 0:
            raise np.linalg.LinAlgError(f"the Cholesky factor is singular at row {start + info} of {n}")
    for start in starts:  # L⁻ᵀ·L⁻¹, lower triangle of F
        size = min(block, n - start)
        below = n - start - size
        if start > 0:
            blas.trmm(
                _char(b"L"), _char(b"L"), _char(b"T"), _char(b"N"), _ref(_int(size)), _ref(_int(start)), _ref(one),
                matrix.at(start, start), lda, matrix.at(start, 0), lda,
            )
        _small_lapack(blas.lauum, matrix, start, size, b"L")
        if below > 0:
            if start > 0:
                blas.gemm(
                    _char(b"T"), _char(b"N"), _ref(_int(size)), _ref(_int(start)), _ref(_int(below)), _ref(one),
                    matrix.at(start + size, start), lda, matrix.at(start + size, 0), lda, _ref(one),
                    matrix.at(start, 0), lda,
                )
            # the diagonal block += panelᵀ·panel (a gemm, not OpenBLAS's threaded syrk; the upper part
            # it also writes is overwritten by the mirror below)
            blas.gemm(
                _char(b"T"), _char(b"N"), _ref(_int(size)), _ref(_int(size)), _ref(_int(below)), _ref(one),
                matrix.at(start + size, start), lda, matrix.at(start + size, start), lda, _ref(one),
                matrix.at(start, start), lda,
            )
    mirror_lower_of_f(buffer, block=block)


def mirror_lower_of_f(buffer: np.ndarray, *, block: int = DEFAULT_BLOCK) -> None:
    """Make ``buffer`` symmetric from its upper triangle in NumPy's view (F's lower), a block at a time."""
    n = buffer.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        # rows start:stop, columns before start ← the transposed upper block above the diagonal
        buffer[start:stop, :start] = buffer[:start, start:stop].T
        diagonal = buffer[start:stop, start:stop]
        lower = np.tril_indices(stop - start, -1)
        diagonal[lower] = diagonal.T[lower]
