"""`TrainingSample`: construction, and the .npz round trip with its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.errors import WorkbenchError
from workbench.samplers import TrainingSample, build_sample, load_sample, parse_budget, sample_user_rns


@pytest.fixture(scope="module")
def train() -> sp.csr_matrix:
    return random_binary_matrix(100, 50, 0.1, seed=4)


def test_binary_sample_round_trip(train: sp.csr_matrix, tmp_path: Path) -> None:
    sample = sample_user_rns(train, parse_budget("20%"), seed=2)
    path = sample.save(tmp_path / "deep" / "user-rns.npz")
    assert path == tmp_path / "deep" / "user-rns.npz" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["user-rns.npz"]  # no temporary left behind
    loaded = load_sample(path, expected_items=50)
    assert loaded.matrix.dtype == np.float32 and loaded.matrix.format == "csr"
    assert (loaded.matrix != sample.matrix).nnz == 0 and loaded.matrix.shape == sample.matrix.shape
    np.testing.assert_array_equal(loaded.row_users, sample.row_users)
    assert loaded.row_users.dtype == np.int64
    assert loaded.metadata == sample.metadata
    assert (loaded.sampler, loaded.budget, loaded.seed) == ("user-rns", "20%", 2)
    assert loaded.fraction_users == sample.fraction_users == 0.2
    assert loaded.fraction_interactions == sample.fraction_interactions


def test_continuous_synthetic_sample_round_trip(train: sp.csr_matrix, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    summary = rng.random((4, 50)).astype(np.float32) * (rng.random((4, 50)) < 0.5)
    sample = build_sample(
        summary, np.full(4, -1), train=train, sampler="distill-cf", budget="4 users", seed=0,
        parameters={"gamma": 200, "tau": 10.0},
    )
    assert sample.matrix.format == "csr" and sample.matrix.dtype == np.float32
    assert sample.fraction_users == pytest.approx(4 / 100)
    # a continuous summary counts by its weight, not by its non-zero entries
    assert sample.fraction_interactions == pytest.approx(summary.sum(dtype=np.float64) / train.nnz)
    assert sample.fraction_interactions < np.count_nonzero(summary) / train.nnz
    loaded = load_sample(sample.save(tmp_path / "summary.npz"))
    np.testing.assert_array_equal(loaded.matrix.toarray(), summary)  # float32 values kept exactly
    np.testing.assert_array_equal(loaded.row_users, [-1, -1, -1, -1])
    assert loaded.parameters == {"gamma": 200, "tau": 10.0}


def test_a_dense_matrix_is_stored_as_csr() -> None:
    dense = np.array([[0.0, 0.25], [1.0, 0.0]])
    sample = TrainingSample(matrix=dense, row_users=np.array([-1, -1]), sampler="x", budget="2 users", seed=0)
    assert sp.issparse(sample.matrix) and sample.matrix.format == "csr" and sample.matrix.dtype == np.float32
    np.testing.assert_array_equal(sample.matrix.toarray(), dense.astype(np.float32))


def test_build_sample_drops_empty_rows(train: sp.csr_matrix) -> None:
    rows = train[[3, 4, 5]].tolil()
    rows[1, :] = 0
    sample = build_sample(sp.csr_matrix(rows), [3, 4, 5], train=train, sampler="x", budget="3 users", seed=0)
    np.testing.assert_array_equal(sample.row_users, [3, 5])
    assert sample.fraction_users == pytest.approx(2 / 100)


def test_item_count_mismatch_names_both_counts_and_the_file(train: sp.csr_matrix, tmp_path: Path) -> None:
    path = sample_user_rns(train, parse_budget(5), seed=0).save(tmp_path / "s.npz")
    with pytest.raises(WorkbenchError) as caught:
        load_sample(path, expected_items=3706)
    message = str(caught.value)
    assert str(path) in message and "50 items" in message and "3706 items" in message


def test_missing_and_corrupt_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.npz"
    with pytest.raises(WorkbenchError, match="nowhere.npz.*not found"):
        load_sample(missing)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    with pytest.raises(WorkbenchError, match="garbage.npz.*not a readable training sample"):
        load_sample(garbage)
    partial = tmp_path / "partial.npz"
    np.savez(partial, data=np.ones(2, dtype=np.float32))
    with pytest.raises(WorkbenchError, match="partial.npz.*missing arrays"):
        load_sample(partial)


def test_bad_construction_is_refused() -> None:
    with pytest.raises(WorkbenchError, match="row_users"):
        TrainingSample(matrix=np.ones((2, 3)), row_users=np.array([0]), sampler="x", budget="1 user", seed=0)
    with pytest.raises(WorkbenchError, match="parameters"):
        TrainingSample(
            matrix=np.ones((1, 3)), row_users=np.array([0]), sampler="x", budget="1 user", seed=0,
            parameters={"bad": object()},
        )
    with pytest.raises(WorkbenchError, match="finite"):
        TrainingSample(matrix=np.array([[np.nan, 1.0]]), row_users=np.array([0]), sampler="x", budget="1", seed=0)
