"""Data-budget samplers: Distill-CF and the subsets of the training data the paper compares it with.

Every sampler is registered in :mod:`workbench.samplers.registry` and called the same way,
``get_sampler(name)(dataset, budget, seed) -> TrainingSample``:

* ``distill-cf``: a summary of synthetic users (:mod:`workbench.distill`);
* ``interaction-rns``: a uniformly random share of the interactions;
* ``user-rns``: random users with all their interactions;
* ``head-user``: the most active users;
* ``svp-cf-user``: the users whose interactions a proxy MF model forgets most (SVP-CF).

Typical use::

    from workbench.data import load_dataset
    from workbench.samplers import get_sampler, load_sample

    data = load_dataset("ml-1m")
    sample = get_sampler("user-rns")(data, "2%", seed=0)   # run_sampler(name, matrix, ...) on a bare matrix
    sample.matrix        # (rows, n_items) float32 CSR: train a model on it
    sample.save("samples/ml-1m.user-rns.2pct.npz")   # records the dataset and split
    again = load_sample("samples/ml-1m.user-rns.2pct.npz", dataset=data)  # refused on another split
"""

from __future__ import annotations

from workbench.samplers.budget import Budget, parse_budget
from workbench.samplers.forgetting import count_forgetting_events, forgetting_transitions, mean_per_user
from workbench.samplers.head_user import sample_head_user, top_users
from workbench.samplers.interaction_rns import sample_interaction_rns
from workbench.samplers.negatives import sample_negatives
from workbench.samplers.proxy_mf import ProxySettings, ProxyTrace, train_bpr_proxy
from workbench.samplers.registry import (
    DISTILL_CF,
    SAMPLER_NAMES,
    SAMPLERS,
    SUMMARY_LAMBDAS,
    Sampler,
    SamplerSpec,
    check_sampler,
    get_sampler,
    headline_sampler,
    run_sampler,
    sampler_options,
)
from workbench.samplers.sample import TrainingSample, build_sample, load_sample
from workbench.samplers.svp_cf_user import proxy_settings, sample_svp_cf_user, svp_cf_user_scores
from workbench.samplers.user_rns import sample_user_rns

__all__ = [
    "DISTILL_CF",
    "SAMPLERS",
    "SAMPLER_NAMES",
    "SUMMARY_LAMBDAS",
    "SamplerSpec",
    "check_sampler",
    "headline_sampler",
    "Budget",
    "ProxySettings",
    "ProxyTrace",
    "Sampler",
    "TrainingSample",
    "build_sample",
    "count_forgetting_events",
    "forgetting_transitions",
    "get_sampler",
    "load_sample",
    "mean_per_user",
    "parse_budget",
    "proxy_settings",
    "run_sampler",
    "sample_head_user",
    "sample_interaction_rns",
    "sample_negatives",
    "sample_svp_cf_user",
    "sample_user_rns",
    "sampler_options",
    "svp_cf_user_scores",
    "top_users",
    "train_bpr_proxy",
]
