"""top_k_items and hits: masking, the tie rule (lower item index first), padding, threads."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.metrics import hits, top_k_items
from workbench.metrics import ranking


def _csr(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    dense = np.zeros((len(rows), n_items), dtype=np.float32)
    for user, items in enumerate(rows):
        dense[user, items] = 1.0
    return sp.csr_matrix(dense)


def _reference_top_k(scores: np.ndarray, exclude: sp.csr_matrix | None, k: int) -> np.ndarray:
    """Straightforward per-row sort by (−score, item) over the non-excluded items, −1 padded."""
    b, d = scores.shape
    out = np.full((b, k), -1)
    for u in range(b):
        excluded = set(exclude[u].indices.tolist()) if exclude is not None else set()
        candidates = sorted((i for i in range(d) if i not in excluded), key=lambda i: (-scores[u, i], i))
        out[u, : min(k, len(candidates))] = candidates[:k]
    return out


def test_best_first_without_exclusion() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.7]], dtype=np.float32)
    # descending: item 1 (0.9), item 3 (0.7), item 2 (0.5), item 0 (0.1)
    top = top_k_items(scores, None, 3)
    assert top.dtype == np.int32 and top.shape == (1, 3)
    assert top.tolist() == [[1, 3, 2]]


def test_ties_go_to_the_lower_item_index() -> None:
    scores = np.array([[1.0, 2.0, 2.0, 0.0, 2.0]])
    # items 1, 2 and 4 tie at 2.0: they come in index order 1, 2, 4; then item 0 (1.0), item 3 (0.0)
    assert top_k_items(scores, None, 2).tolist() == [[1, 2]]  # the boundary tie keeps 1 and 2, not 4
    assert top_k_items(scores, None, 4).tolist() == [[1, 2, 4, 0]]
    # an all-equal row is ranked by item index
    assert top_k_items(np.zeros((1, 6)), None, 3).tolist() == [[0, 1, 2]]


def test_context_item_with_the_highest_score_is_masked() -> None:
    scores = np.array([[5.0, 1.0, 3.0, 2.0], [0.0, 9.0, 8.0, 7.0]])
    exclude = _csr([[0], [1, 2]], 4)
    # row 0: item 0 (5.0) is context -> items 2 (3.0), 3 (2.0); row 1: items 1, 2 masked -> 3, 0
    assert top_k_items(scores, exclude, 2).tolist() == [[2, 3], [3, 0]]
    # the caller's scores are not modified
    assert scores[0, 0] == 5.0 and scores[1, 1] == 9.0


def test_rows_with_fewer_candidates_than_k_are_padded() -> None:
    scores = np.array([[0.3, 0.2, 0.1, 0.4], [0.3, 0.2, 0.1, 0.4]])
    exclude = _csr([[0, 3], []], 4)
    # row 0: only items 1 (0.2) and 2 (0.1) remain -> [1, 2, -1]; row 1: [3, 0, 1]
    assert top_k_items(scores, exclude, 3).tolist() == [[1, 2, -1], [3, 0, 1]]
    # k larger than the number of items: everything ranked, then -1
    assert top_k_items(scores, exclude, 6).tolist() == [[1, 2, -1, -1, -1, -1], [3, 0, 1, 2, -1, -1]]


def test_a_candidate_scored_minus_inf_is_returned_but_an_excluded_item_never() -> None:
    scores = np.array([[-np.inf, -np.inf, 1.0, -np.inf]])
    exclude = _csr([[0]], 4)
    # item 0 is excluded; items 1 and 3 are candidates tied at -inf, ranked by index after item 2
    assert top_k_items(scores, exclude, 2).tolist() == [[2, 1]]
    assert top_k_items(scores, exclude, 4).tolist() == [[2, 1, 3, -1]]


def test_matches_a_per_row_reference_on_random_tied_data() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        b, d = int(rng.integers(1, 25)), int(rng.integers(1, 30))
        k = int(rng.integers(1, 35))
        dtype = np.float32 if rng.random() < 0.5 else np.float64
        scores = rng.integers(0, 4, (b, d)).astype(dtype)  # small integers: many ties
        if rng.random() < 0.5:
            scores += rng.standard_normal((b, d)).astype(dtype)
        scores[rng.random((b, d)) < 0.1] = -np.inf
        exclude = sp.csr_matrix(rng.random((b, d)) < rng.random()) if rng.random() < 0.8 else None
        np.testing.assert_array_equal(top_k_items(scores, exclude, k), _reference_top_k(scores, exclude, k))


def test_blocks_and_threads_give_the_same_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    scores = np.round(rng.standard_normal((97, 40)), 1)  # rounded: boundary ties in many rows
    exclude = sp.csr_matrix(rng.random((97, 40)) < 0.3)
    expected = _reference_top_k(scores, exclude, 7)
    monkeypatch.setattr(ranking, "_BLOCK_ELEMENTS", 40 * 9)  # 9 rows per block, 11 blocks
    for n_threads in (1, 2, 3):
        np.testing.assert_array_equal(top_k_items(scores, exclude, 7, n_threads=n_threads), expected)


def test_bad_parameters_raise() -> None:
    scores = np.zeros((2, 3))
    for k in (0, -1):
        with pytest.raises(WorkbenchError, match="k must be a positive integer"):
            top_k_items(scores, None, k)
    with pytest.raises(WorkbenchError, match="k must be a positive integer"):
        top_k_items(scores, None, 2.5)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match=r"\(2, 3\).*\(2, 4\)"):
        top_k_items(scores, sp.csr_matrix((2, 4)), 1)
    with pytest.raises(WorkbenchError, match="NaN"):
        top_k_items(np.array([[0.0, np.nan, 1.0]]), None, 1)
    with pytest.raises(WorkbenchError, match="2-D"):
        top_k_items(np.zeros(3), None, 1)


def test_hits_marks_ranked_positives_and_ignores_padding() -> None:
    top = np.array([[2, 0, 1], [3, -1, -1], [0, 1, 2]], dtype=np.int32)
    positives = _csr([[0, 3], [3], []], 4)
    # row 0: item 0 at rank 1; row 1: item 3 at rank 0, padding never hits; row 2: no positives
    expected = [[False, True, False], [True, False, False], [False, False, False]]
    assert hits(top, positives).tolist() == expected
    with pytest.raises(WorkbenchError, match=r"\(3, 3\).*\(2, 4\)"):
        hits(top, _csr([[0], [1]], 4))


def test_hits_matches_a_dense_lookup() -> None:
    rng = np.random.default_rng(11)
    positives = sp.csr_matrix(rng.random((50, 30)) < 0.2)
    top = rng.integers(-1, 30, (50, 8)).astype(np.int32)
    dense = positives.toarray()
    expected = np.where(top >= 0, dense[np.arange(50)[:, None], np.maximum(top, 0)], False)
    np.testing.assert_array_equal(hits(top, positives), expected)


def test_non_canonical_sparse_input_is_accepted_and_left_unchanged() -> None:
    # unsorted column indices, a duplicate entry (row 0, item 3) and a stored zero (row 1, item 1)
    indptr = np.array([0, 3, 4])
    indices = np.array([3, 0, 3, 1])
    data = np.array([1.0, 1.0, 1.0, 0.0])
    positives = sp.csr_array((data.copy(), indices.copy(), indptr.copy()), shape=(2, 4))
    top = np.array([[3, 0, 1], [1, 2, 0]], dtype=np.int32)
    # row 0: positives {0, 3}; row 1: the stored zero is not a positive
    assert hits(top, positives).tolist() == [[True, True, False], [False, False, False]]
    np.testing.assert_array_equal(positives.indices, indices)  # the caller's matrix is untouched
    np.testing.assert_array_equal(positives.data, data)
    # as an exclusion mask, the same matrix removes items 0 and 3 of row 0 only
    assert top_k_items(np.array([[4.0, 3, 2, 1], [4, 3, 2, 1]]), positives, 2).tolist() == [[1, 2], [0, 1]]
