"""Distill-CF's init/step shape: the state, the compiled update's cache, the early stop of
``run_steps``, and bit-for-bit agreement of :func:`distill` with a plain per-step loop."""

from __future__ import annotations

import dataclasses
import importlib
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import generated_dataset
from workbench.distill import DistillConfig, DistillState, StepData, StepSettings, distill, init, run_steps, step
from workbench.distill.sparse_targets import SparseTargets
from workbench.evaluation import EvaluationConfig, EvaluationData

distill_module = importlib.import_module("workbench.distill.distill")  # the module, not the function

SMALL = DistillConfig(budget=10, draws=10, steps=60, evaluate_every=15, patience=1000)


@pytest.fixture(scope="module")
def dataset():
    # More than 100 items, so that validation HR@100 is not 100 for every summary and learnt
    # summaries can beat the starting users (best_step > 0).
    return generated_dataset(300, 400, 0.03, seed=11)


def reference_distill(dataset, config: DistillConfig, seed: int) -> dict:
    """The loop written out plainly: one jitted update per step (``update_step``, given the sparse
    rows on all users as ``distill`` takes them), keys split and batches drawn eagerly, the loss read
    back after every step; validations, λ, patience and the
    NaN stop as the module doc says."""
    train = dataset.train
    active = np.flatnonzero(np.diff(train.indptr) > 0)
    users = np.sort(np.random.default_rng(seed).choice(active, size=config.budget, replace=False))
    logits = jnp.asarray(train[users].toarray(), dtype=jnp.float32)
    targets_all = jnp.asarray(train.toarray(), dtype=jnp.float32)
    mean_user_size = float(train.nnz) / dataset.n_users
    optimizer = distill_module.adam(config.learning_rate)
    optimizer_state = optimizer.init(logits)
    data = EvaluationData.prepare(dataset, seed=seed, config=EvaluationConfig())
    key, evaluation_key = jax.random.split(jax.random.key(seed))
    history = {"step": [], "loss": [], "hr10": [], "hr100": [], "lam": []}
    best = {"hr100": -1.0, "step": 0, "lam": config.lambdas[0], "summary": None, "logits": None}
    lam, last_loss, stopped = config.lambdas[0], float("nan"), None
    for current in range(config.steps + 1):
        if current % config.evaluate_every == 0 or current == config.steps:
            if current == 0:
                summary = np.asarray(logits)
            else:
                summary = np.asarray(distill_module.draw_summary(logits, jax.random.fold_in(evaluation_key, current), config))
            lam, hr10, hr100 = distill_module.choose_inner_lambda(summary, data, config, seed)
            for name, value in zip(history, (current, last_loss, hr10, hr100, lam)):
                history[name].append(value)
            if hr100 > best["hr100"]:
                best = {"hr100": hr100, "step": current, "lam": lam, "summary": summary, "logits": np.asarray(logits)}
            if current >= config.min_steps and current - best["step"] >= config.patience:
                stopped = "patience"
                break
        if current == config.steps:
            break
        key, step_key, batch_key = jax.random.split(key, 3)
        targets = SparseTargets.from_matrix(train)  # all users: fitted from the sparse rows
        if config.target_batch is not None:
            targets = targets_all[jax.random.choice(batch_key, dataset.n_users, (config.target_batch,), replace=False)]
        logits, optimizer_state, loss = distill_module.update_step(
            logits, optimizer_state, step_key, targets, jnp.asarray(lam, jnp.float32), mean_user_size,
            config=config, optimizer=optimizer,
        )
        last_loss = float(loss) if bool(jnp.isfinite(logits).all()) else float("nan")
        if not np.isfinite(last_loss):
            stopped = "non-finite"
            break
    return {"history": history, "best": best, "stopped": stopped, "logits": np.asarray(logits)}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "seed", "stopped"),
    [
        (SMALL, 0, None),
        (dataclasses.replace(SMALL, steps=90, evaluate_every=10, target_batch=120, patience=30), 0, "patience"),
    ],
)
def test_distill_is_bit_for_bit_the_plain_loop(dataset, monkeypatch: pytest.MonkeyPatch, config, seed, stopped) -> None:
    reference = reference_distill(dataset, config, seed)
    last_logits = {}
    real_run_steps = distill_module.run_steps

    def recording_run_steps(*args, **kwargs):
        state = real_run_steps(*args, **kwargs)
        last_logits["value"] = np.asarray(state.logits)
        return state

    monkeypatch.setattr(distill_module, "run_steps", recording_run_steps)
    result = distill(dataset, config, seed=seed, progress=False)

    assert (result.stopped is None) == (stopped is None) and (stopped is None or stopped in result.stopped)
    assert reference["best"]["step"] > 0, "the check needs a learnt summary to win"
    assert result.history.step == tuple(reference["history"]["step"])
    np.testing.assert_array_equal(result.history.loss, reference["history"]["loss"])  # NaN at step 0 in both
    assert result.history.validation_hr10 == tuple(reference["history"]["hr10"])
    assert result.history.validation_hr100 == tuple(reference["history"]["hr100"])
    assert result.history.lam == tuple(reference["history"]["lam"])
    assert (result.best_step, result.lam, result.best_validation_hr100) == (
        reference["best"]["step"], reference["best"]["lam"], reference["best"]["hr100"]
    )
    assert np.array_equal(result.summary, reference["best"]["summary"])
    assert np.array_equal(result.logits, reference["best"]["logits"])
    assert np.array_equal(last_logits["value"], reference["logits"])  # the logits after the last update


def test_init_holds_the_starting_users_and_fresh_optimiser(dataset) -> None:
    state = init(dataset, SMALL, seed=3)
    assert isinstance(state, DistillState)
    assert state.logits.shape == (SMALL.budget, dataset.n_items) and state.logits.dtype == jnp.float32
    assert set(np.unique(np.asarray(state.logits))) <= {0.0, 1.0}
    assert int(state.step) == 0 and int(state.best_step) == 0 and np.isnan(float(state.loss)) and bool(state.finite)
    assert float(state.lam) == np.float32(SMALL.lambdas[0])
    assert np.array_equal(state.best_logits, state.logits) and np.array_equal(state.best_summary, state.logits)
    leaves = jax.tree_util.tree_leaves(state)  # a pytree: jit and tree maps see its arrays
    assert len(leaves) > 10


def test_start_logit_scales_the_logits_but_step_0_is_still_the_binary_rows(dataset) -> None:
    base = dataclasses.replace(SMALL, steps=15)
    scaled_config = dataclasses.replace(base, start_logit=20.0)
    plain, scaled = init(dataset, base, seed=3), init(dataset, scaled_config, seed=3)
    np.testing.assert_array_equal(np.asarray(scaled.logits), 20.0 * np.asarray(plain.logits))
    np.testing.assert_array_equal(np.asarray(scaled.best_summary), np.asarray(plain.logits))  # binary rows
    first = distill(dataset, base, seed=3, progress=False)
    second = distill(dataset, scaled_config, seed=3, progress=False)
    # step 0 evaluates the same binary rows, so its validation and λ agree to the bit ...
    assert first.history.step[:2] == second.history.step[:2] == (0, 15)
    assert first.history.validation_hr100[0] == second.history.validation_hr100[0]
    assert first.history.lam[0] == second.history.lam[0]
    # ... while the draws from the sharper logits sit closer to the starting users (at τ = 10 a
    # user's items weigh e^{s/τ} against 1: e^0.1 at s = 1, e^2 at s = 20)
    starting = np.asarray(plain.logits) > 0
    drawn = {
        name: np.asarray(distill_module.draw_summary(state.logits, jax.random.key(0), config))
        for name, state, config in (("plain", plain, base), ("scaled", scaled, scaled_config))
    }
    share = {name: float((summary * starting).sum() / summary.sum()) for name, summary in drawn.items()}
    assert share["scaled"] > 2 * share["plain"], share
    assert first.config.start_logit == 1.0 and second.config.start_logit == 20.0


@pytest.mark.parametrize("store_draws", [False, True], ids=["draws-made-again", "draws-kept"])
def test_step_and_run_steps_take_the_same_updates(dataset, store_draws: bool) -> None:
    """Bit for bit: with kept draws, :func:`step` makes a buffer per update and :func:`run_steps`
    passes one buffer along (donated); the updates must not tell the difference."""
    config = dataclasses.replace(SMALL, store_draws=store_draws)
    state = init(dataset, config, seed=1)
    data, settings = StepData.from_dataset(dataset), StepSettings.from_config(config)
    assert settings.store_draws is store_draws
    one = state
    for _ in range(3):
        one, loss = step(one, data, settings)
    three = run_steps(state, data, 3, settings)
    assert bool(three.finite) and int(three.step) == int(one.step) == 3
    assert np.array_equal(three.logits, one.logits) and float(three.loss) == float(loss)
    assert np.array_equal(jax.random.key_data(three.key), jax.random.key_data(one.key))


def test_updates_stop_at_the_first_non_finite_one(dataset) -> None:
    state = dataclasses.replace(init(dataset, SMALL, seed=1), lam=jnp.asarray(jnp.nan, jnp.float32))
    data, settings = StepData.from_dataset(dataset), StepSettings.from_config(SMALL)
    after = run_steps(state, data, 5, settings)
    assert not bool(after.finite) and int(after.step) == 1 and np.isnan(float(after.loss))
    again, loss = step(after, data, settings)  # a stopped state is left as it is
    assert int(again.step) == 1 and np.isnan(float(loss))
    assert np.array_equal(again.logits, after.logits, equal_nan=True)
    assert np.array_equal(jax.random.key_data(again.key), jax.random.key_data(after.key))


def test_settings_outside_the_update_do_not_recompile_it(dataset) -> None:
    traces = {"n": 0}
    real_apply_update = distill_module.apply_update

    def counting_apply_update(*args, **kwargs):  # runs once per trace of the update, never per step
        traces["n"] += 1
        return real_apply_update(*args, **kwargs)

    config = DistillConfig(budget=4, draws=3, steps=4, evaluate_every=2, patience=50, cardinality_weight=0.00123)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(distill_module, "apply_update", counting_apply_update)
        distill(dataset, config, seed=0, progress=False)  # compiles, for these settings (a weight no other test uses)
        compiled, traced = step._cache_size(), traces["n"]
        assert traced >= 1
        for changed in (
            dataclasses.replace(config, steps=7),
            dataclasses.replace(config, patience=1),
            dataclasses.replace(config, evaluate_every=3, steps=9),
            dataclasses.replace(config, lambdas=(0.1, 1.0)),
        ):
            distill(dataset, changed, seed=1, progress=True)
        assert step._cache_size() == compiled and traces["n"] == traced
        distill(dataset, dataclasses.replace(config, draws=4), seed=0, progress=False)  # the update changes: compiles
        assert step._cache_size() == compiled + 1 and traces["n"] > traced


def test_next_validation_is_the_next_multiple_or_the_last_step() -> None:
    config = DistillConfig(steps=50, evaluate_every=20)
    assert [distill_module.next_validation(s, config) for s in (0, 20, 40, 45)] == [20, 40, 50, 50]


def test_distill_times_its_validations(dataset) -> None:
    before = time.perf_counter()
    result = distill(dataset, dataclasses.replace(SMALL, steps=15), seed=0, progress=False)
    assert result.history.step == (0, 15)
    assert 0 <= result.history.seconds[0] <= result.history.seconds[1] <= time.perf_counter() - before
