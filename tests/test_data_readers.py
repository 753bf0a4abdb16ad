"""Readers of every supported format, on small generated files with known answers, and bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from workbench.data.interactions import Interactions
from workbench.data.readers import (
    read_amazon_csv,
    read_lightgcn,
    read_movielens_100k,
    read_movielens_csv,
    read_movielens_dat,
    read_netflix,
    read_paper_split,
)
from workbench.data.titles import (
    ML100K_GENRES,
    read_movielens_genre_names,
    read_movielens_genres,
    read_movielens_titles,
)
from workbench.data.user_file import read_interactions_file
from workbench.errors import DataNotFoundError, WorkbenchError


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode(encoding)))
    else:
        path.write_bytes(text.encode(encoding))
    return path


def write_paper(folder: Path, users, items, ratings, index) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / "total_data.hdf5", "w") as handle:
        handle.create_dataset("user", data=np.asarray(users, dtype=np.int32))
        handle.create_dataset("item", data=np.asarray(items, dtype=np.int32))
        if ratings is not None:
            handle.create_dataset("rating", data=np.asarray(ratings, dtype=np.float32))
    np.savez_compressed(folder / "index.npz", data=np.asarray(index))
    return folder


# ----------------------------------------------------------------------------- paper split


def test_paper_split_drops_minus_one_rows_and_keeps_the_split(tmp_path: Path) -> None:
    folder = write_paper(
        tmp_path / "paper",
        users=[0, 0, 0, 1, 2, 2, 2, 2],
        items=[5, 6, 7, 5, 8, 9, 5, 6],
        ratings=[1, 2, 3, 4, 5, 1, 2, 3],
        index=[0, 1, 2, -1, 0, 0, 2, 2],
    )
    rows = read_paper_split(folder)
    assert isinstance(rows, Interactions)
    assert rows.users.tolist() == [0, 0, 0, 2, 2, 2, 2]
    assert rows.items.tolist() == [5, 6, 7, 8, 9, 5, 6]
    assert rows.ratings.tolist() == [1, 2, 3, 5, 1, 2, 3]
    assert rows.split.tolist() == [0, 1, 2, 0, 0, 2, 2]
    assert rows.split.dtype == np.int8 and rows.users.dtype == np.int64
    assert "paper split" in rows.split_origin


def test_paper_split_without_ratings(tmp_path: Path) -> None:
    folder = write_paper(tmp_path / "p", [0, 1, 1], [1, 2, 3], None, [0, 2, 0])
    rows = read_paper_split(folder)
    assert rows.ratings is None and len(rows) == 3


def test_paper_split_missing_files_name_them(tmp_path: Path) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()
    with pytest.raises(DataNotFoundError, match=r"total_data\.hdf5.*index\.npz"):
        read_paper_split(folder)


def test_paper_split_index_length_mismatch(tmp_path: Path) -> None:
    folder = write_paper(tmp_path / "p", [0, 1, 1], [1, 2, 3], [1, 1, 1], [0, 2])
    with pytest.raises(WorkbenchError, match=r"index\.npz.*2 entries.*\(3\)"):
        read_paper_split(folder)


def test_paper_split_unknown_code(tmp_path: Path) -> None:
    folder = write_paper(tmp_path / "p", [0, 1, 1], [1, 2, 3], [1, 1, 1], [0, 7, 2])
    with pytest.raises(WorkbenchError, match=r"index\.npz: entry 1 is 7"):
        read_paper_split(folder)


def test_paper_split_missing_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    with h5py.File(folder / "total_data.hdf5", "w") as handle:
        handle.create_dataset("user", data=np.arange(3))
    np.savez(folder / "index.npz", data=np.zeros(3))
    with pytest.raises(WorkbenchError, match=r"total_data\.hdf5.*'item'"):
        read_paper_split(folder)


# ----------------------------------------------------------------------------- MovieLens


def test_movielens_100k(tmp_path: Path) -> None:
    path = write(tmp_path / "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n")
    rows = read_movielens_100k(path)
    assert rows.users.tolist() == [196, 186, 22]
    assert rows.items.tolist() == [242, 302, 377]
    assert rows.ratings.tolist() == [3.0, 3.0, 1.0]
    assert rows.ratings.dtype == np.float32 and rows.split is None
    assert rows.source == str(path)


def test_movielens_dat_plain_gz_and_crlf(tmp_path: Path) -> None:
    text = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
    plain = read_movielens_dat(write(tmp_path / "ratings.dat", text))
    packed = read_movielens_dat(write(tmp_path / "ratings.dat.gz", text))
    windows = read_movielens_dat(write(tmp_path / "crlf.dat", text.replace("\n", "\r\n")))
    for rows in (plain, packed, windows):
        assert rows.users.tolist() == [1, 1, 2]
        assert rows.items.tolist() == [1193, 661, 1193]
        assert rows.ratings.tolist() == [5, 3, 4]


def test_movielens_dat_skips_blank_lines_and_missing_final_newline(tmp_path: Path) -> None:
    rows = read_movielens_dat(write(tmp_path / "ratings.dat", "1::2::5::1\n\n3::4::2::1"))
    assert rows.users.tolist() == [1, 3] and rows.items.tolist() == [2, 4]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("1::2::5::100\n1::3::4::101\nxx\n", 3, "4 fields, found 1"),
        ("1::2::5::100\n1::3.5::4::101\n", 2, "item is not an integer: '3.5'"),
        ("u1::2::5::100\n", 1, "user is not an integer: 'u1'"),
        ("1::2::5::100::7\n1::3::4::101\n", 1, "4 fields, found 5"),
        ("1::2::5::100\n\n1::3::4::101::9\n", 3, "4 fields, found 5"),
        ("1::2::5::100\n1::3::4\n", 2, "4 fields, found 3"),
        ("1::2::five::100\n", 1, "rating is not a number: 'five'"),
    ],
)
def test_movielens_dat_bad_line_is_named(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = write(tmp_path / "ratings.dat", text)
    with pytest.raises(WorkbenchError) as caught:
        read_movielens_dat(path)
    message = str(caught.value)
    assert f"ratings.dat line {line}: expected 'user::item::rating::timestamp'" in message
    assert reason in message


def test_movielens_dat_example_message_from_the_brief(tmp_path: Path) -> None:
    good = "".join(f"{u}::{u + 10}::4::978300760\n" for u in range(1, 17))
    path = write(tmp_path / "ratings.dat", good + "xx\n")
    with pytest.raises(WorkbenchError, match=r"ratings\.dat line 17: expected 'user::item::rating::timestamp'.*got 'xx'"):
        read_movielens_dat(path)


def test_movielens_100k_bad_line(tmp_path: Path) -> None:
    path = write(tmp_path / "u.data", "1\t2\t5\t100\n2\tb\t3\t5\n")
    with pytest.raises(WorkbenchError, match=r"u\.data line 2: .*item is not an integer: 'b'"):
        read_movielens_100k(path)


def test_missing_files_raise_data_not_found(tmp_path: Path) -> None:
    for reader in (read_movielens_100k, read_movielens_dat, read_movielens_csv, read_amazon_csv, read_netflix):
        with pytest.raises(DataNotFoundError, match=r"nope\.txt.*does not exist"):
            reader(tmp_path / "nope.txt")
    with pytest.raises(DataNotFoundError, match="is a directory"):
        read_movielens_dat(tmp_path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"empty\.dat: no interactions found"):
        read_movielens_dat(write(tmp_path / "empty.dat", "\n\n"))


def test_movielens_csv_both_headers(tmp_path: Path) -> None:
    derived = write(tmp_path / "r.csv.gz", "user_id,movie_id,rating\n1,1193,5\n1,661,3\n6040,1,1\n")
    latest = write(tmp_path / "ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n5,3,3.5,964981247\n")
    rows = read_movielens_csv(derived)
    assert rows.users.tolist() == [1, 1, 6040] and rows.items.tolist() == [1193, 661, 1]
    rows = read_movielens_csv(latest)
    assert rows.users.tolist() == [1, 5] and rows.ratings.tolist() == [4.0, 3.5]


def test_movielens_csv_bad_header_and_bad_line(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"r\.csv line 1: expected a header"):
        read_movielens_csv(write(tmp_path / "r.csv", "1,1193,5\n"))
    with pytest.raises(WorkbenchError, match=r"r2\.csv line 3: .*movie_id is not an integer: 'abc'"):
        read_movielens_csv(write(tmp_path / "r2.csv", "user_id,movie_id,rating\n1,2,3\n1,abc,3\n"))


# ----------------------------------------------------------------------------- Amazon


def test_amazon_csv_string_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path / "Magazine_Subscriptions.csv",
        "B00005N7P0,AH2IFH762VY5U,5.0,1005177600\nB00005N7P0,AOSFI0JEYU4XM,5.0,1004486400\n"
        "B00005N7OJ,AH2IFH762VY5U,3.0,1174694400\n",
    )
    rows = read_amazon_csv(path)
    assert rows.users.dtype == object
    assert rows.users.tolist() == ["AH2IFH762VY5U", "AOSFI0JEYU4XM", "AH2IFH762VY5U"]
    assert rows.items.tolist() == ["B00005N7P0", "B00005N7P0", "B00005N7OJ"]
    assert rows.ratings.tolist() == [5.0, 5.0, 3.0]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("B1,A1,5.0,100\nB2,A2,x,100\n", 2, "rating is not a number: 'x'"),
        ("B1,A1,5.0,100\nB2,A2,5.0\n", 2, "4 fields, found 3"),
        ("B1,A1,5.0,100\nB2,,5.0,100\n", 2, "user is empty"),
        ("B1,A1,5.0,100,9\n", 1, "4 fields, found 5"),
    ],
)
def test_amazon_csv_bad_lines(tmp_path: Path, text: str, line: int, reason: str) -> None:
    with pytest.raises(WorkbenchError) as caught:
        read_amazon_csv(write(tmp_path / "mag.csv", text))
    assert f"mag.csv line {line}: expected 'item,user,rating,timestamp'" in str(caught.value)
    assert reason in str(caught.value)


# ----------------------------------------------------------------------------- LightGCN


def test_lightgcn_split_and_validation_carve(tmp_path: Path) -> None:
    train_lines = ["0 " + " ".join(str(i) for i in range(20)), "1 3 4", "2 7", "3", "", "4 1 2 3 4 5 6 7 8 9 10 11"]
    train = write(tmp_path / "train.txt", "\n".join(train_lines) + "\n")
    test = write(tmp_path / "test.txt", "0 25 26\n1 5\n2 8\n3 9\n4 12\n")
    rows = read_lightgcn(train, test, seed=3)
    assert len(rows) == 20 + 2 + 1 + 11 + 6
    test_rows = rows.split == 2
    assert sorted(zip(rows.users[test_rows].tolist(), rows.items[test_rows].tolist(), strict=True)) == [
        (0, 25), (0, 26), (1, 5), (2, 8), (3, 9), (4, 12)
    ]
    validation = {user: int(((rows.users == user) & (rows.split == 1)).sum()) for user in range(5)}
    # t train items -> max(1, floor(t / 10)) to validation when t >= 2: 20 -> 2, 2 -> 1, 1 -> 0, 11 -> 1
    assert validation == {0: 2, 1: 1, 2: 0, 3: 0, 4: 1}
    assert "LightGCN" in rows.split_origin and "seed 3" in rows.split_origin
    again = read_lightgcn(train, test, seed=3)
    other = read_lightgcn(train, test, seed=4)
    assert np.array_equal(again.split, rows.split)
    assert not np.array_equal(other.split, rows.split)


def test_lightgcn_non_integer_id(tmp_path: Path) -> None:
    train = write(tmp_path / "train.txt", "0 1 2 3\n1 2 x\n")
    test = write(tmp_path / "test.txt", "0 4\n")
    with pytest.raises(WorkbenchError, match=r"train\.txt line 2: expected 'user item item \.\.\.' .*'x'"):
        read_lightgcn(train, test)
    bad_test = write(tmp_path / "test2.txt", "0 4\n\n1 2.5\n")
    with pytest.raises(WorkbenchError, match=r"test2\.txt line 3: .*'2\.5'"):
        read_lightgcn(write(tmp_path / "ok.txt", "0 1\n"), bad_test)


def test_lightgcn_missing_test_file(tmp_path: Path) -> None:
    train = write(tmp_path / "train.txt", "0 1 2\n")
    with pytest.raises(DataNotFoundError, match=r"test\.txt"):
        read_lightgcn(train, tmp_path / "test.txt")


# ----------------------------------------------------------------------------- Netflix


def test_netflix_two_files(tmp_path: Path) -> None:
    first = write(
        tmp_path / "combined_data_1.txt",
        "1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n1488844,4,2005-09-07\n",
    )
    second = write(tmp_path / "combined_data_2.txt", "17770:\n822109,1,2005-01-01\r\n")
    rows = read_netflix([first, second])
    assert rows.users.tolist() == [1488844, 822109, 1488844, 822109]
    assert rows.items.tolist() == [1, 1, 2, 17770]
    assert rows.ratings.tolist() == [3, 5, 4, 1]
    single = read_netflix(first)
    assert len(single) == 3


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("10,3,2005-01-01\n1:\n11,4,2005-01-02\n", 1, "'MOVIEID:' line must come before"),
        ("1:\n10,3,2005-01-01\n1x1,4,2005-01-02\n", 3, "customer is not an integer: '1x1'"),
        ("1:\n10,3,2005-01-01\nab:\n", 3, "movie id is not an integer: 'ab'"),
        ("1:\n10,3\n", 2, "3 fields, found 2"),
        ("1:\n10,3,2005-01-01,7\n", 2, "3 fields, found 4"),
    ],
)
def test_netflix_bad_lines(tmp_path: Path, text: str, line: int, reason: str) -> None:
    with pytest.raises(WorkbenchError) as caught:
        read_netflix(write(tmp_path / "combined_data_1.txt", text))
    assert f"combined_data_1.txt line {line}: expected 'MOVIEID: then customer,rating,date'" in str(caught.value)
    assert reason in str(caught.value)


def test_netflix_no_files() -> None:
    with pytest.raises(DataNotFoundError, match="combined_data"):
        read_netflix([])


# ----------------------------------------------------------------------------- user files


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("mine.csv", "user,item,rating\na,x,1\nb,y,2\n\nc,z,3\n"),
        ("mine.tsv", "a\tx\t1\nb\ty\t2\nc\tz\t3\n"),
        ("mine.txt", "a x 1\nb y 2\nc z 3\n"),
        ("mine.txt.gz", "USER_ID;ITEM_ID;score\na;x;1\nb;y;2\nc;z;3\n"),
        ("mine.dat", "a::x::1\nb::y::2\nc::z::3\n"),
    ],
)
def test_user_file_formats(tmp_path: Path, name: str, text: str) -> None:
    rows = read_interactions_file(write(tmp_path / name, text))
    assert rows.users.tolist() == ["a", "b", "c"]
    assert rows.items.tolist() == ["x", "y", "z"]
    assert rows.ratings.tolist() == [1, 2, 3]


def test_user_file_integer_ids_and_no_rating(tmp_path: Path) -> None:
    rows = read_interactions_file(write(tmp_path / "pairs.csv", "10,20\n11,21\n10,22\n"))
    assert rows.users.dtype == np.int64 and rows.users.tolist() == [10, 11, 10]
    assert rows.items.tolist() == [20, 21, 22] and rows.ratings is None


def test_user_file_named_columns_in_any_order(tmp_path: Path) -> None:
    rows = read_interactions_file(write(tmp_path / "t.csv", "timestamp,item_id,user_id\n5,100,1\n6,101,2\n"))
    assert rows.users.tolist() == [1, 2] and rows.items.tolist() == [100, 101] and rows.ratings is None


def test_user_file_non_numeric_third_column_is_not_a_rating(tmp_path: Path) -> None:
    rows = read_interactions_file(write(tmp_path / "t.csv", "1,2,2020-01-01\n3,4,2020-01-02\n"))
    assert rows.ratings is None and rows.users.tolist() == [1, 3]


def test_user_file_parquet(tmp_path: Path) -> None:
    path = tmp_path / "mine.parquet"
    pd.DataFrame({"user": [1, 2, 2], "item": ["a", "b", "c"], "rating": [1.0, 2.0, 3.5]}).to_parquet(path)
    rows = read_interactions_file(path)
    assert rows.users.tolist() == [1, 2, 2] and rows.items.tolist() == ["a", "b", "c"]
    assert rows.ratings.tolist() == [1.0, 2.0, 3.5]
    unnamed = tmp_path / "unnamed.parquet"
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_parquet(unnamed)
    assert read_interactions_file(unnamed).items.tolist() == [3, 4]


def test_user_file_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"mine2\.csv line 5: expected 'user,item\[,rating\]' \(item is empty\)"):
        read_interactions_file(write(tmp_path / "mine2.csv", "\n\nuser,item,rating\na,x,1\nb,,2\n"))
    with pytest.raises(WorkbenchError, match=r"bad\.csv line 3: .*rating is not a number: 'high'"):
        read_interactions_file(write(tmp_path / "bad.csv", "user,item,rating\na,x,1\nb,y,high\n"))
    with pytest.raises(WorkbenchError, match=r"long\.tsv line 2: .*3 fields, found 4"):
        read_interactions_file(write(tmp_path / "long.tsv", "a\tx\t1\nb\ty\t2\t9\n"))
    with pytest.raises(WorkbenchError, match=r"one\.csv line 1: .*2 fields"):
        read_interactions_file(write(tmp_path / "one.csv", "a\nb\n"))
    with pytest.raises(WorkbenchError, match=r"empty\.csv: no interactions"):
        read_interactions_file(write(tmp_path / "empty.csv", ""))
    with pytest.raises(DataNotFoundError, match=r"absent\.csv"):
        read_interactions_file(tmp_path / "absent.csv")
    with pytest.raises(WorkbenchError, match=r"broken\.parquet: not a readable parquet"):
        read_interactions_file(write(tmp_path / "broken.parquet", "not parquet"))


# ----------------------------------------------------------------------------- titles


def test_movielens_titles_latin1(tmp_path: Path) -> None:
    movies = write(tmp_path / "movies.dat", "1::Toy Story (1995)::Animation\n2::Café (1999)::Drama\n", "latin-1")
    item = write(tmp_path / "u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0\n7|Müde (1995)|x||y|0\n", "latin-1")
    assert read_movielens_titles(movies) == {1: "Toy Story (1995)", 2: "Café (1999)"}
    assert read_movielens_titles(item) == {1: "Toy Story (1995)", 7: "Müde (1995)"}
    with pytest.raises(WorkbenchError, match=r"bad\.dat line 2"):
        read_movielens_titles(write(tmp_path / "bad.dat", "1::A::B\nzz\n"))


# ----------------------------------------------------------------------------- genres


def test_movielens_1m_genres(tmp_path: Path) -> None:
    movies = write(
        tmp_path / "movies.dat",
        "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Café (1999)::Drama\n3::No genres (2000)\n",
        "latin-1",
    )
    assert read_movielens_genres(movies) == {1: "Animation|Children's|Comedy", 2: "Drama", 3: ""}
    with pytest.raises(WorkbenchError, match=r"bad\.dat line 2: expected 'id::title::genres'"):
        read_movielens_genres(write(tmp_path / "bad.dat", "1::A::B\nzz::C::D\n"))


def u_item_line(item: int, title: str, flags: list[int]) -> str:
    return f"{item}|{title}|01-Jan-1995||http://x|" + "|".join(map(str, flags)) + "\n"


def test_movielens_100k_genres_use_u_genre_beside_the_file(tmp_path: Path) -> None:
    toy = [0, 0, 0, 1, 1, 1] + [0] * 13  # Animation, Children's, Comedy
    unknown = [1] + [0] * 18
    item = write(tmp_path / "u.item", u_item_line(1, "Toy Story (1995)", toy) + u_item_line(267, "unknown", unknown), "latin-1")
    assert read_movielens_genres(item) == {1: "Animation|Children's|Comedy", 267: "unknown"}  # no u.genre: defaults
    write(tmp_path / "u.genre", "".join(f"G{j}|{j}\n" for j in range(19)) + "\n")
    assert read_movielens_genres(item) == {1: "G3|G4|G5", 267: "G0"}
    assert read_movielens_genres(item, genre_names=ML100K_GENRES)[1] == "Animation|Children's|Comedy"
    short = write(tmp_path / "short" / "u.item", "7|Müde (1995)|x||y|0|1\n8|No flags|x||y\n", "latin-1")
    assert read_movielens_genres(short) == {7: "Action", 8: ""}  # missing flags count as 0


def test_movielens_100k_genre_errors(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"line 1: 20 genre flags but 19 genre names"):
        read_movielens_genres(write(tmp_path / "a" / "u.item", u_item_line(1, "A", [0] * 20)))
    with pytest.raises(WorkbenchError, match=r"line 2: genre flags must be 0 or 1, got '0\|2'"):
        read_movielens_genres(write(tmp_path / "b" / "u.item", u_item_line(1, "A", [0]) + u_item_line(2, "B", [0, 2])))
    with pytest.raises(WorkbenchError, match=r"line 1: expected 'id\|title\|...\|genre flags'"):
        read_movielens_genres(write(tmp_path / "c" / "u.item", "x|A|b||c|0\n"))


def test_movielens_genre_names(tmp_path: Path) -> None:
    assert read_movielens_genre_names(write(tmp_path / "u.genre", "unknown|0\nAction|1\n\n")) == ("unknown", "Action")
    assert read_movielens_genre_names(write(tmp_path / "v.genre", "B|1\nA|0\n")) == ("A", "B")  # by position
    with pytest.raises(WorkbenchError, match=r"line 2: expected 'genre\|position'"):
        read_movielens_genre_names(write(tmp_path / "bad.genre", "A|0\nB\n"))
    with pytest.raises(WorkbenchError, match=r"expected genre positions 0 to 1, got \[0, 2\]"):
        read_movielens_genre_names(write(tmp_path / "gap.genre", "A|0\nB|2\n"))
    assert len(ML100K_GENRES) == 19 and ML100K_GENRES[0] == "unknown" and ML100K_GENRES[-1] == "Western"
