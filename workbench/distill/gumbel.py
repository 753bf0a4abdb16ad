"""Multi-Gumbel sampling: the sum of γ Gumbel-softmax draws, in O(μ·d) memory (docs/distill_cf.md).

For logits Z (μ, d), temperature τ and γ draws g_j of i.i.d. Gumbel(0, 1) noise (no gradient
through the noise)::

    X̂ = Σ_{j=1..γ} softmax_items((Z + g_j) / τ)

Storing every draw would take γ·μ·d floats (200 × 500 × 3,706 ≈ 1.5 GB in float32). Instead the draws
are summed in a loop and the gradient has a custom VJP that regenerates each draw's noise from its
key in the backward pass: with p_j = softmax((Z + g_j)/τ) and the incoming cotangent v,

    ∂⟨v, X̂⟩/∂Z = Σ_j (1/τ) · p_j ⊙ (v − ⟨v, p_j⟩_items)

so both passes keep only O(μ·d) memory. Draw j uses ``jax.random.fold_in(key, j)``.

``store=True`` keeps every p_j from the forward pass instead (γ·μ·d floats) and the backward reads
them: the same sum and the same formula, without making the noise and the exponentials a second
time. :func:`sum_into` and :func:`gradient_from_draws` are the same two passes with a buffer the
caller keeps from one update to the next. The forward value is the same; the gradient agrees to
float32 rounding. On a 2-core CPU it saved nothing (BENCHMARKS.md), so Distill-CF makes the draws
again by default.

The noise itself (:func:`gumbel_noise`) is the one place that does not use ``jax.random``'s
generator for every number: γ·μ·d = 370 million Gumbel numbers per step, twice (forward and
backward), made threefry the bottleneck (4.5 s of a step on a 2-core CPU). Each draw takes one
32-bit seed from its JAX key and hashes the element counter with it (a bijective integer mixer),
4x faster; ``tests/test_distill_gumbel.py`` checks the noise's distribution.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp


def _mix32(values: jax.Array) -> jax.Array:
    """A bijective 32-bit integer mixer (xor-shift-multiply; "lowbias32", C. Wellons)."""
    values = values ^ (values >> 16)
    values = values * jnp.uint32(0x7FEB352D)
    values = values ^ (values >> 15)
    values = values * jnp.uint32(0x846CA68B)
    return values ^ (values >> 16)


def uniform_index(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """23 random bits per element of ``shape``, uint32 in [0, 2²³): the index k of u = (k + ½)/2²³.

    One 32-bit seed is drawn from ``key`` with ``jax.random``; element e's bits are
    mix(mix(e·φ + seed) ^ seed), φ = 0x9E3779B9, of which the top 23 are kept. At most 2³² elements.
    """
    seed = jax.random.bits(key, (), jnp.uint32)
    counter = jax.lax.iota(jnp.uint32, math.prod(shape)).reshape(shape)
    return _mix32(_mix32(counter * jnp.uint32(0x9E3779B9) + seed) ^ seed) >> 9


def uniform_from_index(index: jax.Array, dtype: jnp.dtype = jnp.float32) -> jax.Array:
    """u = (k + ½)/2²³ in (0, 1). 23 bits: the largest value, 1 − 2⁻²⁴, is exact in float32 (with 24
    bits, 1 − 2⁻²⁵ rounds to 1.0 and the noise becomes +inf)."""
    return (index.astype(dtype) + 0.5) * (1.0 / 2**23)


def gumbel_noise(key: jax.Array, shape: tuple[int, ...], dtype: jnp.dtype = jnp.float32) -> jax.Array:
    """I.i.d. Gumbel(0, 1) noise of ``shape``: −log(−log u), u from :func:`uniform_index` (23 random bits)."""
    return -jnp.log(-jnp.log(uniform_from_index(uniform_index(key, shape), dtype)))


def _draw(logits: jax.Array, key: jax.Array, index: jax.Array, temperature: float) -> jax.Array:
    noise = gumbel_noise(jax.random.fold_in(key, index), logits.shape, dtype=logits.dtype)
    return jax.nn.softmax((logits + noise) / temperature, axis=-1)


def multi_gumbel_softmax(logits: jax.Array, key: jax.Array, draws: int, temperature: float, store: bool = False) -> jax.Array:
    """Σ_{j<draws} softmax((logits + g_j)/temperature) over the last axis; (μ, d) in, (μ, d) out.

    Args:
        logits: (μ, d) float.
        key: a JAX PRNG key; draw j uses ``fold_in(key, j)``.
        draws: γ, the number of draws (static).
        temperature: τ > 0 (static).
        store: under differentiation, keep the γ draws (draws·μ·d floats) for the backward pass
            instead of making them again from their keys (static). The value is the same either way.
    """
    if store:
        return _stored_multi_gumbel_softmax(logits, key, draws, temperature)
    return _regenerated_multi_gumbel_softmax(logits, key, draws, temperature)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _regenerated_multi_gumbel_softmax(logits: jax.Array, key: jax.Array, draws: int, temperature: float) -> jax.Array:
    return _forward_sum(logits, key, draws, temperature)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _stored_multi_gumbel_softmax(logits: jax.Array, key: jax.Array, draws: int, temperature: float) -> jax.Array:
    return _forward_sum(logits, key, draws, temperature)


def _forward_sum(logits: jax.Array, key: jax.Array, draws: int, temperature: float) -> jax.Array:
    def body(index: jax.Array, total: jax.Array) -> jax.Array:
        return total + _draw(logits, key, index, temperature)

    return jax.lax.fori_loop(0, draws, body, jnp.zeros_like(logits))


def _forward(logits: jax.Array, key: jax.Array, draws: int, temperature: float) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
    return _forward_sum(logits, key, draws, temperature), (logits, key)


def _backward(draws: int, temperature: float, residuals: tuple[jax.Array, jax.Array], cotangent: jax.Array) -> tuple[jax.Array, None]:
    logits, key = residuals

    def body(index: jax.Array, gradient: jax.Array) -> jax.Array:
        probabilities = _draw(logits, key, index, temperature)
        centred = cotangent - jnp.sum(cotangent * probabilities, axis=-1, keepdims=True)
        return gradient + probabilities * centred

    gradient = jax.lax.fori_loop(0, draws, body, jnp.zeros_like(logits))
    return gradient / temperature, None


_regenerated_multi_gumbel_softmax.defvjp(_forward, _backward)


def _forward_storing(logits: jax.Array, key: jax.Array, draws: int, temperature: float) -> tuple[jax.Array, jax.Array]:
    """The sum, and every draw stacked, (draws, μ, d): :func:`sum_into` a buffer made for this pass."""
    return sum_into(logits, key, draws, temperature, jnp.zeros((draws, *logits.shape), logits.dtype))


def _backward_reading(draws: int, temperature: float, stored: jax.Array, cotangent: jax.Array) -> tuple[jax.Array, None]:
    def body(gradient: jax.Array, probabilities: jax.Array) -> tuple[jax.Array, None]:
        centred = cotangent - jnp.sum(cotangent * probabilities, axis=-1, keepdims=True)
        return gradient + probabilities * centred, None

    gradient, _ = jax.lax.scan(body, jnp.zeros_like(cotangent), stored)
    return gradient / temperature, None


_stored_multi_gumbel_softmax.defvjp(_forward_storing, _backward_reading)


def sum_into(
    logits: jax.Array, key: jax.Array, draws: int, temperature: float, stored: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """The sum of the draws, and ``stored`` (draws, μ, d) overwritten with them: the forward pass of
    ``store=True`` writing into a buffer the caller keeps (and donates to a jitted update, so that
    no update allocates and faults in γ·μ·d fresh floats)."""
    def body(index: jax.Array, carry: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        total, buffer = carry
        probabilities = _draw(logits, key, index, temperature)
        return total + probabilities, jax.lax.dynamic_update_index_in_dim(buffer, probabilities, index, 0)

    return jax.lax.fori_loop(0, draws, body, (jnp.zeros_like(logits), stored))


def gradient_from_draws(stored: jax.Array, cotangent: jax.Array, temperature: float) -> jax.Array:
    """∂⟨cotangent, Σ_j p_j⟩/∂Z from the draws p_j kept in ``stored`` (draws, μ, d): the backward
    pass of ``store=True``."""
    return _backward_reading(stored.shape[0], temperature, stored, cotangent)[0]


def stored_draws_bytes(draws: int, budget: int, n_items: int, itemsize: int = 4) -> int:
    """Bytes that ``store=True`` keeps between the passes: draws·μ·d floats."""
    return int(draws) * int(budget) * int(n_items) * itemsize


def naive_multi_gumbel_softmax(logits: jax.Array, key: jax.Array, draws: int, temperature: float) -> jax.Array:
    """The same sum with every draw stored and plain autodiff: (draws, μ, d) memory. For tests."""
    indices = jnp.arange(draws)
    stacked = jax.vmap(lambda index: _draw(logits, key, index, temperature))(indices)
    return jnp.sum(stacked, axis=0)
