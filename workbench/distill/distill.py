"""Distill-CF: learn a summary of μ synthetic users on which ∞-AE reconstructs the real data
(docs/distill_cf.md).

The parameter is a logit matrix Z (μ, d), initialised to the binary rows of μ random real users.
Each optimiser step draws a summary X̂ = clip(Σ_{j≤γ} softmax((Z + g_j)/τ), 0, 1)
(:mod:`workbench.distill.gumbel`), computes :func:`workbench.distill.loss.distillation_loss` on the
real training rows (all users, or a random batch of b), and takes an Adam step (optax, learning
rate 0.04). Every ``evaluate_every`` steps a summary is drawn, ∞-AE is fitted on it for every λ of
the inner grid, and validation HR@100 over all users picks the λ the loss uses from then on; the
summary kept is the one drawn at the best validation step. Step 0 evaluates the μ real users the
logits start from (the authors' code does not: its first evaluation is at step 25): when no later
draw beats them, those binary rows are the result. Training stops after ``steps`` steps,
after ``patience`` steps without a better validation HR@100, or at a non-finite loss (the best
summary so far is kept and the step is reported). The PRNG key is split explicitly, once per update.

The loop is optax-shaped, in small pieces that :func:`distill` strings together:

- :func:`init` checks the data and settings and returns the starting :class:`DistillState` (a
  pytree: logits, Adam state, keys, step count, current λ, best so far);
- :func:`step` (jitted) takes one update. It compiles for a :class:`StepSettings`, the few settings
  an update depends on: ``steps``, ``patience``, ``evaluate_every`` and the progress bar do not
  recompile it. After an update with a non-finite loss or logits it leaves the state as it is;
- :func:`run_steps` queues the updates between two validations without a round trip to the host
  per update (JAX dispatches each asynchronously; the caller reads ``state.finite`` once after);
- :func:`validate` (host: ∞-AE fits and ranking) draws a summary, re-chooses λ, records the
  evaluation in a :class:`DistillHistory` and keeps the best summary; :func:`finish` makes the
  :class:`DistillResult`.

The float64 validation values and λ are kept on the host, in the history (the best ones are the
history's entry at ``state.best_step``), not in the state: a jitted function would round them to
float32.

The updates are not fused into one ``lax.while_loop`` (or ``fori_loop``/``scan``): XLA compiles a
loop body otherwise than a top-level computation, and the results changed. On ML-1M at μ = 500 (a
2-core CPU, jax 0.10), one update inside a loop against :func:`step`: the same loss, but the
gradient differed in every entry (by up to 6e-7, for entries of at most 1.3e-3), and after Adam's
first step 86% of the logits, by up to 0.07. Queued jitted updates keep the results bit for bit
those of one update at a time.
"""

from __future__ import annotations

import dataclasses
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
from workbench.models.infinite_ae import InfiniteAE
from workbench.validation import check_lambdas
from workbench.kernels.memory import require_memory
from workbench.kernels.ntk import NTKConfig

INNER_LAMBDAS: tuple[float, ...] = (1e-5, 1e-3, 0.1, 1.0, 5.0, 50.0)


@dataclass(frozen=True)
class DistillConfig:
    """Distill-CF's settings (defaults as in docs/distill_cf.md).

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
    new object at every call would recompile the step (20 s on a 2-core CPU) each time."""
    return optax.adam(learning_rate)


def draw_summary(logits: jax.Array, key: jax.Array, config: DistillConfig | StepSettings) -> jax.Array:
    """X̂ = clip(Σ_j softmax((Z + g_j)/τ), 0, 1), (μ, d)."""
    return jnp.clip(multi_gumbel_softmax(logits, key, config.draws, config.temperature), 0.0, 1.0)


@dataclass(frozen=True)
class StepSettings:
    """The settings one update depends on: the static argument of :func:`step` and :func:`run_steps`.

    A :class:`DistillConfig` that differs only in ``steps``, ``patience``, ``evaluate_every`` or
    ``lambdas`` (a value the step reads from its state) gives equal settings, so the compiled update
    is reused. Another ``budget`` (μ) gives equal settings too, but other array shapes: JAX compiles
    the step once more for them.

    Attributes:
        draws: γ; temperature: τ; cardinality_weight: λ₂; ntk: the kernel's network.
        learning_rate: Adam's step size (the optimiser is :func:`adam` of it).
        target_batch: real users per update (None: all).
    """

    draws: int
    temperature: float
    cardinality_weight: float
    ntk: NTKConfig
    learning_rate: float
    target_batch: int | None

    @classmethod
    def from_config(cls, config: DistillConfig) -> StepSettings:
        return cls(
            draws=config.draws, temperature=config.temperature, cardinality_weight=config.cardinality_weight,
            ntk=config.ntk, learning_rate=config.learning_rate, target_batch=config.target_batch,
        )


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class StepData:
    """The real data an update fits (a pytree).

    Attributes:
        targets: (n_users, d) float32, the dense training matrix.
        mean_user_size: #train interactions / #users (a Python float: traced as a weak float32).
    """

    targets: jax.Array
    mean_user_size: float

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> StepData:
        train = dataset.train
        return cls(targets=jnp.asarray(train.toarray(), dtype=jnp.float32), mean_user_size=float(train.nnz) / dataset.n_users)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class DistillState:
    """Everything Distill-CF carries from one update to the next (a pytree of arrays).

    Attributes:
        logits: (μ, d) float32, Z.
        optimizer_state: Adam's state for the logits.
        key: the PRNG key of the updates, split into (key, step key, batch key) once per update.
        evaluation_key: the PRNG key of the validation draws (step s draws with ``fold_in(·, s)``).
        step: () int32, updates taken.
        loss: () float32, the loss of the last update (before it), NaN before the first.
        lam: () float32, the inner λ the loss uses, chosen at the last validation.
        best_logits: (μ, d) float32, the logits at the best validation so far.
        best_summary: (μ, d) float32, the summary evaluated there (at step 0, the logits themselves).
        best_step: () int32, that validation's step.
        finite: () bool, whether every update so far had a finite loss and finite logits; once
            False, :func:`step` returns the state unchanged (the non-finite update is the last taken).
    """

    logits: jax.Array
    optimizer_state: optax.OptState
    key: jax.Array
    evaluation_key: jax.Array
    step: jax.Array
    loss: jax.Array
    lam: jax.Array
    best_logits: jax.Array
    best_summary: jax.Array
    best_step: jax.Array
    finite: jax.Array


def check(dataset: Dataset, config: DistillConfig) -> None:
    """Refuse what Distill-CF cannot run (WorkbenchError): a budget above the users with training
    data, no validation data, μ·d ≥ 2³² noise entries, too little memory, a batch above the users."""
    active = np.flatnonzero(np.diff(dataset.train.indptr) > 0)
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


def init(dataset: Dataset, config: DistillConfig, seed: int) -> DistillState:
    """The state before the first update, after :func:`check`.

    ``seed`` draws the μ starting users (numpy's ``default_rng(seed)``, sorted) whose binary rows are
    the logits, and the keys: ``jax.random.key(seed)`` split into the update key and the evaluation
    key. The best so far is the starting users at step 0, until :func:`validate` records step 0.
    """
    check(dataset, config)
    active = np.flatnonzero(np.diff(dataset.train.indptr) > 0)
    initial_users = np.sort(np.random.default_rng(seed).choice(active, size=config.budget, replace=False))
    logits = jnp.asarray(dataset.train[initial_users].toarray(), dtype=jnp.float32)
    key, evaluation_key = jax.random.split(jax.random.key(seed))
    return DistillState(
        logits=logits,
        optimizer_state=adam(config.learning_rate).init(logits),
        key=key,
        evaluation_key=evaluation_key,
        step=jnp.asarray(0, jnp.int32),
        loss=jnp.asarray(jnp.nan, jnp.float32),
        lam=jnp.asarray(config.lambdas[0], jnp.float32),
        best_logits=logits,
        best_summary=logits,
        best_step=jnp.asarray(0, jnp.int32),
        finite=jnp.asarray(True),
    )


def apply_update(
    logits: jax.Array,
    optimizer_state: optax.OptState,
    key: jax.Array,
    targets: jax.Array,
    lam: jax.Array,
    mean_user_size: float | jax.Array,
    settings: StepSettings,
) -> tuple[jax.Array, optax.OptState, jax.Array]:
    """One Adam step on the logits (μ, d), the summary drawn with ``key``, fitted to ``targets`` (b, d):
    (new logits, new optimiser state, the loss before the step, () float32). Traceable, not jitted."""

    def objective(parameters: jax.Array) -> jax.Array:
        summary = draw_summary(parameters, key, settings)
        return distillation_loss(summary, targets, lam, mean_user_size, settings.cardinality_weight, settings.ntk)

    loss, gradient = jax.value_and_grad(objective)(logits)
    updates, optimizer_state = adam(settings.learning_rate).update(gradient, optimizer_state, logits)
    return optax.apply_updates(logits, updates), optimizer_state, loss


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
    """:func:`apply_update` jitted on its own, as the benchmarks time it (``optimizer`` must be
    ``adam(config.learning_rate)``). :func:`distill` runs :func:`run_steps` instead."""
    if optimizer is not adam(config.learning_rate):
        raise WorkbenchError("update_step's optimizer must be adam(config.learning_rate)")
    return apply_update(logits, optimizer_state, key, targets, lam, mean_user_size, StepSettings.from_config(config))


def _step(state: DistillState, data: StepData, settings: StepSettings) -> tuple[DistillState, jax.Array]:
    key, step_key, batch_key = jax.random.split(state.key, 3)
    targets = data.targets
    if settings.target_batch is not None:
        targets = targets[jax.random.choice(batch_key, targets.shape[0], (settings.target_batch,), replace=False)]
    logits, optimizer_state, loss = apply_update(
        state.logits, state.optimizer_state, step_key, targets, state.lam, data.mean_user_size, settings
    )
    advanced = dataclasses.replace(
        state, logits=logits, optimizer_state=optimizer_state, key=key, step=state.step + 1, loss=loss,
        finite=jnp.isfinite(loss) & jnp.isfinite(logits).all(),
    )
    going = state.finite  # after a non-finite update, the state stays as it is
    state = jax.tree.map(lambda new, old: jax.lax.select(going, new, old), advanced, state)
    return state, state.loss


@partial(jax.jit, static_argnames=("settings",))
def step(state: DistillState, data: StepData, settings: StepSettings) -> tuple[DistillState, jax.Array]:
    """One update: split the key, pick the batch (if any), take the Adam step at λ = ``state.lam``;
    (the next state, the loss before the update, () float32). A state whose ``finite`` is False is
    returned unchanged."""
    return _step(state, data, settings)


def run_steps(state: DistillState, data: StepData, count: int, settings: StepSettings) -> DistillState:
    """``count`` calls of :func:`step`, queued without waiting for any result: the caller's first
    read (e.g. ``bool(state.finite)``) is the only round trip to the host. ``state.step`` says how
    many updates were taken: fewer than ``count`` when one had a non-finite loss or logits."""
    for _ in range(count):
        state, _ = step(state, data, settings)
    return state


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


EMPTY_HISTORY = DistillHistory(step=(), loss=(), validation_hr10=(), validation_hr100=(), lam=(), seconds=())


def validate(
    state: DistillState,
    history: DistillHistory,
    data: EvaluationData,
    config: DistillConfig,
    seed: int,
    started: float,
) -> tuple[DistillState, DistillHistory]:
    """The validation at ``state.step`` (host side): draw a summary (at step 0, the logits
    themselves), choose λ on validation HR@100, append (step, last loss, HR@10, HR@100, λ, seconds
    since ``started``, a ``time.perf_counter()``) to the history, set ``state.lam``, and keep this
    summary as the best when its HR@100 beats every earlier one."""
    step_count = int(state.step)
    if step_count == 0:  # as the authors do: the starting point is the μ real users themselves
        summary = np.asarray(state.logits)
    else:
        summary = np.asarray(draw_summary(state.logits, jax.random.fold_in(state.evaluation_key, step_count), config))
    lam, hr10, hr100 = choose_inner_lambda(summary, data, config, seed)
    best_hr100 = max(history.validation_hr100, default=-1.0)
    values = (step_count, float(state.loss), hr10, hr100, lam, time.perf_counter() - started)
    history = DistillHistory(*(entries + (value,) for entries, value in zip(dataclasses.astuple(history), values)))
    state = dataclasses.replace(state, lam=jnp.asarray(lam, jnp.float32))
    if hr100 > best_hr100:
        state = dataclasses.replace(
            state, best_logits=state.logits, best_summary=jnp.asarray(summary), best_step=jnp.asarray(step_count, jnp.int32)
        )
    return state, history


def next_validation(step_count: int, config: DistillConfig) -> int:
    """The step of the validation after ``step_count``: the next multiple of ``evaluate_every``, or ``steps``."""
    return min((step_count // config.evaluate_every + 1) * config.evaluate_every, config.steps)


def finish(state: DistillState, history: DistillHistory, config: DistillConfig, seed: int, stopped: str | None) -> DistillResult:
    """The result: the best summary, its logits, and the λ and HR@100 of its validation (the history's
    entry at ``state.best_step``)."""
    best_step = int(state.best_step)
    at = history.step.index(best_step)
    summary = np.asarray(state.best_summary).astype(np.float32)
    return DistillResult(
        summary=summary,
        binary=binarise(summary),
        lam=float(history.lam[at]),
        best_step=best_step,
        best_validation_hr100=float(history.validation_hr100[at]),
        history=history,
        stopped=stopped,
        config=config,
        seed=seed,
        logits=np.asarray(state.best_logits, dtype=np.float32),
    )


def distill(dataset: Dataset, config: DistillConfig = DistillConfig(), *, seed: int = 0, progress: bool = True) -> DistillResult:
    """Distill ``dataset.train`` into ``config.budget`` synthetic users; see the module doc."""
    state = init(dataset, config, seed)
    data = StepData.from_dataset(dataset)
    settings = StepSettings.from_config(config)
    evaluation = EvaluationData.prepare(dataset, seed=seed, config=EvaluationConfig())
    history = EMPTY_HISTORY
    stopped: str | None = None
    started = time.perf_counter()
    bar = tqdm(total=config.steps, desc=f"Distill-CF μ={config.budget} on {dataset.name}", disable=not progress, unit="step")
    while True:
        state, history = validate(state, history, evaluation, config, seed, started)
        step_count, best_step = int(state.step), int(state.best_step)
        if step_count - best_step >= config.patience:
            stopped = f"no better validation HR@100 for {step_count - best_step} steps (patience {config.patience})"
            break
        if step_count == config.steps:
            break
        state = run_steps(state, data, next_validation(step_count, config) - step_count, settings)
        finite = bool(state.finite)
        loss = float(state.loss) if finite else float("nan")
        postfix = {"loss": f"{loss:.4f}", "val HR@10": f"{history.validation_hr10[-1]:.2f}", "λ": f"{history.lam[-1]:g}"}
        bar.set_postfix(postfix, refresh=False)
        bar.update(int(state.step) - step_count)
        if not finite:
            stopped = f"non-finite loss or logits at step {int(state.step)}; kept the best summary so far (step {best_step})"
            break
    bar.close()
    return finish(state, history, config, seed, stopped)
