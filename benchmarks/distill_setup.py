"""The inputs of one Distill-CF step on ML-1M, shared by the step benchmarks (``distill_ml1m.py``,
``distill_step_floor.py``): μ real users' rows as the logits (seed 0), every user as a target, λ = 1."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StepInputs:
    """Everything :func:`workbench.distill.distill.update_step` takes, for ML-1M.

    Attributes:
        dataset: ML-1M with the paper's split.
        config: DistillConfig(budget=μ, draws=γ), the other settings at their defaults.
        logits: (μ, d) float32, the binary rows of μ random users.
        targets: (n_users, d) float32, the whole training matrix.
        optimizer, state: the package's Adam for ``config.learning_rate`` and its initial state.
        key: ``jax.random.key(0)``; lam: 1.0 (float32); mean_size: train interactions / users.
    """

    dataset: Any
    config: Any
    logits: Any
    targets: Any
    optimizer: Any
    state: Any
    key: Any
    lam: Any
    mean_size: float


def add_step_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both step benchmarks take: --budget μ (500), --draws γ (200), --output (a JSON path)."""
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--output", type=Path)


def ml1m_step_inputs(budget: int, draws: int) -> StepInputs:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from workbench.data import load_dataset
    from workbench.distill.distill import DistillConfig, adam

    dataset = load_dataset("ml-1m")
    config = DistillConfig(budget=budget, draws=draws)
    users = np.sort(np.random.default_rng(0).choice(dataset.n_users, size=config.budget, replace=False))
    logits = jnp.asarray(dataset.train[users].toarray(), dtype=jnp.float32)
    optimizer = adam(config.learning_rate)
    return StepInputs(
        dataset=dataset,
        config=config,
        logits=logits,
        targets=jnp.asarray(dataset.train.toarray(), dtype=jnp.float32),
        optimizer=optimizer,
        state=optimizer.init(logits),
        key=jax.random.key(0),
        lam=jnp.asarray(1.0, jnp.float32),
        mean_size=dataset.train.nnz / dataset.n_users,
    )
