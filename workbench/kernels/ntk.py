"""The Neural Tangent Kernel of a fully connected ReLU network (the kernel behind ∞-AE).

The network is ``depth`` x [Dense, ReLU] followed by a Dense output layer, in the NTK
parameterisation, with weight variance σw² and bias variance σb² (∞-AE's defaults: depth 1,
σw² = 2, σb² = 0.01, i.e. ``W_std = √2``, ``b_std = 0.1`` in ``neural_tangents.stax``).
For inputs x, y of dimension d (binary user rows; d = number of items)::

    Σ(x,y) = σw²·(x·y)/d + σb²        Θ = Σ          (the same for Σ(x,x), Σ(y,y))
    repeat depth times:
        θ   = arccos(clip(Σ(x,y)/√(Σ(x,x)Σ(y,y)), −1, 1))
        Eφ  = √(Σ(x,x)Σ(y,y))·(sin θ + (π−θ)·cos θ)/(2π)       (arc-cosine kernel of order 1)
        Eφ' = (π−θ)/(2π)                                         (arc-cosine kernel of order 0)
        Θ   ← σw²·Eφ'·Θ + σw²·Eφ + σb²
        Σ   ← σw²·Eφ + σb²;      Σ(x,x) ← σw²·Σ(x,x)/2 + σb²  (the same for y)
    NTK(x,y) = Θ

The kernel depends on the inputs only through the inner products x·y, x·x and y·y, so it is
computed in two steps: a Gram matrix (the heavy, BLAS-bound part, see :mod:`workbench.kernels.linalg`) and an
element-wise map of it (:func:`ntk_from_inner_products`, jit-compiled and fused by XLA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import jax
import numpy as np
import jax.numpy as jnp

from workbench.errors import WorkbenchError


@dataclass(frozen=True)
class NTKConfig:
    """Architecture of the infinitely wide network whose NTK is computed.

    Attributes:
        depth: number of hidden [Dense, ReLU] layers (≥ 1; ∞-AE uses 1).
        weight_variance: σw², the variance of the weights (2.0, i.e. ``W_std = √2``).
        bias_variance: σb², the variance of the biases (0.01, i.e. ``b_std = 0.1``).
    """

    depth: int = 1
    weight_variance: float = 2.0
    bias_variance: float = 0.01

    def __post_init__(self) -> None:
        if not isinstance(self.depth, int) or self.depth < 1:
            raise WorkbenchError(f"NTK depth must be an integer ≥ 1, got {self.depth!r}")
        if not self.weight_variance > 0:
            raise WorkbenchError(f"NTK weight_variance (σw²) must be > 0, got {self.weight_variance!r}")
        if not self.bias_variance >= 0:
            raise WorkbenchError(f"NTK bias_variance (σb²) must be ≥ 0, got {self.bias_variance!r}")


#: With ``differentiable=True`` the cosine is capped at 1 − this, keeping arccos' gradient finite.
MAX_COSINE_GAP = 1e-6


@partial(jax.jit, static_argnames=("n_features", "config", "self_kernel", "differentiable"))
def ntk_from_inner_products(
    cross: jax.Array,
    squared_norms_x: jax.Array,
    squared_norms_y: jax.Array,
    *,
    n_features: int,
    config: NTKConfig = NTKConfig(),
    self_kernel: bool = False,
    differentiable: bool = False,
) -> jax.Array:
    """The NTK from inner products: element-wise, so any block of a kernel matrix can be computed.

    Args:
        cross: (a, b) inner products x_i·y_j.
        squared_norms_x: (a,) x_i·x_i.
        squared_norms_y: (b,) y_j·y_j.
        n_features: d, the input dimension (number of items).
        config: the network's architecture.
        self_kernel: the kernel of a set with itself (a == b, x_i = y_i): the diagonal, where
            θ = 0 exactly, uses the closed form Eφ = Σ(x,x)/2, Eφ' = 1/2 instead of arccos(1).
        differentiable: for gradients (Distill-CF): arccos' slope is infinite at a cosine of ±1, so
            the cosine is capped at 1 − 1e-6 off the diagonal and the diagonal of a self kernel
            never goes through arccos. Values change only for rows within 1e-6 of parallel. (Only
            the upper end is capped: with non-negative inputs the cosine is never near −1.)

    Returns:
        (a, b) NTK(x_i, y_j), in the dtype of ``cross``.
    """
    dtype = cross.dtype
    weight_variance = jnp.asarray(config.weight_variance, dtype)
    bias_variance = jnp.asarray(config.bias_variance, dtype)
    sigma_xy = weight_variance * cross / n_features + bias_variance
    sigma_xx = (weight_variance * squared_norms_x.astype(dtype) / n_features + bias_variance)[:, None]
    sigma_yy = (weight_variance * squared_norms_y.astype(dtype) / n_features + bias_variance)[None, :]
    theta_kernel = sigma_xy
    diagonal = jnp.eye(cross.shape[0], cross.shape[1], dtype=bool) if self_kernel else None
    for _ in range(config.depth):
        norm_product = jnp.sqrt(sigma_xx * sigma_yy)
        cosine = jnp.clip(sigma_xy / norm_product, -1.0, 1.0)
        if diagonal is not None:
            cosine = jnp.where(diagonal, 0.0, cosine)  # a safe stand-in; the diagonal is set below
        if differentiable:
            cosine = jnp.minimum(cosine, 1.0 - MAX_COSINE_GAP)
        angle = jnp.arccos(cosine)
        sine = jnp.sqrt(jnp.maximum(1.0 - cosine * cosine, 0.0))
        expected_relu = norm_product * (sine + (math.pi - angle) * cosine) / (2 * math.pi)
        expected_step = (math.pi - angle) / (2 * math.pi)
        if diagonal is not None:  # θ = 0: sin θ = 0, cos θ = 1
            expected_relu = jnp.where(diagonal, norm_product / 2, expected_relu)
            expected_step = jnp.where(diagonal, 0.5, expected_step)
        theta_kernel = weight_variance * expected_step * theta_kernel + weight_variance * expected_relu + bias_variance
        sigma_xy = weight_variance * expected_relu + bias_variance
        sigma_xx = weight_variance * sigma_xx / 2 + bias_variance
        sigma_yy = weight_variance * sigma_yy / 2 + bias_variance
    return theta_kernel


def ntk(x: jax.Array, y: jax.Array, config: NTKConfig = NTKConfig()) -> jax.Array:
    """NTK(x_i, y_j) for dense rows x (a, d) and y (b, d); returns (a, b) in their dtype.

    A direct, single-code-path version (JAX only) for small inputs and tests; ∞-AE on large data
    goes through :mod:`workbench.kernels.linalg` for the Gram matrix, and Distill-CF through
    :func:`workbench.distill.loss.summary_kernels`.
    """
    x = jnp.asarray(x)
    y = jnp.asarray(y)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise WorkbenchError(f"ntk expects two 2-D arrays with the same number of columns, got {x.shape} and {y.shape}")
    return ntk_from_inner_products(
        x @ y.T, jnp.sum(x * x, axis=1), jnp.sum(y * y, axis=1), n_features=x.shape[1], config=config
    )


def ntk_diagonal(squared_norms: np.ndarray, *, n_features: int, config: NTKConfig = NTKConfig()) -> np.ndarray:
    """NTK(x, x) for each row, from its squared norm alone (θ = 0: Eφ = Σ(x,x)/2, Eφ' = 1/2).

    Args:
        squared_norms: (n,) x·x, any float dtype.
        n_features: d, the input dimension.
        config: the network's architecture.

    Returns:
        (n,) float64 diagonal of the kernel, without forming any kernel matrix.
    """
    sigma = config.weight_variance * np.asarray(squared_norms, dtype=np.float64) / n_features + config.bias_variance
    theta = sigma.copy()
    for _ in range(config.depth):
        theta = config.weight_variance * 0.5 * theta + config.weight_variance * sigma / 2 + config.bias_variance
        sigma = config.weight_variance * sigma / 2 + config.bias_variance
    return theta
