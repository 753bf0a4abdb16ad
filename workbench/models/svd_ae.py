"""SVD-AE (Hong et al., "SVD-AE: Simple Autoencoders for Collaborative Filtering", IJCAI 2024), in closed form.

With the training matrix R (n_rows, n_items), row degrees d_u = Σ_i R_ui and item degrees
d_i = Σ_u R_ui, the normalised matrix is R̃ = D_u^{-1/2} R D_i^{-1/2}. From its rank-k truncated SVD
R̃ ≈ U_k Σ_k V_kᵀ, the pseudo-inverse is R̃_k⁺ = V_k Σ_k⁻¹ U_kᵀ and the item-item model is
W = R̃_k⁺ R::

    scores(Q) = Q̃ · R̃_k⁺ · R = (Q̃ V_k) Σ_k⁻¹ (U_kᵀ R),    q̃ = d_q^{-1/2} q D_i^{-1/2}

where each context row q is normalised like a row of R̃, on its own degree d_q = Σ_i q_i. The
n_items × n_items matrix W is never formed: a fitted model keeps D_i^{-1/2} V_k Σ_k⁻¹ (n_items × k)
and U_kᵀ R (k × n_items), so scoring b rows costs O(b·n_items·k).

Cost: one truncated SVD of R̃ at the largest rank of the grid, shared by every smaller rank (the
leading singular triplets, singular values sorted descending, are sliced), plus one sparse product
Rᵀ U (O(nnz·k)). The SVD is ``scipy.sparse.linalg.svds`` (ARPACK, started from a seeded vector, so
fits are deterministic) or, for small matrices or a rank close to min(n_rows, n_items), a dense LAPACK
SVD. It is computed in float64 (its factors are only (n_rows + n_items) × k) and the factors are
kept in ``dtype``.

Ranks: every rank of the grid is *clipped* (not refused) to the largest usable rank: at most
min(n_rows, n_items) − 1, and at most the numerical rank of R̃ — the number of singular values above
1e-7·σ_max (smaller ones are treated as rank deficiency, their triplets are noise). Ranks that clip
to the same value are fitted once; ``hyperparameters["rank"]`` is the rank actually used. So the
default grid adapts to a small matrix, such as a summary of a few hundred synthetic rows.

Fractional rows (entries in [0, 1], from a distilled summary) are used as they are: degrees are sums
of row / column values, so fractional rows give fractional degrees. A row or an item of degree 0
gets weight 0 (D^{-1/2} is 0 there, no division by zero); an empty context row scores 0 everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from workbench.errors import WorkbenchError
from workbench.kernels.memory import format_bytes, require_memory
from workbench.models.base import check_score_inputs, check_train_matrix
from workbench.validation import check_dtype, check_ranks

DEFAULT_SVD_AE_RANKS: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
RANK_TOLERANCE = 1e-7  # singular values ≤ RANK_TOLERANCE · σ_max count as zero
_DENSE_SVD_ENTRIES = 1 << 22  # below this many matrix entries a dense SVD is cheaper than ARPACK


def inverse_sqrt(degrees: np.ndarray) -> np.ndarray:
    """d^{-1/2} where d > 0, 0 where d = 0 (float64)."""
    degrees = np.asarray(degrees, dtype=np.float64).ravel()
    out = np.zeros_like(degrees)
    positive = degrees > 0
    out[positive] = 1.0 / np.sqrt(degrees[positive])
    return out


def normalize(train: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """R̃ = D_u^{-1/2} R D_i^{-1/2} (float64 CSR) and the item degrees d_i (float64)."""
    matrix = sp.csr_matrix(train, dtype=np.float64)
    row_scale = inverse_sqrt(matrix.sum(axis=1))
    item_degrees = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
    normalized = sp.csr_matrix(sp.diags(row_scale) @ matrix @ sp.diags(inverse_sqrt(item_degrees)))
    normalized.eliminate_zeros()
    return normalized, item_degrees


@dataclass(frozen=True)
class TruncatedSVD:
    """The leading singular triplets of R̃, singular values descending and all > RANK_TOLERANCE · σ_max."""

    u: np.ndarray  # (n_rows, r) float64
    s: np.ndarray  # (r,) float64
    vt: np.ndarray  # (r, n_items) float64
    usable: tuple[int, ...]  # the grid's ranks clipped to r, duplicates removed, in grid order


def truncated_svd(normalized: sp.csr_matrix, ranks: tuple[int, ...], *, seed: int, model_name: str) -> TruncatedSVD:
    """One SVD of ``normalized`` at the largest rank of ``ranks`` (clipped, see the module docstring)."""
    n_rows, n_items = normalized.shape
    smaller = min(n_rows, n_items)
    limit = max(1, smaller - 1)
    k_max = min(max(ranks), limit)
    dense = smaller == 1 or n_rows * n_items <= _DENSE_SVD_ENTRIES or 2 * k_max >= smaller
    if normalized.nnz == 0:
        raise WorkbenchError(f"{model_name}: the normalised training matrix is all zero; there is nothing to fit")
    if dense:
        require_memory(
            f"{model_name}: the dense SVD of a {n_rows:,} x {n_items:,} matrix "
            f"({format_bytes(3 * n_rows * n_items * 8)} in float64)",
            3 * n_rows * n_items * 8,  # the matrix, LAPACK's work copy and the reduced U
            instead="use smaller ranks (the sparse SVD is used when 2·rank < min(rows, items)) or fewer rows or items.",
        )
        u, s, vt = np.linalg.svd(normalized.toarray(), full_matrices=False)
        u, s, vt = u[:, :k_max], s[:k_max], vt[:k_max]
    else:
        v0 = np.random.default_rng(seed).uniform(-1.0, 1.0, size=smaller)
        u, s, vt = spla.svds(normalized, k=k_max, v0=v0, solver="arpack")
        order = np.argsort(-s, kind="stable")
        u, s, vt = u[:, order], s[order], vt[order]
    numerical_rank = int(np.count_nonzero(s > RANK_TOLERANCE * s[0]))
    if numerical_rank == 0:
        raise WorkbenchError(f"{model_name}: the normalised training matrix is numerically zero; there is nothing to fit")
    usable = tuple(dict.fromkeys(min(rank, numerical_rank) for rank in ranks))
    return TruncatedSVD(
        u=np.ascontiguousarray(u[:, :numerical_rank]), s=s[:numerical_rank].copy(), vt=np.ascontiguousarray(vt[:numerical_rank]),
        usable=usable,
    )


@dataclass(frozen=True)
class SVDAE:
    """SVD-AE configuration.

    Attributes:
        ranks: the rank grid k (each an integer ≥ 1, clipped to the usable rank at fit time); k is
            chosen on validation.
        dtype: "float32" (default) or "float64", the dtype of the kept factors and of the scores.
    """

    ranks: tuple[int, ...] = DEFAULT_SVD_AE_RANKS
    dtype: Literal["float32", "float64"] = "float32"
    name: str = "svd-ae"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranks", check_ranks(self.ranks))
        check_dtype(self.dtype)

    def fit_grid(self, train: sp.csr_matrix, *, seed: int = 0, row_users: np.ndarray | None = None) -> Iterator[FittedSVDAE]:
        """Fit SVD-AE for every rank of the grid from one SVD at the largest rank. ``seed`` starts
        ARPACK (deterministic fits); ``row_users`` is unused."""
        train = check_train_matrix(train)
        dtype = np.dtype(self.dtype)
        normalized, item_degrees = normalize(train)
        svd = truncated_svd(normalized, self.ranks, seed=seed, model_name="SVD-AE")
        item_scale = inverse_sqrt(item_degrees)
        # D_i^{-1/2} V Σ⁻¹ (n_items, r) and Uᵀ R (r, n_items), once for the grid; each rank slices them.
        left = np.ascontiguousarray((item_scale[:, None] * svd.vt.T / svd.s[None, :]).astype(dtype))
        right = np.ascontiguousarray((sp.csr_matrix(train, dtype=np.float64).T @ svd.u).T.astype(dtype))
        usable = svd.usable
        del svd  # U is not needed any more
        for rank in usable:
            yield FittedSVDAE(rank=rank, left=left[:, :rank], right=right[:rank])


@dataclass(frozen=True)
class FittedSVDAE:
    """SVD-AE fitted at one rank k: scores(Q) = d_q^{-1/2} Q · (D_i^{-1/2} V_k Σ_k⁻¹) · (U_kᵀ R)."""

    rank: int
    left: np.ndarray  # D_i^{-1/2} V_k Σ_k⁻¹, (n_items, k)
    right: np.ndarray  # U_kᵀ R, (k, n_items)

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {"rank": self.rank}

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Scores (b, n_items); ``users`` are checked (one per context row, ≥ 0) but unused."""
        _, context = check_score_inputs(users, context, self.left.shape[0], "SVD-AE")
        dtype = self.left.dtype
        context = sp.csr_matrix(context, dtype=dtype)
        row_scale = inverse_sqrt(context.sum(axis=1)).astype(dtype)
        projected = np.asarray(context @ self.left) * row_scale[:, None]  # Q̃ V_k Σ_k⁻¹ (item side in left)
        return np.asarray(projected @ self.right, dtype=dtype)
