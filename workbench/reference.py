"""Published numbers, for side-by-side tables: the ∞-AE paper's and each newer model's own (test, %).

:data:`PAPER_RESULTS` holds the figures of the ∞-AE paper (Sachdeva et al., NeurIPS 2022) on its own
split and protocol, and of the closed-form models published since on the same split:

* SVD-AE (Hong et al., "SVD-AE: Simple Autoencoders for Collaborative Filtering", IJCAI 2024), whose
  code is built on ∞-AE's and evaluates on ∞-AE's ML-1M split: NDCG@10 33.55.

:func:`paper_source` says which paper a row's figures come from.

The baselines' figures are the authors' own tunings; EASE in particular comes out higher on the
paper's ML-1M split when its λ is chosen on validation over a wide grid. We report what we measure
and print these next to it; nothing is tuned toward them.

The ∞-AE paper has no Gowalla or Yelp2018 row (its main table lists ML-1M, Amazon Magazine, Douban,
Netflix). For those two datasets, which come with LightGCN's train/test split, :data:`LIGHTGCN_PUBLISHED`
holds the LightGCN model's own published test figures under LightGCN's protocol (Recall@20 and
NDCG@20, all items ranked, the user's train.txt items masked; Recall@k = hits in top-k / |test
items|, NDCG@k with the ideal DCG of min(|test items|, k) positives, averaged over test users):
He, Deng, Wang, Li, Zhang, Wang, "LightGCN: Simplifying and Powering Graph Convolution Network for
Recommendation", SIGIR 2020, Table 3 (3-layer LightGCN): Gowalla Recall@20 0.1830, NDCG@20 0.1554;
Yelp2018 Recall@20 0.0649, NDCG@20 0.0530. The paper prints fractions; they are stored ×100 here,
the unit of every metric in this package. These are another model's figures, printed for scale.

A model published on LightGCN's splits has its own figures in :data:`LIGHTGCN_SPLIT_RESULTS`:
GF-CF (Shen et al., "How Powerful is Graph Convolution for Recommendation?", CIKM 2021): Gowalla
Recall@20 0.1849, NDCG@20 0.1518; Yelp2018 Recall@20 0.0697, NDCG@20 0.0571.
"""

from __future__ import annotations

from collections.abc import Mapping

PAPER_RESULTS: Mapping[tuple[str, str], Mapping[str, float]] = {
    ("ml-1m", "infinite-ae"): {"HR@10": 31.51, "HR@100": 60.05, "NDCG@10": 32.82, "NDCG@100": 42.53, "PSP@10": 3.22},
    ("ml-1m", "ease"): {"NDCG@10": 29.88},
    ("ml-1m", "poprec"): {"NDCG@10": 13.84},
    ("amazon-magazine", "infinite-ae"): {"NDCG@10": 23.06},
    ("amazon-magazine", "ease"): {"NDCG@10": 22.84},
    ("amazon-magazine", "poprec"): {"NDCG@10": 8.42},
    ("ml-1m", "svd-ae"): {"NDCG@10": 33.55},
}

INFINITE_AE_SOURCE = "Sachdeva et al., ∞-AE, NeurIPS 2022"
SVD_AE_SOURCE = "Hong et al., SVD-AE, IJCAI 2024"
GF_CF_SOURCE = "Shen et al., GF-CF, CIKM 2021"
_MODEL_SOURCES: Mapping[str, str] = {"svd-ae": SVD_AE_SOURCE, "gf-cf": GF_CF_SOURCE}


def paper_metrics(dataset: str, model: str) -> Mapping[str, float]:
    """The published test metrics for ``model`` on ``dataset`` under the ∞-AE paper's split (empty when none)."""
    return PAPER_RESULTS.get((dataset, model), {})


def paper_source(model: str) -> str:
    """The paper the published figures of ``model`` come from (the ∞-AE paper for its own baselines)."""
    return _MODEL_SOURCES.get(model, INFINITE_AE_SOURCE)


#: LightGCN's protocol: the metrics it reports, in its order.
LIGHTGCN_PROTOCOL_METRICS: tuple[str, ...] = ("Recall@20", "NDCG@20")

#: The LightGCN model's published test figures (He et al., SIGIR 2020, Table 3), ×100.
LIGHTGCN_PUBLISHED: Mapping[str, Mapping[str, float]] = {
    "gowalla": {"Recall@20": 18.30, "NDCG@20": 15.54},
    "yelp2018": {"Recall@20": 6.49, "NDCG@20": 5.30},
}

#: Where :data:`LIGHTGCN_PUBLISHED` comes from, for tables and JSON.
LIGHTGCN_SOURCE = "He et al., LightGCN, SIGIR 2020, Table 3"


def lightgcn_published(dataset: str) -> Mapping[str, float]:
    """LightGCN's published Recall@20 and NDCG@20 on ``dataset`` (×100; empty when there are none)."""
    return LIGHTGCN_PUBLISHED.get(dataset, {})


#: Other models' own published figures on LightGCN's splits and protocol, ×100.
LIGHTGCN_SPLIT_RESULTS: Mapping[tuple[str, str], Mapping[str, float]] = {
    ("gowalla", "gf-cf"): {"Recall@20": 18.49, "NDCG@20": 15.18},
    ("yelp2018", "gf-cf"): {"Recall@20": 6.97, "NDCG@20": 5.71},
}


def lightgcn_split_metrics(dataset: str, model: str) -> Mapping[str, float]:
    """``model``'s own published Recall@20 and NDCG@20 on LightGCN's split of ``dataset`` (empty when none)."""
    return LIGHTGCN_SPLIT_RESULTS.get((dataset, model), {})
