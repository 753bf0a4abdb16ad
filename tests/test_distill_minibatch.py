"""Mini-batch Distill-CF on small generated data: the training matrix stays sparse and an update makes
dense only the rows it fits (docs/distill_cf.md, "Mini-batches and devices").

Checked: the dense rows are the training rows; the full-batch update is bit for bit the update on
the dense matrix (what it was before the matrix was kept sparse) when X·X̂ᵀ is taken dense, and
agrees with it to float32 rounding when taken from the sparse matrix (the default); a batch's update
is bit for bit; batches come
from the state's key (same seed, same run); a batch of every user is the full batch up to float
rounding; the memory estimate covers what XLA allocates and grows with the batch, not the users; a
bad batch is refused naming the setting (and the flag on the command line).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import random_binary_matrix
from workbench.cli import main
from workbench.data import Interactions, build_dataset
from workbench.distill import DistillConfig, StepData, StepSettings, init, loss_and_gradient, run_steps, step, step_memory
from workbench.distill.distill import adam, check, dense_targets, largest_batch, update_step
from workbench.errors import MemoryBudgetError, WorkbenchError

CONFIG = DistillConfig(budget=8, draws=6, steps=20, evaluate_every=5, patience=100)
LAM = 1.0  # K̂ + λ̃I well conditioned: float32 rounding moves the gradient by ~1e-6 of its largest entry


@pytest.fixture(scope="module")
def dataset():
    matrix = random_binary_matrix(150, 90, 0.07, seed=3)
    users, items = matrix.nonzero()
    interactions = Interactions(users=users.astype(np.int64), items=items.astype(np.int64), ratings=None, split=None, source="generated")
    dataset = build_dataset("generated", interactions, seed=0)
    sizes = np.diff(dataset.train.indptr)
    assert sizes.min() >= 1 and len(np.unique(sizes)) > 5  # users of many sizes, none empty
    return dataset


def start(dataset, config: DistillConfig, seed: int = 0):
    """The state after init, at λ = LAM, with its data and settings (one device)."""
    state = dataclasses.replace(init(dataset, config, seed), lam=jnp.asarray(LAM, jnp.float32))
    return state, StepData.from_dataset(dataset, devices=jax.devices()[:1]), StepSettings.from_config(config)


def relative(a, b) -> float:
    """max |a − b| / max |b|."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_the_matrix_is_kept_sparse_and_rows_made_dense_are_the_training_rows(dataset) -> None:
    data = StepData.from_dataset(dataset, devices=jax.devices()[:1])
    assert all(leaf.size == dataset.train.nnz for leaf in (data.users, data.items, data.values))  # nothing n x d
    dense = dataset.train.toarray().astype(np.float32)
    assert np.array_equal(dense_targets(data, None, dataset.n_users), dense)
    users = jnp.asarray([7, 0, 149, 31], jnp.int32)
    rows = np.asarray(dense_targets(data, users, 6))  # two rows of padding
    assert np.array_equal(rows[:4], dense[np.asarray(users)]) and not rows[4:].any()


@pytest.mark.parametrize("target_batch, sparse_products", [(None, False), (40, True), (None, True)])
def test_an_update_is_the_update_on_the_dense_rows(dataset, target_batch, sparse_products) -> None:
    """What ``step`` computed when it held the dense n x d matrix: ``update_step`` on its rows (the
    batch's, picked as before with the step's batch key). Bit for bit, except on all users with the
    sparse product X·X̂ᵀ (the default there), which sums in another order: float32 rounding."""
    config = dataclasses.replace(CONFIG, target_batch=target_batch)
    state, _, settings = start(dataset, config)
    data = StepData.from_dataset(dataset, devices=jax.devices()[:1], sparse_products=sparse_products)
    assert (data.sparse is not None) == sparse_products
    after, loss = step(state, data, settings)
    _, step_key, batch_key = jax.random.split(state.key, 3)
    targets = jnp.asarray(dataset.train.toarray(), jnp.float32)
    if target_batch is not None:
        targets = targets[jax.random.choice(batch_key, dataset.n_users, (target_batch,), replace=False)]
    optimizer = adam(config.learning_rate)
    logits, _, expected_loss = update_step(
        state.logits, state.optimizer_state, step_key, targets, state.lam, data.mean_user_size, config=config, optimizer=optimizer
    )
    if target_batch is None and sparse_products:
        # Adam's first step is ±lr where a gradient entry is tiny, so compare the gradient itself
        # against the dense path's (bit for bit the dense update, the case above)
        assert not np.array_equal(after.logits, logits)  # the sparse product ran
        dense = StepData.from_dataset(dataset, devices=jax.devices()[:1], sparse_products=False)
        (sparse_loss, sparse_gradient), (dense_loss, dense_gradient) = (
            loss_and_gradient(state, chosen, settings) for chosen in (data, dense)
        )
        assert float(sparse_loss) == float(loss) and float(dense_loss) == float(expected_loss)
        assert abs(float(loss) - float(expected_loss)) <= 1e-6 * abs(float(expected_loss))
        assert relative(sparse_gradient, dense_gradient) < 1e-5
    else:
        assert np.array_equal(after.logits, logits) and float(loss) == float(expected_loss)


def test_batches_come_from_the_seed(dataset) -> None:
    config = dataclasses.replace(CONFIG, target_batch=25)
    runs = []
    for seed in (4, 4, 5):
        state, data, settings = start(dataset, config, seed)
        runs.append(run_steps(state, data, 3, settings))
    assert np.array_equal(runs[0].logits, runs[1].logits) and float(runs[0].loss) == float(runs[1].loss)
    assert not np.array_equal(runs[0].logits, runs[2].logits)
    # the same start, another key: another batch, so another loss (the Gumbel key is the same)
    state, data, settings = start(dataset, config, 4)
    other = dataclasses.replace(state, key=jax.random.key(99))
    assert float(loss_and_gradient(state, data, settings)[0]) != float(loss_and_gradient(other, data, settings)[0])


def test_a_batch_of_every_user_is_the_full_batch(dataset) -> None:
    full_state, data, full = start(dataset, CONFIG)
    every = StepSettings.from_config(dataclasses.replace(CONFIG, target_batch=dataset.n_users))
    full_loss, full_gradient = loss_and_gradient(full_state, data, full)
    loss, gradient = loss_and_gradient(full_state, data, every)  # every user, in a random order
    assert abs(float(loss) - float(full_loss)) <= 1e-5 * abs(float(full_loss))
    assert relative(gradient, full_gradient) < 1e-5
    after_full, after = run_steps(full_state, data, 3, full), run_steps(full_state, data, 3, every)
    assert int(after.step) == int(after_full.step) == 3
    assert abs(float(after.loss) - float(after_full.loss)) <= 1e-5 * abs(float(after_full.loss))
    # Adam moves an entry by about ±lr per step whatever the gradient's size, so where a gradient entry
    # is near 0, float rounding (the full batch's sparse X·X̂ᵀ against the batch's dense one) moves
    # its step by a larger fraction (measured: 7e-4 of a step); a wrong sign or a wrong batch moves it
    # by a whole step
    assert float(np.max(np.abs(np.asarray(after.logits) - np.asarray(after_full.logits)))) < 1e-2 * CONFIG.learning_rate


def test_the_memory_estimate_covers_what_xla_allocates(dataset) -> None:
    sizes = (dataset.n_users, dataset.n_items, int(dataset.train.nnz), CONFIG.budget)
    allocated = {}
    for target_batch, store_draws in ((None, False), (30, False), (None, True)):
        config = dataclasses.replace(CONFIG, target_batch=target_batch, store_draws=store_draws, draws=40)
        state, data, settings = start(dataset, config)
        assert settings.store_draws is store_draws
        analysis = step.lower(state, data, settings).compile().memory_analysis()
        allocated[target_batch, store_draws] = analysis.argument_size_in_bytes + analysis.output_size_in_bytes + analysis.temp_size_in_bytes
        estimate = step_memory(*sizes, target_batch, kept_draws=config.draws if store_draws else 0)
        assert allocated[target_batch, store_draws] <= estimate <= 3 * allocated[target_batch, store_draws], (target_batch, store_draws, allocated, estimate)
    kept_bytes = 4 * 40 * CONFIG.budget * dataset.n_items
    assert allocated[None, True] - allocated[None, False] >= kept_bytes // 2  # the kept draws are really held


def test_draws_are_made_again_unless_asked_and_a_bad_value_is_refused() -> None:
    assert DistillConfig().store_draws is False and StepSettings.from_config(DistillConfig()).store_draws is False
    assert StepSettings.from_config(DistillConfig(store_draws=True)).store_draws is True
    with pytest.raises(WorkbenchError, match="^store_draws must be True or False") as refused:
        DistillConfig(store_draws="yes")
    assert refused.value.parameter == "store_draws"


def test_kept_draws_that_do_not_fit_are_refused_naming_the_setting(dataset) -> None:
    kept = dataclasses.replace(CONFIG, store_draws=True)
    sizes = (dataset.n_users, dataset.n_items, int(dataset.train.nnz), CONFIG.budget)
    available = step_memory(*sizes, None)  # enough without the draws, not with them
    with pytest.raises(MemoryBudgetError, match="keeping its 6 Gumbel draws") as refused:
        check(dataset, kept, devices=jax.devices()[:1], available=available)
    assert "leave store_draws False (drop --store-draws" in str(refused.value)
    check(dataset, dataclasses.replace(CONFIG, store_draws=False), devices=jax.devices()[:1], available=available)


def test_an_update_with_kept_draws_is_the_update_with_draws_made_again(dataset) -> None:
    kept_state, data, kept = start(dataset, dataclasses.replace(CONFIG, store_draws=True))
    made = dataclasses.replace(kept, store_draws=False)
    kept_loss, kept_gradient = loss_and_gradient(kept_state, data, kept)
    made_loss, made_gradient = loss_and_gradient(kept_state, data, made)
    assert float(kept_loss) == float(made_loss)  # the same summary: the same loss
    assert relative(kept_gradient, made_gradient) < 1e-5
    after_kept, after_made = run_steps(kept_state, data, 3, kept), run_steps(kept_state, data, 3, made)
    assert relative(after_kept.logits, after_made.logits) < 1e-4


def test_a_batch_needs_memory_for_its_rows_not_for_the_users() -> None:
    items, interactions, budget = 17_770, 10**8, 500  # Netflix-sized: 480,189 users
    full = step_memory(480_189, items, interactions, budget, None)
    assert full > 16 * 480_189 * items  # the n x d rows and what is made of them
    batch = step_memory(480_189, items, interactions, budget, 1_000)
    assert batch < 2**32 and batch - step_memory(1_000, items, interactions, budget, 1_000) == 4 * (480_189 - 1_000)
    assert step_memory(480_189, items, interactions, budget, 1_000, devices=4) < batch  # each device: a quarter of the rows


def test_too_little_memory_for_every_user_names_a_batch_that_fits(dataset) -> None:
    config = dataclasses.replace(CONFIG, store_draws=False)  # the draws made again: their memory is O(μ·d)
    sizes = (dataset.n_users, dataset.n_items, int(dataset.train.nnz), config.budget)
    # short of a batch of every user, which holds less than the full batch (no sparse copy of the rows)
    available = step_memory(*sizes, dataset.n_users) - 1
    assert step_memory(*sizes, None) > available
    with pytest.raises(MemoryBudgetError) as refused:
        check(dataset, config, devices=jax.devices()[:1], available=available)
    fits = largest_batch(*sizes, available)
    assert 1 <= fits < dataset.n_users
    assert f"at most {fits:,} users per step" in str(refused.value) and f"--batch-users {fits}" in str(refused.value)
    check(dataset, dataclasses.replace(config, target_batch=fits), devices=jax.devices()[:1], available=available)
    with pytest.raises(MemoryBudgetError):
        check(dataset, dataclasses.replace(config, target_batch=fits + 1), devices=jax.devices()[:1], available=available)
    with pytest.raises(MemoryBudgetError, match="Not even one user"):
        check(dataset, config, devices=jax.devices()[:1], available=1000)


def test_a_bad_batch_is_refused(dataset) -> None:
    for bad in (0, -2, 2.5):
        with pytest.raises(WorkbenchError, match="^target_batch must be a positive integer") as refused:
            DistillConfig(target_batch=bad)
        assert refused.value.parameter == "target_batch"
    with pytest.raises(WorkbenchError, match=f"^target_batch {dataset.n_users + 1} is larger than the {dataset.n_users} users") as refused:
        init(dataset, dataclasses.replace(CONFIG, target_batch=dataset.n_users + 1), 0)
    assert refused.value.parameter == "target_batch"


def write_interactions(path: Path, n_users: int = 40, n_items: int = 30) -> Path:
    rng = np.random.default_rng(0)
    lines = ["user,item"] + [f"u{user},i{item}" for user in range(n_users) for item in rng.choice(n_items, rng.integers(5, 12), replace=False)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("value", "expected"), [("0", "--batch-users must be a positive integer"), ("1000", "--batch-users 1,000 is larger than the 40 users")])
def test_the_command_line_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, expected: str) -> None:
    data_file = write_interactions(tmp_path / "mine.csv")
    for command in (["distill", "--output", str(tmp_path / "summary.npz")], ["budget-curve", "--output", str(tmp_path / "curve.csv")]):
        status = main([*command, "--data-file", str(data_file), "--budget" if command[0] == "distill" else "--budgets", "5",
                       "--batch-users", value, "--steps", "1", "--no-progress"])
        assert status == 2
        assert expected in capsys.readouterr().err


@pytest.mark.parametrize(("flags", "expected"), [([], False), (["--store-draws"], True), (["--no-store-draws"], False)])
def test_the_command_line_sets_whether_draws_are_kept(tmp_path: Path, flags: list[str], expected: bool) -> None:
    from workbench.cli import _distill_config, build_parser

    for command in (["distill", "--output", str(tmp_path / "summary.npz")], ["budget-curve", "--output", str(tmp_path / "curve.csv")]):
        args = build_parser().parse_args([*command, "--dataset", "ml-100k", *flags])
        assert _distill_config(args).store_draws is expected


@pytest.mark.parametrize(("flags", "expected"), [([], 1.0), (["--start-logit", "30"], 30.0)])
def test_the_command_line_sets_the_starting_logit(tmp_path: Path, flags: list[str], expected: float) -> None:
    from workbench.cli import _distill_config, build_parser

    args = build_parser().parse_args(["distill", "--output", str(tmp_path / "summary.npz"), "--dataset", "ml-100k", *flags])
    assert _distill_config(args).start_logit == expected
    with pytest.raises(SystemExit):
        build_parser().parse_args(["distill", "--output", str(tmp_path / "summary.npz"), "--start-logit", "0"])
