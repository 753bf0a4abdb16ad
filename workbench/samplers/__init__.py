"""Data-budget samplers: the subsets of the training data the paper compares Distill-CF with.

Each sampler is a pure function ``sample_<name>(train, budget, seed, **options) -> TrainingSample``
of the (n_users, n_items) binary CSR training matrix:

* ``interaction-rns``: a uniformly random share of the interactions;
* ``user-rns``: random users with all their interactions;
* ``head-user``: the most active users;
* ``svp-cf-user``: the users whose interactions a proxy MF model forgets most (SVP-CF).

Typical use::

    from workbench.data import load_dataset
    from workbench.samplers import parse_budget, run_sampler, load_sample

    data = load_dataset("ml-1m")
    sample = run_sampler("user-rns", data.train, "2%", seed=0)   # or get_sampler(name)(train, budget, seed)
    sample.matrix        # (rows, n_items) float32 CSR: train a model on it
    sample.for_dataset(data).save("samples/ml-1m.user-rns.2pct.npz")   # records the dataset and split
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
    SAMPLER_NAMES,
    SAMPLERS,
    Sampler,
    get_sampler,
    run_sampler,
    sampler_options,
)
from workbench.samplers.sample import TrainingSample, build_sample, load_sample
from workbench.samplers.svp_cf_user import proxy_settings, sample_svp_cf_user, svp_cf_user_scores
from workbench.samplers.user_rns import sample_user_rns

__all__ = [
    "SAMPLERS",
    "SAMPLER_NAMES",
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
