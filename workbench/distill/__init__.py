"""Distill-CF: a tiny synthetic summary of a large user x item matrix (docs/distill_cf.md)."""

from workbench.distill.distill import (
    INNER_LAMBDAS,
    DistillConfig,
    DistillHistory,
    DistillProgress,
    DistillResult,
    DistillState,
    DistillStopped,
    StepData,
    StepSettings,
    binarise,
    distill,
    draw_summary,
    init,
    loss_and_gradient,
    run_steps,
    step,
    step_memory,
    target_mesh,
)
from workbench.distill.gumbel import multi_gumbel_softmax, naive_multi_gumbel_softmax
from workbench.distill.loss import distillation_loss, reconstruction

__all__ = [
    "INNER_LAMBDAS",
    "DistillConfig",
    "DistillHistory",
    "DistillProgress",
    "DistillResult",
    "DistillState",
    "DistillStopped",
    "StepData",
    "StepSettings",
    "binarise",
    "distill",
    "distillation_loss",
    "draw_summary",
    "init",
    "loss_and_gradient",
    "multi_gumbel_softmax",
    "naive_multi_gumbel_softmax",
    "reconstruction",
    "run_steps",
    "step",
    "step_memory",
    "target_mesh",
]
