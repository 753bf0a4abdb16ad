"""The NTK kernel, checked three ways in float64: an independent transcription of the formula, the
empirical NTK of a finite but wide network (JAX autodiff), and symmetry / positive definiteness."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from workbench.errors import WorkbenchError
from workbench.kernels.ntk import NTKConfig, ntk, ntk_from_inner_products


def reference_ntk(x: np.ndarray, y: np.ndarray, depth: int, sw2: float, sb2: float) -> np.ndarray:
    """The NTK recursion of workbench/kernels/ntk.py's module docstring, written out pair by pair with
    the math module (slow, independent of workbench.kernels.ntk's code)."""
    d = x.shape[1]
    out = np.empty((len(x), len(y)))
    for i, xi in enumerate(x):
        for j, yj in enumerate(y):
            sxy = sw2 * float(xi @ yj) / d + sb2
            sxx = sw2 * float(xi @ xi) / d + sb2
            syy = sw2 * float(yj @ yj) / d + sb2
            theta_kernel = sxy
            for _ in range(depth):
                rho = max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
                angle = math.acos(rho)
                e_phi = math.sqrt(sxx * syy) * (math.sin(angle) + (math.pi - angle) * math.cos(angle)) / (2 * math.pi)
                e_dphi = (math.pi - angle) / (2 * math.pi)
                theta_kernel = sw2 * e_dphi * theta_kernel + sw2 * e_phi + sb2
                sxy = sw2 * e_phi + sb2
                sxx = sw2 * sxx / 2 + sb2
                syy = sw2 * syy / 2 + sb2
            out[i, j] = theta_kernel
    return out


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


def binary_rows(n: int, d: int, seed: int, *, extremes: bool = True) -> np.ndarray:
    """Random binary rows; with ``extremes``, row 0 is empty and row 1 took every item."""
    rng = np.random.default_rng(seed)
    rows = (rng.random((n, d)) < 0.3).astype(np.float64)
    if extremes:
        rows[0] = 0.0
        rows[1] = 1.0
    return rows


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize(("sw2", "sb2"), [(2.0, 0.01), (1.5, 0.3), (2.0, 0.0)])
def test_matches_independent_formula(depth: int, sw2: float, sb2: float) -> None:
    # Empty rows only where σb² > 0 (with σb² = 0 an empty row has Σ(x,x) = 0 and the angle is undefined).
    x = binary_rows(9, 13, seed=depth, extremes=sb2 > 0)
    y = binary_rows(7, 13, seed=depth + 10, extremes=False)
    config = NTKConfig(depth=depth, weight_variance=sw2, bias_variance=sb2)
    computed = np.asarray(ntk(x, y, config))
    assert computed.dtype == np.float64
    np.testing.assert_allclose(computed, reference_ntk(x, y, depth, sw2, sb2), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_kernel_of_a_set_with_itself_matches_formula(depth: int) -> None:
    # On the diagonal ρ = 1 up to rounding, and arccos's infinite slope there turns a 1e-16 rounding
    # difference into about 1e-8 after the first layer: the tolerance is looser than above for that.
    x = binary_rows(9, 13, seed=depth)
    computed = np.asarray(ntk(x, x, NTKConfig(depth=depth)))
    np.testing.assert_allclose(computed, reference_ntk(x, x, depth, 2.0, 0.01), rtol=1e-7)


def empirical_ntk(x: np.ndarray, depth: int, width: int, sw2: float, sb2: float, seed: int) -> np.ndarray:
    """Θ(x_i, x_j) = Σ_θ ∂f(x_i)/∂θ · ∂f(x_j)/∂θ for one random network in the NTK parameterisation:
    each layer is h ↦ √(σw²/fan_in)·W h + √σb²·b with W, b ~ N(0, 1)."""
    key = jax.random.PRNGKey(seed)
    sizes = [x.shape[1]] + [width] * depth + [1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        key, w_key, b_key = jax.random.split(key, 3)
        params.append((jax.random.normal(w_key, (fan_in, fan_out)), jax.random.normal(b_key, (fan_out,))))

    def network(params, inputs):
        hidden = inputs
        for layer, (weights, bias) in enumerate(params):
            hidden = math.sqrt(sw2 / weights.shape[0]) * hidden @ weights + math.sqrt(sb2) * bias
            if layer < len(params) - 1:
                hidden = jax.nn.relu(hidden)
        return hidden[:, 0]

    jacobian = jax.jacobian(network)(params, jnp.asarray(x))
    flat = jnp.concatenate([leaf.reshape(x.shape[0], -1) for leaf in jax.tree_util.tree_leaves(jacobian)], axis=1)
    return np.asarray(flat @ flat.T)


@pytest.mark.parametrize(("depth", "width"), [(1, 4096), (2, 2048)])
def test_matches_empirical_ntk_of_a_wide_network(depth: int, width: int) -> None:
    x = binary_rows(6, 16, seed=3)
    x[0, :3] = 1.0  # not empty, so that every entry is well away from zero
    estimates = [empirical_ntk(x, depth, width, 2.0, 0.01, seed) for seed in range(4)]
    empirical = np.mean(estimates, axis=0)
    analytic = np.asarray(ntk(x, x, NTKConfig(depth=depth)))
    relative = np.abs(empirical - analytic) / np.abs(analytic)
    assert relative.max() < 0.05, relative


def test_symmetric_and_positive_definite() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((40, 25)) < 0.2).astype(np.float64)
    x = np.unique(x, axis=0)  # distinct rows make the kernel strictly positive definite
    kernel = np.asarray(ntk(x, x))
    np.testing.assert_allclose(kernel, kernel.T, rtol=0, atol=1e-14)
    assert np.linalg.eigvalsh(kernel).min() > 1e-8


def test_float32_by_default_close_to_float64() -> None:
    x = binary_rows(8, 30, seed=5)
    with jax.enable_x64(False):
        single = np.asarray(ntk(x.astype(np.float32), x.astype(np.float32)))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, np.asarray(ntk(x, x)), rtol=1e-5)


@pytest.mark.parametrize(
    "options", [{"depth": 0}, {"depth": 1.5}, {"weight_variance": 0.0}, {"bias_variance": -1.0}]
)
def test_bad_configuration_is_refused(options: dict) -> None:
    with pytest.raises(WorkbenchError):
        NTKConfig(**options)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(WorkbenchError, match="same number of columns"):
        ntk(np.ones((2, 3)), np.ones((2, 4)))


@pytest.mark.parametrize("depth", [1, 2])
def test_self_kernel_diagonal_is_exact_and_gradients_are_finite(depth: int) -> None:
    x = binary_rows(6, 11, seed=depth + 20) * 0.7 + 0.1  # continuous rows, like a Distill-CF summary
    config = NTKConfig(depth=depth)

    def self_kernel(rows):
        inner = rows @ rows.T
        return ntk_from_inner_products(
            inner, jnp.diag(inner), jnp.diag(inner), n_features=11, config=config, self_kernel=True, differentiable=True
        )

    np.testing.assert_allclose(np.asarray(self_kernel(jnp.asarray(x))), reference_ntk(x, x, depth, 2.0, 0.01), rtol=1e-6)
    gradient = jax.grad(lambda rows: jnp.sum(self_kernel(rows) ** 2))(jnp.asarray(x))
    assert np.all(np.isfinite(np.asarray(gradient)))
    plain = jax.grad(
        lambda rows: jnp.sum(ntk_from_inner_products(rows @ rows.T, jnp.sum(rows * rows, 1), jnp.sum(rows * rows, 1), n_features=11, config=config) ** 2)
    )(jnp.asarray(x))
    assert not np.all(np.isfinite(np.asarray(plain)))  # why the self-kernel form exists
