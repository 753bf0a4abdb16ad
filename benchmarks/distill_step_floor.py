"""Where a Distill-CF step's time goes on ML-1M (μ = 500, γ = 200, all users), and what any exact step must cost.

    python benchmarks/distill_step_floor.py [--repeats 5] [--output FILE]

One process, every part timed in the same run (median of ``--repeats``, each waiting for its result),
so that the parts can be compared with the whole step:

- ``step``: one optimiser update, as :func:`workbench.distill.distill.update_step` runs it.
- ``gumbel_forward`` / ``gumbel_backward``: the multi-Gumbel sum and its custom VJP, which draws the
  noise again from its keys (the γ draws are not stored: docs/distill_cf.md keeps the sum in O(μ·d)
  memory).
- ``loss_value_and_gradient``: the loss and its gradient in the summary.
- ``noise_pass``: γ·μ·d Gumbel numbers (hash, −log(−log u)) summed, nothing else.
  ``noise_and_exp_pass``: the same plus the softmax numerator exp((Z + g)/τ) of every entry. Every
  exact pass over the draws needs at least this, and forward and backward need one each.
- ``product_*``: the loss's matrix products on their own. Three are dense whatever the implementation:
  pred = C·A (b×μ by μ×d), dC = D·Aᵀ and dA = Cᵀ·D with D = ∂L/∂pred (b×d), because the log-softmax
  needs every entry of pred. ``product_targets_*`` have the 4.5 %-dense targets X on one side
  (X·X̂ᵀ and Gᵀ·X), dense and as ``jax.experimental.sparse`` BCSR.
- ``log_softmax_value_and_gradient``: the likelihood term on a b×d pred, forward and backward.

Floors, each before any kernel, Cholesky, softmax normalisation or Adam work:

- ``floor_seconds`` = 2 × noise_and_exp_pass + the three dense products (XLA's ``log``);
- ``floor_with_polynomial_log_and_sparse_targets_seconds`` = 2 × the noise-and-exp pass with a
  polynomial log + the three dense products + the two BCSR products + the log-softmax.

What-ifs, measured but not in the package:

- ``what_if_polynomial_log_*``: a polynomial natural logarithm (exponent split and a degree-8 fit,
  no division) in place of XLA's ``log``. Its noise is compared with float64 over all 2²³ values u
  can take, next to XLA's.
- ``what_if_table_noise_pass``: −log(−log u) read from a 2²³-entry table (32 MiB) made with XLA's
  ``log``: the same noise bit for bit, with no log in the loop.
- ``what_if_stored_draws_*``: all γ draws kept from the forward pass (γ·μ·d floats, 1.4 GiB here;
  outside the O(μ·d) memory bound of docs/distill_cf.md) in a donated buffer, so the backward reads
  them instead of drawing again. Its gradient is compared with the package's, bit for bit and as the
  largest relative difference.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import time
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Callable

from distill_setup import add_step_arguments, ml1m_step_inputs

HERE = Path(__file__).resolve().parent


def median_seconds(function: Callable[..., Any], *arguments: Any, repeats: int) -> float:
    import jax

    jax.block_until_ready(function(*arguments))  # compile
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(function(*arguments))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    add_step_arguments(parser)
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.experimental import sparse

    from workbench.distill.distill import draw_summary, update_step
    from workbench.distill.gumbel import _backward, _draw, gumbel_noise, multi_gumbel_softmax, uniform_from_index, uniform_index
    from workbench.distill.loss import distillation_loss, summary_kernels

    inputs = ml1m_step_inputs(args.budget, args.draws)
    config, optimizer = inputs.config, inputs.optimizer
    logits, state, key = inputs.logits, inputs.state, inputs.key
    targets, lam, mean_size = inputs.targets, inputs.lam, inputs.mean_size
    draws, temperature = config.draws, config.temperature
    rng = np.random.default_rng(1)  # the random operands of the timed parts
    shape = logits.shape
    seconds: dict[str, float] = {}

    def timed(name: str, function: Callable[..., Any], *arguments: Any, repeats: int | None = None) -> None:
        seconds[name] = median_seconds(function, *arguments, repeats=repeats or args.repeats)
        print(f"{name:50s} {seconds[name]:7.3f} s", flush=True)

    # The package's step and its parts.
    timed("step", lambda z, s, k: update_step(z, s, k, targets, lam, mean_size, config=config, optimizer=optimizer)[2], logits, state, key)
    timed("gumbel_forward", jax.jit(lambda z, k: multi_gumbel_softmax(z, k, draws, temperature)), logits, key)
    cotangent = jnp.asarray(rng.standard_normal(shape), dtype=jnp.float32)
    timed("gumbel_backward", jax.jit(lambda z, k, v: _backward(draws, temperature, (z, k), v)[0]), logits, key, cotangent)
    summary = jnp.clip(multi_gumbel_softmax(logits, key, draws, temperature), 0.0, 1.0)
    loss_gradient = jax.jit(jax.value_and_grad(
        lambda s: distillation_loss(s, targets, lam, mean_size, config.cardinality_weight, config.ntk)))
    timed("loss_value_and_gradient", loss_gradient, summary)

    # Passes over the γ draws: the noise, then the noise and the softmax numerator.
    def pass_over_draws(noise: Callable[[jax.Array], jax.Array], with_exp: bool) -> Callable[[jax.Array, jax.Array], jax.Array]:
        def run(z: jax.Array, k: jax.Array) -> jax.Array:
            def body(j: jax.Array, total: jax.Array) -> jax.Array:
                g = noise(jax.random.fold_in(k, j))
                return total + (jnp.exp((z + g) / temperature) if with_exp else g)

            return jax.lax.fori_loop(0, draws, body, jnp.zeros(shape, jnp.float32))

        return jax.jit(run)

    xla_noise = lambda k: gumbel_noise(k, shape)  # noqa: E731
    timed("noise_pass", pass_over_draws(xla_noise, False), logits, key)
    timed("noise_and_exp_pass", pass_over_draws(xla_noise, True), logits, key)

    nodes = np.cos(np.pi * (np.arange(2000) + 0.5) / 2000)
    t_nodes = nodes * 0.5 * (math.sqrt(2) - math.sqrt(0.5)) + 0.5 * (math.sqrt(2) + math.sqrt(0.5)) - 1
    polynomial = np.polyfit(t_nodes, np.log1p(t_nodes) / t_nodes, 8)  # ln(1+t)/t on [√½−1, √2−1]

    def polynomial_log(x: jax.Array) -> jax.Array:
        bits = jax.lax.bitcast_convert_type(x, jnp.int32)
        exponent = (bits - jnp.int32(0x3F3504F3)) >> 23
        fraction = jax.lax.bitcast_convert_type(bits - (exponent << 23), jnp.float32) - 1.0
        value = jnp.float32(polynomial[0])
        for coefficient in polynomial[1:]:
            value = value * fraction + jnp.float32(coefficient)
        return exponent.astype(jnp.float32) * jnp.float32(math.log(2)) + fraction * value

    polynomial_noise = lambda k: -polynomial_log(-polynomial_log(uniform_from_index(uniform_index(k, shape))))  # noqa: E731
    timed("what_if_polynomial_log_noise_pass", pass_over_draws(polynomial_noise, False), logits, key)
    timed("what_if_polynomial_log_noise_and_exp_pass", pass_over_draws(polynomial_noise, True), logits, key)
    every_u = uniform_from_index(jnp.arange(2**23, dtype=jnp.uint32))
    exact = -np.log(-np.log(np.asarray(every_u, dtype=np.float64)))
    table = jax.jit(lambda u: -jnp.log(-jnp.log(u)))(every_u)
    noise_errors = {
        "xla_log": float(np.max(np.abs(np.asarray(table, dtype=np.float64) - exact))),
        "polynomial_log": float(np.max(np.abs(np.asarray(jax.jit(lambda u: -polynomial_log(-polynomial_log(u)))(every_u), dtype=np.float64) - exact))),
    }
    table_noise = lambda k: table.at[uniform_index(k, shape).astype(jnp.int32)].get(mode="promise_in_bounds")  # noqa: E731
    table_same = bool(jnp.all(jax.jit(table_noise)(key) == jax.jit(xla_noise)(key)))
    timed("what_if_table_noise_pass", pass_over_draws(table_noise, False), logits, key, repeats=min(2, args.repeats))
    del table, every_u

    # The loss's products and its log-softmax.
    _, cross = summary_kernels(targets, summary, config.ntk)  # C: (b, μ)
    coefficients = jnp.asarray(rng.random(shape), dtype=jnp.float32)  # A: (μ, d)
    dense_cotangent = jnp.asarray(rng.random(targets.shape), dtype=jnp.float32)  # D: (b, d)
    inner_cotangent = jnp.asarray(rng.random(cross.shape), dtype=jnp.float32)  # G: (b, μ)
    timed("product_pred_C_A", jax.jit(lambda c, a: c @ a), cross, coefficients)
    timed("product_dC_D_At", jax.jit(lambda d, a: d @ a.T), dense_cotangent, coefficients)
    timed("product_dA_Ct_D", jax.jit(lambda c, d: c.T @ d), cross, dense_cotangent)
    timed("product_targets_X_St", jax.jit(lambda x, s: x @ s.T), targets, summary)
    timed("product_targets_Gt_X", jax.jit(lambda g, x: g.T @ x), inner_cotangent, targets)
    sparse_targets = sparse.BCSR.fromdense(targets)
    sparse_targets_transposed = sparse.BCSR.fromdense(targets.T)
    timed("product_targets_X_St_sparse", jax.jit(lambda x, s: x @ s.T), sparse_targets, summary)
    timed("product_targets_Gt_X_sparse", jax.jit(lambda xt, g: (xt @ g).T), sparse_targets_transposed, inner_cotangent)
    timed("log_softmax_value_and_gradient", jax.jit(jax.value_and_grad(
        lambda p: -jnp.mean(jnp.sum(targets * jax.nn.log_softmax(p, axis=-1), axis=-1)))), dense_cotangent)
    del sparse_targets, sparse_targets_transposed, dense_cotangent

    # What-if: keep every draw (γ·μ·d floats) in a donated buffer; the backward reads them.
    def forward_storing(z: jax.Array, k: jax.Array, buffer: jax.Array) -> tuple[jax.Array, jax.Array]:
        def body(j: jax.Array, carry: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
            total, stored = carry
            probabilities = _draw(z, k, j, temperature)
            return total + probabilities, jax.lax.dynamic_update_index_in_dim(stored, probabilities, j, 0)

        return jax.lax.fori_loop(0, draws, body, (jnp.zeros_like(z), buffer))

    def backward_reading(stored: jax.Array, v: jax.Array) -> jax.Array:
        def body(j: jax.Array, gradient: jax.Array) -> jax.Array:
            probabilities = stored[j]
            return gradient + probabilities * (v - jnp.sum(v * probabilities, axis=-1, keepdims=True))

        return jax.lax.fori_loop(0, draws, body, jnp.zeros_like(v)) / temperature

    def stored_gradient(z, k, x, regulariser, size, buffer):  # type: ignore[no-untyped-def]
        raw, buffer = forward_storing(z, k, buffer)
        clipped, clip_pullback = jax.vjp(lambda r: jnp.clip(r, 0.0, 1.0), raw)
        loss, summary_cotangent = jax.value_and_grad(distillation_loss)(
            clipped, x, regulariser, size, config.cardinality_weight, config.ntk)
        (raw_cotangent,) = clip_pullback(summary_cotangent)
        return loss, backward_reading(buffer, raw_cotangent), buffer

    @partial(jax.jit, donate_argnames=("buffer",))
    def stored_step(z, s, k, x, regulariser, size, buffer):  # type: ignore[no-untyped-def]
        loss, gradient, buffer = stored_gradient(z, k, x, regulariser, size, buffer)
        updates, s = optimizer.update(gradient, s, z)
        return optax.apply_updates(z, updates), s, loss, buffer

    @jax.jit
    def package_gradient(z, k, x, regulariser, size):  # type: ignore[no-untyped-def]
        return jax.grad(lambda p: distillation_loss(
            draw_summary(p, k, config), x, regulariser, size, config.cardinality_weight, config.ntk))(z)

    buffer = jnp.zeros((draws, *shape), jnp.float32)
    _, stored, buffer = jax.jit(stored_gradient, donate_argnames=("buffer",))(logits, key, targets, lam, mean_size, buffer)
    reference = package_gradient(logits, key, targets, lam, mean_size)
    gradient_check = {
        "bitwise_equal": bool(jnp.all(stored == reference)),
        "largest_relative_difference": float(jnp.max(jnp.abs(stored - reference)) / jnp.max(jnp.abs(reference))),
    }
    forward_only = jax.jit(forward_storing, donate_argnames=("buffer",))
    for name, run in (
        ("what_if_stored_draws_forward", lambda k, b: forward_only(logits, k, b)),
        ("what_if_stored_draws_step", lambda k, b: stored_step(logits, state, k, targets, lam, mean_size, b)[2:]),
    ):
        buffer = jax.block_until_ready(run(key, buffer))[-1]
        times = []
        for repeat in range(args.repeats):
            started = time.perf_counter()
            buffer = jax.block_until_ready(run(jax.random.fold_in(key, repeat), buffer))[-1]
            times.append(time.perf_counter() - started)
        seconds[name] = statistics.median(times)
        print(f"{name:50s} {seconds[name]:7.3f} s", flush=True)
    timed("what_if_stored_draws_backward", jax.jit(backward_reading), buffer, cotangent)
    del buffer

    dense = seconds["product_pred_C_A"] + seconds["product_dC_D_At"] + seconds["product_dA_Ct_D"]
    floor = 2 * seconds["noise_and_exp_pass"] + dense
    optimistic_floor = (2 * seconds["what_if_polynomial_log_noise_and_exp_pass"] + dense
                        + seconds["product_targets_X_St_sparse"] + seconds["product_targets_Gt_X_sparse"]
                        + seconds["log_softmax_value_and_gradient"])
    payload = {
        "question": (f"Distill-CF on ML-1M, μ = {config.budget}, γ = {draws}, all users: where a step's time goes, "
                     "and what an exact step within O(μ·d) memory must cost"),
        "date": date.today().isoformat(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "device": str(jax.devices()[0].device_kind)},
        "repeats": args.repeats,
        "median_seconds": seconds,
        "floor_seconds": floor,
        "floor_parts": {"two_noise_and_exp_passes": 2 * seconds["noise_and_exp_pass"], "three_dense_products": dense},
        "floor_with_polynomial_log_and_sparse_targets_seconds": optimistic_floor,
        "step_over_floor": seconds["step"] / floor,
        "largest_noise_error_against_float64_over_every_u": noise_errors,
        "table_noise_bitwise_equal": table_same,
        "stored_draws_bytes": 4 * draws * math.prod(shape),
        "stored_draws_gradient_against_package": gradient_check,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }
    output = args.output or HERE / "results" / f"distill_step_floor.{payload['machine']['device'].lower().replace(' ', '-')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps({k: v for k, v in payload.items() if k != "median_seconds"}, indent=2))


if __name__ == "__main__":
    main()
