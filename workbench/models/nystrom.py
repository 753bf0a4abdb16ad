"""∞-AE with a Nyström support: every user stays a regression target, m landmark users carry the model.

Kernel ridge regression restricted to functions spanned by m landmark users (the "subset of
regressors" method). With landmark rows S_m (m, d), all users' rows S (n, d), K_nm = NTK(S, S_m)
and K_mm = NTK(S_m, S_m), minimising ‖S − K_nm·α‖² + λ̃·tr(αᵀK_mm·α) gives::

    α = (K_mn·K_nm + λ̃·K_mm)⁻¹ · K_mn·S        (m, d)
    scores(Q) = NTK(Q, S_m)·α

with λ̃ = λ·(mean of NTK(s_u, s_u) over all n users), the same scale as the full model. When the
landmarks are all users and K is invertible, α = (K(K + λ̃I))⁻¹·K·S = (K + λ̃I)⁻¹·S: the full model
exactly. (Users with identical rows make K_mm singular; a relative jitter of 1e-10 on the diagonal
of the normal equations keeps them solvable.)

K_mn·K_nm (m × m) and K_mn·S (m × d) are accumulated over batches of b users, so memory is
O(m² + m·d) and never O(n·m): the n × m cross kernel is not stored. Both are accumulated in float64
(the normal equations square the kernel's condition number). Cost: 2·n·m² for K_mn·K_nm,
≈ 2·m·nnz for K_mn·S (sparse S), per λ a Cholesky of m × m (m³/3) and a solve with d right-hand
sides (2·m²·d); scoring costs 2·b·m·d per batch. By contrast the "sample" support fits on the m
users alone and discards the others' data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from tqdm.auto import tqdm

from workbench.kernels.blocked_linalg import cholesky_in_place
from workbench.errors import WorkbenchError
from workbench.kernels.linalg import DenseAlgebra, precision_scope, prefer_sparse_product
from workbench.models.base import check_score_inputs
from workbench.kernels.ntk import ntk_diagonal, ntk_from_inner_products

if TYPE_CHECKING:
    from workbench.models.infinite_ae import InfiniteAE


#: Added to the diagonal of the normal equations, relative to their mean diagonal entry.
JITTER = 1e-10


@dataclass(frozen=True, eq=False)
class _Landmarks:
    """The landmark rows and what scoring needs of them."""

    algebra: DenseAlgebra
    dtype: np.dtype
    model: InfiniteAE
    users: np.ndarray  # (m,) sorted landmark row indices
    rows: sp.csr_matrix  # (m, d)
    dense: Any  # (m, d) on the algebra's backend
    squared_norms: np.ndarray  # (m,)

    @cached_property
    def by_item(self) -> sp.csr_matrix:
        """(d, m) the landmark rows transposed, as CSR."""
        return self.rows.T.tocsr()

    def cross_kernel(self, context: sp.csr_matrix) -> Any:
        """(b, m) NTK(Q, S_m) for sparse query rows (b, d)."""
        context = context.astype(self.dtype)
        if self.algebra.name == "scipy" and prefer_sparse_product(context, np.diff(self.by_item.indptr), len(self.users)):
            cross = (context @ self.by_item).toarray()
        else:
            cross = self.algebra.cross_gram(context, self.dense)
        norms = np.asarray(context.multiply(context).sum(axis=1), dtype=self.dtype).ravel()
        return ntk_from_inner_products(cross, norms, self.squared_norms, n_features=context.shape[1], config=self.model.ntk)


def fit_nystrom_grid(
    model: InfiniteAE, train: sp.csr_matrix, owners: np.ndarray, *, seed: int, algebra: DenseAlgebra
) -> Iterator[FittedNystromAE]:
    """Fit Nyström ∞-AE for every λ of ``model.lambdas`` (the accumulation is shared by the grid).

    Args:
        model: with ``user_support`` = m landmarks and ``support_method="nystrom"``.
        train: (n, d) CSR training rows, every one a regression target.
        owners: (n,) unused here (kept for the common interface).
        seed: draws the landmarks.
        algebra: dense products' backend.
    """
    del owners
    dtype = np.dtype(model.dtype)
    n, n_items = train.shape
    landmark_users = model.select_support(n, seed)
    rows = train[landmark_users].astype(dtype)
    with precision_scope(dtype):
        landmarks = _Landmarks(
            algebra=algebra,
            dtype=dtype,
            model=model,
            users=landmark_users,
            rows=rows,
            dense=algebra.asarray(rows, dtype),
            squared_norms=np.asarray(rows.multiply(rows).sum(axis=1), dtype=dtype).ravel(),
        )
        all_norms = np.asarray(train.multiply(train).sum(axis=1), dtype=np.float64).ravel()
        mean_diagonal = float(np.mean(ntk_diagonal(all_norms, n_features=n_items, config=model.ntk)))
        landmark_kernel = np.asarray(algebra.to_numpy(landmarks.cross_kernel(rows)), dtype=np.float64)
        m = len(landmark_users)
        normal = np.zeros((m, m), dtype=np.float64)  # K_mn·K_nm
        targets = np.zeros((m, n_items), dtype=np.float64)  # K_mn·S
        batches = range(0, n, model.batch_size)
        for start in tqdm(batches, desc=f"Nyström: {m:,} landmarks x {n:,} users", unit="batch", leave=False, disable=len(batches) < 8):
            block = train[start : start + model.batch_size]
            cross = np.asarray(algebra.to_numpy(landmarks.cross_kernel(block)))  # (b, m)
            normal += cross.T.astype(np.float64) @ cross.astype(np.float64)
            targets += (block.T.astype(dtype) @ cross).T  # (m, d) through the sparse rows
    for lam in model.lambdas:
        shift = lam * mean_diagonal
        system = normal + shift * landmark_kernel
        # Users with identical rows make K_mm singular, and then the system too; a jitter far below
        # float32's resolution keeps it positive definite without changing any score that matters.
        system[np.diag_indices(m)] += JITTER * float(np.mean(np.diag(system)))
        try:
            cholesky_in_place(system)
        except np.linalg.LinAlgError:
            raise WorkbenchError(
                f"Nyström ∞-AE: K_mn·K_nm + λ̃·K_mm is not numerically positive definite at λ = {lam:g} "
                f"(λ̃ = {shift:.3g}); use a larger λ or more landmarks"
            ) from None
        dual = scipy.linalg.cho_solve((system.T, True), targets)  # the factor lies in system.T's lower triangle
        del system
        with precision_scope(dtype):
            yield FittedNystromAE(lam=lam, shift=shift, landmarks=landmarks, dual=algebra.asarray(dual.astype(dtype), dtype))


@dataclass(frozen=True)
class FittedNystromAE:
    """Nyström ∞-AE fitted with one λ: scores(Q) = NTK(Q, S_m)·α."""

    lam: float
    shift: float
    landmarks: _Landmarks
    dual: Any  # α, (m, d)

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {
            "lambda": self.lam,
            "user_support": int(len(self.landmarks.users)),
            "support_method": "nystrom",
            "depth": self.landmarks.model.ntk.depth,
        }

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Scores (b, n_items) for ``users`` with ``context`` rows (b, n_items)."""
        users, context = check_score_inputs(users, context, self.landmarks.rows.shape[1], "∞-AE")
        algebra = self.landmarks.algebra
        with precision_scope(self.landmarks.dtype):
            return algebra.to_numpy(algebra.matmul(self.landmarks.cross_kernel(context), self.dual))
