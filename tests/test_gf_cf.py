"""GF-CF against a direct dense implementation of its definition."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from conftest import generated_dataset
from test_svd_ae import assert_close_with_same_top10, binary_matrix, clustered_matrix, fractional_matrix
from workbench.cli import _model_options, build_parser, main
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_model
from workbench.models import GFCF, make_model
from workbench.models import svd_ae as svd_ae_module


def dense_gf_cf(train: np.ndarray, context: np.ndarray, alpha: float, rank: int) -> np.ndarray:
    """s = q P̃ + α q D_i^{-1/2} V_k V_kᵀ D_i^{1/2} with an explicit P̃ and filter."""
    item_degrees = train.sum(axis=0)
    row_degrees = train.sum(axis=1)
    with np.errstate(divide="ignore"):
        item_scale = np.where(item_degrees > 0, 1.0 / np.sqrt(item_degrees), 0.0)
        row_scale = np.where(row_degrees > 0, 1.0 / np.sqrt(row_degrees), 0.0)
    normalized = row_scale[:, None] * train * item_scale[None, :]
    linear_filter = normalized.T @ normalized
    _, _, vt = np.linalg.svd(normalized, full_matrices=False)
    ideal_filter = np.diag(item_scale) @ vt[:rank].T @ vt[:rank] @ np.diag(np.sqrt(item_degrees))
    return context @ linear_filter + alpha * context @ ideal_filter


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gf_cf_matches_definition(dtype: str) -> None:
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    users = np.arange(60)
    fitted_models = list(GFCF(alphas=(0.0, 0.3), ranks=(4, 16), dtype=dtype).fit_grid(train))
    assert [fitted.hyperparameters for fitted in fitted_models] == [
        {"alpha": a, "rank": k} for a, k in itertools.product((0.0, 0.3), (4, 16))
    ]
    for fitted in fitted_models:
        assert fitted.linear is not None and fitted.linear is fitted_models[0].linear  # P̃ formed once, shared
        scores = fitted.score(users, train)
        assert scores.shape == (60, 40) and scores.dtype == np.dtype(dtype)
        reference = dense_gf_cf(dense, dense, fitted.alpha, fitted.rank)
        if dtype == "float64":
            assert_close_with_same_top10(scores, reference)
        else:
            np.testing.assert_allclose(scores, reference, atol=1e-5 * np.abs(reference).max())
        np.testing.assert_array_equal(scores[5], 0.0)  # empty context row
        np.testing.assert_array_equal(scores[:, 7], 0.0)  # item without training interactions


def test_gf_cf_sparse_svd_path_and_chunked_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svd_ae_module, "_DENSE_SVD_ENTRIES", 0)  # force ARPACK
    from workbench.models import gf_cf

    monkeypatch.setattr(gf_cf, "_CHUNK_ENTRIES", 7 * 60)  # score 7 context rows at a time
    monkeypatch.setattr(gf_cf, "_DENSE_FILTER_ENTRIES", 0)  # never form P̃: the path of large item counts
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    (fitted,) = GFCF(alphas=(0.5,), ranks=(8,), dtype="float64").fit_grid(train, seed=2)
    assert fitted.linear is None
    assert_close_with_same_top10(fitted.score(np.arange(60), train), dense_gf_cf(dense, dense, 0.5, 8))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_path_matches_definition(dtype: str) -> None:
    # 60 x 40: jnp.linalg.svd (SciPy's route would be dense too), P̃ formed and kept on the device
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    users = np.arange(60)
    fitted_models = list(GFCF(alphas=(0.0, 0.3), ranks=(4, 16), dtype=dtype, linear_algebra="jax").fit_grid(train))
    assert [fitted.hyperparameters for fitted in fitted_models] == [
        {"alpha": a, "rank": k} for a, k in itertools.product((0.0, 0.3), (4, 16))
    ]
    for fitted in fitted_models:
        assert fitted.algebra_name == "jax" and fitted.linear is fitted_models[0].linear and fitted.normalized is None
        scores = fitted.score(users, train)
        assert isinstance(scores, np.ndarray) and scores.shape == (60, 40) and scores.dtype == np.dtype(dtype)
        reference = dense_gf_cf(dense, dense, fitted.alpha, fitted.rank)
        if dtype == "float64":
            assert_close_with_same_top10(scores, reference)
        else:
            np.testing.assert_allclose(scores, reference, atol=1e-5 * np.abs(reference).max())
        np.testing.assert_array_equal(scores[5], 0.0)  # empty context row
        np.testing.assert_array_equal(scores[:, 7], 0.0)  # item without training interactions


def _large_item_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the sparse routes: the randomized (JAX) or ARPACK (SciPy) SVD, no P̃, 7 context rows a chunk."""
    from workbench.models import gf_cf

    monkeypatch.setattr(svd_ae_module, "_DENSE_SVD_ENTRIES", 0)
    monkeypatch.setattr(gf_cf, "_CHUNK_ENTRIES", 7 * 120)
    monkeypatch.setattr(gf_cf, "_DENSE_FILTER_ENTRIES", 0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_path_sparse_routes_match_definition(monkeypatch: pytest.MonkeyPatch, dtype: str) -> None:
    # (q R̃ᵀ) R̃ through two BCOO products per chunk; a rank at the spectrum's gap (6 clusters), where
    # the randomized SVD is exact up to rounding (see test_svd_ae)
    _large_item_route(monkeypatch)
    train = clustered_matrix()
    dense = train.toarray().astype(np.float64)
    users = np.arange(120)
    for fitted in GFCF(alphas=(0.0, 0.5), ranks=(6,), dtype=dtype, linear_algebra="jax").fit_grid(train, seed=2):
        assert fitted.linear is None and fitted.normalized.nse == train.nnz
        scores = fitted.score(users, train)
        assert scores.dtype == np.dtype(dtype)
        reference = dense_gf_cf(dense, dense, fitted.alpha, 6)
        if dtype == "float64":
            assert_close_with_same_top10(scores, reference, rtol=1e-10)
        else:
            np.testing.assert_allclose(scores, reference, atol=1e-5 * np.abs(reference).max())


def test_jax_path_sparse_routes_on_a_flat_spectrum(monkeypatch: pytest.MonkeyPatch) -> None:
    # binary_matrix's flat spectrum: the linear filter (α = 0) does not use the SVD and is exact; with
    # α = 0.5 the ideal filter D^{-1/2} V_k V_kᵀ D^{1/2} moves by about the subspace's sine (< 5e-6 at
    # rank 8, test_svd_ae; measured: scores within 1.2e-6 of the largest over seeds 0-2), hence 1e-4
    _large_item_route(monkeypatch)
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    users = np.arange(60)
    for fitted in GFCF(alphas=(0.0, 0.5), ranks=(8,), dtype="float64", linear_algebra="jax").fit_grid(train, seed=2):
        reference = dense_gf_cf(dense, dense, fitted.alpha, 8)
        scores = fitted.score(users, train)
        if fitted.alpha == 0.0:
            assert_close_with_same_top10(scores, reference, rtol=1e-10)
        else:
            np.testing.assert_allclose(scores, reference, atol=1e-4 * np.abs(reference).max())


def test_shared_grid_equals_separate_fits() -> None:
    train = binary_matrix(seed=6)
    users = np.arange(0, 60, 3)
    grid = list(GFCF(alphas=(0.1, 1.0), ranks=(24, 6), dtype="float64").fit_grid(train))
    assert [(f.alpha, f.rank) for f in grid] == [(0.1, 24), (0.1, 6), (1.0, 24), (1.0, 6)]
    for fitted in grid:
        (alone,) = GFCF(alphas=(fitted.alpha,), ranks=(fitted.rank,), dtype="float64").fit_grid(train)
        np.testing.assert_allclose(fitted.score(users, train[users]), alone.score(users, train[users]), rtol=1e-8, atol=1e-10)


def test_fractional_rows_match_definition() -> None:
    summary = fractional_matrix()
    dense_summary = summary.toarray()
    context = binary_matrix()[:20]
    for fitted in GFCF(alphas=(0.0, 0.5), ranks=(5, 12), dtype="float64").fit_grid(summary):
        reference = dense_gf_cf(dense_summary, context.toarray().astype(np.float64), fitted.alpha, fitted.rank)
        assert_close_with_same_top10(fitted.score(np.arange(20), context), reference)
    (fitted,) = GFCF(alphas=(0.3,), ranks=(12,), dtype="float64").fit_grid(summary)
    assert_close_with_same_top10(fitted.score(np.arange(25), summary), dense_gf_cf(dense_summary, dense_summary, 0.3, 12))


def test_default_rank_is_clipped() -> None:
    ranks = {fitted.rank for fitted in GFCF(alphas=(0.5,)).fit_grid(binary_matrix())}
    assert ranks == {39}  # 256 clipped to min(60, 40) - 1


@pytest.mark.parametrize(
    ("options", "parameter"),
    [({"alphas": ()}, "alphas"), ({"alphas": (-0.1,)}, "alphas"), ({"alphas": (float("nan"),)}, "alphas"),
     ({"alphas": ("a",)}, "alphas"), ({"ranks": ()}, "ranks"), ({"ranks": (0,)}, "ranks"), ({"ranks": (3.0,)}, "ranks"),
     ({"dtype": "int8"}, "dtype"), ({"linear_algebra": "gpu"}, "linear_algebra"), ({"linear_algebra": 1}, "linear_algebra")],
)
def test_bad_hyperparameters_are_refused(options: dict, parameter: str) -> None:
    with pytest.raises(WorkbenchError, match=parameter):
        GFCF(**options)


def test_cli_options() -> None:
    parser = build_parser()
    args = parser.parse_args(["evaluate", "--model", "gf-cf", "--float64"])
    assert _model_options(args, "gf-cf") == {"dtype": "float64", "linear_algebra": "auto"}
    assert _model_options(args, "svd-ae") == {"dtype": "float64", "linear_algebra": "auto"}
    args = parser.parse_args(["evaluate", "--model", "gf-cf", "--linear-algebra", "jax"])
    for model in ("svd-ae", "gf-cf"):
        assert _model_options(args, model) == {"dtype": "float32", "linear_algebra": "jax"}
        assert make_model(model, **_model_options(args, model)).linear_algebra == "jax"
    args = parser.parse_args(["evaluate", "--model", "svd-ae", "--lambdas", "1,2"])
    for model in ("svd-ae", "gf-cf"):
        with pytest.raises(WorkbenchError, match="--lambdas does not apply"):
            _model_options(args, model)



def test_cli_rank_and_alpha_grids(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(["evaluate", "--model", "gf-cf", "--ranks", "8,16", "--alphas", "0,0.5"])
    assert _model_options(args, "gf-cf") == {"dtype": "float32", "linear_algebra": "auto", "ranks": (8, 16), "alphas": (0.0, 0.5)}
    with pytest.raises(WorkbenchError, match="--alphas does not apply to svd-ae"):
        _model_options(args, "svd-ae")
    for model in ("infinite-ae", "ease", "poprec"):
        with pytest.raises(WorkbenchError, match=f"--ranks does not apply to {model}"):
            _model_options(parser.parse_args(["evaluate", "--ranks", "8"]), model)
    assert _model_options(parser.parse_args(["evaluate", "--ranks", "8,16"]), "svd-ae")["ranks"] == (8, 16)
    with pytest.raises(SystemExit):  # not whole numbers: argparse refuses, naming the flag
        parser.parse_args(["evaluate", "--ranks", "8.5"])
    assert "--ranks" in capsys.readouterr().err
    data = tmp_path / "mine.csv"
    rng = np.random.default_rng(0)
    data.write_text("user,item\n" + "".join(f"{u},{i}\n" for u in range(40) for i in rng.choice(30, 8, replace=False)))
    assert main(["evaluate", "--data-file", str(data), "--model", "svd-ae", "--ranks", "0,4", "--no-progress"]) == 2
    assert "--ranks: every rank must be an integer ≥ 1, got 0" in capsys.readouterr().err
    assert main(["evaluate", "--data-file", str(data), "--model", "gf-cf", "--alphas", "0.5", "--ranks", "4", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "gf-cf on mine (alpha=0.5, rank=4)" in printed


def test_runs_through_evaluate_model() -> None:
    dataset = generated_dataset(120, 50, 0.12, seed=11)
    model = make_model("gf-cf", alphas=(0.0, 0.5), ranks=(8, 16))
    report = evaluate_model(model, dataset, seed=0, progress=False)
    assert report.model == "gf-cf"
    assert len(report.selection) == 4
    assert report.hyperparameters["alpha"] in (0.0, 0.5) and report.hyperparameters["rank"] in (8, 16)
    assert 0 <= report.test["HR@10"] <= 100 and np.isfinite(report.test["NDCG@10"])


def test_cli_reproduce_with_gf_cf(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_cli import write_interactions
    from workbench.cli import main

    data_file = write_interactions(tmp_path / "mine.csv")
    assert main(["reproduce", "--data-file", str(data_file), "--models", "poprec,gf-cf", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "gf-cf on mine (alpha=" in printed and "hyper-parameter curve" in printed and "<- chosen" in printed
    assert main(["evaluate", "--data-file", str(data_file), "--model", "gf-cf", "--lambdas", "5", "--no-progress"]) == 2
    assert "--lambdas does not apply to gf-cf" in capsys.readouterr().err
