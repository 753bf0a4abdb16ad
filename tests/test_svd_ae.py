"""SVD-AE against a direct dense implementation of its definition."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import generated_dataset
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_model
from workbench.models import SVDAE, make_model
from workbench.models import svd_ae as svd_ae_module


def binary_matrix(seed: int = 4) -> sp.csr_matrix:
    """60 x 40, density 0.15, with an empty user row (5) and an empty item column (7)."""
    dense = (np.random.default_rng(seed).random((60, 40)) < 0.15).astype(np.float32)
    dense[5] = 0.0
    dense[:, 7] = 0.0
    return sp.csr_matrix(dense)


def fractional_matrix(seed: int = 5) -> sp.csr_matrix:
    """A summary-like 25 x 40 matrix with values in [0, 1], an empty row (3) and an empty column (11)."""
    rng = np.random.default_rng(seed)
    dense = rng.random((25, 40)) * (rng.random((25, 40)) < 0.5)
    dense[3] = 0.0
    dense[:, 11] = 0.0
    return sp.csr_matrix(dense)


def clustered_matrix(n_users: int = 120, n_items: int = 80, groups: int = 6, seed: int = 0) -> sp.csr_matrix:
    """Users and items in ``groups`` clusters (0.7 inside a cluster, 0.02 outside): R̃'s spectrum has a
    clear gap after the ``groups``-th singular value (0.85 then 0.34 for the default), so the leading
    ``groups`` triplets are well determined and a randomized SVD finds them to rounding."""
    rng = np.random.default_rng(seed)
    user_groups = rng.integers(groups, size=n_users)
    item_groups = np.arange(n_items) % groups
    probability = np.where(user_groups[:, None] == item_groups[None, :], 0.7, 0.02)
    return sp.csr_matrix((rng.random((n_users, n_items)) < probability).astype(np.float32))


def _inv_sqrt(degrees: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(degrees > 0, 1.0 / np.sqrt(degrees), 0.0)


def dense_svd_ae(train: np.ndarray, context: np.ndarray, rank: int) -> np.ndarray:
    """scores(Q) = Q̃ · R̃_k⁺ · R with an explicit pseudo-inverse."""
    item_scale = _inv_sqrt(train.sum(axis=0))
    normalized = _inv_sqrt(train.sum(axis=1))[:, None] * train * item_scale[None, :]
    u, s, vt = np.linalg.svd(normalized, full_matrices=False)
    pinv = vt[:rank].T @ np.diag(1.0 / s[:rank]) @ u[:, :rank].T
    context_normalized = _inv_sqrt(context.sum(axis=1))[:, None] * context * item_scale[None, :]
    return context_normalized @ pinv @ train


def assert_close_with_same_top10(scores: np.ndarray, reference: np.ndarray, rtol: float = 1e-4) -> None:
    scale = np.abs(reference).max()
    np.testing.assert_allclose(scores, reference, rtol=rtol, atol=rtol * scale)
    for row, expected in zip(scores, reference):
        top = np.argsort(-row, kind="stable")[:10]
        np.testing.assert_allclose(np.sort(expected[top]), np.sort(expected)[-10:], rtol=rtol, atol=rtol * scale)
        if np.any(expected):
            np.testing.assert_array_equal(top, np.argsort(-expected, kind="stable")[:10])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_svd_ae_matches_definition(dtype: str) -> None:
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    users = np.arange(60)
    fitted_models = list(SVDAE(ranks=(4, 16, 32), dtype=dtype).fit_grid(train))
    assert [fitted.hyperparameters for fitted in fitted_models] == [{"rank": 4}, {"rank": 16}, {"rank": 32}]
    for fitted in fitted_models:
        scores = fitted.score(users, train)
        assert scores.shape == (60, 40) and scores.dtype == np.dtype(dtype)
        reference = dense_svd_ae(dense, dense, fitted.rank)
        if dtype == "float64":
            assert_close_with_same_top10(scores, reference)
        else:  # Σ⁻¹ amplifies float32 rounding of the smallest kept singular values
            np.testing.assert_allclose(scores, reference, atol=1e-3 * np.abs(reference).max())
        np.testing.assert_array_equal(scores[5], 0.0)  # empty context row
        np.testing.assert_array_equal(scores[:, 7], 0.0)  # item without training interactions


def test_svd_ae_sparse_svd_path_matches_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svd_ae_module, "_DENSE_SVD_ENTRIES", 0)  # force ARPACK (2·k < min(60, 40))
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    (fitted,) = SVDAE(ranks=(8,), dtype="float64").fit_grid(train, seed=3)
    assert_close_with_same_top10(fitted.score(np.arange(60), train), dense_svd_ae(dense, dense, 8))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_path_matches_definition(dtype: str) -> None:
    # 60 x 40 is below _DENSE_SVD_ENTRIES: jnp.linalg.svd, as SciPy's route would use LAPACK
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    users = np.arange(60)
    fitted_models = list(SVDAE(ranks=(4, 16, 32), dtype=dtype, linear_algebra="jax").fit_grid(train))
    assert [fitted.hyperparameters for fitted in fitted_models] == [{"rank": 4}, {"rank": 16}, {"rank": 32}]
    for fitted in fitted_models:
        assert fitted.algebra_name == "jax"
        scores = fitted.score(users, train)
        assert isinstance(scores, np.ndarray) and scores.shape == (60, 40) and scores.dtype == np.dtype(dtype)
        reference = dense_svd_ae(dense, dense, fitted.rank)
        if dtype == "float64":
            assert_close_with_same_top10(scores, reference)
        else:  # as on the SciPy path: Σ⁻¹ amplifies float32 rounding of the smallest kept singular values
            np.testing.assert_allclose(scores, reference, atol=1e-3 * np.abs(reference).max())
        np.testing.assert_array_equal(scores[5], 0.0)  # empty context row
        np.testing.assert_array_equal(scores[:, 7], 0.0)  # item without training interactions


def test_jax_path_agrees_with_scipy_path_on_fractional_rows() -> None:
    summary = fractional_matrix()
    context = binary_matrix()[:20]
    for algebra_fits in zip(*(SVDAE(ranks=(5, 12), dtype="float64", linear_algebra=a).fit_grid(summary) for a in ("scipy", "jax"))):
        scipy_fit, jax_fit = algebra_fits
        assert scipy_fit.rank == jax_fit.rank
        np.testing.assert_allclose(jax_fit.score(np.arange(20), context), scipy_fit.score(np.arange(20), context), rtol=1e-9, atol=1e-12)


def test_randomized_svd_finds_the_leading_triplets_of_a_gapped_spectrum(monkeypatch: pytest.MonkeyPatch) -> None:
    # the JAX path's sparse route; 6 clusters: σ_6 ≈ 0.85, σ_7 ≈ 0.34, so the power iterations shrink
    # the error like (0.34 / 0.85)^(2q + 1) ≈ 1e-16: the rank-6 fit is the exact one up to rounding
    # (measured: scores within 2e-15 of the largest)
    monkeypatch.setattr(svd_ae_module, "_DENSE_SVD_ENTRIES", 0)
    train = clustered_matrix()
    dense = train.toarray().astype(np.float64)
    users = np.arange(120)
    reference = dense_svd_ae(dense, dense, 6)
    (fitted,) = SVDAE(ranks=(6,), dtype="float64", linear_algebra="jax").fit_grid(train, seed=3)
    assert_close_with_same_top10(fitted.score(users, train), reference, rtol=1e-10)
    (fitted32,) = SVDAE(ranks=(6,), linear_algebra="jax").fit_grid(train, seed=3)
    np.testing.assert_allclose(fitted32.score(users, train), reference, atol=1e-5 * np.abs(reference).max())


def test_randomized_svd_on_a_flat_spectrum(monkeypatch: pytest.MonkeyPatch) -> None:
    # binary_matrix's spectrum is flat (σ_2 ... σ_13 = 0.62 ... 0.44), the hard case for a randomized SVD.
    # Measured over seeds 0-2 at ranks 4 and 8: singular values within 1.1e-11 relative, V_k's subspace
    # within a sine of 5e-6, SVD-AE scores within 2e-6 of the largest. A rotation inside the kept
    # subspace changes no score; a tilt out of it by that sine, weighted by Σ⁻¹ ≤ 2, moves them by about
    # as much: 1e-4 of the largest score leaves a margin of 50.
    normalized, _ = svd_ae_module.normalize(binary_matrix())
    exact = np.linalg.svd(normalized.toarray(), compute_uv=False)
    for rank in (4, 8):
        for seed in (0, 1):
            u, s, vt = svd_ae_module.randomized_svd(normalized, rank, seed=seed, model_name="SVD-AE")
            assert u.shape == (60, rank) and vt.shape == (rank, 40) and u.dtype == np.float64
            np.testing.assert_allclose(s, exact[:rank], rtol=1e-9)
            np.testing.assert_allclose(u.T @ u, np.eye(rank), atol=1e-12)
            np.testing.assert_allclose(normalized @ vt.T, u * s[None, :], atol=1e-6)  # A v_j = σ_j u_j
    monkeypatch.setattr(svd_ae_module, "_DENSE_SVD_ENTRIES", 0)
    train = binary_matrix()
    dense = train.toarray().astype(np.float64)
    for fitted in SVDAE(ranks=(4, 8), dtype="float64", linear_algebra="jax").fit_grid(train, seed=0):
        reference = dense_svd_ae(dense, dense, fitted.rank)
        np.testing.assert_allclose(fitted.score(np.arange(60), train), reference, atol=1e-4 * np.abs(reference).max())


def test_randomized_svd_is_seeded() -> None:
    normalized, _ = svd_ae_module.normalize(binary_matrix())
    first, again, other = (svd_ae_module.randomized_svd(normalized, 8, seed=seed, model_name="SVD-AE") for seed in (5, 5, 6))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    # the largest seed the workbench accepts gives a key too
    svd_ae_module.randomized_svd(normalized, 2, seed=2**32 - 1, model_name="SVD-AE")


@pytest.mark.parametrize("dense_entries", [1 << 22, 0])  # the dense SVD and ARPACK
def test_empty_rows_and_items_are_left_out_of_the_svd(monkeypatch: pytest.MonkeyPatch, dense_entries: int) -> None:
    """A sample of interactions: most rows and items empty. The SVD of what is left, zeros put back,
    has the dense SVD's singular values and subspaces; empty rows and items get zero rows of U and V."""
    monkeypatch.setattr(svd_ae_module, "_DENSE_SVD_ENTRIES", dense_entries)
    rng = np.random.default_rng(4)
    dense = np.zeros((90, 70))
    held_rows, held_items = rng.choice(90, 40, replace=False), rng.choice(70, 30, replace=False)
    dense[np.ix_(held_rows, held_items)] = rng.random((40, 30)) < 0.3
    normalized, _ = svd_ae_module.normalize(sp.csr_matrix(dense))
    svd = svd_ae_module.truncated_svd(normalized, (6,), seed=0, model_name="SVD-AE")
    u, s, vt = np.linalg.svd(normalized.toarray())
    np.testing.assert_allclose(svd.s, s[:6], rtol=1e-10)
    empty_rows = np.setdiff1d(np.arange(90), held_rows)
    empty_items = np.setdiff1d(np.arange(70), held_items)
    assert svd.u.shape == (90, 6) and svd.vt.shape == (6, 70)
    np.testing.assert_array_equal(svd.u[empty_rows], 0.0)
    np.testing.assert_array_equal(svd.vt[:, empty_items], 0.0)
    np.testing.assert_allclose(svd.u @ svd.u.T, u[:, :6] @ u[:, :6].T, atol=1e-8)  # the same leading subspaces
    np.testing.assert_allclose(svd.vt.T @ svd.vt, vt[:6].T @ vt[:6], atol=1e-8)


def test_shared_svd_grid_equals_separate_fits() -> None:
    train = binary_matrix(seed=6)
    users = np.arange(0, 60, 3)
    grid = list(SVDAE(ranks=(32, 8, 16), dtype="float64").fit_grid(train))
    assert [fitted.rank for fitted in grid] == [32, 8, 16]
    for fitted in grid:
        (alone,) = SVDAE(ranks=(fitted.rank,), dtype="float64").fit_grid(train)
        np.testing.assert_allclose(fitted.score(users, train[users]), alone.score(users, train[users]), rtol=1e-8, atol=1e-10)


def test_fractional_rows_match_definition() -> None:
    summary = fractional_matrix()
    context = binary_matrix()[:20]
    dense_summary = summary.toarray()
    for fitted in SVDAE(ranks=(5, 12), dtype="float64").fit_grid(summary):
        reference = dense_svd_ae(dense_summary, context.toarray().astype(np.float64), fitted.rank)
        assert_close_with_same_top10(fitted.score(np.arange(20), context), reference)
    # fractional context rows too
    (fitted,) = SVDAE(ranks=(12,), dtype="float64").fit_grid(summary)
    assert_close_with_same_top10(fitted.score(np.arange(25), summary), dense_svd_ae(dense_summary, dense_summary, 12))


def test_ranks_are_clipped_to_the_usable_rank() -> None:
    train = binary_matrix()
    ranks = [fitted.rank for fitted in SVDAE().fit_grid(train)]  # default grid (16 ... 512) on 60 x 40
    assert ranks == [16, 32, 39]
    # a rank-2 matrix: every rank above its numerical rank is clipped to 2
    low_rank = sp.csr_matrix(np.kron(np.eye(2), np.ones((10, 6))))
    assert [fitted.rank for fitted in SVDAE(ranks=(1, 2, 5, 8)).fit_grid(low_rank)] == [1, 2]


@pytest.mark.parametrize(
    ("options", "parameter"),
    [({"ranks": ()}, "ranks"), ({"ranks": (0,)}, "ranks"), ({"ranks": (4, -1)}, "ranks"), ({"ranks": (2.5,)}, "ranks"),
     ({"ranks": (True,)}, "ranks"), ({"dtype": "float16"}, "dtype"), ({"linear_algebra": "cuda"}, "linear_algebra"),
     ({"linear_algebra": None}, "linear_algebra")],
)
def test_bad_hyperparameters_are_refused(options: dict, parameter: str) -> None:
    with pytest.raises(WorkbenchError, match=parameter):
        SVDAE(**options)


def test_bad_linear_algebra_is_refused_like_ease_and_infinite_ae() -> None:
    from workbench.models import EASE

    with pytest.raises(WorkbenchError) as refused:
        SVDAE(linear_algebra="numpy")
    with pytest.raises(WorkbenchError) as ease_refused:
        EASE(linear_algebra="numpy")
    assert str(refused.value) == str(ease_refused.value) == "linear_algebra must be one of auto, scipy, jax, got 'numpy'"


def test_score_inputs_are_checked() -> None:
    train = binary_matrix()
    (fitted,) = SVDAE(ranks=(4,)).fit_grid(train)
    with pytest.raises(WorkbenchError, match="SVD-AE was fitted on 40"):
        fitted.score(np.arange(2), sp.csr_matrix((2, 30)))


def test_runs_through_evaluate_model() -> None:
    dataset = generated_dataset(120, 50, 0.12, seed=11)
    model = make_model("svd-ae", ranks=(4, 8, 16))
    report = evaluate_model(model, dataset, seed=0, progress=False)
    assert report.model == "svd-ae"
    assert report.hyperparameters["rank"] in (4, 8, 16)
    assert [step.hyperparameters["rank"] for step in report.selection] == [4, 8, 16]
    assert 0 <= report.test["HR@10"] <= 100 and np.isfinite(report.test["NDCG@10"])


def test_cli_evaluate_prints_the_rank_curve(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_cli import write_interactions
    from workbench.cli import main

    data_file = write_interactions(tmp_path / "mine.csv")
    assert main(["evaluate", "--data-file", str(data_file), "--model", "svd-ae", "--float64", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "svd-ae on mine (rank=" in printed and "hyper-parameter curve" in printed and "<- chosen" in printed
