"""The real users' training rows kept sparse wherever Distill-CF's loss can take them so: the inner
products X·X̂ᵀ of every target user with every synthetic one, the users' squared norms, and the
likelihood's Σ X⊙pred (docs/distill_cf.md).

X is n × d with nnz interactions (ML-1M: 6,040 × 3,706, about 4 % filled), X̂ is the μ × d summary.
Dense, X·X̂ᵀ is n·d·μ multiply-adds forward (11 G on ML-1M at μ = 500) and the same again for its
gradient in X̂, Gᵀ·X with G = ∂L/∂(X·X̂ᵀ) (n × μ). Sparse, each is nnz·μ. :func:`inner_products`
computes both with ``jax.experimental.sparse.BCSR`` (a CSR kernel on the CPU, cuSPARSE on a GPU):
the forward from X in CSR order, the gradient from the same interactions in item order (the CSR
of Xᵀ), so that neither pass transposes anything at run time. The likelihood needs every score
pred (n × d) for its log-normaliser, but X only at its own entries: :meth:`SparseTargets.at_entries`
gathers them, so that the n × d matrix X is never made. The sums are taken in another order than a
dense computation's, so the results agree with it to float32 rounding, not bit for bit.

Only the full batch of a single device uses this (:class:`workbench.distill.StepData` builds it):
a batch of b users is a random subset whose CSR would have to be rebuilt, with a varying nnz, at
every update, and on a mesh the dense rows are divided over the devices by XLA's partitioner, which
a custom sparse kernel does not take part in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
from jax.experimental import sparse as jax_sparse


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SparseTargets:
    """X (n, d) twice over the same interactions: in CSR order and in item order (CSR of Xᵀ).

    Attributes:
        row_pointers: (n + 1,) int32; items: (nnz,) int32; values: (nnz,) float32: X in CSR.
        entry_users: (nnz,) int32, the row of each entry in CSR order.
        item_pointers: (d + 1,) int32; item_users: (nnz,) int32; item_values: (nnz,) float32: Xᵀ in CSR.
        n_users, n_items: X's shape (static).
    """

    row_pointers: jax.Array
    items: jax.Array
    values: jax.Array
    entry_users: jax.Array
    item_pointers: jax.Array
    item_users: jax.Array
    item_values: jax.Array
    n_users: int = field(metadata={"static": True})
    n_items: int = field(metadata={"static": True})

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix, dtype: np.dtype = np.float32) -> SparseTargets:
        """From a SciPy sparse (n, d) matrix (duplicates summed, indices sorted); values as ``dtype``
        (float64 for the float64 gradient checks)."""
        rows = sp.csr_matrix(matrix, dtype=dtype)
        rows.sum_duplicates()
        rows.sort_indices()
        columns = rows.T.tocsr()
        columns.sort_indices()
        return cls(
            row_pointers=jnp.asarray(rows.indptr, jnp.int32), items=jnp.asarray(rows.indices, jnp.int32),
            values=jnp.asarray(rows.data),
            entry_users=jnp.asarray(np.repeat(np.arange(rows.shape[0], dtype=np.int32), np.diff(rows.indptr)), jnp.int32),
            item_pointers=jnp.asarray(columns.indptr, jnp.int32),
            item_users=jnp.asarray(columns.indices, jnp.int32), item_values=jnp.asarray(columns.data),
            n_users=int(rows.shape[0]), n_items=int(rows.shape[1]),
        )

    def rows(self) -> jax_sparse.BCSR:
        """X as a BCSR matrix (n, d)."""
        return jax_sparse.BCSR((self.values, self.items, self.row_pointers), shape=(self.n_users, self.n_items),
                               indices_sorted=True, unique_indices=True)

    def row_sums(self) -> jax.Array:
        """(n,) Σ_i X[u, i] for every user u."""
        return jax.ops.segment_sum(self.values, self.entry_users, num_segments=self.n_users, indices_are_sorted=True)

    def squared_norms(self) -> jax.Array:
        """(n,) Σ_i X[u, i]² for every user u."""
        return jax.ops.segment_sum(self.values * self.values, self.entry_users, num_segments=self.n_users,
                                   indices_are_sorted=True)

    def at_entries(self, dense: jax.Array) -> jax.Array:
        """(nnz,) ``dense[u, i]`` at every stored entry (u, i) of X, in CSR order, for a (n, d) ``dense``;
        differentiable in ``dense`` (its gradient is a scatter onto those entries)."""
        return dense[self.entry_users, self.items]

    def columns(self) -> jax_sparse.BCSR:
        """Xᵀ as a BCSR matrix (d, n)."""
        return jax_sparse.BCSR((self.item_values, self.item_users, self.item_pointers), shape=(self.n_items, self.n_users),
                               indices_sorted=True, unique_indices=True)


@jax.custom_vjp
def inner_products(targets: SparseTargets, summary: jax.Array) -> jax.Array:
    """X·X̂ᵀ, (n, μ) float32, for the summary X̂ (μ, d); differentiable in ``summary``."""
    return targets.rows() @ summary.T


def _forward(targets: SparseTargets, summary: jax.Array) -> tuple[jax.Array, SparseTargets]:
    return inner_products(targets, summary), targets


def _backward(targets: SparseTargets, cotangent: jax.Array) -> tuple[None, jax.Array]:
    # ∂⟨G, X·X̂ᵀ⟩/∂X̂ = Gᵀ·X = (Xᵀ·G)ᵀ, (μ, d); nothing flows to the data
    return None, (targets.columns() @ cotangent).T


inner_products.defvjp(_forward, _backward)
