"""Distill-CF: learn a summary of μ synthetic users on which ∞-AE reconstructs the real data
(docs/distill_cf.md).

The parameter is a logit matrix Z (μ, d), initialised to the binary rows of μ random real users.
Each optimiser step draws a summary X̂ = clip(Σ_{j≤γ} softmax((Z + g_j)/τ), 0, 1)
(:mod:`workbench.distill.gumbel`), computes :func:`workbench.distill.loss.distillation_loss` on the
real training rows (all users, or a random batch of b), and takes an Adam step (optax, learning
rate 0.04). Every ``evaluate_every`` steps a summary is drawn, ∞-AE is fitted on it for every λ of
the inner grid, and validation HR@100 over all users picks the λ the loss uses from then on; the
summary kept is the one drawn at the best validation step. Step 0 evaluates the μ real users the
logits start from (the authors' code evaluates them only to choose the first λ, never to keep): when no later
draw beats them, those binary rows are the result. Training stops after ``steps`` steps,
after ``patience`` steps without a better validation HR@100 (from step ``min_steps`` on), or at a
non-finite loss (the best
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

The training matrix stays sparse on the device (:class:`StepData`: user, item and value of each
training interaction). An update on all users on one device fits it as it is: the inner products
X·X̂ᵀ and their gradient, the users' norms and the likelihood's Σ X⊙pred are taken from the sparse
matrix (:mod:`workbench.distill.sparse_targets`; X·X̂ᵀ in nnz·μ instead of n·d·μ multiply-adds each
way), which agrees with the dense computation to float32 rounding. Otherwise an update makes dense
only the rows it fits (:func:`step_targets`): all n users in order (on a mesh), or the b users of
``target_batch`` drawn without replacement with the update's own batch key, by one scatter of the
interactions. With a batch an update holds O(b·d + μ·d + nnz)
memory and nothing of size n·d; :func:`check` refuses an update that would not fit
(:func:`step_memory`) and says the largest batch that would. The rows made dense are exactly the
training rows, so a batch computes bit for bit what it computed when the whole matrix was held
dense.

With more than one device (:func:`target_mesh`: by default every device JAX sees, on every host
after ``jax.distributed.initialize()``), the target rows are divided over a 1-D mesh ``("users",)``
by a sharding constraint, and XLA's SPMD partitioner splits the update's work on them; the
interactions, the logits, Adam's state and the summary are replicated (every device draws the same
summary). Rows are padded with zero rows to a multiple of the devices, and the likelihood is then
divided by the real users' count, not by the rows (:func:`workbench.distill.loss.distillation_loss`).
With one device there is no mesh and no padding: the computation is the single-device one.

The updates are not fused into one ``lax.while_loop`` (or ``fori_loop``/``scan``): XLA compiles a
loop body otherwise than a top-level computation, and the results changed. On ML-1M at μ = 500 (a
2-core CPU, jax 0.10), one update inside a loop against :func:`step`: the same loss, but the
gradient differed in every entry (by up to 6e-7, for entries of at most 1.3e-3), and after Adam's
first step 86% of the logits, by up to 0.07. Queued jitted updates keep the results bit for bit
those of one update at a time.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm.auto import tqdm

from workbench.data import Dataset
from workbench.distill.gumbel import gradient_from_draws, multi_gumbel_softmax, stored_draws_bytes, sum_into
from workbench.distill.loss import Targets, distillation_loss
from workbench.distill.selection import inner_lambda_hit_rates
from workbench.distill.sparse_targets import SparseTargets
from workbench.errors import ComputationStopped, WorkbenchError
from workbench.evaluation import EvaluationConfig, EvaluationData
from workbench.validation import check_lambdas
from workbench.kernels.memory import available_device_memory, require_memory
from workbench.kernels.ntk import NTKConfig

INNER_LAMBDAS: tuple[float, ...] = (1e-5, 1e-3, 0.1, 1.0, 5.0, 50.0)


@dataclass(frozen=True)
class DistillConfig:
    """Distill-CF's settings (defaults as in docs/distill_cf.md).

    Attributes:
        budget: μ, the number of synthetic users.
        temperature: τ > 0 of the Gumbel-softmax. Default 10, the authors' default, and the best
            validation HR@100 on ML-1M at μ = 500 among the τ tried (BENCHMARKS.md, chosen on
            validation only).
        draws: γ, Gumbel draws summed per synthetic user.
        steps: at most this many optimiser steps.
        learning_rate: Adam's step size.
        patience: stop after this many steps without a better validation HR@100 (from ``min_steps`` on).
            Default 20, equal to ``evaluate_every``: the first validation after ``min_steps`` that
            does not improve ends the run (in every recorded ML-1M history the peak was not beaten
            again in the 150 steps after it; BENCHMARKS.md).
        min_steps: no early stop before this step. The first updates move the summary away from the
            real users it starts from, and validation dips before it rises (step 25 below step 0 in
            the recorded ML-1M runs), so patience alone would stop there.
        evaluate_every: steps between validation evaluations, each of which also re-chooses the
            inner λ the loss uses. Default 20, chosen on validation on ML-1M at μ = 500 from
            {10, 20, 25} and the authors' steps (multiples of 25 and of 40): the sooner the first
            updates' large λ is replaced, the better the summary (BENCHMARKS.md).
        target_batch: b, real users per step, drawn at random without replacement at each step
            (None: all users). With a batch, only those b users' rows are made dense in an update
            (the training matrix stays sparse): an update's memory is O(b·d + μ·d) instead of
            O(n·d). ``--batch-users`` on the command line.
        lambdas: the inner λ grid, re-chosen on validation HR@100 at each evaluation.
        cardinality_weight: λ₂ of the size term.
        ntk: the kernel's network.
        store_draws: keep the γ Gumbel draws of an update for its backward pass (γ·μ·d floats more
            memory: 1.5 GB at μ = 500 on ML-1M) instead of making them again from their keys. Off
            by default: on a 2-core CPU an update took the same time either way (BENCHMARKS.md);
            untested on a GPU. The summary drawn is the same; the gradient differs in float32's
            last digits.
        start_logit: the logit each starting user's own items get at step 0 (the other items get
            0). Default 1, as in the authors' code. A draw puts about k·e^{s/τ} / (k·e^{s/τ} + d − k)
            of its mass on a user's k items, so with many items d (Gowalla's 40,981) the first summary
            at s = 1 is nearly uniform rows; a larger s keeps it near the users it starts from
            (docs/distill_cf.md, BENCHMARKS.md). Step 0 is evaluated on the binary rows whatever s is.
    """

    budget: int = 500
    temperature: float = 10.0
    draws: int = 200
    steps: int = 500
    learning_rate: float = 0.04
    patience: int = 20
    min_steps: int = 50
    evaluate_every: int = 20
    target_batch: int | None = None
    lambdas: tuple[float, ...] = INNER_LAMBDAS
    cardinality_weight: float = 1e-3
    ntk: NTKConfig = field(default_factory=NTKConfig)
    store_draws: bool = False
    start_logit: float = 1.0

    def __post_init__(self) -> None:
        for name in ("budget", "draws", "evaluate_every"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise WorkbenchError(f"{name} must be a positive integer, got {value!r}", parameter=name)
        if not isinstance(self.steps, (int, np.integer)) or self.steps < 0:
            raise WorkbenchError(f"steps must be an integer ≥ 0, got {self.steps!r}", parameter="steps")
        if not isinstance(self.patience, (int, np.integer)) or self.patience < 1:
            raise WorkbenchError(f"patience must be a positive integer, got {self.patience!r}", parameter="patience")
        if not isinstance(self.min_steps, (int, np.integer)) or self.min_steps < 0:
            raise WorkbenchError(f"min_steps must be an integer ≥ 0, got {self.min_steps!r}", parameter="min_steps")
        if not (isinstance(self.temperature, (int, float)) and np.isfinite(self.temperature) and self.temperature > 0):
            raise WorkbenchError(f"temperature (τ) must be a finite number > 0, got {self.temperature!r}", parameter="temperature")
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise WorkbenchError(f"learning_rate must be > 0, got {self.learning_rate!r}", parameter="learning_rate")
        if self.target_batch is not None and (not isinstance(self.target_batch, int) or self.target_batch < 1):
            raise WorkbenchError(
                f"target_batch must be a positive integer (users per step), got {self.target_batch!r}; leave it unset for all users",
                parameter="target_batch",
            )
        if not (isinstance(self.start_logit, (int, float, np.floating)) and np.isfinite(self.start_logit) and self.start_logit > 0):
            raise WorkbenchError(f"start_logit must be a finite number > 0, got {self.start_logit!r}", parameter="start_logit")
        if not isinstance(self.store_draws, (bool, np.bool_)):
            raise WorkbenchError(f"store_draws must be True or False, got {self.store_draws!r}", parameter="store_draws")
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
            users' binary rows times ``config.start_logit``; the summary is then the binary rows);
            for drawing it again, e.g. at other τ.
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
    """X̂ = clip(Σ_j softmax((Z + g_j)/τ), 0, 1), (μ, d). Under differentiation with a
    :class:`StepSettings` whose ``store_draws`` is True, the draws are kept for the backward pass."""
    store = isinstance(config, StepSettings) and config.store_draws
    return jnp.clip(multi_gumbel_softmax(logits, key, config.draws, config.temperature, store=store), 0.0, 1.0)


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
        store_draws: the update keeps its γ draws for the backward pass.
    """

    draws: int
    temperature: float
    cardinality_weight: float
    ntk: NTKConfig
    learning_rate: float
    target_batch: int | None
    store_draws: bool = False

    @classmethod
    def from_config(cls, config: DistillConfig) -> StepSettings:
        return cls(
            draws=config.draws, temperature=config.temperature, cardinality_weight=config.cardinality_weight,
            ntk=config.ntk, learning_rate=config.learning_rate, target_batch=config.target_batch,
            store_draws=bool(config.store_draws),
        )


#: The name of the mesh axis that the target users are divided over.
USERS_AXIS = "users"


def target_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh | None:
    """The 1-D mesh (axis ``"users"``) that an update divides its target users over.

    ``devices``: default every device JAX sees (on every host, after ``jax.distributed.initialize()``).
    One device gives None: no mesh, no sharding, the single-device computation.
    """
    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise WorkbenchError("devices: expected at least one device", parameter="devices")
    return None if len(devices) == 1 else Mesh(np.asarray(devices, dtype=object), (USERS_AXIS,))


def padded_rows(rows: int, mesh: Mesh | None) -> int:
    """``rows`` rounded up to a multiple of the mesh's device count (unchanged without a mesh)."""
    parts = 1 if mesh is None else mesh.size
    return -(-rows // parts) * parts


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class StepData:
    """The real data an update fits (a pytree): the training matrix, kept sparse on the device.

    One entry per training interaction, in CSR order (by user, then item). An update on a batch, or on
    a mesh, makes dense only the rows it fits (:func:`dense_targets`): the b users of its batch, or
    all n users without one; an update on all users on one device fits :attr:`sparse` instead.
    With a mesh the three arrays are replicated on every device (O(nnz) each) and the dense rows are
    divided over the devices.

    Attributes:
        users: (nnz,) int32, the user (row) of each interaction.
        items: (nnz,) int32, its item (column).
        values: (nnz,) float32, its value in the training matrix (1 for implicit feedback).
        mean_user_size: #train interactions / #users (a Python float: traced as a weak float32).
        n_users, n_items: the training matrix's shape (static).
        mesh: the devices that the target rows are divided over (static); None: one device.
        sparse: the same matrix in CSR and in item order (:class:`SparseTargets`), which an update
            on all users fits on one device, never making X dense; None on a mesh, or when every
            update takes a batch.
    """

    users: jax.Array
    items: jax.Array
    values: jax.Array
    mean_user_size: float
    n_users: int = field(metadata={"static": True})
    n_items: int = field(metadata={"static": True})
    mesh: Mesh | None = field(default=None, metadata={"static": True})
    sparse: SparseTargets | None = None

    @classmethod
    def from_dataset(
        cls, dataset: Dataset, *, devices: Sequence[jax.Device] | None = None, sparse_products: bool = True
    ) -> StepData:
        """``dataset.train`` as interactions, on ``devices`` (default every device; see :func:`target_mesh`).
        ``sparse_products``: also keep :attr:`sparse` for updates on all users (one device only: ignored
        on a mesh); False when every update takes a batch, which does not use it (O(nnz) memory)."""
        train = dataset.train.tocsr()
        if not train.has_canonical_format:
            train = train.copy()
            train.sum_duplicates()
        coo = train.tocoo()
        mesh = target_mesh(devices)
        arrays = (coo.row.astype(np.int32), coo.col.astype(np.int32), coo.data.astype(np.float32))
        sparse = SparseTargets.from_matrix(train) if sparse_products and mesh is None else None
        if sparse is not None:  # the same entries in the same (CSR) order: one copy on the device, not two
            users, items, values = sparse.entry_users, sparse.items, sparse.values
        elif mesh is None:
            users, items, values = (jnp.asarray(array) for array in arrays)
        else:  # every host passes the same arrays: each device gets a full copy
            replicated = NamedSharding(mesh, PartitionSpec())
            users, items, values = (
                jax.make_array_from_callback(array.shape, replicated, lambda index, array=array: array[index]) for array in arrays
            )
        return cls(
            users=users, items=items, values=values, mean_user_size=float(train.nnz) / dataset.n_users,
            n_users=int(train.shape[0]), n_items=int(train.shape[1]), mesh=mesh, sparse=sparse,
        )


def dense_targets(data: StepData, users: jax.Array | None, rows: int) -> jax.Array:
    """(rows, d) float32: row k is the training row of ``users[k]`` (of user k when ``users`` is None,
    all users in order), and rows past them are zero.

    One scatter of the interactions into zeros: O(nnz) work, O(rows·d) memory; the interactions of
    users outside ``users`` are dropped. With a mesh the rows are divided over its devices.
    """
    if users is None:
        slots = data.users
    else:  # each user's row in the batch; users not in it point past the last row and are dropped
        position = jnp.full((data.n_users,), rows, jnp.int32).at[users].set(jnp.arange(users.shape[0], dtype=jnp.int32))
        slots = position[data.users]
    targets = jnp.zeros((rows, data.n_items), jnp.float32)
    if data.mesh is not None:
        targets = jax.lax.with_sharding_constraint(targets, NamedSharding(data.mesh, PartitionSpec(USERS_AXIS, None)))
    targets = targets.at[slots, data.items].add(data.values, mode="drop")
    if data.mesh is not None:
        targets = jax.lax.with_sharding_constraint(targets, NamedSharding(data.mesh, PartitionSpec(USERS_AXIS, None)))
    return targets


def step_targets(data: StepData, batch_key: jax.Array, settings: StepSettings) -> tuple[Targets, int | None]:
    """The targets of one update, and how many real users they hold when padded.

    Without a batch: every user, in order: ``data.sparse`` where it is kept (one device), else the
    dense rows. With ``settings.target_batch = b``: the dense rows of b users drawn without
    replacement with ``batch_key`` (``jax.random.choice``). With a mesh the rows are padded with zero
    rows to a multiple of its devices; the count is then the real users' (for the likelihood's
    mean), else None.
    """
    users = None
    count = data.n_users
    if settings.target_batch is not None:
        count = settings.target_batch
        users = jax.random.choice(batch_key, data.n_users, (count,), replace=False)
    if users is None and data.sparse is not None:  # kept on one device only (from_dataset)
        return data.sparse, None
    rows = padded_rows(count, data.mesh)
    return dense_targets(data, users, rows), (None if rows == count else count)


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
        best_summary: (μ, d) float32, the summary evaluated there (at step 0, the starting users' binary rows).
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


def step_memory(
    n_users: int, n_items: int, interactions: int, budget: int, target_batch: int | None, devices: int = 1,
    kept_draws: int = 0,
) -> int:
    """Bytes one update holds on each device at its peak, estimated before anything is allocated.

    With r target rows per device (all n users, or the batch of b, padded to a multiple of the
    ``devices`` and divided among them) and μ synthetic users over d items::

        16·r·d      the dense target rows, ∞-AE's scores, their log-softmax and its cotangent
      + 56·μ·d      the state in and out (logits, Adam's two moments, best logits and summary) and
                    the Gumbel draws' working buffers
      + 48·r·μ + 80·μ²   the kernels NTK(X, X̂) and NTK(X̂, X̂), their intermediates and cotangents
      + 16·nnz + 4·n     the interactions (user, item, value; replicated) and the batch's row map
      + 20·nnz + 4·(n+d) without a batch on one device: the same matrix in CSR and item order
                         (:class:`SparseTargets`, which the update fits instead of dense rows:
                         the 16·r·d above then over-counts by the rows it never makes, and this
                         term by the 12·nnz of CSR entries it shares with the interactions)
      + 4·γ·μ·d          with ``kept_draws`` = γ: the draws kept for the backward pass (``store_draws``)

    The coefficients are rounded up from what XLA's buffer assignment reported (``memory_analysis()``
    of the compiled :func:`step`: arguments + outputs + temporaries; CPU, jax 0.10) on generated data
    of 100 to 4,000 rows, 500 to 3,000 items and μ from 20 to 400: arguments and outputs 40 bytes per
    μ·d and 12 per interaction; temporaries, by a least-squares fit within 5 %, 12.1 bytes per
    row·item, 15.4 per μ·d, 41 per row·μ and 69 per μ². On those 13 cases the estimate was 1.08 to
    1.29 times the report. Without a batch the term in r is the n·d of the whole training matrix;
    with one it is b·d, and nothing of size n·d is made. It leaves out the host's own copy of the
    data and the validations' buffers.
    """
    rows = -(-(n_users if target_batch is None else target_batch) // devices)
    sparse = 20 * interactions + 4 * (n_users + n_items) if target_batch is None and devices == 1 else 0
    return int(16 * rows * n_items + 56 * budget * n_items + 48 * rows * budget + 80 * budget**2 + 16 * interactions + 4 * n_users
               + sparse + stored_draws_bytes(kept_draws, budget, n_items))


def largest_batch(
    n_users: int, n_items: int, interactions: int, budget: int, available: int, devices: int = 1, kept_draws: int = 0
) -> int:
    """The largest batch b (≤ n users) whose update fits in ``available`` bytes per device (0: none fits)."""
    fixed = step_memory(n_users, n_items, interactions, budget, 0, devices, kept_draws)
    per_row = 16 * n_items + 48 * budget
    rows = max((available - fixed) // per_row, 0)
    return int(min(rows * devices, n_users))


def check_target_batch(target_batch: int | None, n_users: int, name: str = "the dataset") -> None:
    """Refuse a batch larger than the users (a WorkbenchError naming ``target_batch``)."""
    if target_batch is not None and target_batch > n_users:
        raise WorkbenchError(
            f"target_batch {target_batch:,} is larger than the {n_users:,} users of {name}: "
            f"give at most {n_users:,} users per step, or leave it unset for all of them",
            parameter="target_batch",
        )


def check(dataset: Dataset, config: DistillConfig, *, devices: Sequence[jax.Device] | None = None, available: int | None = None) -> None:
    """Refuse what Distill-CF cannot run (WorkbenchError): a budget above the users with training
    data, no validation data, μ·d ≥ 2³² noise entries, a batch above the users, an update that would
    not fit in memory (:func:`step_memory` per device of ``devices``, default every device, against
    ``available`` bytes, default :func:`workbench.kernels.memory.available_device_memory`); a refusal
    for memory says the largest batch of users that would fit."""
    check_target_batch(config.target_batch, dataset.n_users, f"dataset {dataset.name!r}")
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
    mesh = target_mesh(devices)
    parts = 1 if mesh is None else mesh.size
    if available is None:
        available = available_device_memory()
    sizes = (dataset.n_users, dataset.n_items, int(dataset.train.nnz), config.budget)
    kept = config.draws if config.store_draws else 0
    needed = step_memory(*sizes, config.target_batch, parts, kept)
    fits = largest_batch(*sizes, available, parts, kept)
    on = "" if parts == 1 else f" on each of {parts} devices"
    if config.target_batch is None:
        what = (f"a Distill-CF update on all {dataset.n_users:,} users as dense targets "
                f"({dataset.n_users:,} x {dataset.n_items:,} float32, with μ = {config.budget}){on}")
    else:
        what = f"a Distill-CF update on a batch of {config.target_batch:,} users (μ = {config.budget}){on}"
    if kept:
        what += f", keeping its {kept} Gumbel draws for the backward pass"
    if kept and step_memory(*sizes, config.target_batch, parts) <= available:
        instead = ("Without keeping the draws it would fit: leave store_draws False (drop --store-draws on the command line), "
                   "which makes them again in the backward pass.")
    elif fits >= 1:
        instead = (f"A batch of at most {fits:,} users per step would fit (target_batch = {fits}; "
                   f"--batch-users {fits} on the command line), or use fewer synthetic users or a machine with more memory.")
    else:
        instead = "Not even one user per step would fit: use fewer synthetic users (μ) or items, or a machine with more memory."
    require_memory(what, needed, available=available, instead=instead)


def init(dataset: Dataset, config: DistillConfig, seed: int, *, devices: Sequence[jax.Device] | None = None) -> DistillState:
    """The state before the first update, after :func:`check` (its memory estimate for ``devices``,
    those of :meth:`StepData.from_dataset`; default every device).

    ``seed`` draws the μ starting users (numpy's ``default_rng(seed)``, sorted); the logits are their
    binary rows times ``config.start_logit``. The keys: ``jax.random.key(seed)`` split into the update
    key and the evaluation key. The best so far is the starting users' binary rows at step 0, until
    :func:`validate` records step 0.
    """
    check(dataset, config, devices=devices)
    active = np.flatnonzero(np.diff(dataset.train.indptr) > 0)
    initial_users = np.sort(np.random.default_rng(seed).choice(active, size=config.budget, replace=False))
    rows = jnp.asarray(dataset.train[initial_users].toarray(), dtype=jnp.float32)
    logits = rows * jnp.float32(config.start_logit)  # × 1 leaves the binary rows bit for bit
    key, evaluation_key = jax.random.split(jax.random.key(seed))
    state = DistillState(
        logits=logits,
        optimizer_state=adam(config.learning_rate).init(logits),
        key=key,
        evaluation_key=evaluation_key,
        step=jnp.asarray(0, jnp.int32),
        loss=jnp.asarray(jnp.nan, jnp.float32),
        lam=jnp.asarray(config.lambdas[0], jnp.float32),
        best_logits=logits,
        best_summary=rows,
        best_step=jnp.asarray(0, jnp.int32),
        finite=jnp.asarray(True),
    )
    return replicate(state, target_mesh(devices))


def replicate(state: DistillState, mesh: Mesh | None) -> DistillState:
    """``state`` with a full copy on every device of ``mesh`` (as it is without a mesh). The state
    :func:`step` returns on a mesh is replicated; a state whose arrays were made elsewhere (by
    :func:`init`, or a λ set by :func:`validate`) would otherwise make ``step`` compile once more for
    their other placement."""
    return state if mesh is None else jax.device_put(state, NamedSharding(mesh, PartitionSpec()))


def apply_update(
    logits: jax.Array,
    optimizer_state: optax.OptState,
    key: jax.Array,
    targets: Targets,
    lam: jax.Array,
    mean_user_size: float | jax.Array,
    settings: StepSettings,
    target_count: int | None = None,
) -> tuple[jax.Array, optax.OptState, jax.Array]:
    """One Adam step on the logits (μ, d), the summary drawn with ``key``, fitted to ``targets`` (b, d),
    dense or sparse (see :mod:`workbench.distill.loss`): (new logits, new optimiser state, the loss
    before the step, () float32). Traceable, not jitted. ``target_count``: the real users among the
    rows when the rest are zero padding."""
    loss, gradient = jax.value_and_grad(_objective)(logits, key, targets, lam, mean_user_size, settings, target_count)
    updates, optimizer_state = adam(settings.learning_rate).update(gradient, optimizer_state, logits)
    return optax.apply_updates(logits, updates), optimizer_state, loss


def apply_update_keeping_draws(
    logits: jax.Array,
    optimizer_state: optax.OptState,
    key: jax.Array,
    targets: Targets,
    lam: jax.Array,
    mean_user_size: float | jax.Array,
    settings: StepSettings,
    target_count: int | None,
    draws: jax.Array,
) -> tuple[jax.Array, optax.OptState, jax.Array, jax.Array]:
    """:func:`apply_update` with the γ draws written into ``draws`` (γ, μ, d) in the forward pass and
    read back in the backward one; (new logits, new optimiser state, the loss, the buffer). The same
    objective and gradient formula as ``multi_gumbel_softmax(..., store=True)`` under autodiff, with
    a buffer that the caller passes from one update to the next."""
    raw, draws = sum_into(logits, key, settings.draws, settings.temperature, draws)

    def loss_of_sum(total: jax.Array) -> jax.Array:
        return distillation_loss(
            jnp.clip(total, 0.0, 1.0), targets, lam, mean_user_size, settings.cardinality_weight, settings.ntk, target_count
        )

    loss, cotangent = jax.value_and_grad(loss_of_sum)(raw)
    gradient = gradient_from_draws(draws, cotangent, settings.temperature)
    updates, optimizer_state = adam(settings.learning_rate).update(gradient, optimizer_state, logits)
    return optax.apply_updates(logits, updates), optimizer_state, loss, draws


@partial(jax.jit, static_argnames=("config", "optimizer"))
def update_step(
    logits: jax.Array,
    optimizer_state: optax.OptState,
    key: jax.Array,
    targets: Targets,
    lam: jax.Array,
    mean_user_size: float,
    *,
    config: DistillConfig,
    optimizer: optax.GradientTransformation,
) -> tuple[jax.Array, optax.OptState, jax.Array]:
    """:func:`apply_update` jitted on its own, as the benchmarks time it (``optimizer`` must be
    ``adam(config.learning_rate)``; ``targets`` dense or sparse). :func:`distill` runs
    :func:`run_steps` instead."""
    if optimizer is not adam(config.learning_rate):
        raise WorkbenchError("update_step's optimizer must be adam(config.learning_rate)")
    return apply_update(
        logits, optimizer_state, key, targets, lam, mean_user_size, StepSettings.from_config(config), None
    )


def _objective(
    logits: jax.Array,
    key: jax.Array,
    targets: Targets,
    lam: jax.Array,
    mean_user_size: float | jax.Array,
    settings: StepSettings,
    target_count: int | None = None,
) -> jax.Array:
    """The loss an update differentiates in the logits: the summary drawn with ``key``, fitted to ``targets``."""
    summary = draw_summary(logits, key, settings)
    return distillation_loss(summary, targets, lam, mean_user_size, settings.cardinality_weight, settings.ntk, target_count)


@partial(jax.jit, static_argnames=("settings",))
def loss_and_gradient(state: DistillState, data: StepData, settings: StepSettings) -> tuple[jax.Array, jax.Array]:
    """The loss and its gradient in the logits (μ, d) that the next :func:`step` from ``state`` takes
    (the same keys, the same batch), without taking it. For tests and benchmarks."""
    _, step_key, batch_key = jax.random.split(state.key, 3)
    targets, count = step_targets(data, batch_key, settings)
    return jax.value_and_grad(_objective)(state.logits, step_key, targets, state.lam, data.mean_user_size, settings, count)


def _step(
    state: DistillState, data: StepData, settings: StepSettings, draws: jax.Array | None = None
) -> tuple[DistillState, jax.Array, jax.Array | None]:
    key, step_key, batch_key = jax.random.split(state.key, 3)
    targets, count = step_targets(data, batch_key, settings)
    if draws is None:
        logits, optimizer_state, loss = apply_update(
            state.logits, state.optimizer_state, step_key, targets, state.lam, data.mean_user_size, settings, count
        )
    else:
        logits, optimizer_state, loss, draws = apply_update_keeping_draws(
            state.logits, state.optimizer_state, step_key, targets, state.lam, data.mean_user_size, settings, count, draws
        )
    if data.mesh is not None:  # the logits, Adam's state and the kept draws: one full copy on every device
        replicated = NamedSharding(data.mesh, PartitionSpec())
        logits, optimizer_state, draws = jax.lax.with_sharding_constraint((logits, optimizer_state, draws), replicated)
    advanced = dataclasses.replace(
        state, logits=logits, optimizer_state=optimizer_state, key=key, step=state.step + 1, loss=loss,
        finite=jnp.isfinite(loss) & jnp.isfinite(logits).all(),
    )
    going = state.finite  # after a non-finite update, the state stays as it is
    state = jax.tree.map(lambda new, old: jax.lax.select(going, new, old), advanced, state)
    return state, state.loss, draws


def _draws_shape(state: DistillState, settings: StepSettings) -> tuple[int, int, int]:
    return (settings.draws, *state.logits.shape)


@partial(jax.jit, static_argnames=("settings",))
def step(state: DistillState, data: StepData, settings: StepSettings) -> tuple[DistillState, jax.Array]:
    """One update: split the key, pick the batch (if any) and make its rows dense, take the Adam step
    at λ = ``state.lam``; (the next state, the loss before the update, () float32). A state whose
    ``finite`` is False is returned unchanged. With ``data.mesh`` the target rows are divided over its
    devices (XLA's SPMD partitioner splits the work on them) and the state is replicated. With
    ``settings.store_draws`` the draws are kept in a buffer made for this update
    (:func:`run_steps` keeps one buffer for all its updates instead)."""
    draws = jnp.zeros(_draws_shape(state, settings), state.logits.dtype) if settings.store_draws else None
    state, loss, _ = _step(state, data, settings, draws)
    return state, loss


@partial(jax.jit, static_argnames=("settings",), donate_argnames=("draws",))
def _step_into(
    state: DistillState, data: StepData, settings: StepSettings, draws: jax.Array
) -> tuple[DistillState, jax.Array, jax.Array]:
    """:func:`step` with the kept draws written into ``draws`` (donated: XLA updates it in place)."""
    return _step(state, data, settings, draws)


def _updates(state: DistillState, data: StepData, settings: StepSettings) -> Iterator[DistillState]:
    """The state after each of an endless run of updates (:func:`step`'s), queued without waiting;
    with ``settings.store_draws``, one buffer for the draws serves them all."""
    state = replicate(state, data.mesh)
    if not settings.store_draws:
        while True:
            state, _ = step(state, data, settings)
            yield state
    draws = jnp.zeros(_draws_shape(state, settings), state.logits.dtype)
    if data.mesh is not None:
        draws = jax.device_put(draws, NamedSharding(data.mesh, PartitionSpec()))
    while True:
        state, _, draws = _step_into(state, data, settings, draws)
        yield state


def run_steps(state: DistillState, data: StepData, count: int, settings: StepSettings) -> DistillState:
    """``count`` updates of :func:`step`, queued without waiting for any result: the caller's first
    read (e.g. ``bool(state.finite)``) is the only round trip to the host. ``state.step`` says how
    many updates were taken: fewer than ``count`` when one had a non-finite loss or logits. With
    ``data.mesh``, the state is first replicated on its devices (:func:`replicate`). With
    ``settings.store_draws``, the updates share one buffer for their draws, so that no update
    allocates γ·μ·d fresh floats; the results are those of :func:`step`."""
    state = replicate(state, data.mesh)
    for state in itertools.islice(_updates(state, data, settings), count):
        pass
    return state


def choose_inner_lambda(summary: np.ndarray, data: EvaluationData, config: DistillConfig, seed: int) -> tuple[float, float, float]:
    """Fit ∞-AE on the summary for every inner λ; (λ, HR@10, HR@100) of the best validation HR@100
    (the first λ of the grid on a tie). The λ-independent kernels are computed once and only HR@10
    and HR@100 are scored (:func:`workbench.distill.selection.inner_lambda_hit_rates`); ``seed`` is
    unused (∞-AE on a summary draws nothing) and kept for the signature's callers."""
    if not np.any(summary):
        return config.lambdas[0], 0.0, 0.0
    dataset = data.dataset
    best = (config.lambdas[0], -1.0, -1.0)
    for lam, hr10, hr100 in inner_lambda_hit_rates(summary, dataset.train, dataset.validation, config.lambdas, config.ntk):
        if hr100 > best[2]:
            best = (lam, hr10, hr100)
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
    """The validation at ``state.step`` (host side): draw a summary (at step 0, the starting users'
    binary rows, where the logits are > 0), choose λ on validation HR@100, append (step, last loss,
    HR@10, HR@100, λ, seconds since ``started``, a ``time.perf_counter()``) to the history, set
    ``state.lam``, and keep this summary as the best when its HR@100 beats every earlier one."""
    step_count = int(state.step)
    if step_count == 0:  # as the authors do: the starting point is the μ real users themselves
        summary = (np.asarray(state.logits) > 0).astype(np.float32)
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


@dataclass(frozen=True)
class DistillProgress:
    """Where a running :func:`distill` is: what its ``on_validation`` hook gets after every validation.

    Attributes:
        step: the updates taken (the validation's step); steps: ``config.steps``, the most it takes.
        loss: the loss of the last update (NaN at step 0).
        validation_hr10, validation_hr100: ∞-AE fitted on this validation's summary at the λ chosen;
            lam: that λ (the loss's λ from now on).
        best_step, best_validation_hr100: the best validation so far (the summary kept if it ended now).
        seconds: since :func:`distill` started.
    """

    step: int
    steps: int
    loss: float
    validation_hr10: float
    validation_hr100: float
    lam: float
    best_step: int
    best_validation_hr100: float
    seconds: float

    @classmethod
    def from_history(cls, history: DistillHistory, best_step: int, steps: int) -> DistillProgress:
        """The progress at the history's last validation, ``best_step`` being the best one's step."""
        return cls(
            step=history.step[-1], steps=steps, loss=history.loss[-1], validation_hr10=history.validation_hr10[-1],
            validation_hr100=history.validation_hr100[-1], lam=history.lam[-1], best_step=best_step,
            best_validation_hr100=history.validation_hr100[history.step.index(best_step)], seconds=history.seconds[-1],
        )

    def describe(self) -> str:
        """One line: "step 25/100, loss 0.1234, val HR@10 12.34, HR@100 45.67, λ 1 (12 s)"."""
        loss = f"{self.loss:.4f}" if np.isfinite(self.loss) else "–"
        return (
            f"step {self.step}/{self.steps}, loss {loss}, val HR@10 {self.validation_hr10:.2f}, "
            f"HR@100 {self.validation_hr100:.2f}, λ {self.lam:g} ({self.seconds:.0f} s)"
        )


class DistillStopped(ComputationStopped):
    """:func:`distill` stopped because its ``should_stop`` hook answered True: no result (the summary is
    unfinished). ``step``: the updates taken; ``steps``: ``config.steps``; ``history``: the validations made."""

    def __init__(self, step: int, steps: int, history: DistillHistory) -> None:
        super().__init__(f"Distill-CF stopped on request at step {step} of {steps}: its summary is unfinished, not a result")
        self.step, self.steps, self.history = step, steps, history


def _run_steps_or_stop(
    state: DistillState, data: StepData, count: int, settings: StepSettings, should_stop: Callable[[], bool]
) -> tuple[DistillState, bool]:
    """:func:`run_steps`, asking ``should_stop`` after each update; (state, whether it asked to stop).

    The same updates in the same order as :func:`run_steps` (each one :func:`step`): only the host
    waits for update k - 1 after queueing update k, so that a stop is seen within about one update.
    """
    queued: jax.Array | None = None
    for state in itertools.islice(_updates(state, data, settings), count):
        if queued is not None:
            queued.block_until_ready()
        queued = state.step
        if should_stop():
            return state, True
    return state, False


def distill(
    dataset: Dataset,
    config: DistillConfig = DistillConfig(),
    *,
    seed: int = 0,
    progress: bool = True,
    on_validation: Callable[[DistillProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DistillResult:
    """Distill ``dataset.train`` into ``config.budget`` synthetic users; see the module doc.

    Args:
        progress: show a tqdm bar (steps; the last loss, validation HR@10 and λ).
        on_validation: called with a :class:`DistillProgress` after every validation (step 0 and the
            last included), on the thread running :func:`distill`; what it raises propagates.
        should_stop: asked after every validation and after every update; when it answers True,
            :func:`distill` raises :class:`DistillStopped` (a :class:`workbench.errors.ComputationStopped`)
            instead of returning a result. With it, the host waits for each update in turn (one queued
            ahead) instead of once per interval; the updates, and the result of a run it does not stop,
            are bit for bit those without it.
    """
    state = init(dataset, config, seed)
    data = StepData.from_dataset(dataset, sparse_products=config.target_batch is None)
    settings = StepSettings.from_config(config)
    evaluation = EvaluationData.prepare(dataset, seed=seed, config=EvaluationConfig())
    history = EMPTY_HISTORY
    stopped: str | None = None
    started = time.perf_counter()
    bar = tqdm(total=config.steps, desc=f"Distill-CF μ={config.budget} on {dataset.name}", disable=not progress, unit="step")
    try:
        while True:
            state, history = validate(state, history, evaluation, config, seed, started)
            step_count, best_step = int(state.step), int(state.best_step)
            if on_validation is not None:
                on_validation(DistillProgress.from_history(history, best_step, config.steps))
            if step_count >= config.min_steps and step_count - best_step >= config.patience:
                stopped = f"no better validation HR@100 for {step_count - best_step} steps (patience {config.patience})"
                break
            if step_count == config.steps:
                break
            if should_stop is not None and should_stop():
                raise DistillStopped(step_count, config.steps, history)
            count = next_validation(step_count, config) - step_count
            if should_stop is None:
                state = run_steps(state, data, count, settings)
            else:
                state, stop = _run_steps_or_stop(state, data, count, settings, should_stop)
                if stop:
                    bar.update(int(state.step) - step_count)
                    raise DistillStopped(int(state.step), config.steps, history)
            finite = bool(state.finite)
            loss = float(state.loss) if finite else float("nan")
            postfix = {"loss": f"{loss:.4f}", "val HR@10": f"{history.validation_hr10[-1]:.2f}", "λ": f"{history.lam[-1]:g}"}
            bar.set_postfix(postfix, refresh=False)
            bar.update(int(state.step) - step_count)
            if not finite:
                stopped = f"non-finite loss or logits at step {int(state.step)}; kept the best summary so far (step {best_step})"
                break
    finally:
        bar.close()
    return finish(state, history, config, seed, stopped)
