"""The interface every model shares, so that all of them run through the same evaluation.

A :class:`Recommender` is a frozen configuration. Fitting it on a training matrix yields one
:class:`FittedRecommender` per hyper-parameter setting of its grid (:meth:`Recommender.fit_grid`),
lazily and sharing whatever work the settings have in common (∞-AE computes its kernel once for all
λ, EASE its item Gram matrix once). A fitted model scores users given their context rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp


@runtime_checkable
class FittedRecommender(Protocol):
    """A model fitted with one hyper-parameter setting."""

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        """The setting this model was fitted with (JSON-serialisable values)."""

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Scores of every item for ``users``.

        Args:
            users: (b,) int, the users' row indices in the training matrix.
            context: (b, n_items) CSR, the items each user is known to have interacted with
                (their training row for validation, training ∪ validation rows for test).

        Returns:
            (b, n_items) float32 or float64 scores, higher is better; context items are not masked.
        """


@runtime_checkable
class Recommender(Protocol):
    """A model family with a hyper-parameter grid (a frozen dataclass)."""

    name: str

    def fit_grid(
        self, train: sp.csr_matrix, *, seed: int, row_users: np.ndarray | None = None
    ) -> Iterator[FittedRecommender]:
        """Fit every setting of the grid on ``train`` (n_rows, n_items), in grid order.

        ``row_users`` (n_rows,) names the dataset user of each row (−1: synthetic); None means
        row u is user u. Models may use it for shortcuts; scores never depend on it.
        """


def check_train_matrix(train: sp.spmatrix) -> sp.csr_matrix:
    """``train`` as canonical CSR, refusing what no model can fit on (empty, negative or non-finite values)."""
    from workbench.validation import check_user_item_matrix

    return check_user_item_matrix(train, "train", non_negative=True, non_empty=True)


def check_score_inputs(
    users: np.ndarray, context: sp.spmatrix, n_items: int, model_name: str
) -> tuple[np.ndarray, sp.csr_matrix]:
    """``users`` as int64 and ``context`` as CSR, refusing what no fitted model can score.

    Every ``FittedRecommender.score`` takes one context row per user: ``users`` must be a 1-D array of
    integer row indices ≥ 0 with as many entries as ``context`` has rows, and ``context`` must have the
    ``n_items`` columns the model was fitted on. A model that ignores ``users`` (EASE, PopRec) checks
    them all the same, so that a caller's mistake is refused by every model alike.

    Raises:
        WorkbenchError: naming what is wrong (``model_name`` in the item-count message).
    """
    from workbench.errors import WorkbenchError

    raw = np.asarray(users)
    if raw.size and raw.dtype.kind not in "iu":
        raise WorkbenchError(f"users must be integer row indices, got an array of {raw.dtype}")
    users = raw.astype(np.int64, copy=False)
    context = sp.csr_matrix(context)
    if users.ndim != 1 or len(users) != context.shape[0]:
        raise WorkbenchError(f"users has {users.size} entries but context has {context.shape[0]} rows; give one row per user")
    if len(users) and users.min() < 0:
        raise WorkbenchError(f"user indices must be ≥ 0, got {int(users.min())}")
    if context.shape[1] != n_items:
        raise WorkbenchError(f"context has {context.shape[1]} items but {model_name} was fitted on {n_items}")
    return users, context
