"""The blocked in-place Cholesky factorisation and inverse against NumPy and against LAPACK's own."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from threadpoolctl import threadpool_limits

from workbench.kernels.blocked_linalg import cholesky_in_place, inverse_from_cholesky_in_place, mirror_lower_of_f
from workbench.errors import WorkbenchError


def spd_matrix(n: int, seed: int, dtype: type = np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal((n, n + 3))
    return (factor @ factor.T / n).astype(dtype)


@pytest.mark.parametrize(("n", "block"), [(1, 4), (7, 3), (64, 64), (200, 48), (301, 1024)])
def test_factor_and_inverse_match_numpy(n: int, block: int) -> None:
    matrix = spd_matrix(n, seed=n)
    buffer = matrix.copy()
    cholesky_in_place(buffer, 0.25, block=block)
    factor = np.tril(buffer.T)
    np.testing.assert_allclose(factor, np.linalg.cholesky(matrix + 0.25 * np.eye(n)), rtol=1e-10, atol=1e-12)
    inverse_from_cholesky_in_place(buffer, block=block)
    np.testing.assert_allclose(buffer, np.linalg.inv(matrix + 0.25 * np.eye(n)), rtol=1e-9, atol=1e-10)
    np.testing.assert_array_equal(buffer, buffer.T)


def test_float32_agrees_with_float64() -> None:
    matrix = spd_matrix(250, seed=1)
    single = matrix.astype(np.float32)
    cholesky_in_place(single, 1.0, block=64)
    inverse_from_cholesky_in_place(single, block=64)
    np.testing.assert_allclose(single, np.linalg.inv(matrix + np.eye(250)), rtol=2e-4, atol=2e-5)


def test_a_matrix_that_is_not_positive_definite_is_refused() -> None:
    matrix = spd_matrix(100, seed=2)
    matrix[60, 60] = -5.0
    with pytest.raises(np.linalg.LinAlgError, match="row"):
        cholesky_in_place(matrix, block=16)


@pytest.mark.parametrize(
    "matrix",
    [np.ones((3, 4)), np.ones((3, 3), dtype=np.int64), np.asfortranarray(np.eye(3) + 0.1), np.eye(4)[::2, ::2]],
)
def test_arrays_it_cannot_work_on_in_place_are_refused(matrix: np.ndarray) -> None:
    with pytest.raises(WorkbenchError):
        cholesky_in_place(matrix)


def test_mirror_copies_the_upper_triangle_down() -> None:
    upper = np.triu(np.arange(49, dtype=np.float32).reshape(7, 7))
    mirror_lower_of_f(upper, block=3)
    np.testing.assert_array_equal(upper, upper.T)
    np.testing.assert_array_equal(np.triu(upper), np.triu(np.arange(49, dtype=np.float32).reshape(7, 7)))


@pytest.mark.slow
def test_large_factorisation_equals_lapack_on_one_thread() -> None:
    # n = 16,000 in float32: the size at which OpenBLAS's multi-threaded potrf crashed on some
    # machines. The blocked factor (both cores) must equal LAPACK's on one thread.
    n = 16_000
    rng = np.random.default_rng(0)
    rows = (rng.random((n, 600)) < 0.05).astype(np.float32)
    matrix = rows @ rows.T
    matrix[np.diag_indices(n)] += 10.0
    plain = np.array(matrix.T, order="F")
    with threadpool_limits(limits=1, user_api="blas"):
        plain, info = scipy.linalg.lapack.spotrf(plain, lower=1, overwrite_a=1, clean=1)
    assert info == 0
    cholesky_in_place(matrix)
    blocked = matrix.T  # its lower triangle is the factor
    sample = rng.integers(0, n, size=(2, 200_000))
    lower = sample[0] >= sample[1]
    i, j = sample[0][lower], sample[1][lower]
    scale = float(np.abs(plain[i, j]).max())
    assert float(np.abs(blocked[i, j] - plain[i, j]).max()) <= 1e-4 * scale
    diagonal = np.arange(n)
    np.testing.assert_allclose(blocked[diagonal, diagonal], plain[diagonal, diagonal], rtol=1e-4)
