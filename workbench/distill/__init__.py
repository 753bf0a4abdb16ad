"""Distill-CF: a tiny synthetic summary of a large user x item matrix (docs/distill_cf.md)."""

from workbench.distill.distill import (
    INNER_LAMBDAS,
    DistillConfig,
    DistillHistory,
    DistillResult,
    DistillState,
    StepData,
    StepSettings,
    binarise,
    distill,
    draw_summary,
    init,
    run_steps,
    step,
)
from workbench.distill.gumbel import multi_gumbel_softmax, naive_multi_gumbel_softmax
from workbench.distill.loss import distillation_loss, reconstruction

__all__ = [
    "INNER_LAMBDAS",
    "DistillConfig",
    "DistillHistory",
    "DistillResult",
    "DistillState",
    "StepData",
    "StepSettings",
    "binarise",
    "distill",
    "distillation_loss",
    "draw_summary",
    "init",
    "multi_gumbel_softmax",
    "naive_multi_gumbel_softmax",
    "reconstruction",
    "run_steps",
    "step",
]
