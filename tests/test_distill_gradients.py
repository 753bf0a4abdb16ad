"""Distill-CF's gradients against central finite differences of the function's own value.

Two levels are checked on small generated data (a 12 × 9 summary, 20 real users):

- the loss, :func:`workbench.distill.distillation_loss`, in the continuous summary X̂ (every entry,
  and one random direction) and in the inner λ, with the default cardinality weight and a large one,
  for dense target rows and for the same rows sparse;
- the whole objective one update differentiates, logits Z → clipped multi-Gumbel summary (a fixed
  key, so the noise stays the same) → loss with its cardinality term, in every logit. That objective
  is ``distill._objective``, private to ``distill.apply_update``, so the test rebuilds it from the package's
  pieces (``draw_summary`` then ``distillation_loss``, as it does) and first checks that it is the
  one the update used: ``apply_update`` returns its value, and Adam's first moment after that one
  update is 0.1 × its gradient.

Why float64: with h = 1e-6, float32's rounding (1e-7 relative on a loss of about 6) would swamp the
differences; in float64 they agree with autodiff to about 1e-7 of the largest gradient entry, so a
1e-6 tolerance catches a mistake of that size in any one entry. x64 is switched on for this module's
tests only (a fixture) and restored after each. Every comparison is also shown to fail on a wrong
gradient, so the checks can catch something.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.sparse as sp

from workbench.distill import StepSettings, distillation_loss, draw_summary, multi_gumbel_softmax
from workbench.distill.distill import adam, apply_update
from workbench.distill.sparse_targets import SparseTargets
from workbench.kernels.ntk import NTKConfig

H = 1e-6  # finite-difference step
RTOL = 1e-6  # on max |autodiff − differences| / max |differences|
SUMMARY_SHAPE = (12, 9)  # μ synthetic users × d items
N_USERS = 20


@pytest.fixture(autouse=True)
def float64():
    """float64 inside each test of this module only."""
    before = jax.config.jax_enable_x64
    with jax.enable_x64(True):
        yield
    assert jax.config.jax_enable_x64 == before


def real_users(seed: int = 0) -> tuple[jax.Array, float]:
    """20 random binary users over 9 items, each with at least one item; (targets, mean user size)."""
    rng = np.random.default_rng(seed)
    targets = (rng.random((N_USERS, SUMMARY_SHAPE[1])) < 0.3).astype(np.float64)
    targets[np.arange(N_USERS), rng.integers(0, SUMMARY_SHAPE[1], N_USERS)] = 1.0
    assert len(np.unique(targets, axis=0)) > 10
    return jnp.asarray(targets), float(targets.sum()) / N_USERS


def central_differences(f: Callable[[np.ndarray], float], x: np.ndarray, h: float, indices: np.ndarray) -> np.ndarray:
    """(f(x + h·e_i) − f(x − h·e_i)) / 2h for each flat index i of ``x``."""
    estimates = []
    for index in indices:
        step = np.zeros(x.size)
        step[index] = h
        step = step.reshape(x.shape)
        estimates.append((float(f(x + step)) - float(f(x - step))) / (2 * h))
    return np.asarray(estimates)


def gradient_error(gradient: np.ndarray, estimate: np.ndarray) -> float:
    """max |gradient − estimate| relative to the largest estimate."""
    gradient, estimate = np.ravel(gradient), np.ravel(estimate)
    return float(np.max(np.abs(gradient - estimate)) / np.max(np.abs(estimate)))


def check_gradient(gradient: np.ndarray, estimate: np.ndarray) -> float:
    """Assert the gradient matches the differences, and that a 1 % scaled gradient, or one entry
    (the smallest) off by 10·RTOL of the scale, would not have."""
    gradient, estimate = np.ravel(gradient), np.ravel(estimate)
    error = gradient_error(gradient, estimate)
    assert error < RTOL, f"autodiff and finite differences differ by {error:.2e} of the largest entry"
    assert gradient_error(1.01 * gradient, estimate) > 100 * RTOL
    wrong = gradient.copy()
    wrong[np.argmin(np.abs(gradient))] += 10 * RTOL * np.max(np.abs(estimate))
    assert gradient_error(wrong, estimate) > RTOL
    return error


def directional_check(f: Callable, x: np.ndarray, gradient: np.ndarray, seed: int) -> float:
    """The derivative along a random unit direction v, (f(x + hv) − f(x − hv))/2h against ⟨∇f, v⟩."""
    direction = np.random.default_rng(seed).normal(size=x.shape)
    direction /= np.linalg.norm(direction)
    along = central_differences(lambda t: f(x + t[0] * direction), np.zeros(1), H, [0])[0]
    error = abs(np.vdot(gradient, direction) - along) / np.linalg.norm(gradient)
    assert error < RTOL, f"directional derivative off by {error:.2e} of |∇f|"
    assert abs(1.01 * np.vdot(gradient, direction) - along) / np.linalg.norm(gradient) > RTOL
    return float(error)


@pytest.mark.parametrize("form", ["dense rows", "sparse rows"])
@pytest.mark.parametrize(("lam", "cardinality_weight"), [(1e-3, 1e-3), (5.0, 1.0)])
def test_loss_gradient_in_the_summary_and_lambda(lam: float, cardinality_weight: float, form: str) -> None:
    """Dense rows, or the same rows sparse (as an update on all users on one device fits them: X·X̂ᵀ's
    custom VJP and the likelihood read at X's entries), in float64."""
    targets, mean_user_size = real_users()
    if form == "sparse rows":
        targets = SparseTargets.from_matrix(sp.csr_matrix(np.asarray(targets)), dtype=np.float64)
        assert targets.values.dtype == jnp.float64
    summary = np.random.default_rng(1).uniform(0.05, 0.95, SUMMARY_SHAPE)

    def loss_at(weight: float):
        return jax.jit(lambda x, l: distillation_loss(x, targets, l, mean_user_size, weight, NTKConfig()))

    loss = loss_at(cardinality_weight)
    gradient, lam_gradient = jax.grad(loss, argnums=(0, 1))(summary, lam)
    gradient = np.asarray(gradient)
    assert gradient.dtype == np.float64 and np.abs(gradient).min() > 0
    estimate = central_differences(lambda x: loss(x, lam), summary, H, np.arange(summary.size))
    check_gradient(gradient, estimate)
    directional_check(lambda x: loss(x, lam), summary, gradient, seed=2)
    # the cardinality term's gradient is seen: without it, autodiff would not match
    assert gradient_error(np.asarray(jax.grad(loss_at(0.0))(summary, lam)), estimate) > 10 * RTOL

    lam_estimate = central_differences(lambda l: loss(summary, l[0]), np.array([lam]), H * lam, [0])
    check_gradient(np.array([lam_gradient]), lam_estimate)


@pytest.mark.parametrize("store_draws", [False, True], ids=["draws-made-again", "draws-kept"])
def test_whole_objective_gradient_in_the_logits(store_draws: bool) -> None:
    """The objective an update differentiates, rebuilt from ``draw_summary`` and ``distillation_loss``
    (``distill._objective``, private to ``apply_update``), at τ = 5, γ = 8 and a fixed key, with the
    draws made again in the backward pass or kept from the forward one."""
    targets, mean_user_size = real_users()
    logits = np.random.default_rng(3).normal(size=SUMMARY_SHAPE)
    key = jax.random.key(4)
    lam = jnp.asarray(0.1)
    settings = StepSettings(
        draws=8, temperature=5.0, cardinality_weight=1e-3, ntk=NTKConfig(), learning_rate=0.04, target_batch=None,
        store_draws=store_draws,
    )

    def objective_with(noise_key: jax.Array):
        return jax.jit(lambda z: distillation_loss(
            draw_summary(z, noise_key, settings), targets, lam, mean_user_size, settings.cardinality_weight, settings.ntk
        ))

    objective = objective_with(key)
    gradient = np.asarray(jax.grad(objective)(logits))

    # the objective is the update's: its value, and its gradient in Adam's first moment after one step
    update = jax.jit(apply_update, static_argnames="settings")
    start = jnp.asarray(logits)
    _, state, loss = update(start, adam(settings.learning_rate).init(start), key, targets, lam, mean_user_size, settings=settings)
    assert loss.dtype == jnp.float64
    np.testing.assert_allclose(float(loss), float(objective(logits)), rtol=1e-13)
    first_moment = np.asarray(optax.tree_utils.tree_get(state, "mu"))  # (1 − b1)·gradient, b1 = 0.9
    np.testing.assert_allclose(first_moment / (1 - 0.9), gradient, rtol=1e-12)

    # smooth here: some entries clipped at 1, some not, none within reach of the clip's kink (a step
    # of h in the logits moves an entry of the sum of γ softmaxes at temperature τ by under 2·h·γ/τ)
    unclipped = np.asarray(multi_gumbel_softmax(jnp.asarray(logits), key, settings.draws, settings.temperature))
    assert (unclipped > 1).any() and (unclipped < 1).any()
    assert np.abs(unclipped - 1).min() > 10 * H * settings.draws / settings.temperature

    estimate = central_differences(objective, logits, H, np.arange(logits.size))
    check_gradient(gradient, estimate)
    directional_check(objective, logits, gradient, seed=5)
    # the noise must be held fixed: the gradient of another draw does not match these differences
    assert gradient_error(np.asarray(jax.grad(objective_with(jax.random.key(6)))(logits)), estimate) > 100 * RTOL
