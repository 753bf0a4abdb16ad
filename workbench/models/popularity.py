"""PopRec: every user gets the items ranked by how many training users interacted with them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from workbench.models.base import check_score_inputs, check_train_matrix


@dataclass(frozen=True)
class FittedPopularity:
    """Item popularity: score(u, i) = Σ_v X[v, i] over the training matrix X, for every user u."""

    item_counts: np.ndarray  # (n_items,) float32

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {}

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """The item counts, one row per user; ``users`` and ``context`` are checked (one row per user,
        indices ≥ 0, the fitted item count) though the scores depend on neither."""
        users, _ = check_score_inputs(users, context, self.item_counts.shape[0], "PopRec")
        return np.broadcast_to(self.item_counts, (len(users), self.item_counts.shape[0])).copy()


@dataclass(frozen=True)
class PopRec:
    """The popularity baseline (no hyper-parameters)."""

    name: str = "poprec"

    def fit_grid(self, train: sp.csr_matrix, *, seed: int = 0, row_users: np.ndarray | None = None) -> Iterator[FittedPopularity]:
        train = check_train_matrix(train)
        counts = np.asarray(train.sum(axis=0), dtype=np.float32).ravel()
        yield FittedPopularity(item_counts=counts)
