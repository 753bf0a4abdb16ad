"""SVP-CF User (Sachdeva, Wu & McAuley, WSDM 2022, "On Sampling Collaborative Filtering Datasets").

Selection via proxy for collaborative filtering: train a cheap proxy model on the full training
data, measure how hard each interaction is for it (its forgetting events during training), and
keep the users whose interactions are the hardest on average.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from workbench.samplers._checks import (
    check_positive_float,
    check_positive_int,
    check_seed,
    check_train,
    users_within_budget,
)
from workbench.samplers.budget import Budget
from workbench.samplers.forgetting import mean_per_user
from workbench.samplers.head_user import top_users
from workbench.samplers.proxy_mf import ProxySettings, ProxyTrace, train_bpr_proxy
from workbench.samplers.sample import TrainingSample
from workbench.samplers.user_rns import user_rows_sample

NAME = "svp-cf-user"
_DEFAULTS = ProxySettings()


def proxy_settings(
    *,
    epochs: int = _DEFAULTS.epochs,
    dimension: int = _DEFAULTS.dimension,
    learning_rate: float = _DEFAULTS.learning_rate,
    batch_size: int = _DEFAULTS.batch_size,
    regularization: float = _DEFAULTS.regularization,
) -> ProxySettings:
    """Checked `ProxySettings` (`WorkbenchError` naming the option for a bad value)."""
    return ProxySettings(
        epochs=check_positive_int("epochs", epochs, minimum=2),
        dimension=check_positive_int("dimension", dimension),
        learning_rate=check_positive_float("learning_rate", learning_rate),
        batch_size=check_positive_int("batch_size", batch_size),
        regularization=check_positive_float("regularization", regularization, allow_zero=True),
    )


def svp_cf_user_scores(train: sp.csr_matrix, seed: int, settings: ProxySettings) -> tuple[np.ndarray, ProxyTrace]:
    """(n_users,) float64 user scores: the mean number of forgetting events over each user's training
    interactions while the proxy trains (NaN for a user without interactions), and the proxy's trace."""
    trace = train_bpr_proxy(train, settings, seed)
    return mean_per_user(trace.forgetting_events, train), trace


def sample_svp_cf_user(
    train: sp.csr_matrix,
    budget: Budget,
    seed: int,
    *,
    epochs: int = _DEFAULTS.epochs,
    dimension: int = _DEFAULTS.dimension,
    learning_rate: float = _DEFAULTS.learning_rate,
    batch_size: int = _DEFAULTS.batch_size,
    regularization: float = _DEFAULTS.regularization,
) -> TrainingSample:
    """Keep the n users whose interactions the proxy forgets most, with all their training interactions.

    Rule (choices made here, following the paper and the authors' code where they say):

    1. Proxy: BPR matrix factorisation (`proxy_mf`): score(u, i) = p_u · q_i + b_i, `dimension`
       factors (default 32, the authors used 10), N(0, 0.1²) initialisation, trained `epochs`
       epochs (default 20, the authors used 50) of plain minibatch SGD (summed per-interaction
       gradients, `learning_rate` 0.05, `batch_size` 4096, L2 `regularization` 1e-4) on all
       training interactions, seeded by `seed`. Each epoch draws one negative per interaction,
       uniformly among the items its user has not interacted with.
    2. Correctness: an interaction (u, i) is *right* at an epoch when, at its minibatch's forward
       pass, the positive scores above that epoch's sampled negative (x_uij > 0).
    3. Forgetting event: right at epoch e and wrong at epoch e + 1 (Toneva et al.); an interaction's
       count is the number of such transitions over the run (`forgetting.count_forgetting_events`).
       Interactions never learned count 0 (the authors' code did not special-case them either).
    4. User score: the mean of the counts over the user's training interactions.
    5. Keep the n = budget.n_users(n_users) users with the highest score (the hardest, most
       informative ones), ties broken by the lower user index; only users with at least one
       training interaction are candidates. Rows are in ascending user order.

    The authors' SVP-CF User removed the lowest-scored users until a share of the *interactions*
    was gone; here, as for every user sampler in this package, the budget is a number of users.

    Cost: O(epochs × nnz × dimension), vectorised per minibatch (ML-1M, 0.8 M interactions:
    about 15 s on 2 CPU cores with the defaults).

    Returns:
        A `TrainingSample` of n rows, each the chosen user's full training row; its parameters
        hold the options, the proxy's per-epoch training accuracy and final loss, and the lowest
        kept score.
    """
    train = check_train(train)
    seed = check_seed(seed)
    n = users_within_budget(train, budget)
    settings = proxy_settings(
        epochs=epochs,
        dimension=dimension,
        learning_rate=learning_rate,
        batch_size=batch_size,
        regularization=regularization,
    )
    scores, trace = svp_cf_user_scores(train, seed, settings)
    chosen = top_users(np.nan_to_num(scores, nan=-np.inf), n, eligible=np.isfinite(scores))
    return user_rows_sample(
        train,
        chosen,
        sampler=NAME,
        budget=budget,
        seed=seed,
        parameters={
            "proxy": "bpr-mf",
            "epochs": settings.epochs,
            "dimension": settings.dimension,
            "learning_rate": settings.learning_rate,
            "batch_size": settings.batch_size,
            "regularization": settings.regularization,
            "init_scale": settings.init_scale,
            "negatives": "1 per interaction per epoch, uniform over the user's non-interacted items",
            "score": "mean forgetting events (right -> wrong between consecutive epochs) per user",
            "proxy_train_accuracy": [round(float(value), 6) for value in trace.accuracy],
            "proxy_final_loss": round(float(trace.final_loss), 6),
            "min_score_kept": float(scores[chosen].min()),
        },
    )
