"""Readers of public recommender-data formats; each returns an `Interactions` in file order.

| reader                   | format                                                             | ids      |
| ------------------------ | ------------------------------------------------------------------ | -------- |
| `read_paper_split`       | ∞-AE authors' `total_data.hdf5` + `index.npz` (split 0/1/2, −1 dropped) | int      |
| `read_movielens_100k`    | ML-100K `u.data`: `user<TAB>item<TAB>rating<TAB>timestamp`          | int      |
| `read_movielens_dat`     | ML-1M/10M `ratings.dat`: `user::item::rating::timestamp` (.gz ok)   | int      |
| `read_movielens_csv`     | CSV with header `user_id,movie_id,rating[,...]` or `userId,movieId,rating,timestamp` | int |
| `read_amazon_csv`        | Amazon 2018 ratings-only CSV, no header: `item,user,rating,timestamp` | str    |
| `read_lightgcn`          | LightGCN `train.txt`/`test.txt`: `user item item ...` per line      | int      |
| `read_netflix`           | Netflix Prize `combined_data_*.txt`: `MOVIEID:` then `customer,rating,date` | int |
| `read_interactions_file` | a user's CSV/TSV/TXT/parquet of `user,item[,rating]` (`user_file.py`) | int/str |
| `read_movielens_titles`  | `movies.dat` / `u.item` titles, {id: title} (`titles.py`)         | int      |

Every reader parses with a pandas/numpy fast path; when that path rejects the file, the first
malformed line is located and reported as `<file> line <k>: expected '<layout>' (<why>), got '<line>'`
(WorkbenchError). A rating must be a finite number within float32's range (`inf`, `nan`, `1e39`
are refused that way). A missing file raises DataNotFoundError naming the path. Files ending in
`.gz` are decompressed; a leading UTF-8 byte-order mark is ignored.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from workbench.data import _text
from workbench.data.interactions import TEST, TRAIN, Interactions
from workbench.data.protocol import carve_validation
from workbench.data.titles import read_movielens_titles
from workbench.data.user_file import read_interactions_file
from workbench.errors import DataNotFoundError, WorkbenchError
from workbench.validation import check_seed

__all__ = [
    "read_amazon_csv",
    "read_interactions_file",
    "read_lightgcn",
    "read_movielens_100k",
    "read_movielens_csv",
    "read_movielens_dat",
    "read_movielens_titles",
    "read_netflix",
    "read_paper_split",
]

PathLike = str | os.PathLike[str]

_FAST_PATH_ERRORS = (ValueError, UnicodeDecodeError, pd.errors.ParserWarning, OverflowError)


# --------------------------------------------------------------------------- the authors' files


def read_paper_split(folder: PathLike) -> Interactions:
    """The ∞-AE authors' preprocessed data and split: `folder/total_data.hdf5` + `folder/index.npz`.

    HDF5 datasets `user`, `item` (integers) and optionally `rating`; `index.npz` key `data`, one
    code per HDF5 row: 0 train, 1 validation, 2 test, −1 dropped (users with < 3 ratings). Rows
    coded −1 are left out; the others keep their code as `split` (the paper's exact split).
    Ids are returned as stored (ML-1M: user = UserID − 1, item = MovieID; Magazine: the authors'
    own numbering).
    """
    base = Path(folder)
    data_path, index_path = base / "total_data.hdf5", base / "index.npz"
    missing = [path.name for path in (data_path, index_path) if not path.is_file()]
    if missing:
        raise DataNotFoundError(
            f"{base}: the paper split needs total_data.hdf5 and index.npz there; missing: {', '.join(missing)}"
        )
    try:
        with h5py.File(data_path, "r") as handle:
            absent = [key for key in ("user", "item") if key not in handle]
            if absent:
                raise WorkbenchError(
                    f"{data_path}: expected HDF5 datasets 'user' and 'item', missing {absent}; "
                    f"found {sorted(handle.keys())}"
                )
            users = np.asarray(handle["user"][:])
            items = np.asarray(handle["item"][:])
            ratings = np.asarray(handle["rating"][:], dtype=np.float32) if "rating" in handle else None
    except OSError as error:
        raise WorkbenchError(f"{data_path}: not a readable HDF5 file ({error})") from error
    try:
        with np.load(index_path) as archive:
            if "data" not in archive:
                raise WorkbenchError(f"{index_path}: expected an array named 'data', found {archive.files}")
            index = np.asarray(archive["data"])
    except (OSError, ValueError) as error:
        raise WorkbenchError(f"{index_path}: not a readable .npz file ({error})") from error
    for name, array in (("user", users), ("item", items)):
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise WorkbenchError(f"{data_path}: dataset '{name}' must be 1-D integers, got {array.dtype} {array.shape}")
    lengths = {users.shape[0], items.shape[0]} | ({ratings.shape[0]} if ratings is not None else set())
    if len(lengths) != 1:
        raise WorkbenchError(f"{data_path}: datasets 'user', 'item', 'rating' differ in length: {sorted(lengths)}")
    if index.shape != users.shape:
        raise WorkbenchError(
            f"{index_path}: 'data' has {index.size} entries, expected one per row of "
            f"{data_path.name} ({users.shape[0]})"
        )
    unknown = ~np.isin(index, (-1, 0, 1, 2))
    if unknown.any():
        where = int(np.flatnonzero(unknown)[0])
        raise WorkbenchError(
            f"{index_path}: entry {where} is {index[where].item()!r}, expected -1 (dropped), 0, 1 or 2"
        )
    keep = index != -1
    return Interactions(
        users=users[keep],
        items=items[keep],
        ratings=None if ratings is None else ratings[keep],
        split=index[keep].astype(np.int8),
        source=str(base),
        split_origin="paper split (the ∞-AE authors' index.npz)",
    )


# --------------------------------------------------------------------------- fixed-layout text


def _read_delimited(
    path: PathLike,
    raw: bytes,
    delimiter: str,
    names: Sequence[str],
    kinds: Sequence[str],
    expected: str,
    header: bool = False,
) -> pd.DataFrame:
    """Parse `raw` into columns `names` with kinds 'int', 'number', 'text' or 'any'.

    Fast path: pandas' C parser (a multi-character delimiter is first replaced by a tab).
    Any rejection (wrong field count, non-integer in an 'int' column, a missing field) is
    reported through `_text.raise_bad_line` with the line number.
    """
    check = _text.fields_check(delimiter, names, kinds)
    skip = 1 if header else 0
    body = raw[raw.find(b"\n") + 1 :] if header else raw
    if not body or body.isspace():  # no rows: the caller reports an empty file
        return pd.DataFrame({name: [] for name in names})
    data, separator = raw, delimiter
    if len(delimiter) > 1:
        data, separator = raw.replace(delimiter.encode(), b"\t"), "\t"
    text_columns = {name: str for name, kind in zip(names, kinds, strict=True) if kind in ("text", "any")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=separator,
                header=None,
                names=list(names),
                skiprows=skip,
                index_col=False,
                dtype=text_columns,
                engine="c",
                keep_default_na=False,
                na_values=[""],
            )
    except _FAST_PATH_ERRORS as error:
        _text.raise_bad_line(path, raw, check, expected, error, skip)
    for name, kind in zip(names, kinds, strict=True):
        column = frame[name]
        ok = True
        if kind == "int":
            ok = column.dtype.kind in "iu"
        elif kind == "number":
            ok = column.dtype.kind in "iuf" and _text.all_finite_float32(column.to_numpy())
        elif kind == "text":
            ok = not column.isna().any()
        if not ok:
            _text.raise_bad_line(path, raw, check, expected, f"column {name!r} has dtype {column.dtype}", skip)
    return frame


def _require_rows(path: PathLike, frame: pd.DataFrame | int, expected: str) -> None:
    rows = frame if isinstance(frame, int) else len(frame)
    if rows == 0:
        raise WorkbenchError(f"{path}: no interactions found (expected lines like '{expected}')")


def read_movielens_100k(path: PathLike) -> Interactions:
    """MovieLens-100K `u.data`: tab-separated `user item rating timestamp`, integers, no header."""
    expected = "user<TAB>item<TAB>rating<TAB>timestamp"
    raw = _text.read_bytes(path, "MovieLens-100K u.data")
    frame = _read_delimited(
        path, raw, "\t", ("user", "item", "rating", "timestamp"), ("int", "int", "number", "int"), expected
    )
    _require_rows(path, frame, expected)
    return _interactions(frame, str(path))


def read_movielens_dat(path: PathLike) -> Interactions:
    """MovieLens-1M/10M `ratings.dat` (or `.dat.gz`): `user::item::rating::timestamp`, integers."""
    expected = "user::item::rating::timestamp"
    raw = _text.read_bytes(path, "MovieLens ratings.dat")
    frame = _read_delimited(
        path, raw, "::", ("user", "item", "rating", "timestamp"), ("int", "int", "number", "int"), expected
    )
    _require_rows(path, frame, expected)
    return _interactions(frame, str(path))


_MOVIELENS_CSV_COLUMNS = {
    "user": ("user_id", "userid"),
    "item": ("movie_id", "movieid", "item_id", "itemid"),
    "rating": ("rating",),
}


def read_movielens_csv(path: PathLike) -> Interactions:
    """A MovieLens CSV with a header naming the columns; integer ids.

    Accepted headers: `user_id,movie_id,rating` (e.g. `ml-1m/derived/ratings_no_timestamp.csv.gz`)
    and the newer MovieLens `userId,movieId,rating,timestamp`; extra columns are ignored.
    """
    expected = "user_id,movie_id,rating"
    raw = _text.read_bytes(path, "MovieLens CSV")
    first = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    names = [field.strip().strip('"').lower() for field in _text.split_fields(first, ",")]
    chosen: dict[str, str] = {}
    for role, aliases in _MOVIELENS_CSV_COLUMNS.items():
        found = [name for name in names if name in aliases]
        if not found:
            raise WorkbenchError(
                f"{path} line 1: expected a header with columns '{expected}' "
                f"(or 'userId,movieId,rating,timestamp'), got {first[:80]!r}"
            )
        chosen[role] = found[0]
    if len(set(names)) != len(names):
        raise WorkbenchError(f"{path} line 1: duplicate column names in header {first[:80]!r}")
    kinds = ["any"] * len(names)
    kinds[names.index(chosen["user"])] = "int"
    kinds[names.index(chosen["item"])] = "int"
    kinds[names.index(chosen["rating"])] = "number"
    frame = _read_delimited(path, raw, ",", names, kinds, ",".join(names), header=True)
    _require_rows(path, frame, expected)
    frame = frame.rename(columns={chosen["user"]: "user", chosen["item"]: "item", chosen["rating"]: "rating"})
    return _interactions(frame, str(path))


def read_amazon_csv(path: PathLike) -> Interactions:
    """Amazon Review Data (2018) ratings-only CSV, no header: `item,user,rating,timestamp`.

    item = ASIN, user = reviewer id (both kept as strings), rating a number, timestamp integer.
    """
    expected = "item,user,rating,timestamp"
    raw = _text.read_bytes(path, "Amazon ratings CSV")
    frame = _read_delimited(
        path, raw, ",", ("item", "user", "rating", "timestamp"), ("text", "text", "number", "int"), expected
    )
    _require_rows(path, frame, expected)
    return Interactions(
        users=frame["user"].to_numpy(dtype=object),
        items=frame["item"].to_numpy(dtype=object),
        ratings=frame["rating"].to_numpy(dtype=np.float32),
        source=str(path),
    )


def _interactions(frame: pd.DataFrame, source: str) -> Interactions:
    return Interactions(
        users=frame["user"].to_numpy(dtype=np.int64),
        items=frame["item"].to_numpy(dtype=np.int64),
        ratings=frame["rating"].to_numpy(dtype=np.float32),
        source=source,
    )


# --------------------------------------------------------------------------- LightGCN


def _lightgcn_check(line: str) -> str | None:
    tokens = line.split()
    if not tokens:
        return None
    bad = next((token for token in tokens if not _text.is_integer(token)), None)
    return None if bad is None else f"ids must be integers, found {bad!r}"


def _read_lightgcn_file(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(users, items), int64, one pair per item listed on a `user item item ...` line.

    A line holding only a user id (no items) contributes no pair. Blank lines are skipped.
    """
    expected = "user item item ..."
    raw = _text.read_bytes(path, "LightGCN")
    lines = [line.split() for line in raw.split(b"\n")]  # one Python step per user line
    counts = np.fromiter((len(tokens) for tokens in lines), dtype=np.int64, count=len(lines))
    try:
        values = np.array(list(chain.from_iterable(lines)), dtype=np.bytes_).astype(np.int64)
    except _FAST_PATH_ERRORS as error:
        _text.raise_bad_line(path, raw, _lightgcn_check, expected, error)
    counts = counts[counts > 0]
    if counts.size == 0:
        raise WorkbenchError(f"{path}: no lines found (expected '{expected}')")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    is_user = np.zeros(values.shape[0], dtype=bool)
    is_user[starts] = True
    users = np.repeat(values[starts], counts - 1)
    return users, values[~is_user]


def read_lightgcn(
    train_path: PathLike, test_path: PathLike, seed: int = 0, validation_percent: int = 10
) -> Interactions:
    """The LightGCN/NGCF benchmark split (`train.txt`, `test.txt`): `user item item ...` per line.

    Ids are the files' 0-based integers. The files give train and test only, so a validation
    split is carved out of train per user (`protocol.carve_validation`): a user with t >= 2 train
    items moves max(1, floor(t * validation_percent / 100)) of them, drawn with `seed`, to
    validation, keeping >= 1 in train. LightGCN's test becomes split 2 unchanged.
    """
    seed = check_seed(seed)
    train_users, train_items = _read_lightgcn_file(train_path)
    test_users, test_items = _read_lightgcn_file(test_path)
    split = np.concatenate(
        (np.full(train_users.shape[0], TRAIN, dtype=np.int8), np.full(test_users.shape[0], TEST, dtype=np.int8))
    )
    users = np.concatenate((train_users, test_users))
    split = carve_validation(users, split, seed=seed, percent=validation_percent)
    return Interactions(
        users=users,
        items=np.concatenate((train_items, test_items)),
        split=split,
        source=f"{train_path} + {test_path}",
        split_origin=(
            f"LightGCN train/test split, validation = seeded {validation_percent} % of each user's "
            f"train items (seed {seed})"
        ),
    )


# --------------------------------------------------------------------------- Netflix Prize


def _netflix_check() -> _text.LineCheck:
    state = {"movie": False}
    data_check = _text.fields_check(",", ("customer", "rating", "date"), ("int", "number", "text"))

    def check(line: str) -> str | None:
        stripped = line.strip()
        if stripped.endswith(":"):
            if not _text.is_integer(stripped[:-1]):
                return f"movie id is not an integer: {stripped[:-1]!r}"
            state["movie"] = True
            return None
        if not state["movie"]:
            return "a 'MOVIEID:' line must come before the ratings"
        return data_check(line)

    return check


def _read_netflix_file(path: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customers, movies, ratings) of one Netflix Prize file, in file order.

    Vectorised: each header `M:` is rewritten to the row `M,-1,` (rating −1 as a marker), the
    file is parsed once by pandas, and each rating row takes the movie of the last marker above it.
    """
    expected = "MOVIEID: then customer,rating,date"
    raw = _text.read_bytes(path, "Netflix Prize")
    headers = raw.count(b":\n")
    data = raw.replace(b":\n", b",-1,\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=",",
                header=None,
                names=["customer", "rating", "date"],
                index_col=False,
                dtype={"date": str},
                engine="c",
                keep_default_na=False,
                na_values=[""],
            )
    except _FAST_PATH_ERRORS as error:
        _text.raise_bad_line(path, raw, _netflix_check(), expected, error)
    customer, rating = frame["customer"], frame["rating"]
    if (
        customer.dtype.kind not in "iu"
        or rating.dtype.kind not in "iuf"
        or not _text.all_finite_float32(rating.to_numpy())
    ):
        _text.raise_bad_line(path, raw, _netflix_check(), expected, "non-numeric field")
    marker = (rating.to_numpy() == -1) & frame["date"].isna().to_numpy()
    data_rows = ~marker
    if int(marker.sum()) != headers or frame["date"].isna().to_numpy()[data_rows].any() or (
        len(frame) and not marker[0]
    ):
        _text.raise_bad_line(path, raw, _netflix_check(), expected, "misplaced 'MOVIEID:' lines")
    customers = customer.to_numpy(dtype=np.int64)
    last_header = np.maximum.accumulate(np.where(marker, np.arange(len(frame)), 0))
    movies = customers[last_header]
    return customers[data_rows], movies[data_rows], rating.to_numpy(dtype=np.float32)[data_rows]


def read_netflix(paths: PathLike | Iterable[PathLike]) -> Interactions:
    """Netflix Prize ratings: `combined_data_*.txt` (or `training_set/mv_*.txt`) files.

    Each file: a line `MOVIEID:` followed by lines `CustomerID,Rating,Date` for that movie,
    repeated. users = CustomerID, items = MovieID, ratings 1..5; the date is checked, not kept.
    """
    files = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not files:
        raise DataNotFoundError("read_netflix: no files given (expected combined_data_*.txt)")
    parts = [_read_netflix_file(path) for path in files]
    users = np.concatenate([part[0] for part in parts])
    _require_rows(", ".join(map(str, files)), int(users.shape[0]), "MOVIEID: then customer,rating,date")
    return Interactions(
        users=users,
        items=np.concatenate([part[1] for part in parts]),
        ratings=np.concatenate([part[2] for part in parts]),
        source=", ".join(map(str, files)) if len(files) <= 4 else f"{files[0]} and {len(files) - 1} more files",
    )
