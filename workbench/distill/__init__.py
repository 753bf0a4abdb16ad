"""Distill-CF: a tiny synthetic summary of a large user x item matrix (SPEC §3)."""

from workbench.distill.distill import (
    INNER_LAMBDAS,
    SUMMARY_LAMBDAS,
    DistillConfig,
    DistillHistory,
    DistillResult,
    binarise,
    distill,
    draw_summary,
)
from workbench.distill.gumbel import multi_gumbel_softmax, naive_multi_gumbel_softmax
from workbench.distill.loss import distillation_loss, reconstruction

__all__ = [
    "INNER_LAMBDAS",
    "SUMMARY_LAMBDAS",
    "DistillConfig",
    "DistillHistory",
    "DistillResult",
    "binarise",
    "distill",
    "distillation_loss",
    "draw_summary",
    "multi_gumbel_softmax",
    "naive_multi_gumbel_softmax",
    "reconstruction",
]
