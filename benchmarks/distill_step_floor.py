"""Where a Distill-CF step's time goes on ML-1M (μ = 500, γ = 200, all users), and what any exact step must cost.

    python benchmarks/distill_step_floor.py [--repeats 5] [--output FILE]

One process, every part timed here in the same run (median of ``--repeats``, each waiting for its
result), so that the parts can be compared with the whole step:

- ``step``: one optimiser update, as :func:`workbench.distill.distill.update_step` runs it.
- ``gumbel_forward`` / ``gumbel_backward``: the multi-Gumbel sum and its custom VJP, which draws the
  noise again from its keys (the SPEC asks for O(μ·d) memory, so the γ draws are not stored).
- ``loss_value_and_gradient``: the loss and its gradient in the summary.
- ``noise_pass``: γ·μ·d Gumbel numbers (hash, −log(−log u)) and nothing else. Each pass of the
  multi-Gumbel sum needs one; forward and backward need two.
- ``product_*``: the matrix products of the loss on their own. Three are dense whatever the
  implementation: pred = C·A (b×μ by μ×d), dC = D·Aᵀ and dA = Cᵀ·D with D = ∂L/∂pred (b×d), because
  the log-softmax needs every entry of pred. ``product_targets_*`` have the 4.5 %-dense targets on one
  side (X·X̂ᵀ and its gradient Gᵀ·X).

``floor_seconds`` = 2 × noise_pass + the three dense products: what an exact step within O(μ·d) memory
costs before any softmax, kernel, Cholesky or Adam work. Two what-ifs, measured but not in the
package, say what the alternatives would buy:

- ``what_if_polynomial_log_noise_pass``: the noise pass with a polynomial natural logarithm
  (exponent split and a degree-8 fit, no division) in place of XLA's ``log``; its largest error is
  reported next to XLA's against float64.
- ``what_if_stored_draws_step``: the step with all γ draws kept from the forward pass (γ·μ·d floats,
  1.4 GiB here; outside the SPEC's memory bound) in a donated buffer, so the backward reads them
  instead of drawing again. Its gradient is checked bit-for-bit against the package's step.
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
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    from workbench.data import load_dataset
    from workbench.distill.distill import DistillConfig, adam, update_step
    from workbench.distill.gumbel import _backward, _draw, _mix32, gumbel_noise, multi_gumbel_softmax
    from workbench.distill.loss import distillation_loss, summary_kernels

    dataset = load_dataset("ml-1m")
    config = DistillConfig(budget=args.budget, draws=args.draws)
    draws, temperature = config.draws, config.temperature
    rng = np.random.default_rng(0)
    users = np.sort(rng.choice(dataset.n_users, size=config.budget, replace=False))
    logits = jnp.asarray(dataset.train[users].toarray(), dtype=jnp.float32)
    targets = jnp.asarray(dataset.train.toarray(), dtype=jnp.float32)
    optimizer = adam(config.learning_rate)
    state = optimizer.init(logits)
    key = jax.random.key(0)
    lam = jnp.asarray(1.0, jnp.float32)
    mean_size = dataset.train.nnz / dataset.n_users
    shape = logits.shape
    seconds: dict[str, float] = {}

    def timed(name: str, function: Callable[..., Any], *arguments: Any) -> None:
        seconds[name] = median_seconds(function, *arguments, repeats=args.repeats)
        print(f"{name:45s} {seconds[name]:7.3f} s", flush=True)

    timed("step", lambda z, s, k: update_step(z, s, k, targets, lam, mean_size, config=config, optimizer=optimizer)[2], logits, state, key)
    timed("gumbel_forward", jax.jit(lambda z, k: multi_gumbel_softmax(z, k, draws, temperature)), logits, key)
    cotangent = jnp.asarray(rng.standard_normal(shape), dtype=jnp.float32)
    timed("gumbel_backward", jax.jit(lambda z, k, v: _backward(draws, temperature, (z, k), v)[0]), logits, key, cotangent)
    summary = jnp.clip(multi_gumbel_softmax(logits, key, draws, temperature), 0.0, 1.0)
    loss_gradient = jax.jit(jax.value_and_grad(
        lambda s: distillation_loss(s, targets, lam, mean_size, config.cardinality_weight, config.ntk)))
    timed("loss_value_and_gradient", loss_gradient, summary)

    def noise_pass(k: jax.Array) -> jax.Array:
        body = lambda j, total: total + gumbel_noise(jax.random.fold_in(k, j), shape)  # noqa: E731
        return jax.lax.fori_loop(0, draws, body, jnp.zeros(shape, jnp.float32))

    timed("noise_pass", jax.jit(noise_pass), key)

    # What-if 1: the noise with a polynomial log (ln(1+t)/t fitted on [√½−1, √2−1], degree 8).
    nodes = np.cos(np.pi * (np.arange(2000) + 0.5) / 2000)
    t_nodes = nodes * 0.5 * (math.sqrt(2) - math.sqrt(0.5)) + 0.5 * (math.sqrt(2) + math.sqrt(0.5)) - 1
    polynomial = np.polyfit(t_nodes, np.log1p(t_nodes) / t_nodes, 8)

    def polynomial_log(x: jax.Array) -> jax.Array:
        bits = jax.lax.bitcast_convert_type(x, jnp.int32)
        exponent = (bits - jnp.int32(0x3F3504F3)) >> 23
        fraction = jax.lax.bitcast_convert_type(bits - (exponent << 23), jnp.float32) - 1.0
        value = jnp.float32(polynomial[0])
        for coefficient in polynomial[1:]:
            value = value * fraction + jnp.float32(coefficient)
        return exponent.astype(jnp.float32) * jnp.float32(math.log(2)) + fraction * value

    def polynomial_noise_pass(k: jax.Array) -> jax.Array:
        def body(j: jax.Array, total: jax.Array) -> jax.Array:
            seed = jax.random.bits(jax.random.fold_in(k, j), (), jnp.uint32)
            counter = jax.lax.iota(jnp.uint32, math.prod(shape)).reshape(shape)
            bits = _mix32(_mix32(counter * jnp.uint32(0x9E3779B9) + seed) ^ seed)
            uniform = ((bits >> 9).astype(jnp.float32) + 0.5) * (1.0 / 2**23)
            return total - polynomial_log(-polynomial_log(uniform))

        return jax.lax.fori_loop(0, draws, body, jnp.zeros(shape, jnp.float32))

    timed("what_if_polynomial_log_noise_pass", jax.jit(polynomial_noise_pass), key)
    sample = np.concatenate([rng.random(10**6), np.exp(rng.uniform(-20, 3, 10**6))]).astype(np.float32)
    exact = np.log(sample.astype(np.float64))
    log_errors = {
        "polynomial": float(np.max(np.abs(np.asarray(jax.jit(polynomial_log)(jnp.asarray(sample))) - exact))),
        "xla": float(np.max(np.abs(np.asarray(jnp.log(jnp.asarray(sample))) - exact))),
    }

    _, cross = summary_kernels(targets, summary, config.ntk)  # C: (b, μ)
    coefficients = jnp.asarray(rng.random(shape), dtype=jnp.float32)  # A: (μ, d)
    dense_cotangent = jnp.asarray(rng.random(targets.shape), dtype=jnp.float32)  # D: (b, d)
    inner_cotangent = jnp.asarray(rng.random(cross.shape), dtype=jnp.float32)  # G: (b, μ)
    timed("product_pred_C_A", jax.jit(lambda c, a: c @ a), cross, coefficients)
    timed("product_dC_D_At", jax.jit(lambda d, a: d @ a.T), dense_cotangent, coefficients)
    timed("product_dA_Ct_D", jax.jit(lambda c, d: c.T @ d), cross, dense_cotangent)
    timed("product_targets_X_St", jax.jit(lambda x, s: x @ s.T), targets, summary)
    timed("product_targets_Gt_X", jax.jit(lambda g, x: g.T @ x), inner_cotangent, targets)

    # What-if 2: keep every draw (γ·μ·d floats) in a donated buffer; the backward reads them.
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

    @partial(jax.jit, donate_argnames=("buffer",))
    def stored_step(z: jax.Array, s: optax.OptState, k: jax.Array, x: jax.Array, regulariser: jax.Array, size: float, buffer: jax.Array):
        raw, buffer = forward_storing(z, k, buffer)
        clipped, clip_pullback = jax.vjp(lambda r: jnp.clip(r, 0.0, 1.0), raw)
        loss, summary_cotangent = jax.value_and_grad(distillation_loss)(
            clipped, x, regulariser, size, config.cardinality_weight, config.ntk)
        (raw_cotangent,) = clip_pullback(summary_cotangent)
        updates, s = optimizer.update(backward_reading(buffer, raw_cotangent), s, z)
        return optax.apply_updates(z, updates), s, loss, buffer

    buffer = jnp.zeros((draws, *shape), jnp.float32)
    reference_logits, _, _ = update_step(logits, state, key, targets, lam, mean_size, config=config, optimizer=optimizer)
    stored_logits, _, _, buffer = stored_step(logits, state, key, targets, lam, mean_size, buffer)
    stored_times = []
    for repeat in range(args.repeats):
        started = time.perf_counter()
        _, _, loss, buffer = stored_step(logits, state, jax.random.fold_in(key, repeat), targets, lam, mean_size, buffer)
        loss.block_until_ready()
        stored_times.append(time.perf_counter() - started)
    seconds["what_if_stored_draws_step"] = statistics.median(stored_times)
    print(f"{'what_if_stored_draws_step':45s} {seconds['what_if_stored_draws_step']:7.3f} s", flush=True)
    stored_same = bool(jnp.all(stored_logits == reference_logits))
    del buffer

    dense = seconds["product_pred_C_A"] + seconds["product_dC_D_At"] + seconds["product_dA_Ct_D"]
    floor = 2 * seconds["noise_pass"] + dense
    payload = {
        "question": (f"Distill-CF on ML-1M, μ = {config.budget}, γ = {draws}, all users: where a step's time goes, "
                     "and what an exact step within O(μ·d) memory must cost"),
        "date": date.today().isoformat(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "device": str(jax.devices()[0].device_kind)},
        "repeats": args.repeats,
        "median_seconds": seconds,
        "floor_seconds": floor,
        "floor_parts": {"two_noise_passes": 2 * seconds["noise_pass"], "three_dense_products": dense},
        "step_over_floor": seconds["step"] / floor,
        "stored_draws_bytes": 4 * draws * math.prod(shape),
        "stored_draws_gradient_bitwise_equal": stored_same,
        "largest_log_error_against_float64": log_errors,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }
    output = args.output or HERE / "results" / f"distill_step_floor.{payload['machine']['device'].lower().replace(' ', '-')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps({k: v for k, v in payload.items() if k != "median_seconds"}, indent=2))


if __name__ == "__main__":
    main()
