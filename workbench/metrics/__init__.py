"""Ranking metrics of the ∞-AE paper (docs/metrics.md), vectorised over batches of users.

Per-user metrics (float64 (b,), NaN for users without positives), from a boolean hit matrix:

- :func:`hit_rate_at_k` — HR@k, the paper's *truncated recall* |T∩P| / min(|P|, k)
- :func:`recall_at_k` — plain Recall@k, |T∩P| / |P|
- :func:`ndcg_at_k` — NDCG@k normalised by the ideal DCG of min(|P|, k) positives
- :func:`psp_at_k` — propensity-scaled precision, with :func:`psp_item_weights`

AUC with sampled negatives: :func:`sample_auc_negatives`, :func:`global_auc` (the paper's, pooled over
users), :func:`per_user_auc` (a different, per-user mean).

Ranking: :func:`top_k_items` (masking, ties by lower item index, ``-1`` padding) and :func:`hits`.

Entry point for models: :func:`evaluate_rankings` → :class:`EvaluationResult`.
"""

from __future__ import annotations

from workbench.metrics.auc import (
    auc_pair_scores,
    global_auc,
    grouped_auc,
    per_user_auc,
    sample_auc_negatives,
)
from workbench.metrics.evaluate import (
    RANKING_METRICS,
    EvaluationResult,
    evaluate_rankings,
    metric_names,
)
from workbench.metrics.hit_rate import hit_rate_at_k
from workbench.metrics.ndcg import ndcg_at_k, rank_discounts
from workbench.metrics.psp import PSP_A, PSP_B, psp_at_k, psp_item_weights, psp_normaliser
from workbench.metrics.ranking import hits, top_k_items
from workbench.metrics.recall import hit_counts, recall_at_k

__all__ = [
    "EvaluationResult",
    "PSP_A",
    "PSP_B",
    "RANKING_METRICS",
    "auc_pair_scores",
    "evaluate_rankings",
    "global_auc",
    "grouped_auc",
    "hit_counts",
    "hit_rate_at_k",
    "hits",
    "metric_names",
    "ndcg_at_k",
    "per_user_auc",
    "psp_at_k",
    "psp_item_weights",
    "psp_normaliser",
    "rank_discounts",
    "recall_at_k",
    "sample_auc_negatives",
    "top_k_items",
]
