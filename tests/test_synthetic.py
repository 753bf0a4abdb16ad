"""The analysis behind notebook 03 (`workbench.inspect.summaries`): hand-computed cases on tiny matrices, a
comparison with NumPy's SVD on generated data, and the logits Distill-CF now returns."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.stats

from conftest import random_binary_matrix
from workbench.inspect import summaries as synthetic
from workbench.data import Interactions, build_dataset
from workbench.distill import DistillConfig, distill, draw_summary
from workbench.errors import WorkbenchError

# 3 real users x 4 items: item popularity (3, 1, 1, 0).
REAL = np.array([[1, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32)
# Row sizes 1.8 (holds items 0 and 1) and 0.45 (holds nothing).
SUMMARY = np.array([[0.9, 0.6, 0.3, 0.0], [0.1, 0.2, 0.1, 0.05]])


@pytest.fixture(scope="module")
def generated():
    matrix = random_binary_matrix(200, 400, 0.04, seed=11)
    users, items = matrix.nonzero()
    interactions = Interactions(users=users.astype(np.int64), items=items.astype(np.int64), ratings=None, split=None, source="generated")
    return build_dataset("generated", interactions, seed=0)


# --- items ----------------------------------------------------------------------------------------


def test_item_popularity_and_order_break_ties_by_index() -> None:
    np.testing.assert_array_equal(synthetic.item_popularity(sp.csr_matrix(REAL)), [3, 1, 1, 0])
    np.testing.assert_array_equal(synthetic.popularity_order(REAL), [0, 1, 2, 3])
    np.testing.assert_array_equal(synthetic.popularity_order(SUMMARY), [0, 1, 2, 3])
    np.testing.assert_array_equal(synthetic.popularity_order([[0.1, 0.4, 0.2]]), [1, 2, 0])


def test_held_items_keep_each_rows_rounded_size() -> None:
    np.testing.assert_array_equal(synthetic.held_items(SUMMARY), [[1, 1, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(synthetic.held_items(sp.csr_matrix(REAL)), REAL > 0)
    assert synthetic.item_coverage(SUMMARY) == 0.5
    assert synthetic.item_coverage(REAL) == 0.75
    assert synthetic.item_coverage(sp.csr_matrix(REAL)) == 0.75


def test_compare_popularity_by_hand() -> None:
    comparison = synthetic.compare_popularity(sp.csr_matrix(REAL), SUMMARY)
    np.testing.assert_array_equal(comparison.order, [0, 1, 2, 3])
    np.testing.assert_allclose(comparison.real_share, [0.6, 0.2, 0.2, 0.0])
    np.testing.assert_allclose(comparison.summary_share, np.array([1.0, 0.8, 0.4, 0.05]) / 2.25)
    assert comparison.real_coverage == 0.75 and comparison.summary_coverage == 0.5
    expected = scipy.stats.spearmanr([3, 1, 1, 0], [1.0, 0.8, 0.4, 0.05]).statistic
    assert comparison.rank_correlation == pytest.approx(expected)


def test_compare_popularity_of_a_constant_summary_has_no_correlation() -> None:
    comparison = synthetic.compare_popularity(REAL, np.full((2, 4), 0.5))
    assert np.isnan(comparison.rank_correlation)
    np.testing.assert_allclose(comparison.summary_share, 0.25)


# --- users ----------------------------------------------------------------------------------------


def test_user_sizes_leave_out_real_users_without_interactions() -> None:
    real = np.vstack([REAL, np.zeros((1, 4))])
    sizes = synthetic.compare_user_sizes(sp.csr_matrix(real), SUMMARY)
    np.testing.assert_array_equal(sizes.real_sizes, [2, 2, 1])
    np.testing.assert_allclose(sizes.summary_sizes, [1.8, 0.45])
    assert sizes.real_mean == pytest.approx(5 / 3) and sizes.real_median == 2.0
    assert sizes.summary_mean == pytest.approx(1.125) and sizes.summary_median == pytest.approx(1.125)


def test_sample_rows_is_seeded_sorted_and_without_repeats() -> None:
    np.testing.assert_array_equal(synthetic.sample_rows(5, 10, seed=0), np.arange(5))
    first = synthetic.sample_rows(100, 10, seed=3)
    np.testing.assert_array_equal(first, synthetic.sample_rows(100, 10, seed=3))
    assert len(np.unique(first)) == 10 and np.all(np.diff(first) > 0) and first.max() < 100
    assert not np.array_equal(first, synthetic.sample_rows(100, 10, seed=4))


def test_pca_of_rows_that_vary_along_one_item() -> None:
    # Stacked rows (1,0,0), (0,0,0), (0.5,0,0): centred on item 0 at +0.5, -0.5, 0.
    projection = synthetic.pca_projection(np.array([[1, 0, 0], [0, 0, 0]]), np.array([[0.5, 0, 0]]))
    np.testing.assert_allclose(projection.real_coordinates, [[0.5, 0.0], [-0.5, 0.0]], atol=1e-12)
    np.testing.assert_allclose(projection.summary_coordinates, [[0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(projection.explained_variance, [1.0, 0.0], atol=1e-12)
    np.testing.assert_array_equal(projection.real_users, [0, 1])
    np.testing.assert_array_equal(projection.real_sizes, [1, 0])
    np.testing.assert_array_equal(projection.summary_sizes, [0.5])


@pytest.mark.parametrize(("n_users", "n_items"), [(20, 30), (8, 30), (40, 5)])  # Gram and covariance routes
def test_pca_matches_numpys_svd(n_users: int, n_items: int) -> None:
    real = random_binary_matrix(n_users, n_items, 0.2, seed=2)
    summary = np.random.default_rng(0).random((6, n_items))
    projection = synthetic.pca_projection(real, summary, max_real_users=1000, seed=0)
    stacked = np.vstack([real.toarray(), summary])
    centred = stacked - stacked.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ components[:2].T
    coordinates = np.vstack([projection.real_coordinates, projection.summary_coordinates])
    np.testing.assert_allclose(np.abs(coordinates), np.abs(expected), atol=1e-8)
    np.testing.assert_allclose(projection.explained_variance, singular[:2] ** 2 / np.sum(singular**2), rtol=1e-8)
    # The sign convention: each direction's largest loading is positive.
    directions = np.linalg.lstsq(centred, coordinates, rcond=None)[0].T
    for direction in directions:
        assert direction[np.argmax(np.abs(direction))] > 0


def test_pca_samples_real_users_when_there_are_many() -> None:
    real = random_binary_matrix(50, 20, 0.2, seed=1)
    projection = synthetic.pca_projection(real, np.full((3, 20), 0.1), max_real_users=10, seed=7)
    np.testing.assert_array_equal(projection.real_users, synthetic.sample_rows(50, 10, seed=7))
    assert projection.real_coordinates.shape == (10, 2) and projection.summary_coordinates.shape == (3, 2)
    np.testing.assert_array_equal(projection.real_sizes, real[projection.real_users].sum(axis=1).A.ravel())


def test_pca_of_identical_rows_is_refused() -> None:
    with pytest.raises(WorkbenchError, match="no variance"):
        synthetic.pca_projection(np.ones((3, 4)), np.ones((2, 4)))


# --- each synthetic user --------------------------------------------------------------------------

NEIGHBOURS_REAL = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]], dtype=np.float32)
NEIGHBOURS_SUMMARY = np.array([[1.0, 1.0, 0.0], [0.0, 0.5, 0.5]])


def test_cosine_similarities_by_hand() -> None:
    half = 1 / np.sqrt(2)
    expected = [[1.0, 0.0, half, 0.0], [0.5, half, 0.0, 0.0]]  # 0 against the empty row
    np.testing.assert_allclose(synthetic.cosine_similarities(sp.csr_matrix(NEIGHBOURS_REAL), NEIGHBOURS_SUMMARY), expected)
    np.testing.assert_allclose(synthetic.cosine_similarities(NEIGHBOURS_REAL, NEIGHBOURS_SUMMARY), expected)


def test_nearest_real_users_by_hand() -> None:
    nearest = synthetic.nearest_real_users(sp.csr_matrix(NEIGHBOURS_REAL), NEIGHBOURS_SUMMARY, k=2)
    np.testing.assert_array_equal(nearest.users, [[0, 2], [1, 0]])
    np.testing.assert_allclose(nearest.similarities, [[1.0, 1 / np.sqrt(2)], [1 / np.sqrt(2), 0.5]])
    assert synthetic.nearest_real_users(NEIGHBOURS_REAL, NEIGHBOURS_SUMMARY, k=10).users.shape == (2, 4)


def test_top_items_largest_first_ties_by_index() -> None:
    top = synthetic.top_items(np.array([[0.1, 0.7, 0.7, 0.2], [0.0, 0.0, 0.3, 0.9]]), k=3)
    np.testing.assert_array_equal(top.items, [[1, 2, 3], [3, 2, 0]])
    np.testing.assert_allclose(top.weights, [[0.7, 0.7, 0.2], [0.9, 0.3, 0.0]])
    assert synthetic.top_items(SUMMARY, k=99).items.shape == (2, 4)


def test_item_labels_use_titles_where_there_are_some(generated) -> None:
    assert synthetic.item_labels(generated) == tuple(f"item {item}" for item in generated.item_ids.tolist())
    titled = generated.with_item_titles({int(generated.item_ids[0]): "First film (1999)"})
    labels = synthetic.item_labels(titled)
    assert labels[0] == "First film (1999)" and labels[1] == f"item {generated.item_ids[1]}"


def test_synthetic_user_table(generated) -> None:
    titled = generated.with_item_titles({int(item): f"Film {item}" for item in generated.item_ids.tolist()})
    # Synthetic user 0 is a copy of real user 5; synthetic user 1 puts 0.8 on item 7 and 0.1 on item 3.
    summary = np.zeros((2, titled.n_items))
    summary[0] = titled.train[5].toarray()
    summary[1, 7], summary[1, 3] = 0.8, 0.1
    table = synthetic.synthetic_user_table(titled, summary, items=2, neighbours=3)
    assert list(table.columns) == ["synthetic user", "size", "top items", "nearest real users", "cosine to nearest"]
    assert table["synthetic user"].tolist() == [0, 1]
    np.testing.assert_allclose(table["size"], [titled.train[5].sum(), 0.9])
    assert table["nearest real users"][0].startswith(f"user {titled.user_ids[5]} (cos 1.00)")
    assert table["nearest real users"][0].count("user ") == 3
    assert table["top items"][1] == f"Film {titled.item_ids[7]} (0.80); Film {titled.item_ids[3]} (0.10)"
    assert table["cosine to nearest"][0] == pytest.approx(1.0)
    nearest = synthetic.nearest_real_users(titled.train, summary, 1)
    assert table["cosine to nearest"][1] == pytest.approx(nearest.similarities[1, 0])


# --- discreteness and τ ---------------------------------------------------------------------------


def test_entry_entropy_in_bits() -> None:
    np.testing.assert_allclose(synthetic.entry_entropy([[0.0, 1.0, 0.5, 0.25]]), [[0.0, 0.0, 1.0, 0.811278124459]], atol=1e-12)


def test_discreteness_by_hand() -> None:
    summary = np.array([[0.0, 1.0, 0.5, 0.97], [0.02, 0.0, 0.0, 0.0]])
    result = synthetic.discreteness(summary, tolerance=0.05, temperature=2.0)
    mass = 2.49
    assert result.near_binary == pytest.approx(7 / 8)  # all but 0.5
    assert result.mass_near_zero == pytest.approx(0.02 / mass)
    assert result.mass_near_one == pytest.approx(1.97 / mass)
    assert result.mass_between == pytest.approx(0.5 / mass)
    entropy = (1.0 + scipy.stats.entropy([0.97, 0.03], base=2) + scipy.stats.entropy([0.02, 0.98], base=2)) / 8
    assert result.mean_entropy == pytest.approx(entropy)
    assert result.mean_size == pytest.approx(mass / 2)
    assert (result.tolerance, result.temperature) == (0.05, 2.0)


def test_a_binary_matrix_is_fully_discrete() -> None:
    result = synthetic.discreteness(REAL)
    assert (result.near_binary, result.mass_near_one, result.mass_near_zero, result.mean_entropy) == (1.0, 1.0, 0.0, 0.0)


def test_entry_histogram_shares() -> None:
    edges, shares = synthetic.entry_histogram(np.array([[0.0, 0.1, 0.55, 1.0]]), bins=2)
    np.testing.assert_allclose(edges, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(shares, [0.5, 0.5])  # 1.0 falls in the last bin


LOGITS = np.random.default_rng(5).normal(scale=2.0, size=(6, 30)).astype(np.float32)


def test_summaries_at_temperatures_are_distill_cfs_draws_with_the_same_noise() -> None:
    low, high = synthetic.summaries_at_temperatures(LOGITS, [0.5, 3.0], draws=4, seed=9)
    key = jax.random.key(9)
    for tau, drawn in ((0.5, low), (3.0, high)):
        expected = draw_summary(jnp.asarray(LOGITS), key, DistillConfig(budget=6, temperature=tau, draws=4))
        np.testing.assert_allclose(drawn, np.asarray(expected), rtol=1e-6)
        assert drawn.shape == (6, 30) and drawn.dtype == np.float32
    # τ → 0: every draw is one-hot, so entries are counts clipped at 1 and a row sums to ≤ draws.
    (cold,) = synthetic.summaries_at_temperatures(LOGITS, [1e-3], draws=4, seed=9)
    np.testing.assert_allclose(cold, np.round(cold), atol=1e-4)
    assert np.all(cold.sum(axis=1) <= 4 + 1e-4) and np.all(cold.sum(axis=1) >= 1 - 1e-4)
    # τ → ∞: every draw is uniform, so each entry is draws / d.
    (hot,) = synthetic.summaries_at_temperatures(LOGITS, [1e6], draws=4, seed=9)
    np.testing.assert_allclose(hot, 4 / 30, rtol=1e-3)


def test_temperature_sweep_is_more_discrete_at_lower_tau() -> None:
    sweep = synthetic.temperature_sweep(LOGITS, [0.05, 0.5, 5.0, 50.0], draws=10, seed=1, bins=10)
    assert sweep.temperatures == (0.05, 0.5, 5.0, 50.0) and sweep.draws == 10
    near_one = [row.mass_near_one for row in sweep.discreteness]
    entropy = [row.mean_entropy for row in sweep.discreteness]
    assert near_one == sorted(near_one, reverse=True) and near_one[0] > 0.95 and near_one[-1] == 0.0
    assert entropy == sorted(entropy) and entropy[0] < 0.05 < entropy[-1]
    assert [row.temperature for row in sweep.discreteness] == [0.05, 0.5, 5.0, 50.0]
    assert sweep.bin_edges.shape == (11,) and sweep.histograms.shape == (4, 10)
    np.testing.assert_allclose(sweep.histograms.sum(axis=1), 1.0)
    table = sweep.table()
    assert list(table["τ"]) == [0.05, 0.5, 5.0, 50.0]
    np.testing.assert_allclose(table["mass near 1 (%)"], 100 * np.array(near_one))
    np.testing.assert_allclose(table[["mass near 0 (%)", "mass between (%)", "mass near 1 (%)"]].sum(axis=1), 100.0)


# --- the logits Distill-CF returns ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])  # best step 0 (seed 0) and a later step (seed 1)
def test_distill_returns_the_logits_its_summary_was_drawn_from(generated, seed: int) -> None:
    config = DistillConfig(budget=12, draws=8, steps=12, evaluate_every=4, temperature=1.0, patience=50)
    result = distill(generated, config, seed=seed, progress=False)
    assert result.logits is not None and result.logits.shape == (12, generated.n_items)
    assert result.logits.dtype == np.float32
    if result.best_step == 0:  # the starting point: the real users' rows are logits and summary
        np.testing.assert_array_equal(result.logits, result.summary)
    else:
        _, evaluation_key = jax.random.split(jax.random.key(seed))
        redrawn = draw_summary(jnp.asarray(result.logits), jax.random.fold_in(evaluation_key, result.best_step), config)
        np.testing.assert_allclose(np.asarray(redrawn), result.summary, rtol=1e-6, atol=1e-7)
        assert not np.array_equal(result.logits, result.summary)
    assert (seed == 0) == (result.best_step == 0)  # both branches above ran


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: synthetic.compare_popularity(REAL, np.ones((2, 3)) * 0.5), "summary: has 3 items"),
        (lambda: synthetic.compare_popularity(REAL, np.full((2, 4), 1.5)), "summary: expected entries in \\[0, 1\\]"),
        (lambda: synthetic.compare_popularity(REAL, np.zeros((2, 4))), "summary: all entries are 0"),
        (lambda: synthetic.compare_user_sizes(np.full((2, 4), np.nan), SUMMARY), "real: expected finite"),
        (lambda: synthetic.compare_user_sizes(np.zeros((0, 4)), SUMMARY), "real: expected a non-empty"),
        (lambda: synthetic.item_popularity(np.array([1.0, 0.0])), "matrix: expected a non-empty 2-D"),
        (lambda: synthetic.nearest_real_users(REAL, SUMMARY, k=0), "k: expected an integer >= 1"),
        (lambda: synthetic.top_items(SUMMARY, k=1.5), "k: expected an integer >= 1"),
        (lambda: synthetic.pca_projection(REAL, SUMMARY, max_real_users=0), "max_real_users"),
        (lambda: synthetic.pca_projection(REAL, SUMMARY, seed=-1), "seed"),
        (lambda: synthetic.sample_rows(10, 3, seed=1.5), "seed"),
        (lambda: synthetic.discreteness(SUMMARY, tolerance=0.6), "tolerance"),
        (lambda: synthetic.entry_histogram(SUMMARY, bins=0), "bins"),
        (lambda: synthetic.summaries_at_temperatures(LOGITS, [], draws=4), "temperatures"),
        (lambda: synthetic.summaries_at_temperatures(LOGITS, [1.0, 0.0], draws=4), "temperatures: every τ"),
        (lambda: synthetic.summaries_at_temperatures(LOGITS, "1.0", draws=4), "temperatures"),
        (lambda: synthetic.summaries_at_temperatures(LOGITS, [1.0], draws=0), "draws"),
        (lambda: synthetic.summaries_at_temperatures(LOGITS[0], [1.0], draws=2), "logits: expected a non-empty \\(μ, d\\)"),
        (lambda: synthetic.summaries_at_temperatures(np.full((2, 3), np.inf), [1.0], draws=2), "logits: expected finite"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(call, expected: str) -> None:
    with pytest.raises(WorkbenchError, match=expected):
        call()


def test_synthetic_user_table_refuses_bad_counts(generated) -> None:
    summary = np.full((2, generated.n_items), 0.01)
    with pytest.raises(WorkbenchError, match="items: expected an integer >= 1"):
        synthetic.synthetic_user_table(generated, summary, items=0)
    with pytest.raises(WorkbenchError, match="neighbours: expected an integer >= 1"):
        synthetic.synthetic_user_table(generated, summary, neighbours=-1)
