"""The SVP-CF proxy: a small BPR matrix factorisation trained with minibatch SGD, tracking forgetting.

Model: score(u, i) = p_u · q_i + b_i, with p_u, q_i ∈ R^dimension and an item bias b_i.
Loss of one training interaction (u, i) with a sampled negative j (BPR, Rendle et al. 2009):
    −log σ(x_uij) + regularization/2 · (‖p_u‖² + ‖q_i‖² + ‖q_j‖²),   x_uij = score(u, i) − score(u, j).

Each epoch draws, for every training interaction, one negative uniformly among the items its user
did not interact with, shuffles the interactions and visits them in minibatches. At a minibatch's
forward pass (before its update) an interaction counts as *right* when x_uij > 0 (the positive
outranks its negative), as in the authors' code (noveens/sampling_cf, where an interaction is
wrong when its sampled negative scores above the positive). The update is plain SGD on the summed
per-interaction gradients (sparse rows only; numpy, float32).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from workbench.samplers.forgetting import forgetting_transitions
from workbench.samplers.negatives import sample_negatives


@dataclass(frozen=True)
class ProxySettings:
    """Hyper-parameters of the proxy (the defaults are the SVP-CF sampler's)."""

    epochs: int = 20
    dimension: int = 32
    learning_rate: float = 0.05
    batch_size: int = 4096
    regularization: float = 1e-4
    init_scale: float = 0.1


@dataclass(frozen=True)
class ProxyTrace:
    """What training the proxy recorded.

    Attributes:
        forgetting_events: (nnz,) int64, per stored interaction of the CSR training matrix (storage
            order): how many times it went from right at one epoch to wrong at the next.
        accuracy: (epochs,) float64, the share of interactions right at each epoch.
        final_loss: mean BPR log-loss (without regularisation) over the last epoch.
    """

    forgetting_events: np.ndarray
    accuracy: np.ndarray
    final_loss: float


def train_bpr_proxy(train: sp.csr_matrix, settings: ProxySettings, seed: int) -> ProxyTrace:
    """Train the BPR-MF proxy on `train` ((n_users, n_items) CSR, sorted indices) and count forgetting.

    Deterministic for a seed: one ``numpy.random.default_rng(seed)`` draws the initial factors
    (normal, standard deviation `init_scale`; biases 0), then per epoch the negatives and the order.
    Memory: O(nnz) for the correctness of two consecutive epochs, not O(epochs × nnz).
    """
    rng = np.random.default_rng(seed)
    n_users, n_items = train.shape
    dimension = settings.dimension
    user_factors = rng.normal(0.0, settings.init_scale, size=(n_users, dimension)).astype(np.float32)
    item_factors = rng.normal(0.0, settings.init_scale, size=(n_items, dimension)).astype(np.float32)
    item_bias = np.zeros(n_items, dtype=np.float32)
    learning_rate = np.float32(settings.learning_rate)
    regularization = np.float32(settings.regularization)

    nnz = int(train.nnz)
    users = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(train.indptr))
    items = train.indices.astype(np.int64)
    events = np.zeros(nnz, dtype=np.int64)
    previous: np.ndarray | None = None
    accuracy = np.zeros(settings.epochs, dtype=np.float64)
    final_loss = 0.0

    for epoch in range(settings.epochs):
        negatives = sample_negatives(train, users, rng)
        trainable = negatives >= 0  # a user with every item has no negative: never right, no gradient
        negatives = np.where(trainable, negatives, items)
        order = rng.permutation(nnz)
        correct = np.zeros(nnz, dtype=bool)
        loss_sum = 0.0
        for start in range(0, nnz, settings.batch_size):
            batch = order[start : start + settings.batch_size]
            u, i, j = users[batch], items[batch], negatives[batch]
            p_u, q_i, q_j = user_factors[u], item_factors[i], item_factors[j]
            difference = q_i - q_j
            margin = np.einsum("bd,bd->b", p_u, difference) + item_bias[i] - item_bias[j]
            usable = trainable[batch]
            correct[batch] = (margin > 0) & usable
            weight = (expit(-margin) * usable).astype(np.float32)  # −dloss/dmargin = σ(−x)
            loss_sum += float(np.logaddexp(0.0, -margin[usable]).sum())
            step_user = learning_rate * (weight[:, None] * difference - regularization * p_u)
            step_positive = learning_rate * (weight[:, None] * p_u - regularization * q_i)
            step_negative = learning_rate * (-weight[:, None] * p_u - regularization * q_j)
            _scatter_add(user_factors, u, step_user)
            both = np.concatenate([i, j])
            _scatter_add(item_factors, both, np.concatenate([step_positive, step_negative]))
            np.add.at(item_bias, both, np.concatenate([learning_rate * weight, -learning_rate * weight]))
        if previous is not None:
            events += forgetting_transitions(previous, correct)
        previous = correct
        accuracy[epoch] = correct.mean()
        final_loss = loss_sum / max(1, int(trainable.sum()))

    return ProxyTrace(forgetting_events=events, accuracy=accuracy, final_loss=final_loss)


def _scatter_add(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """target[rows[k]] += values[k] for every k, repeats summed (as `np.add.at`, but much faster for 2-D).

    Sums per distinct row with a sparse (distinct rows × b) one-hot matrix product, in batch order,
    so the result is deterministic. Cost O(b log b + b·d), independent of target's number of rows.
    """
    distinct, slot = np.unique(rows, return_inverse=True)
    count = rows.shape[0]
    one_hot = sp.csc_matrix(
        (np.ones(count, dtype=values.dtype), slot.astype(np.int64), np.arange(count + 1, dtype=np.int64)),
        shape=(distinct.shape[0], count),
    )
    target[distinct] += one_hot @ values
