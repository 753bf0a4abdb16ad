"""The JAX path (the one a GPU runs): full float32 precision, failures that raise, and agreement with SciPy."""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.kernels import linalg
from workbench.cli import main
from workbench.data import load_dataset
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_model
from workbench.models import EASE, GFCF, SVDAE, InfiniteAE
from workbench.models import gf_cf, svd_ae


@pytest.mark.parametrize(
    ("function", "arguments"),
    [
        (linalg._gram, (jnp.ones((4, 3), jnp.float32),)),
        (linalg._matmul, (jnp.ones((4, 3), jnp.float32), jnp.ones((3, 5), jnp.float32))),
        (linalg._cholesky_solve, (jnp.eye(4, dtype=jnp.float32), jnp.ones((4, 2), jnp.float32))),
        (linalg._inverse_from_cholesky, (jnp.eye(4, dtype=jnp.float32),)),
    ],
)
def test_products_ask_for_full_precision_in_the_lowered_computation(function, arguments) -> None:
    text = function.lower(*arguments).as_text()
    dots = [line for line in text.splitlines() if "dot_general" in line or "stablehlo.dot" in line]
    if function in (linalg._gram, linalg._matmul):
        assert dots, text
    for line in dots:
        assert "HIGHEST" in line, line


def _sparse(dtype=np.float32):
    return linalg.to_bcoo(sp.csr_matrix(np.eye(4, 6, dtype=dtype)), dtype)


@pytest.mark.parametrize(
    ("function", "arguments", "keywords"),
    [
        (svd_ae._svd_ae_scores, lambda: (jnp.ones((2, 6)), jnp.ones(2), jnp.ones((6, 3)), jnp.ones((3, 6))), {}),
        (gf_cf._linear_filter_scores, lambda: (jnp.ones((2, 6)), jnp.ones((6, 6))), {}),
        (
            gf_cf._add_ideal_filter_scores,
            lambda: (jnp.ones((2, 6)), jnp.ones((2, 6)), jnp.ones((6, 3)), jnp.ones((3, 6)), jnp.float32(0.5)),
            {},
        ),
        # BCOO products: off a GPU they lower to a gather, a product and a scatter-add, whose
        # precision full_precision_jit sets; on a GPU to a cuSPARSE call
        (gf_cf._sparse_filter_scores, lambda: (_sparse(), _sparse().T, jnp.ones((2, 6))), {}),
        (svd_ae._randomized_svd, lambda: (_sparse(), _sparse().T, jax.random.key(0)), {"rank": 2, "sketch": 3, "iterations": 2}),
    ],
    ids=["svd-ae scores", "gf-cf linear filter", "gf-cf ideal filter", "gf-cf sparse filter", "randomized svd"],
)
def test_svd_ae_and_gf_cf_products_ask_for_full_precision(function, arguments, keywords) -> None:
    text = function.lower(*arguments(), **keywords).as_text()
    dots = [line for line in text.splitlines() if "dot_general" in line or "stablehlo.dot" in line]
    assert dots or "sparse" in text.lower(), text  # a product is there, as a dot or a cuSPARSE call
    for line in dots:
        assert "HIGHEST" in line, line


def test_a_plain_product_would_not_ask_for_it() -> None:
    # the check above can fail: JAX's default lowering names no precision
    text = jax.jit(lambda a, b: a @ b).lower(jnp.ones((4, 3), jnp.float32), jnp.ones((3, 5), jnp.float32)).as_text()
    assert "HIGHEST" not in text


def test_a_failed_factorisation_raises_instead_of_returning_nans() -> None:
    algebra = linalg.JaxAlgebra()
    with pytest.raises(np.linalg.LinAlgError):
        algebra.cholesky(jnp.asarray([[1.0, 2.0], [2.0, 1.0]], jnp.float32), 0.0)
    factor = algebra.cholesky(jnp.asarray([[2.0, 1.0], [1.0, 2.0]], jnp.float32), 0.0)
    assert np.isfinite(np.asarray(factor)).all()


@pytest.mark.parametrize("algebra", ["scipy", "jax"])
def test_a_failing_fit_raises_the_same_error_on_both_paths(algebra: str) -> None:
    rows = random_binary_matrix(30, 20, 0.2, seed=8)
    duplicated = sp.vstack([rows, rows]).tocsr()
    with pytest.raises(WorkbenchError, match=r"not numerically positive definite at λ = -?1e-12 .*larger λ"):
        list(InfiniteAE(lambdas=(1e-12,), linear_algebra=algebra).fit_grid(duplicated))


@pytest.fixture(scope="module")
def ml100k(real_data_dir):
    return load_dataset("ml-100k", data_dir=real_data_dir, seed=0)


@pytest.mark.real_data
@pytest.mark.parametrize("model_class", [InfiniteAE, EASE])
def test_float32_jax_path_gives_the_scipy_paths_choice_and_metrics(ml100k, model_class) -> None:
    lambdas = (1.0, 5.0, 20.0) if model_class is InfiniteAE else (50.0, 200.0, 1000.0)
    reports = {
        algebra: evaluate_model(model_class(lambdas=lambdas, linear_algebra=algebra), ml100k, seed=0, progress=False)
        for algebra in ("scipy", "jax")
    }
    assert reports["jax"].hyperparameters["lambda"] == reports["scipy"].hyperparameters["lambda"]
    for metric, value in reports["scipy"].test.items():
        assert reports["jax"].test[metric] == pytest.approx(value, rel=1e-4, abs=1e-4), metric


@pytest.mark.real_data
@pytest.mark.parametrize(
    "model",
    [SVDAE(ranks=(8, 16, 64)), GFCF(alphas=(0.0, 0.3, 1.0), ranks=(64, 256))],
    ids=["svd-ae", "gf-cf"],
)
def test_float32_jax_path_of_svd_ae_and_gf_cf_gives_the_scipy_paths_choice_and_metrics(ml100k, model) -> None:
    # ML-100K (943 x 1,682) is below _DENSE_SVD_ENTRIES: both paths take a dense SVD; GF-CF keeps P̃
    reports = {
        algebra: evaluate_model(replace(model, linear_algebra=algebra), ml100k, seed=0, progress=False)
        for algebra in ("scipy", "jax")
    }
    assert reports["jax"].hyperparameters == reports["scipy"].hyperparameters
    for metric, value in reports["scipy"].test.items():
        assert reports["jax"].test[metric] == pytest.approx(value, rel=1e-4, abs=1e-4), metric


@pytest.mark.real_data
@pytest.mark.parametrize(
    "model", [SVDAE(ranks=(16, 64)), GFCF(alphas=(0.3, 1.0), ranks=(64,))], ids=["svd-ae", "gf-cf"],
)
def test_sparse_routes_of_svd_ae_and_gf_cf_on_ml100k(ml100k, model, monkeypatch) -> None:
    # the routes of large matrices, forced: ARPACK against the randomized SVD, and for GF-CF no P̃
    # ((q R̃ᵀ) R̃ as SciPy sparse products against BCOO ones). The randomized SVD is not exact in
    # ML-100K's flat tail (see svd_ae.randomized_svd); measured at these ranks, the test metrics move by
    # at most 3e-5 relative (GF-CF; SVD-AE's, at its chosen rank 16, by 1e-9), so 1e-3 leaves a margin
    # of 30. (How far depends on the rank: at rank 32 they moved by up to 3e-4.)
    monkeypatch.setattr(svd_ae, "_DENSE_SVD_ENTRIES", 0)
    monkeypatch.setattr(gf_cf, "_DENSE_FILTER_ENTRIES", 0)
    reports = {
        algebra: evaluate_model(replace(model, linear_algebra=algebra), ml100k, seed=0, progress=False)
        for algebra in ("scipy", "jax")
    }
    assert reports["jax"].hyperparameters == reports["scipy"].hyperparameters
    for metric, value in reports["scipy"].test.items():
        assert reports["jax"].test[metric] == pytest.approx(value, rel=1e-3, abs=1e-3), metric


@pytest.mark.real_data
def test_cli_evaluate_with_jax_linear_algebra(real_data_dir, tmp_path, capsys) -> None:
    outputs = {}
    for algebra in ("scipy", "jax"):
        path = tmp_path / f"{algebra}.json"
        code = main([
            "evaluate", "--dataset", "ml-100k", "--data-dir", str(real_data_dir), "--model", "infinite-ae",
            "--lambdas", "1,5,20", "--linear-algebra", algebra, "--no-progress", "--output", str(path),
        ])
        assert code == 0
        outputs[algebra] = __import__("json").loads(path.read_text())
    capsys.readouterr()
    assert outputs["jax"]["hyperparameters"]["lambda"] == outputs["scipy"]["hyperparameters"]["lambda"]
    for metric, value in outputs["scipy"]["test"].items():
        assert outputs["jax"]["test"][metric] == pytest.approx(value, rel=1e-4, abs=1e-4), metric
