"""Named datasets (`load_dataset`, `available_datasets`, `load_data_file`), on generated and real data."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from workbench.data import (
    DATASET_NAMES,
    available_datasets,
    load_data_file,
    load_dataset,
    locations,
)
from workbench.data.readers import read_paper_split
from workbench.errors import DataNotFoundError, WorkbenchError


@pytest.fixture(autouse=True)
def no_downloads(offline_cache: Path) -> None:
    """Keep the user's cache out of the tests and make any download attempt fail."""


def ratings_dat(users: int, items_per_user: int) -> str:
    return "".join(
        f"{u}::{(u * 7 + k) % 50 + 1}::{k % 5 + 1}::97830{k:04d}\n" for u in range(1, users + 1) for k in range(items_per_user)
    )


def make_tree(root: Path) -> Path:
    """A small data directory with every dataset's layout (generated content)."""
    (root / "ml-1m").mkdir(parents=True)
    (root / "ml-1m" / "ratings.dat").write_text(ratings_dat(8, 12))
    (root / "ml-1m" / "movies.dat").write_bytes("1::Toy Story (1995)::Animation\n8::Café (1995)::Drama\n".encode("latin-1"))
    paper = root / "ml-1m" / "paper"
    paper.mkdir()
    users = np.repeat(np.arange(4), 5)
    with h5py.File(paper / "total_data.hdf5", "w") as handle:
        handle.create_dataset("user", data=users.astype(np.int32))
        handle.create_dataset("item", data=(np.arange(20) % 7 + 1).astype(np.int32))
        handle.create_dataset("rating", data=np.ones(20, dtype=np.float32))
    np.savez(paper / "index.npz", data=np.tile([0, 0, 0, 1, 2], 4))
    (root / "amazon-magazine").mkdir()
    (root / "amazon-magazine" / "Magazine_Subscriptions.csv").write_text(
        "".join(f"B{i},A{u},5.0,100{i}\n" for u in range(6) for i in range(u + 1))
    )
    for folder in ("lightgcn-gowalla", "lightgcn-yelp2018"):
        (root / folder).mkdir()
        (root / folder / "train.txt").write_text("0 0 1 2 3\n1 1 2 3\n2 0 4\n")
        (root / folder / "test.txt").write_text("0 4\n1 0\n2 1\n")
    (root / "netflix").mkdir()
    for part in (1, 2):
        (root / "netflix" / f"combined_data_{part}.txt").write_text(
            "".join(f"{m}:\n" + "".join(f"{c},{(c + m) % 5 + 1},2005-01-0{c}\n" for c in range(1, 5)) for m in (part, part + 2))
        )
    return root


def test_unknown_name_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"unknown dataset 'ml-2m'; valid names: ml-1m, amazon-magazine, ml-100k"):
        load_dataset("ml-2m", data_dir=tmp_path)
    assert set(DATASET_NAMES) == {
        "ml-1m", "amazon-magazine", "ml-100k", "gowalla", "yelp2018", "netflix", "ml-10m", "ml-20m", "synthetic-netflix"
    }


def test_generated_tree_loads_every_dataset(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    paper = load_dataset("ml-1m", data_dir=root)
    assert "paper split" in paper.split_origin
    assert paper.user_ids.tolist() == [1, 2, 3, 4]  # HDF5 user + 1 = MovieLens UserID
    assert (paper.train.nnz, paper.validation.nnz, paper.test.nnz) == (12, 4, 4)
    assert paper.item_titles[0] == "Toy Story (1995)"
    assert paper.item_genres[0] == "Animation"
    protocol = load_dataset("ml-1m", data_dir=root, split="protocol", seed=1)
    assert protocol.split_origin == "seeded 80/10/10 split, seed 1" and protocol.n_users == 8
    assert protocol.source.endswith("ratings.dat")
    magazine = load_dataset("amazon-magazine", data_dir=root)
    assert magazine.user_ids.tolist() == ["A2", "A3", "A4", "A5"]  # A0 (1 row) and A1 (2 rows) dropped
    gowalla = load_dataset("gowalla", data_dir=root)
    assert "LightGCN" in gowalla.split_origin and gowalla.test.nnz == 3
    assert gowalla.train.nnz + gowalla.validation.nnz == 9
    yelp = load_dataset("yelp2018", data_dir=root, split="protocol")
    assert yelp.split_origin.startswith("seeded") and yelp.n_users == 3
    netflix = load_dataset("netflix", data_dir=root)
    assert netflix.n_users == 4 and netflix.n_items == 4 and netflix.item_ids.tolist() == [1, 2, 3, 4]


def test_ml100k_titles_and_genres_from_u_item_and_u_genre(tmp_path: Path) -> None:
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text("".join(f"{u}\t{i}\t5\t1\n" for u in (1, 2, 3) for i in (1, 2, 3, 4)))
    flags = {1: "0|0|1", 2: "1|0|0", 3: "0|1|1", 4: "0|0|0"}
    (folder / "u.item").write_bytes(
        "".join(f"{i}|Movie {i} é|x||y|{flags[i]}\n" for i in (1, 2, 3, 4)).encode("latin-1")
    )
    (folder / "u.genre").write_text("unknown|0\nAction|1\nAdventure|2\n")
    data = load_dataset("ml-100k", data_dir=tmp_path)
    by_id = dict(zip(data.item_ids.tolist(), data.item_genres, strict=True))
    assert by_id == {1: "Adventure", 2: "unknown", 3: "Action|Adventure", 4: ""}
    assert dict(zip(data.item_ids.tolist(), data.item_titles, strict=True))[1] == "Movie 1 é"


def test_datasets_without_item_file_have_no_genres(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    (root / "ml-1m" / "movies.dat").unlink()
    data = load_dataset("ml-1m", data_dir=root)
    assert data.item_titles is None and data.item_genres is None
    assert load_dataset("gowalla", data_dir=root).item_genres is None


def test_split_choices(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    with pytest.raises(WorkbenchError, match="ml-100k has no published split"):
        load_dataset("ml-100k", data_dir=root, split="paper")
    with pytest.raises(WorkbenchError, match=r"split: expected 'paper', 'protocol' or None, got 'random'"):
        load_dataset("ml-1m", data_dir=root, split="random")  # type: ignore[arg-type]
    (root / "ml-1m" / "ratings.dat").unlink()
    # No raw ratings: "protocol" re-splits the paper files' rows.
    resplit = load_dataset("ml-1m", data_dir=root, split="protocol")
    assert resplit.split_origin.startswith("seeded") and resplit.n_users == 4


def test_missing_dataset_message_lists_the_files(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset("gowalla", data_dir=tmp_path)
    assert "lightgcn-gowalla/train.txt" in str(caught.value) and "lightgcn-gowalla/test.txt" in str(caught.value)
    with pytest.raises(DataNotFoundError, match=r"paper/total_data\.hdf5"):
        load_dataset("amazon-magazine", data_dir=tmp_path, split="paper")


def test_available_datasets(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    listing = {entry.name: entry for entry in available_datasets(empty)}
    assert list(listing) == list(DATASET_NAMES)
    assert not any(entry.available for entry in listing.values())
    assert "downloadable from https://files.grouplens.org" in listing["ml-1m"].location
    assert "netflix/combined_data_*.txt" in listing["netflix"].location
    full = {entry.name: entry for entry in available_datasets(make_tree(tmp_path / "full"))}
    not_in_tree = ("ml-100k", "ml-10m", "ml-20m", "synthetic-netflix")
    assert all(full[name].available for name in DATASET_NAMES if name not in not_in_tree)
    assert "total_data.hdf5" in full["ml-1m"].location and full["ml-1m"].description


def test_load_data_file(tmp_path: Path) -> None:
    path = tmp_path / "my_clicks.csv.gz"
    frame = pd.DataFrame({"user": np.repeat(["ann", "bob", "cy"], 4), "item": list("abcdabcebcdf")})
    frame.to_csv(path, index=False)
    data = load_data_file(path, seed=2)
    assert data.name == "my_clicks" and data.n_users == 3 and data.n_items == 6
    assert data.split_origin == "seeded 80/10/10 split, seed 2"
    with pytest.raises(WorkbenchError, match="min_interactions=5"):
        load_data_file(path, min_interactions=5)
    folder = make_tree(tmp_path / "tree") / "ml-1m" / "paper"
    assert "paper split" in load_data_file(folder).split_origin


# ----------------------------------------------------------------------------- real data


@pytest.mark.real_data
def test_real_ml1m_paper_split(real_data_dir: Path) -> None:
    start = time.perf_counter()
    data = load_dataset("ml-1m", data_dir=real_data_dir)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0
    assert (data.n_users, data.n_items) == (6040, 3706)
    assert (data.train.nnz, data.validation.nnz, data.test.nnz) == (791_718, 99_692, 108_799)
    assert data.statistics()["total"].interactions == 1_000_209  # no repeated pair: splits disjoint
    assert data.user_ids[0] == 1 and data.user_ids[-1] == 6040
    assert data.item_titles[0] == "Toy Story (1995)"
    assert data.item_genres[0] == "Animation|Children's|Comedy"
    assert all(data.item_genres)  # every ML-1M movie has at least one genre
    assert np.all(np.diff(data.test.indptr) >= 1)


@pytest.mark.real_data
def test_real_ml1m_protocol_gives_the_paper_counts(real_data_dir: Path) -> None:
    """Same per-user rule as the authors: every split's size equals the paper split's."""
    data = load_dataset("ml-1m", data_dir=real_data_dir, split="protocol", seed=0)
    assert data.source.endswith("ratings_no_timestamp.csv.gz")
    assert (data.n_users, data.n_items) == (6040, 3706)
    assert (data.train.nnz, data.validation.nnz, data.test.nnz) == (791_718, 99_692, 108_799)
    paper = load_dataset("ml-1m", data_dir=real_data_dir)
    assert np.array_equal(np.diff(data.train.indptr), np.diff(paper.train.indptr))  # per user, too
    assert (data.train != paper.train).nnz > 0  # but a different draw


@pytest.mark.real_data
def test_real_magazine_paper_split(real_data_dir: Path) -> None:
    rows = read_paper_split(real_data_dir / "amazon-magazine" / "paper")
    assert len(rows) == 12_689
    assert np.bincount(rows.split).tolist() == [5_984, 436, 6_269]
    data = load_dataset("amazon-magazine", data_dir=real_data_dir)
    assert (data.n_users, data.n_items) == (3_092, 1_305)
    # Binarised: repeated (user, item) rows collapse within a split; 298 pairs sit in two splits.
    assert (data.train.nnz, data.validation.nnz, data.test.nnz) == (5_934, 436, 6_145)
    assert data.statistics()["total"].interactions == 12_217


@pytest.mark.real_data
def test_real_magazine_protocol_from_csv(real_data_dir: Path) -> None:
    raw = pd.read_csv(
        real_data_dir / "amazon-magazine" / "Magazine_Subscriptions.csv", header=None, names=["item", "user", "r", "t"]
    ).drop_duplicates(["user", "item"])
    per_user = raw.groupby("user").size()
    kept = raw[raw.user.isin(per_user[per_user >= 3].index)]
    data = load_dataset("amazon-magazine", data_dir=real_data_dir, split="protocol")
    assert data.n_users == kept.user.nunique() == 2_825
    assert data.n_items == kept.item.nunique()
    assert data.statistics()["total"].interactions == len(kept)


@pytest.mark.real_data
def test_real_ml100k(real_data_dir: Path) -> None:
    data = load_dataset("ml-100k", data_dir=real_data_dir)
    assert (data.n_users, data.n_items) == (943, 1_682)
    assert data.statistics()["total"].interactions == 100_000
    assert data.item_titles[0] == "Toy Story (1995)"
    assert data.item_genres[0] == "Animation|Children's|Comedy"  # flags named by u.genre
    assert data.item_genres[data.item_ids.tolist().index(267)] == "unknown"


@pytest.mark.real_data
def test_real_gowalla(real_data_dir: Path) -> None:
    data = load_dataset("gowalla", data_dir=real_data_dir)
    assert (data.n_users, data.n_items) == (29_858, 40_981)
    assert data.train.nnz + data.validation.nnz == 810_128
    assert data.test.nnz == 217_242
    assert data.train.multiply(data.test).nnz == 0
    train_per_user = np.diff(data.train.indptr) + np.diff(data.validation.indptr)
    expected = np.maximum(1, train_per_user // 10)
    assert np.array_equal(np.diff(data.validation.indptr), expected)
    assert np.array_equal(data.user_ids, np.arange(29_858))


@pytest.mark.real_data
def test_real_available_datasets(real_data_dir: Path) -> None:
    listing = {entry.name: entry.available for entry in available_datasets(real_data_dir)}
    assert listing == {
        "ml-1m": True,
        "amazon-magazine": True,
        "ml-100k": True,
        "gowalla": True,
        "yelp2018": True,
        "netflix": False,
        "ml-10m": False,
        "ml-20m": False,
        "synthetic-netflix": False,
    }
