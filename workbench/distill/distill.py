"""Distill-CF: learn a summary of μ synthetic users on which ∞-AE reconstructs the real data (SPEC §3).

The parameter is a logit matrix Z (μ, d), initialised to the binary rows of μ random real users.
Each optimiser step draws a summary X̂ = clip(Σ_{j≤γ} softmax((Z + g_j)/τ), 0, 1)
(:mod:`workbench.distill.gumbel`), computes :func:`workbench.distill.loss.distillation_loss` on the
real training rows (all users, or a random batch of b), and takes an Adam step (optax, learning
rate 0.04). Every ``evaluate_every`` steps a summary is drawn, ∞-AE is fitted on it for every λ of
the inner grid, and validation HR@100 over all users picks the λ the loss uses from then on; the
summary kept is the one drawn at the best validation step. Step 0 evaluates the μ real users the
logits start from (as the authors' code does): when no later draw beats them, those binary rows
are the result. Training stops after ``steps`` steps,
after ``patience`` steps without a better validation HR@100, or at a non-finite loss (the best
summary so far is kept and the step is reported). The PRNG key is split explicitly, once per update.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.sparse as sp
from tqdm.auto import tqdm

from workbench.data import Dataset
from workbench.distill.gumbel import multi_gumbel_softmax
from workbench.distill.loss import distillation_loss
from workbench.errors import WorkbenchError
from workbench.evaluation import EvaluationConfig, EvaluationData, evaluate_fitted
from workbench.models.infinite_ae import InfiniteAE, check_lambdas
from workbench.kernels.memory import require_memory
from workbench.kernels.ntk import NTKConfig

INNER_LAMBDAS: tuple[float, ...] = (1e-5, 1e-3, 0.1, 1.0, 5.0, 50.0)
#: ∞-AE's λ grid for a model fitted on a summary: the inner grid with ∞-AE's own. A summary's best
#: λ is often far below 1 (1e-5 … 1e-3 on ML-1M), outside ∞-AE's default grid for real data.
SUMMARY_LAMBDAS: tuple[float, ...] = (1e-5, 1e-3, 0.1, 1.0, 5.0, 20.0, 50.0, 100.0)


@dataclass(frozen=True)
class DistillConfig:
    """Distill-CF's settings (SPEC §3 defaults).

    Attributes:
        budget: μ, the number of synthetic users.
        temperature: τ > 0 of the Gumbel-softmax. Default 5, from the authors' grid {0.3, 0.5, 0.7, 5}:
            on ML-1M at μ = 500 it gave test NDCG@10 32.12 where the authors' code default, 10,
            gave 26.70 (BENCHMARKS.md).
        draws: γ, Gumbel draws summed per synthetic user.
        steps: at most this many optimiser steps.
        learning_rate: Adam's step size.
        patience: stop after this many steps without a better validation HR@100.
        evaluate_every: steps between validation evaluations (and λ choices).
        target_batch: real users per step (None: all users).
        lambdas: the inner λ grid, re-chosen on validation HR@100 at each evaluation.
        cardinality_weight: λ₂ of the size term.
        ntk: the kernel's network.
    """

    budget: int = 500
    temperature: float = 5.0
    draws: int = 200
    steps: int = 500
    learning_rate: float = 0.04
    patience: int = 150
    evaluate_every: int = 25
    target_batch: int | None = None
    lambdas: tuple[float, ...] = INNER_LAMBDAS
    cardinality_weight: float = 1e-3
    ntk: NTKConfig = field(default_factory=NTKConfig)

    def __post_init__(self) -> None:
        for name in ("budget", "draws", "evaluate_every"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise WorkbenchError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.steps, (int, np.integer)) or self.steps < 0:
            raise WorkbenchError(f"steps must be an integer ≥ 0, got {self.steps!r}")
        if not isinstance(self.patience, (int, np.integer)) or self.patience < 1:
            raise WorkbenchError(f"patience must be a positive integer, got {self.patience!r}")
        if not (isinstance(self.temperature, (int, float)) and np.isfinite(self.temperature) and self.temperature > 0):
            raise WorkbenchError(f"temperature (τ) must be a finite number > 0, got {self.temperature!r}")
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise WorkbenchError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if self.target_batch is not None and (not isinstance(self.target_batch, int) or self.target_batch < 1):
            raise WorkbenchError(f"target_batch must be a positive integer or None, got {self.target_batch!r}")
        if not self.cardinality_weight >= 0:
            raise WorkbenchError(f"cardinality_weight must be ≥ 0, got {self.cardinality_weight!r}")
        object.__setattr__(self, "lambdas", check_lambdas(tuple(self.lambdas), "lambdas (inner grid)"))


@dataclass(frozen=True)
class DistillHistory:
    """One entry per evaluation, for plots: step, last loss, validation metrics, chosen λ, seconds."""

    step: tuple[int, ...]
    loss: tuple[float, ...]
    validation_hr10: tuple[float, ...]
    validation_hr100: tuple[float, ...]
    lam: tuple[float, ...]
    seconds: tuple[float, ...]


@dataclass(frozen=True)
class DistillResult:
    """A distilled summary and how it was made.

    Attributes:
        summary: (μ, d) float32 in [0, 1], drawn at the best validation step.
        binary: (μ, d) float32 0/1: each synthetic user's round(Σ_i summary[s, i]) (≥ 1) top items.
        lam: the inner λ chosen at the best validation step.
        best_step: that step.
        best_validation_hr100: validation HR@100 of ∞-AE on the summary there.
        history: the evaluations, in order.
        stopped: why training ended early (non-finite loss, patience), or None.
        config: the settings; seed: the seed.
        logits: (μ, d) float32, the logits Z the summary was drawn from (at step 0, the μ real
            users' binary rows, which are also the summary); for drawing it again, e.g. at other τ.
    """

    summary: np.ndarray
    binary: np.ndarray
    lam: float
    best_step: int
    best_validation_hr100: float
    history: DistillHistory
    stopped: str | None
    config: DistillConfig
    seed: int
    logits: np.ndarray | None = None


def binarise(summary: np.ndarray) -> np.ndarray:
    """Each row's round(row sum) (at least 1) largest entries set to 1, the rest 0; (μ, d) float32."""
    summary = np.asarray(summary)
    sizes = np.clip(np.rint(summary.sum(axis=1)).astype(np.int64), 1, summary.shape[1])
    order = np.argsort(-summary, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(summary.shape[1])[None, :].repeat(len(summary), 0), axis=1)
    return (ranks < sizes[:, None]).astype(np.float32)


@lru_cache(maxsize=16)
def adam(learning_rate: float) -> optax.GradientTransformation:
    """optax's Adam, one object per learning rate: ``update_step`` takes it as a static argument, so a
    new object at every :func:`distill` call would recompile the step (20 s on a 2-core CPU) each time."""
    return optax.adam(learning_rate)


def draw_summary(logits: jax.Array, key: jax.Array, config: DistillConfig) -> jax.Array:
    """X̂ = clip(Σ_j softmax((Z + g_j)/τ), 0, 1), (μ, d)."""
    return jnp.clip(multi_gumbel_softmax(logits, key, config.draws, config.temperature), 0.0, 1.0)


@partial(jax.jit, static_argnames=("config", "optimizer"))
def update_step(
    logits: jax.Array,
    optimizer_state: optax.OptState,
    key: jax.Array,
    targets: jax.Array,
    lam: jax.Array,
    mean_user_size: float,
    *,
    config: DistillConfig,
    optimizer: optax.GradientTransformation,
) -> tuple[jax.Array, optax.OptState, jax.Array]:
    """One Adam step on the logits: (new logits, new optimiser state, the loss before the step)."""

    def objective(parameters: jax.Array) -> jax.Array:
        summary = draw_summary(parameters, key, config)
        return distillation_loss(summary, targets, lam, mean_user_size, config.cardinality_weight, config.ntk)

    loss, gradient = jax.value_and_grad(objective)(logits)
    updates, optimizer_state = optimizer.update(gradient, optimizer_state, logits)
    return optax.apply_updates(logits, updates), optimizer_state, loss


def choose_inner_lambda(summary: np.ndarray, data: EvaluationData, config: DistillConfig, seed: int) -> tuple[float, float, float]:
    """Fit ∞-AE on the summary for every inner λ; (λ, HR@10, HR@100) of the best validation HR@100."""
    matrix = sp.csr_matrix(summary)
    if matrix.nnz == 0:
        return config.lambdas[0], 0.0, 0.0
    model = InfiniteAE(lambdas=config.lambdas, ntk=config.ntk)
    evaluation = EvaluationConfig()
    best = (config.lambdas[0], -1.0, -1.0)
    fits = model.fit_grid(matrix, seed=seed, row_users=np.full(matrix.shape[0], -1))
    while True:
        try:
            fitted = next(fits)
        except StopIteration:
            break
        except WorkbenchError:  # K + λ̃I not positive definite in float32 at a tiny λ: that λ is out
            continue
        metrics = evaluate_fitted(fitted, data, "validation", evaluation).metrics
        if metrics["HR@100"] > best[2]:
            best = (fitted.lam, metrics["HR@10"], metrics["HR@100"])
    return best


def distill(dataset: Dataset, config: DistillConfig = DistillConfig(), *, seed: int = 0, progress: bool = True) -> DistillResult:
    """Distill ``dataset.train`` into ``config.budget`` synthetic users; see the module doc."""
    train = dataset.train
    active = np.flatnonzero(np.diff(train.indptr) > 0)
    if config.budget > len(active):
        raise WorkbenchError(
            f"budget μ = {config.budget} synthetic users is larger than dataset {dataset.name!r}, "
            f"which has {len(active)} users with training data"
        )
    if dataset.validation.nnz == 0:
        raise WorkbenchError(f"dataset {dataset.name!r} has no validation interactions: Distill-CF chooses its λ on them")
    if config.budget * dataset.n_items >= 2**32:
        raise WorkbenchError(
            f"budget μ = {config.budget} x {dataset.n_items} items exceeds the 2^32 entries the Gumbel noise can address"
        )
    require_memory(
        f"Distill-CF's dense targets ({dataset.n_users:,} users x {dataset.n_items:,} items, float32)",
        4 * dataset.n_users * dataset.n_items + 16 * config.budget * dataset.n_items,
        instead="Use fewer items or a machine with more memory.",
    )
    if config.target_batch is not None and config.target_batch > dataset.n_users:
        raise WorkbenchError(f"target_batch = {config.target_batch} is larger than the {dataset.n_users} users")
    rng = np.random.default_rng(seed)
    initial_users = np.sort(rng.choice(active, size=config.budget, replace=False))
    logits = jnp.asarray(train[initial_users].toarray(), dtype=jnp.float32)
    targets_all = jnp.asarray(train.toarray(), dtype=jnp.float32)
    mean_user_size = float(train.nnz) / dataset.n_users
    optimizer = adam(config.learning_rate)
    optimizer_state = optimizer.init(logits)
    data = EvaluationData.prepare(dataset, seed=seed, config=EvaluationConfig())

    key = jax.random.key(seed)
    key, evaluation_key = jax.random.split(key)
    history: dict[str, list[float]] = {name: [] for name in DistillHistory.__dataclass_fields__}
    best_summary: np.ndarray | None = None
    best_logits: np.ndarray | None = None
    best = (-1.0, 0, config.lambdas[0])  # (validation HR@100, step, λ)
    lam = config.lambdas[0]
    last_loss = last_hr10 = float("nan")
    stopped: str | None = None
    started = time.perf_counter()
    bar = tqdm(total=config.steps, desc=f"Distill-CF μ={config.budget} on {dataset.name}", disable=not progress, unit="step")
    for step in range(config.steps + 1):
        if step % config.evaluate_every == 0 or step == config.steps:
            if step == 0:  # as the authors do: the starting point is the μ real users themselves
                summary = np.asarray(logits)
            else:
                summary = np.asarray(draw_summary(logits, jax.random.fold_in(evaluation_key, step), config))
            lam, hr10, hr100 = choose_inner_lambda(summary, data, config, seed)
            for name, value in zip(history, (step, last_loss, hr10, hr100, lam, time.perf_counter() - started)):
                history[name].append(value)
            if hr100 > best[0]:
                best, best_summary, best_logits = (hr100, step, lam), summary, np.asarray(logits, dtype=np.float32)
            last_hr10 = hr10
            if step - best[1] >= config.patience:
                stopped = f"no better validation HR@100 for {step - best[1]} steps (patience {config.patience})"
                break
        if step == config.steps:
            break
        key, step_key, batch_key = jax.random.split(key, 3)
        if config.target_batch is None:
            targets = targets_all
        else:
            targets = targets_all[jax.random.choice(batch_key, dataset.n_users, (config.target_batch,), replace=False)]
        logits, optimizer_state, loss = update_step(
            logits, optimizer_state, step_key, targets, jnp.asarray(lam, jnp.float32), mean_user_size,
            config=config, optimizer=optimizer,
        )
        last_loss = float(loss) if bool(jnp.isfinite(logits).all()) else float("nan")
        bar.set_postfix({"loss": f"{last_loss:.4f}", "val HR@10": f"{last_hr10:.2f}", "λ": f"{lam:g}"}, refresh=False)
        bar.update(1)
        if not np.isfinite(last_loss):
            stopped = (
                f"non-finite loss or logits at step {step + 1}; "
                f"kept the best summary so far (step {best[1]})"
            )
            break
    bar.close()
    assert best_summary is not None  # step 0 is always evaluated
    return DistillResult(
        summary=best_summary.astype(np.float32),
        binary=binarise(best_summary),
        lam=float(best[2]),
        best_step=int(best[1]),
        best_validation_hr100=float(best[0]),
        history=DistillHistory(**{name: tuple(values) for name, values in history.items()}),  # type: ignore[arg-type]
        stopped=stopped,
        config=config,
        seed=seed,
        logits=best_logits,
    )
