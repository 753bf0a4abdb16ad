"""Multi-Gumbel sampling: the memory-saving sum's value and gradient equal the naive sum's, with the
draws made again in the backward pass or kept from the forward one, and the noise is Gumbel(0, 1)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from workbench.distill.gumbel import gumbel_noise, multi_gumbel_softmax, naive_multi_gumbel_softmax


@pytest.mark.parametrize("store", [False, True], ids=["draws-made-again", "draws-kept"])
@pytest.mark.parametrize("temperature", [0.3, 1.0, 10.0])
def test_memory_saving_sum_has_the_naive_sums_value_and_gradient(temperature: float, store: bool) -> None:
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        logits = jnp.asarray(rng.normal(size=(5, 9)))
        cotangent = jnp.asarray(rng.normal(size=(5, 9)))
        key = jax.random.key(3)

        def objective(sum_function):
            # a clip, as in Distill-CF, so that the clipped entries' zero gradient is exercised too
            return lambda z: jnp.sum(cotangent * jnp.clip(sum_function(z, key, 7, temperature), 0.0, 1.0))

        def saving_sum(z, k, draws, tau):
            return multi_gumbel_softmax(z, k, draws, tau, store=store)

        np.testing.assert_allclose(
            saving_sum(logits, key, 7, temperature), naive_multi_gumbel_softmax(logits, key, 7, temperature), rtol=1e-13
        )
        saving = jax.grad(objective(saving_sum))(logits)
        naive = jax.grad(objective(naive_multi_gumbel_softmax))(logits)
        assert saving.dtype == jnp.float64
        np.testing.assert_allclose(saving, naive, rtol=1e-10, atol=1e-13)
        assert float(jnp.abs(naive).max()) > 1e-3  # the test compares something


def test_extreme_counters_give_finite_noise() -> None:
    # 8 million numbers reach far into both tails of u
    noise = np.asarray(gumbel_noise(jax.random.key(1), (2**12, 2**11)))
    assert np.isfinite(noise).all() and noise.max() < 17 and noise.min() > -3


def test_each_draw_sums_to_one_per_row() -> None:
    total = multi_gumbel_softmax(jnp.zeros((4, 6)), jax.random.key(0), 5, 1.0)
    np.testing.assert_allclose(np.asarray(total).sum(axis=1), 5.0, rtol=1e-5)


def test_noise_is_standard_gumbel_and_keyed() -> None:
    noise = np.asarray(gumbel_noise(jax.random.key(7), (400, 500))).ravel()
    assert abs(noise.mean() - np.euler_gamma) < 0.01
    assert abs(noise.var() - np.pi**2 / 6) < 0.05  # the sample variance's standard error here is 0.01
    assert np.isfinite(noise).all()
    assert stats.kstest(noise[::4], stats.gumbel_r.cdf).pvalue > 1e-3
    np.testing.assert_array_equal(noise, np.asarray(gumbel_noise(jax.random.key(7), (400, 500))).ravel())
    other = np.asarray(gumbel_noise(jax.random.key(8), (400, 500))).ravel()
    assert abs(np.corrcoef(noise, other)[0, 1]) < 0.01
    neighbours = np.corrcoef(noise[:-1], noise[1:])[0, 1]  # consecutive counters are not correlated
    assert abs(neighbours) < 0.01


def test_kept_draws_give_the_same_sum_and_the_gradient_to_float32_rounding() -> None:
    """In float32, as an update runs: the value under differentiation is the same sum bit for bit
    (the same draws added in the same order); the gradient agrees to rounding."""
    rng = np.random.default_rng(1)
    logits = jnp.asarray(rng.normal(size=(12, 40)), jnp.float32)
    cotangent = jnp.asarray(rng.normal(size=(12, 40)), jnp.float32)
    key = jax.random.key(5)

    def value_and_gradient(store: bool):
        return jax.jit(jax.value_and_grad(
            lambda z: jnp.sum(cotangent * multi_gumbel_softmax(z, key, 9, 2.0, store=store))
        ))(logits)

    def summed(store: bool):  # the sum as the forward pass of differentiation makes it, and its pullback
        total, pullback = jax.vjp(lambda z: multi_gumbel_softmax(z, key, 9, 2.0, store=store), logits)
        return total, pullback(cotangent)[0]

    (kept_sum, kept_gradient), (made_sum, made_gradient) = summed(True), summed(False)
    assert np.array_equal(kept_sum, made_sum)
    np.testing.assert_allclose(kept_gradient, made_gradient, rtol=1e-5, atol=1e-6 * float(jnp.abs(made_gradient).max()))
    (kept_value, kept_grad), (made_value, made_grad) = value_and_gradient(True), value_and_gradient(False)
    np.testing.assert_allclose(float(kept_value), float(made_value), rtol=1e-6)
    np.testing.assert_allclose(kept_grad, made_grad, rtol=1e-5, atol=1e-6 * float(jnp.abs(made_grad).max()))
    assert float(jnp.abs(made_grad).max()) > 1e-3  # the test compares something
