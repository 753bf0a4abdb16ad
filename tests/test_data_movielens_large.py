"""MovieLens-10M and -20M: their readers, titles, named datasets and (never real) downloads, on small generated files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pooch
import pytest

from workbench.data import DATASET_NAMES, available_datasets, load_dataset, locations
from workbench.data.readers import read_movielens_csv, read_movielens_dat
from workbench.data.titles import read_movielens_genres, read_movielens_titles
from test_data_locations import cache  # noqa: F401  (the same private, offline cache fixture)
from workbench.errors import DataNotFoundError, WorkbenchError

#: ML-10M layout: `UserID::MovieID::Rating::Timestamp`, half-star ratings.
RATINGS_DAT = "".join(
    f"{user}::{movie}::{(user + movie) % 10 / 2 + 0.5:g}::83898{user}{movie:03d}\n"
    for user in (1, 2, 3, 5)
    for movie in (1, 2, 10, 122, 185)
)
#: ML-10M's movies.dat is UTF-8.
MOVIES_DAT = (
    "1::Toy Story (1995)::Adventure|Animation|Children|Comedy|Fantasy\n"
    "2::Jumanji (1995)::Adventure|Children|Fantasy\n"
    "10::GoldenEye (1995)::Action|Adventure|Thriller\n"
    "122::Boomerang (1992)::Comedy|Romance\n"
    "185::Café Society (1995)::Drama\n"
)
#: ML-20M layout: header `userId,movieId,rating,timestamp`.
RATINGS_CSV = "userId,movieId,rating,timestamp\n" + "".join(
    f"{user},{movie},{(user * movie) % 10 / 2 + 0.5:g},11125{user}{movie:04d}\n"
    for user in (1, 2, 4)
    for movie in (2, 29, 32, 131262)
)
MOVIES_CSV = (
    "movieId,title,genres\n"
    "2,Jumanji (1995),Adventure|Children|Fantasy\n"
    '29,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Adventure|Drama|Fantasy|Mystery|Sci-Fi\n'
    '32,"Twelve Monkeys (a.k.a. 12 Monkeys) (1995)",Mystery|Sci-Fi|Thriller\n'
    "131262,Innocence (2014),(no genres listed)\n"
)




def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def test_ml10m_ratings_dat_with_half_stars(tmp_path: Path) -> None:
    rows = read_movielens_dat(write(tmp_path / "ratings.dat", RATINGS_DAT))
    assert len(rows) == 20 and rows.users.dtype == np.int64 and rows.ratings.dtype == np.float32
    assert rows.users[:5].tolist() == [1] * 5 and rows.items[:5].tolist() == [1, 2, 10, 122, 185]
    assert rows.ratings[:3].tolist() == [1.5, 2.0, 1.0]  # (user + movie) % 10 / 2 + 0.5


def test_ml20m_ratings_csv_with_header(tmp_path: Path) -> None:
    rows = read_movielens_csv(write(tmp_path / "ratings.csv", RATINGS_CSV))
    assert len(rows) == 12
    assert rows.users.tolist()[:4] == [1, 1, 1, 1] and rows.items.tolist()[:4] == [2, 29, 32, 131262]
    assert rows.ratings[:2].tolist() == [1.5, 5.0]  # (user * movie) % 10 / 2 + 0.5
    with pytest.raises(WorkbenchError, match=r"ratings\.csv line 3: expected"):
        read_movielens_csv(write(tmp_path / "bad" / "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n1,x,3,4\n"))


def test_titles_and_genres_of_utf8_movies_dat_and_movies_csv(tmp_path: Path) -> None:
    dat = write(tmp_path / "ml-10m" / "movies.dat", MOVIES_DAT)
    assert read_movielens_titles(dat)[185] == "Café Society (1995)"  # UTF-8, not latin-1 mojibake
    assert read_movielens_genres(dat)[122] == "Comedy|Romance"
    csv = write(tmp_path / "ml-20m" / "movies.csv", MOVIES_CSV)
    titles, genres = read_movielens_titles(csv), read_movielens_genres(csv)
    assert titles[29] == "City of Lost Children, The (Cité des enfants perdus, La) (1995)"
    assert genres == {
        2: "Adventure|Children|Fantasy",
        29: "Adventure|Drama|Fantasy|Mystery|Sci-Fi",
        32: "Mystery|Sci-Fi|Thriller",
        131262: "",  # "(no genres listed)"
    }
    with pytest.raises(WorkbenchError, match=r"movies\.csv line 1: expected the header 'movieId,title,genres'"):
        read_movielens_titles(write(tmp_path / "bad" / "movies.csv", "1,A,B\n"))
    with pytest.raises(WorkbenchError, match=r"movies\.csv line 3: expected 'movieId,title,genres'"):
        read_movielens_genres(write(tmp_path / "bad2" / "movies.csv", "movieId,title,genres\n1,A,B\nx,C,D\n"))


def test_latin1_movies_dat_still_reads_as_latin1(tmp_path: Path) -> None:
    path = tmp_path / "movies.dat"
    path.write_bytes("1::Café (1999)::Drama\n".encode("latin-1"))
    assert read_movielens_titles(path) == {1: "Café (1999)"}


def test_names_are_registered() -> None:
    assert {"ml-10m", "ml-20m", "synthetic-netflix"} <= set(DATASET_NAMES)


@pytest.mark.parametrize("folder", ["ml-10m", "ml-10M100K"])
def test_ml10m_loads_from_either_folder_with_titles(tmp_path: Path, cache: Path, folder: str) -> None:
    write(tmp_path / folder / "ratings.dat", RATINGS_DAT)
    write(tmp_path / folder / "movies.dat", MOVIES_DAT)
    data = load_dataset("ml-10m", data_dir=tmp_path, seed=2)
    assert data.n_users == 4 and data.n_items == 5
    assert data.split_origin == "seeded 80/10/10 split, seed 2"
    assert data.source.endswith(f"{folder}/ratings.dat")
    assert dict(zip(data.item_ids.tolist(), data.item_titles, strict=True))[185] == "Café Society (1995)"
    assert data.item_genres[0] == "Adventure|Animation|Children|Comedy|Fantasy"


def test_ml20m_loads_with_titles(tmp_path: Path, cache: Path) -> None:
    write(tmp_path / "ml-20m" / "ratings.csv", RATINGS_CSV)
    write(tmp_path / "ml-20m" / "movies.csv", MOVIES_CSV)
    data = load_dataset("ml-20m", data_dir=tmp_path)
    assert (data.n_users, data.n_items) == (3, 4)
    assert data.item_ids.tolist() == [2, 29, 32, 131262]
    assert data.item_titles[0] == "Jumanji (1995)" and data.item_genres[3] == ""
    listing = {row.name: row for row in available_datasets(tmp_path)}
    assert listing["ml-20m"].available and not listing["ml-10m"].available
    assert "downloadable from https://files.grouplens.org/datasets/movielens/ml-10m.zip" in listing["ml-10m"].location


def test_offline_download_says_which_files_to_put_where(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset("ml-10m", data_dir=tmp_path)
    message = str(caught.value)
    assert "no network in tests" in message and "ml-10m.zip" in message and "/ml-10M100K/" in message
    with pytest.raises(DataNotFoundError, match=r"ratings\.csv and movies\.csv from ml-20m\.zip.*ml-20m/"):
        load_dataset("ml-20m", data_dir=tmp_path)
    with pytest.raises(DataNotFoundError, match=r"download=False"):
        load_dataset("ml-20m", data_dir=tmp_path, download=False)


@pytest.mark.parametrize(
    ("name", "folder", "files", "sha256"),
    [
        (
            "ml-10m",
            "ml-10M100K",
            {"ratings.dat": RATINGS_DAT, "movies.dat": MOVIES_DAT, "tags.dat": ""},
            "813c411ccb6122564edfe752e7f80c4dcc5aa25fa94c93622f6877a7ba252862",
        ),
        (
            "ml-20m",
            "ml-20m",
            {"ratings.csv": RATINGS_CSV, "movies.csv": MOVIES_CSV, "links.csv": "movieId,imdbId,tmdbId\n"},
            "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
        ),
    ],
)
def test_fake_download_unzips_into_the_cache_and_loads(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, name: str, folder: str, files: dict, sha256: str
) -> None:
    """What pooch would do online, done by hand: save the zip, run the processor it was given."""
    requests = []

    def fake_retrieve(url, known_hash, fname, path, processor, progressbar):
        requests.append((url, known_hash, fname))
        archive = Path(path) / fname
        with zipfile.ZipFile(archive, "w") as handle:
            for file, text in files.items():
                handle.writestr(f"{folder}/{file}", text)
        return processor(str(archive), "download", None)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    empty = tmp_path / "data"
    empty.mkdir()
    data = load_dataset(name, data_dir=empty)
    assert requests == [(f"https://files.grouplens.org/datasets/movielens/{name}.zip", f"sha256:{sha256}", f"{name}.zip")]
    assert (cache / folder / next(iter(files))).is_file()
    assert data.item_titles is not None and all(data.item_titles)
    load_dataset(name, data_dir=empty)  # found in the cache: no second download
    assert len(requests) == 1


def test_download_missing_files_are_named(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_retrieve(url, known_hash, fname, path, processor, progressbar):
        archive = Path(path) / fname
        with zipfile.ZipFile(archive, "w") as handle:
            handle.writestr("ml-10M100K/ratings.dat", RATINGS_DAT)  # no movies.dat
        return processor(str(archive), "download", None)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    with pytest.raises(DataNotFoundError, match=r"ml-10m\.zip did not contain movies\.dat"):
        load_dataset("ml-10m", data_dir=tmp_path)
