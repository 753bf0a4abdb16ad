"""EASE (Steck, WWW 2019): a linear item-item autoencoder with a zero diagonal, in closed form.

With the training matrix X (n_rows, n_items) — binary for real data, continuous in [0, 1] for a
Distill-CF summary, used as it is — and G = XᵀX::

    P = (G + λI)⁻¹;   B_ij = −P_ij / P_jj  (i ≠ j),   B_jj = 0;   scores(Q) = Q·B

P is computed through a Cholesky factorisation (G + λI is positive definite for λ > 0). λ is chosen
on validation from a wide log-spaced grid; the grid is wide enough on the paper's datasets that the
chosen λ lies strictly inside it (checked in the tests on ML-1M), and the evaluation warns when it
lands on an edge.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.kernels.linalg import ALGEBRA_NAMES, AlgebraName, dense_algebra, precision_scope
from workbench.kernels.memory import format_bytes, require_memory
from workbench.models.base import check_score_inputs, check_train_matrix
from workbench.validation import check_choice, check_dtype, check_lambdas

DEFAULT_EASE_LAMBDAS: tuple[float, ...] = (1.0, 10.0, 50.0, 100.0, 200.0, 350.0, 500.0, 750.0, 1000.0, 2000.0, 5000.0, 20000.0)


@dataclass(frozen=True)
class EASE:
    """EASE configuration.

    Attributes:
        lambdas: the L2 penalty grid (each > 0); λ is chosen on validation.
        dtype: "float32" (default) or "float64".
        linear_algebra: "auto" (SciPy on a CPU, JAX on a GPU), "scipy" or "jax".
    """

    lambdas: tuple[float, ...] = DEFAULT_EASE_LAMBDAS
    dtype: Literal["float32", "float64"] = "float32"
    linear_algebra: AlgebraName = "auto"
    name: str = "ease"

    def __post_init__(self) -> None:
        object.__setattr__(self, "lambdas", check_lambdas(tuple(self.lambdas)))
        check_dtype(self.dtype)
        check_choice("linear_algebra", self.linear_algebra, ALGEBRA_NAMES)

    def fit_grid(self, train: sp.csr_matrix, *, seed: int = 0, row_users: np.ndarray | None = None) -> Iterator[FittedEASE]:
        """Fit EASE for every λ of the grid; the item Gram matrix is computed once. ``seed`` and ``row_users`` are unused."""
        train = check_train_matrix(train)
        n_items = train.shape[1]
        dtype = np.dtype(self.dtype)
        require_memory(
            f"EASE on {n_items:,} items ({self.dtype}: {n_items:,} x {n_items:,} matrices of "
            f"{format_bytes(n_items * n_items * dtype.itemsize)})",
            7 * n_items * n_items * dtype.itemsize,  # Gram, factor, inverse, its symmetrised copies, weights
            instead="EASE needs several item x item matrices; drop rare items or use a GPU with more memory.",
        )
        algebra = dense_algebra(self.linear_algebra)
        with precision_scope(dtype):  # real data is binary; a summary keeps its values
            sparse_gram = train.T @ train
            # Items that co-occur make some weight non-zero at any sensible λ (checked below).
            cooccurring = sparse_gram.nnz > np.count_nonzero(sparse_gram.diagonal())
            gram = algebra.asarray(sparse_gram.toarray(), dtype)  # once for the whole grid
            del sparse_gram
        for lam in self.lambdas:
            # Overflow and 0/0 at an absurd λ are refused below, naming λ, rather than warned about.
            with precision_scope(dtype), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                try:
                    precision_matrix = algebra.to_numpy(algebra.inverse_from_cholesky(algebra.cholesky(gram, lam)))
                except np.linalg.LinAlgError:
                    raise WorkbenchError(
                        f"EASE: XᵀX + λI is not numerically positive definite at λ = {lam:g} ({self.dtype}); "
                        "use a larger λ or float64"
                    ) from None
                weights = -precision_matrix / np.diag(precision_matrix)[None, :]
                np.fill_diagonal(weights, 0.0)
                _check_weights(weights, lam, self.dtype, cooccurring)
                fitted = FittedEASE(lam=lam, weights=algebra.asarray(weights, dtype), algebra_name=algebra.name)
            yield fitted


def _check_weights(weights: np.ndarray, lam: float, dtype: str, cooccurring: bool) -> None:
    """Refuse, naming λ, weights that would score silently wrong: non-finite ones (λ beyond the
    dtype's range, or a numerically singular XᵀX + λI), or all zero although items co-occur (λ so
    large that every weight underflows, which would rank every item equal)."""
    grid = f"λ within the default grid ({DEFAULT_EASE_LAMBDAS[0]:g} to {DEFAULT_EASE_LAMBDAS[-1]:g})"
    if not np.all(np.isfinite(weights)):
        raise WorkbenchError(
            f"EASE: the weights are not finite at λ = {lam:g} ({dtype}): XᵀX + λI cannot be inverted "
            f"accurately at this λ; use a {grid}" + (" or float64" if dtype == "float32" else "")
        )
    if cooccurring and not np.any(weights):
        raise WorkbenchError(
            f"EASE: every weight underflows to 0 at λ = {lam:g} ({dtype}), so every item would score 0; "
            f"use a {grid}" + (" or float64" if dtype == "float32" else "")
        )


@dataclass(frozen=True)
class FittedEASE:
    """EASE fitted with one λ: scores(Q) = Q·B."""

    lam: float
    weights: Any  # B, (n_items, n_items)
    algebra_name: str

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {"lambda": self.lam}

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Scores (b, n_items) = context · B; ``users`` are checked (one per context row, ≥ 0) but unused."""
        _, context = check_score_inputs(users, context, self.weights.shape[0], "EASE")
        algebra = dense_algebra(self.algebra_name)  # type: ignore[arg-type]
        dtype = np.dtype(self.weights.dtype)
        with precision_scope(dtype):
            return algebra.to_numpy(algebra.matmul(algebra.asarray(context, dtype), self.weights))
