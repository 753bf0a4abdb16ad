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
Empty rows and items are left out of the factorisation (they add only zero singular values; their
rows of U and V are zero), so a sample of interactions, which leaves many users with one or two
items and many items with none, is factored at the size of what it holds.

``linear_algebra`` ("auto": SciPy on a CPU, JAX on a GPU, as for ∞-AE and EASE) picks the backend.
On the JAX path the SVD runs in float64 on JAX's default device: a dense ``jnp.linalg.svd`` where
SciPy's would be dense (same rule), otherwise a randomized truncated SVD (:func:`randomized_svd`:
Halko, Martinsson & Tropp 2011, with R̃ held as a ``jax.experimental.sparse.BCOO``; nothing
n_rows × n_items is dense). That costs 2(q + 1) = 42 sparse products with ℓ = 2k columns
(O(nnz·k·q)) and 2q + 1 = 41 QR factorisations of n_rows × ℓ or n_items × ℓ (O((n_rows + n_items)·k²·q)),
q = 20 power iterations: about 0.25 Tflop in float64 for ML-1M at k = 256, for a GPU. On a CPU it is
far slower than ARPACK (ML-1M, k = 64, on two shared cores: 107 s against 4 s), since XLA multiplies a BCOO matrix there
by gathering an nnz × ℓ intermediate. It is not exact in the flat tail of a recommender spectrum:
on ML-1M SVD-AE's scores move by about 2e-4 of the largest score, the top 10 unchanged (see
:func:`randomized_svd`). U_kᵀ R is the same SciPy product as on the SciPy path; the factors are then
kept on the device, and scoring runs there: b context rows as a dense (b, n_items) array, two dense
products at full float32 precision (``jax.lax.Precision.HIGHEST``), O(b·n_items·k), the scores
returned as NumPy arrays of ``dtype``.

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
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from jax.experimental import sparse as jax_sparse

from workbench.errors import WorkbenchError
from workbench.kernels.linalg import (
    ALGEBRA_NAMES,
    FULL_PRECISION,
    AlgebraName,
    dense_algebra,
    full_precision_jit,
    precision_scope,
    sparse_product_bytes,
    to_bcoo,
)
from workbench.kernels.memory import available_host_memory, format_bytes, require_memory
from workbench.models.base import check_score_inputs, check_train_matrix
from workbench.validation import check_choice, check_dtype, check_ranks

DEFAULT_SVD_AE_RANKS: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
RANK_TOLERANCE = 1e-7  # singular values ≤ RANK_TOLERANCE · σ_max count as zero
_DENSE_SVD_ENTRIES = 1 << 22  # below this many matrix entries a dense SVD is cheaper than ARPACK
#: The randomized SVD (JAX path) of rank k projects onto ℓ = k + max(k, RANDOMIZED_MIN_OVERSAMPLING)
#: random directions (ℓ = 2k; at most min(n_rows, n_items)) ...
RANDOMIZED_MIN_OVERSAMPLING = 10
#: ... and runs this many power iterations, each re-orthonormalised by QR.
RANDOMIZED_POWER_ITERATIONS = 20


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


def truncated_svd(
    normalized: sp.csr_matrix, ranks: tuple[int, ...], *, seed: int, model_name: str, algebra: Literal["scipy", "jax"] = "scipy"
) -> TruncatedSVD:
    """One SVD of ``normalized`` at the largest rank of ``ranks`` (clipped, see the module docstring).

    ``algebra`` "scipy": a dense LAPACK SVD or ARPACK; "jax": a dense ``jnp.linalg.svd`` where SciPy
    would go dense, else :func:`randomized_svd`. Both in float64; the factors come back as NumPy arrays.
    """
    n_rows, n_items = normalized.shape
    limit = max(1, min(n_rows, n_items) - 1)
    k_max = min(max(ranks), limit)
    if normalized.nnz == 0:
        raise WorkbenchError(f"{model_name}: the normalised training matrix is all zero; there is nothing to fit")
    # Empty rows and items add only zero singular values: factor the matrix without them and put zeros back
    # in U and V. A sample of interactions (Interaction RNS) leaves many empty, which makes the SVD smaller.
    rows = np.flatnonzero(np.diff(normalized.indptr))
    items = np.unique(normalized.indices)
    compact = normalized[rows][:, items] if len(rows) < n_rows or len(items) < n_items else normalized
    m, n = compact.shape
    smaller = min(m, n)
    dense = smaller == 1 or m * n <= _DENSE_SVD_ENTRIES or 2 * k_max >= smaller
    if dense:
        require_memory(
            f"{model_name}: the dense SVD of a {m:,} x {n:,} matrix "
            f"({format_bytes(3 * m * n * 8)} in float64)",
            3 * m * n * 8,  # the matrix, LAPACK's work copy and the reduced U
            available=available_host_memory() if algebra == "scipy" else None,  # None: JAX's device
            instead="use smaller ranks (the sparse SVD is used when 2·rank < min(rows, items)) or fewer rows or items.",
        )
        if algebra == "jax":
            with precision_scope(np.float64):
                u, s, vt = (np.asarray(factor) for factor in _dense_svd(jnp.asarray(compact.toarray(), dtype=jnp.float64)))
        else:
            u, s, vt = np.linalg.svd(compact.toarray(), full_matrices=False)
        u, s, vt = u[:, :k_max], s[:k_max], vt[:k_max]
    elif algebra == "jax":
        u, s, vt = randomized_svd(compact, k_max, seed=seed, model_name=model_name)
    else:
        v0 = np.random.default_rng(seed).uniform(-1.0, 1.0, size=smaller)
        u, s, vt = spla.svds(compact, k=k_max, v0=v0, solver="arpack")
        order = np.argsort(-s, kind="stable")
        u, s, vt = u[:, order], s[order], vt[order]
    if compact is not normalized:
        full_u = np.zeros((n_rows, len(s)), dtype=u.dtype)
        full_u[rows] = u
        full_vt = np.zeros((len(s), n_items), dtype=vt.dtype)
        full_vt[:, items] = vt
        u, vt = full_u, full_vt
    return _numerical_rank(u, s, vt, ranks, model_name)


def _numerical_rank(u: np.ndarray, s: np.ndarray, vt: np.ndarray, ranks: tuple[int, ...], model_name: str) -> TruncatedSVD:
    """The triplets whose singular values exceed RANK_TOLERANCE · σ_max (``s`` descending), and the
    grid's ranks clipped to their count: the one rule of every SVD route."""
    numerical_rank = int(np.count_nonzero(s > RANK_TOLERANCE * s[0]))
    if numerical_rank == 0:
        raise WorkbenchError(f"{model_name}: the normalised training matrix is numerically zero; there is nothing to fit")
    usable = tuple(dict.fromkeys(min(rank, numerical_rank) for rank in ranks))
    return TruncatedSVD(
        u=np.ascontiguousarray(u[:, :numerical_rank]), s=s[:numerical_rank].copy(), vt=np.ascontiguousarray(vt[:numerical_rank]),
        usable=usable,
    )


def randomized_svd(normalized: sp.csr_matrix, rank: int, *, seed: int, model_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leading ``rank`` singular triplets (u, s descending, vt; float64 NumPy) of a sparse matrix,
    by randomized subspace iteration on JAX's default device (the JAX path's sparse route).

    Halko, Martinsson & Tropp, "Finding structure with randomness" (SIAM Review, 2011), algorithms
    4.4 and 5.1, with A = ``normalized`` (m × n) held as two BCOO matrices (A and Aᵀ, sorted indices,
    so a GPU multiplies them with cuSPARSE) and everything in float64:

    1. Ω: an n × ℓ Gaussian test matrix from ``jax.random.key(seed)``, ℓ = rank + p with oversampling
       p = max(rank, RANDOMIZED_MIN_OVERSAMPLING), at most min(m, n);
    2. Q = qr(A Ω), then q = RANDOMIZED_POWER_ITERATIONS times Q = qr(A · qr(Aᵀ Q)) (re-orthonormalising
       after every product keeps the directions of small singular values from being lost to rounding);
    3. B = Qᵀ A = (Aᵀ Q)ᵀ (ℓ × n), its dense SVD B = Ũ Σ Vᵀ, and U = Q Ũ; the first ``rank`` are kept.

    Nothing m × n is dense: the largest arrays are m × ℓ and n × ℓ (plus, off a GPU, XLA's nnz × ℓ
    gather inside each sparse product).

    Accuracy. After q iterations the sketch is (AAᵀ)^q AΩ, so the error along the j-th singular
    direction shrinks like (σ_{ℓ+1}/σ_j)^{2q+1}: fast where the spectrum falls, slowly in the flat tail
    of a recommender matrix (on ML-1M at k = 256 each iteration shrinks SVD-AE's score error by about
    0.7 only). A few iterations are not enough there: with q = 6, SVD-AE's scores on ML-1M (k = 256)
    move by 4 % of the largest score and 3 % of the top-10 items change. Oversampling p = k costs the
    least work for a given accuracy on ML-1M (p = k/2 converged more slowly per sparse product, p = 2k
    no faster per unit of work), and q = 20 measures, against ARPACK on ML-1M with 500 users scored:

    - k = 64: singular values within 5e-8 relative, V_k within a sine of 5.5e-4, SVD-AE's scores
      within 1.2e-4 of the largest, the same top 10;
    - k = 256: 2e-7, 1.5e-3, 2.1e-4, the same top 10;
    - k = 512: 1e-9, 7.8e-5, 1.3e-5, the same top 10.

    (k = 64 with this function; 256 and 512 with a NumPy transcription of it, same ℓ and q.) On a
    spectrum with a gap after σ_k the fit is ARPACK's up to rounding; on a small flat one (60 × 40,
    k ≤ 8) singular values agree within 1e-11 and scores within 2e-6. The tests check both.
    """
    m, n = normalized.shape
    sketch = min(rank + max(rank, RANDOMIZED_MIN_OVERSAMPLING), m, n)
    require_memory(
        f"{model_name}: the randomized SVD of rank {rank} of a {m:,} x {n:,} matrix with {normalized.nnz:,} entries "
        f"({sketch} random directions, float64)",
        32 * normalized.nnz + 24 * (m + n) * sketch + sparse_product_bytes(normalized.nnz, sketch, 8),
        instead="use smaller ranks, or linear_algebra='scipy' (ARPACK) on a CPU.",
    )
    with precision_scope(np.float64):
        u, s, vt = _randomized_svd(
            to_bcoo(normalized, np.float64), to_bcoo(normalized.T, np.float64), jax.random.key(seed),
            rank=rank, sketch=sketch, iterations=RANDOMIZED_POWER_ITERATIONS,
        )
        return np.asarray(u), np.asarray(s), np.asarray(vt)


@jax.jit
def _dense_svd(matrix: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    return jnp.linalg.svd(matrix, full_matrices=False)


def _randomized_svd_body(
    matrix: jax_sparse.BCOO, matrix_t: jax_sparse.BCOO, key: jax.Array, *, rank: int, sketch: int, iterations: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Steps 1-3 of :func:`randomized_svd` (jitted with rank, sketch and iterations static)."""
    test_matrix = jax.random.normal(key, (matrix.shape[1], sketch), dtype=matrix.dtype)
    basis, _ = jnp.linalg.qr(matrix @ test_matrix)

    def power_iteration(_: int, basis: jax.Array) -> jax.Array:
        co_basis, _ = jnp.linalg.qr(matrix_t @ basis)
        return jnp.linalg.qr(matrix @ co_basis)[0]

    basis = jax.lax.fori_loop(0, iterations, power_iteration, basis)
    small_u, s, vt = jnp.linalg.svd((matrix_t @ basis).T, full_matrices=False)
    u = jnp.matmul(basis, small_u[:, :rank], precision=FULL_PRECISION)
    return u, s[:rank], vt[:rank]


_randomized_svd = full_precision_jit(_randomized_svd_body, static_argnames=("rank", "sketch", "iterations"))


@dataclass(frozen=True)
class SVDAE:
    """SVD-AE configuration.

    Attributes:
        ranks: the rank grid k (each an integer ≥ 1, clipped to the usable rank at fit time); k is
            chosen on validation.
        dtype: "float32" (default) or "float64", the dtype of the kept factors and of the scores.
        linear_algebra: "auto" (SciPy on a CPU, JAX on a GPU), "scipy" or "jax" (see the module docstring).
    """

    ranks: tuple[int, ...] = DEFAULT_SVD_AE_RANKS
    dtype: Literal["float32", "float64"] = "float32"
    linear_algebra: AlgebraName = "auto"
    name: str = "svd-ae"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranks", check_ranks(self.ranks))
        check_dtype(self.dtype)
        check_choice("linear_algebra", self.linear_algebra, ALGEBRA_NAMES)

    def fit_grid(self, train: sp.csr_matrix, *, seed: int = 0, row_users: np.ndarray | None = None) -> Iterator[FittedSVDAE]:
        """Fit SVD-AE for every rank of the grid from one SVD at the largest rank. ``seed`` starts
        ARPACK or draws the randomized SVD's test matrix (deterministic fits); ``row_users`` is unused."""
        train = check_train_matrix(train)
        dtype = np.dtype(self.dtype)
        algebra = dense_algebra(self.linear_algebra).name
        normalized, item_degrees = normalize(train)
        svd = truncated_svd(normalized, self.ranks, seed=seed, model_name="SVD-AE", algebra=algebra)  # type: ignore[arg-type]
        item_scale = inverse_sqrt(item_degrees)
        # D_i^{-1/2} V Σ⁻¹ (n_items, r) and Uᵀ R (r, n_items), once for the grid; each rank slices them.
        left = np.ascontiguousarray((item_scale[:, None] * svd.vt.T / svd.s[None, :]).astype(dtype))
        right = np.ascontiguousarray((sp.csr_matrix(train, dtype=np.float64).T @ svd.u).T.astype(dtype))
        usable = svd.usable
        del svd  # U is not needed any more
        for rank in usable:
            if algebra == "jax":
                with precision_scope(dtype):  # on the device, one copy per rank
                    fitted = FittedSVDAE(rank=rank, left=jnp.asarray(left[:, :rank]), right=jnp.asarray(right[:rank]), algebra_name="jax")
            else:
                fitted = FittedSVDAE(rank=rank, left=left[:, :rank], right=right[:rank])
            yield fitted  # outside the precision scope: it must not stay open while the caller runs


@dataclass(frozen=True)
class FittedSVDAE:
    """SVD-AE fitted at one rank k: scores(Q) = d_q^{-1/2} Q · (D_i^{-1/2} V_k Σ_k⁻¹) · (U_kᵀ R)."""

    rank: int
    left: Any  # D_i^{-1/2} V_k Σ_k⁻¹, (n_items, k): NumPy, or a JAX array on the JAX path
    right: Any  # U_kᵀ R, (k, n_items): NumPy, or a JAX array on the JAX path
    algebra_name: str = "scipy"

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {"rank": self.rank}

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Scores (b, n_items); ``users`` are checked (one per context row, ≥ 0) but unused."""
        _, context = check_score_inputs(users, context, self.left.shape[0], "SVD-AE")
        dtype = np.dtype(self.left.dtype)
        context = sp.csr_matrix(context, dtype=dtype)
        row_scale = inverse_sqrt(context.sum(axis=1)).astype(dtype)
        if self.algebra_name == "jax":
            with precision_scope(dtype):
                return np.asarray(_svd_ae_scores(jnp.asarray(context.toarray()), jnp.asarray(row_scale), self.left, self.right))
        projected = np.asarray(context @ self.left) * row_scale[:, None]  # Q̃ V_k Σ_k⁻¹ (item side in left)
        return np.asarray(projected @ self.right, dtype=dtype)


@jax.jit
def _svd_ae_scores(context: jax.Array, row_scale: jax.Array, left: jax.Array, right: jax.Array) -> jax.Array:
    """(d_q^{-1/2} Q · left) · right for dense context rows Q (b, n_items), at full float32 precision."""
    projected = jnp.matmul(context, left, precision=FULL_PRECISION) * row_scale[:, None]
    return jnp.matmul(projected, right, precision=FULL_PRECISION)
