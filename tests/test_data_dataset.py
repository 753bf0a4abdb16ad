"""`Dataset` and `build_dataset`: binary CSR matrices, ids, statistics, context."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.data import Dataset, Interactions, build_dataset
from workbench.errors import WorkbenchError


def interactions_from_matrix(matrix: sp.csr_matrix) -> Interactions:
    coo = matrix.tocoo()
    return Interactions(users=coo.row.astype(np.int64) + 500, items=coo.col.astype(np.int64) * 2, source="generated")


@pytest.fixture(scope="module")
def generated() -> tuple[sp.csr_matrix, Dataset]:
    matrix = random_binary_matrix(120, 80, 0.1, seed=4)
    return matrix, build_dataset("generated", interactions_from_matrix(matrix), seed=0)


def test_matrices_are_binary_float32_sorted_and_partition_the_data(generated) -> None:
    matrix, data = generated
    used_items = np.flatnonzero(np.asarray(matrix.sum(axis=0)).ravel() > 0)
    assert (data.n_users, data.n_items) == (120, used_items.size)
    for split in (data.train, data.validation, data.test):
        assert isinstance(split, sp.csr_matrix) and split.dtype == np.float32
        assert split.shape == (data.n_users, data.n_items)
        assert split.has_sorted_indices and np.all(split.data == 1.0)
    total = data.train + data.validation + data.test
    assert total.max() == 1.0  # disjoint
    assert total.nnz == matrix.nnz
    # dense index -> original ids reproduces the input
    original = sp.csr_matrix(
        (np.ones(total.nnz), (data.user_ids[total.tocoo().row] - 500, data.item_ids[total.tocoo().col] // 2)),
        shape=matrix.shape,
    )
    assert (original != matrix).nnz == 0
    assert np.all(np.diff(data.test.indptr) >= 1)


def test_ids_are_read_only_and_dataset_frozen(generated) -> None:
    _, data = generated
    with pytest.raises(ValueError):
        data.user_ids[0] = 1
    with pytest.raises(ValueError):
        data.item_ids[0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.name = "other"  # type: ignore[misc]


def test_statistics_and_table(generated) -> None:
    _, data = generated
    stats = data.statistics()
    assert [row.split for row in stats.splits] == ["train", "validation", "test", "total"]
    assert stats["train"].interactions == data.train.nnz
    assert stats["total"].interactions == data.train.nnz + data.validation.nnz + data.test.nnz
    assert stats["test"].users == data.n_users
    assert stats["total"].items == data.n_items
    assert stats["train"].density == pytest.approx(data.train.nnz / (data.n_users * data.n_items))
    assert set(stats.as_dict()["validation"]) == {"users", "items", "interactions", "density"}
    table = str(data)
    lines = table.splitlines()
    assert lines[0].startswith("generated: 120 users")
    assert lines[1].split() == ["split", "users", "items", "interactions", "density"]
    assert [line.split()[0] for line in lines[2:]] == ["train", "validation", "test", "total"]
    assert len({len(line) for line in lines[1:]}) == 1  # aligned columns
    assert f"{data.train.nnz:,}" in lines[2]


def test_context(generated) -> None:
    _, data = generated
    assert data.context("validation") is data.train
    context = data.context("test")
    assert context.nnz == data.train.nnz + data.validation.nnz and np.all(context.data == 1.0)
    assert context.dtype == np.float32 and context.has_sorted_indices
    with pytest.raises(WorkbenchError, match="'validation' or 'test'"):
        data.context("train")
    assert data.matrix("test") is data.test
    with pytest.raises(WorkbenchError, match="train, validation, test"):
        data.matrix("val")


def test_given_split_with_a_pair_in_two_splits_keeps_both() -> None:
    rows = Interactions(
        users=np.array([1, 1, 1, 1, 2, 2]),
        items=np.array([10, 10, 11, 10, 10, 12]),
        split=np.array([0, 0, 2, 2, 0, 1]),
        split_origin="paper split",
    )
    data = build_dataset("given", rows)
    assert data.train.nnz == 2  # (1,10) twice in train collapses
    assert data.test.nnz == 2  # (1,10) also in test: kept there
    assert data.validation.nnz == 1
    assert data.split_origin == "paper split"
    assert data.statistics()["total"].interactions == 4


def test_protocol_dataset_records_seed_and_source() -> None:
    rows = Interactions(users=np.repeat(np.arange(5), 6), items=np.tile(np.arange(6), 5), source="x.csv")
    data = build_dataset("x", rows, seed=3)
    assert data.split_origin == "seeded 80/10/10 split, seed 3" and data.source == "x.csv"
    assert "x" in repr(data) and "seed 3" in repr(data)


def test_item_titles(generated) -> None:
    _, data = generated
    titled = data.with_item_titles({int(data.item_ids[0]): "First"})
    assert titled.item_titles[0] == "First" and titled.item_titles[1] == ""
    assert len(titled.item_titles) == data.n_items
    assert data.item_titles is None


def test_item_genres(generated) -> None:
    _, data = generated
    first, second = int(data.item_ids[0]), int(data.item_ids[1])
    described = data.with_item_titles({first: "First"}).with_item_genres({first: "Comedy|Drama", second: ""})
    assert described.item_genres[:3] == ("Comedy|Drama", "", "")
    assert len(described.item_genres) == data.n_items
    assert described.item_titles[0] == "First"  # kept
    assert data.item_genres is None
    with pytest.raises(WorkbenchError, match=rf"Dataset\.item_genres: expected {data.n_items} genre strings, got 2"):
        dataclasses.replace(data, item_genres=("A", "B"))
    with pytest.raises(WorkbenchError, match=r"Dataset\.item_genres: expected one string per item, got a single string"):
        dataclasses.replace(data, item_genres="Comedy")


def test_statistics_as_frame(generated) -> None:
    _, data = generated
    stats = data.statistics()
    frame = stats.as_frame()
    assert frame.index.tolist() == ["train", "validation", "test", "total"] and frame.index.name == "split"
    assert frame.columns.tolist() == ["users", "items", "interactions", "density"]
    assert frame.loc["train", "interactions"] == data.train.nnz
    assert frame.loc["total", "users"] == stats["total"].users
    assert frame["density"].dtype == np.float64 and frame["interactions"].dtype == np.int64
    assert frame.loc["test", "density"] == pytest.approx(data.test.nnz / (data.n_users * data.n_items))


def test_inconsistent_matrices_are_rejected(generated) -> None:
    _, data = generated
    with pytest.raises(WorkbenchError, match="Dataset.test: shape"):
        dataclasses.replace(data, test=sp.csr_matrix((2, 2), dtype=np.float32))
    with pytest.raises(WorkbenchError, match="float32"):
        dataclasses.replace(data, test=data.test.astype(np.float64))
    with pytest.raises(WorkbenchError, match="binary"):
        dataclasses.replace(data, test=data.test * 2)
    with pytest.raises(WorkbenchError, match="user_ids"):
        dataclasses.replace(data, user_ids=data.user_ids[:-1])
