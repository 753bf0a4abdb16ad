"""`read_interactions_file`: a user's own CSV / TSV / TXT / parquet file of `user,item[,rating]`."""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data import _text
from workbench.data.interactions import Interactions
from workbench.errors import WorkbenchError

USER_COLUMNS = ("user", "user_id", "userid", "users", "uid", "customer", "customer_id", "reviewerid", "reviewer_id")
ITEM_COLUMNS = (
    "item", "item_id", "itemid", "items", "iid", "movie", "movie_id", "movieid", "product", "product_id", "asin",
)
RATING_COLUMNS = ("rating", "ratings", "score", "value", "weight")

_EXTENSION_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_PARQUET = (".parquet", ".pq")


@dataclass(frozen=True)
class _Columns:
    """Positions of the user, item and (optional) rating columns; `named`: found by header name."""

    user: int
    item: int
    rating: int | None
    named: bool


def _suffix(path: Path) -> str:
    """The extension that tells the format, ignoring a trailing `.gz`."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _sniff_delimiter(first_line: str) -> str | None:
    """Delimiter of a text file from its first line: '::', tab, ',', ';', '|', else whitespace (None)."""
    for candidate in ("::", "\t", ",", ";", "|"):
        if candidate in first_line:
            return candidate
    return None


def _normalise(name: object) -> str:
    return str(name).strip().strip('"').strip("'").lower()


def _named_columns(names: list[str]) -> _Columns | None:
    """The columns named as user / item (and rating) in `names`, or None when not both are."""
    lowered = [_normalise(name) for name in names]
    user = next((k for k, name in enumerate(lowered) if name in USER_COLUMNS), None)
    item = next((k for k, name in enumerate(lowered) if name in ITEM_COLUMNS), None)
    if user is None or item is None:
        return None
    rating = next((k for k, name in enumerate(lowered) if name in RATING_COLUMNS), None)
    return _Columns(user, item, rating, named=True)


def _choose_columns(names: list[str], frame: pd.DataFrame) -> _Columns:
    """Named columns if the header names them, else columns 1, 2 and a numeric column 3 as rating."""
    named = _named_columns(names)
    if named is not None:
        return named
    rating = None
    if len(names) >= 3 and not pd.to_numeric(frame.iloc[:, 2], errors="coerce").isna().any():
        rating = 2
    return _Columns(0, 1, rating, named=False)


def _ids(column: pd.Series) -> np.ndarray:
    """int64 when every value is an integer, else the values as strings (object array)."""
    if column.dtype.kind in "iu":
        return column.to_numpy(dtype=np.int64)
    text = column.astype(str).str.strip()
    if len(text) and text.str.fullmatch(r"[+-]?\d{1,18}").all():
        return text.astype(np.int64).to_numpy()
    return text.to_numpy(dtype=object)


def _interactions(frame: pd.DataFrame, columns: _Columns, source: Path) -> Interactions:
    if len(frame) == 0:
        raise WorkbenchError(f"{source}: no interactions found (expected rows of user,item[,rating])")
    ratings = None
    if columns.rating is not None:
        ratings = pd.to_numeric(frame.iloc[:, columns.rating]).to_numpy(dtype=np.float32)
    return Interactions(
        users=_ids(frame.iloc[:, columns.user]),
        items=_ids(frame.iloc[:, columns.item]),
        ratings=ratings,
        source=str(source),
    )


def _first_bad_row(frame: pd.DataFrame, columns: _Columns) -> tuple[int, str] | None:
    """(0-based row, reason) of the first row with an empty user/item or a non-numeric rating."""
    for position in (columns.user, columns.item):
        missing = frame.iloc[:, position].isna().to_numpy()
        if missing.any():
            return int(np.flatnonzero(missing)[0]), f"column {frame.columns[position]!r} is empty"
    if columns.rating is not None:
        numbers = pd.to_numeric(frame.iloc[:, columns.rating], errors="coerce").isna().to_numpy()
        if numbers.any():
            row = int(np.flatnonzero(numbers)[0])
            return row, f"column {frame.columns[columns.rating]!r} is not a number: {frame.iloc[row, columns.rating]!r}"
    return None


def _read_parquet(path: Path) -> Interactions:
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        raise WorkbenchError(f"{path}: not a readable parquet file ({error})") from error
    names = [str(name) for name in frame.columns]
    if len(names) < 2:
        raise WorkbenchError(f"{path}: expected at least 2 columns (user, item), found {names}")
    columns = _named_columns(names) or _Columns(0, 1, 2 if len(names) >= 3 else None, named=False)
    if not columns.named and columns.rating is not None and frame.iloc[:, 2].dtype.kind not in "iuf":
        columns = _Columns(0, 1, None, named=False)
    bad = _first_bad_row(frame, columns)
    if bad is not None:
        raise WorkbenchError(f"{path} row {bad[0] + 1}: expected user,item[,rating] ({bad[1]})")
    return _interactions(frame, columns, path)


def read_interactions_file(
    path: str | os.PathLike[str],
    delimiter: str | None = None,
    header: bool | None = None,
) -> Interactions:
    """Read a user's own file of interactions: one `user,item[,rating]` per row.

    Formats: parquet (`.parquet`/`.pq`, via pandas/pyarrow) or delimited text, optionally `.gz`.
    Text delimiter: `delimiter` if given, else from the extension (`.csv` ',', `.tsv` tab), else
    sniffed from the first line ('::', tab, ',', ';', '|', else runs of whitespace).
    Header: `header` if given, else present iff the first line names a user column and an item
    column (e.g. `user,item,rating`, `user_id,movie_id`; case-insensitive; see USER_COLUMNS,
    ITEM_COLUMNS, RATING_COLUMNS). Columns: those named so, else the first two (user, item) plus
    the third as rating when every value in it is numeric. Ids are int64 when every id is an
    integer, else strings. Malformed lines raise WorkbenchError naming the file and line number.
    """
    file = _text.existing_file(path, "interactions")
    if _suffix(file) in _PARQUET:
        return _read_parquet(file)
    raw = _text.read_bytes(file, "interactions")
    lines = raw.split(b"\n")
    first_index = next((k for k, line in enumerate(lines) if line), None)
    if first_index is None:
        raise WorkbenchError(f"{file}: no interactions found (the file is empty)")
    first = lines[first_index].decode("utf-8", errors="replace")
    if delimiter is None:
        delimiter = _EXTENSION_DELIMITERS.get(_suffix(file)) or _sniff_delimiter(first)
    first_fields = _text.split_fields(first, delimiter)
    has_header = (_named_columns(first_fields) is not None) if header is None else header
    width = len(first_fields)
    shown = "<whitespace>" if delimiter is None else delimiter
    expected = f"user{shown}item[{shown}rating]"
    names = [name.strip() for name in first_fields] if has_header else [f"column {k + 1}" for k in range(width)]
    skip = first_index + 1 if has_header else 0
    kinds = ["text", "text"] + ["any"] * (width - 2)
    if width < 2:
        _text.raise_bad_line(file, raw, _text.fields_check(delimiter, ["user", "item"], kinds), expected)
    data, separator = raw, delimiter
    if delimiter is not None and len(delimiter) > 1:
        data, separator = raw.replace(delimiter.encode(), b"\t"), "\t"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=r"\s+" if separator is None else separator,
                header=None,
                names=names,
                skiprows=skip,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
            )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserWarning) as error:
        _text.raise_bad_line(file, raw, _text.fields_check(delimiter, names, kinds), expected, error, skip)
    columns = _choose_columns(names, frame)
    bad = _first_bad_row(frame, columns)
    if bad is not None:
        kinds = ["any"] * width
        kinds[columns.user] = kinds[columns.item] = "text"
        if columns.rating is not None:
            kinds[columns.rating] = "number"
        _text.raise_bad_line(file, raw, _text.fields_check(delimiter, names, kinds), expected, bad[1], skip)
    return _interactions(frame, columns, file)
