"""`read_interactions_file`: a user's own CSV / TSV / TXT / parquet file of `user,item[,rating]`.

Header policy (text and parquet alike):

- A leading UTF-8 byte-order mark is ignored.
- The first line is a header when one of its fields is a known column name (`USER_COLUMNS`,
  `ITEM_COLUMNS`, `RATING_COLUMNS`, `OTHER_COLUMNS`). Names are compared case-insensitively and
  without spaces, `_` or `-` (`userId`, `user_id`, `User ID` are one name).
- A header must name exactly one user column and one item column, and at most one rating column;
  they may come in any order, and other columns are ignored. A header naming only one of user and
  item (`title,user,rating`), neither, or one of them twice is refused, naming the header.
- Without a header, columns are taken by position: user, item, and the third as rating when
  every value in it is a number. A first line whose names are unknown but which stands above rows
  of numbers (`u,i,r` then `1,10,4`) is refused as an unrecognised header rather than read as data.
- `header=True` says the first line is a header: its names are used as above, and when it names
  neither a user nor an item column the columns are taken by position. `header=False` reads the
  first line as data.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data import _text
from workbench.data.interactions import Interactions
from workbench.errors import WorkbenchError

# Known column names, as `_name_key` reduces them (lower case, letters and digits only).
USER_COLUMNS = frozenset(
    {
        "user", "users", "userid", "uid", "customer", "customerid", "reviewer", "reviewerid",
        "visitor", "visitorid", "member", "memberid", "client", "clientid",
    }
)
ITEM_COLUMNS = frozenset(
    {
        "item", "items", "itemid", "iid", "movie", "movieid", "product", "productid", "asin",
        "business", "businessid", "book", "bookid", "isbn", "song", "songid", "track", "trackid",
        "artist", "artistid", "anime", "animeid", "recipe", "recipeid", "game", "gameid", "app",
        "appid", "news", "newsid", "article", "articleid", "video", "videoid", "locationid",
        "venueid", "poiid", "joke", "jokeid",
    }
)
RATING_COLUMNS = frozenset(
    {
        "rating", "ratings", "score", "value", "weight", "stars", "overall", "playcount", "plays",
        "bookrating",
    }
)
#: Names that are neither user, item nor rating, but mark a line as a header (the column is ignored).
OTHER_COLUMNS = frozenset(
    {
        "timestamp", "time", "date", "datetime", "ts", "unixtime", "unixreviewtime", "reviewtime",
        "title", "name", "genre", "genres", "tag", "tags", "review", "reviewid", "reviewtext",
        "text", "summary", "event", "sessionid", "transactionid", "orderid",
    }
)
_NAMING_HINT = (
    "name a user column (user, userId, user_id, uid, ...) and an item column (item, itemId, movieId, "
    "item_id, iid, business_id, ...), optionally a rating column (rating, score, ...), in any order"
)

_EXTENSION_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_PARQUET = (".parquet", ".pq")
_QUOTED = re.compile(r'"[^"]*"')
_HEADER_SAMPLE_ROWS = 1000  # rows under line 1 looked at to tell an unknown header from data


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
    """Delimiter of a text file from its first line outside quoted fields: '::', tab, ',', ';', '|', else None.

    None means runs of whitespace.
    """
    unquoted = _QUOTED.sub("", first_line)
    for candidate in ("::", "\t", ",", ";", "|"):
        if candidate in unquoted:
            return candidate
    return None


def _name_key(name: object) -> str:
    """A column name as compared: lower case, letters and digits only (`User_ID` -> `userid`)."""
    return "".join(character for character in str(name).casefold() if character.isalnum())


def _header_columns(names: list[str], where: str, shown: str) -> _Columns | None:
    """The user / item / rating columns a header names; None when no name in it is a known one.

    Raises WorkbenchError (`where`: the file and line, `shown`: the header as written) when the
    header names only one of user and item, neither, or one of user / item / rating twice.
    """
    keys = [_name_key(name) for name in names]
    found = {
        role: [k for k, key in enumerate(keys) if key in known]
        for role, known in (("user", USER_COLUMNS), ("item", ITEM_COLUMNS), ("rating", RATING_COLUMNS))
    }
    if not any(found.values()) and not any(key in OTHER_COLUMNS for key in keys):
        return None
    for role, positions in found.items():
        if len(positions) > 1:
            both = " and ".join(repr(names[k].strip()) for k in positions)
            raise WorkbenchError(
                f"{where}: the header {shown!r} names the {role} column twice ({both}); keep one of them"
            )
    missing = [role for role in ("user", "item") if not found[role]]
    if missing:
        raise WorkbenchError(
            f"{where}: the header {shown!r} names no {' column and no '.join(missing)} column; {_NAMING_HINT}"
        )
    rating = found["rating"][0] if found["rating"] else None
    return _Columns(found["user"][0], found["item"][0], rating, named=True)


def _parses_as_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _unknown_header(frame: pd.DataFrame) -> tuple[int, str] | None:
    """(column, value) when line 1 holds text in a column where the rows below all hold numbers."""
    if len(frame) < 2:
        return None
    below = frame.iloc[1 : 1 + _HEADER_SAMPLE_ROWS]
    for position in range(frame.shape[1]):
        value = frame.iloc[0, position]
        if not isinstance(value, str) or not value.strip() or _parses_as_number(value):
            continue
        column = below.iloc[:, position]
        if column.notna().all() and column.map(_parses_as_number).all():
            return position, value
    return None


def _positional_columns(frame: pd.DataFrame) -> _Columns:
    """Columns 1 and 2 as user and item, column 3 as rating when every value in it is a number."""
    rating = None
    if frame.shape[1] >= 3 and not pd.to_numeric(frame.iloc[:, 2], errors="coerce").isna().any():
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


def _first_bad_row(frame: pd.DataFrame, columns: _Columns, names: list[str]) -> tuple[int, str] | None:
    """(0-based row, reason) of the first row with an empty user/item or a rating that is not a finite number."""
    for position in (columns.user, columns.item):
        missing = frame.iloc[:, position].isna().to_numpy()
        if missing.any():
            return int(np.flatnonzero(missing)[0]), f"column {names[position]!r} is empty"
    if columns.rating is not None:
        values = pd.to_numeric(frame.iloc[:, columns.rating], errors="coerce").to_numpy(dtype=np.float64)
        if not _text.all_finite_float32(values):
            bad = ~_text.finite_float32(values)
            row = int(np.flatnonzero(bad)[0])
            value = frame.iloc[row, columns.rating]
            return row, f"column {names[columns.rating]!r} is not a finite number: {value!r}"
    return None


def _read_parquet(path: Path) -> Interactions:
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        raise WorkbenchError(f"{path}: not a readable parquet file ({error})") from error
    names = [str(name) for name in frame.columns]
    if len(names) < 2:
        raise WorkbenchError(f"{path}: expected at least 2 columns (user, item), found {names}")
    columns = _header_columns(names, str(path), ",".join(names)) or _Columns(
        0, 1, 2 if len(names) >= 3 else None, named=False
    )
    if not columns.named and columns.rating is not None and frame.iloc[:, 2].dtype.kind not in "iuf":
        columns = _Columns(0, 1, None, named=False)
    bad = _first_bad_row(frame, columns, names)
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
    sniffed from the first line outside quoted fields ('::', tab, ',', ';', '|', else runs of
    whitespace). Fields may be quoted ('"', doubled inside) with a one-character delimiter.
    Header: the module's header policy (a BOM ignored; a header recognised by its names, columns
    in any order, extra columns ignored; a header naming one of user / item but not the other
    refused); `header=True` / `False` says whether line 1 is a header instead of guessing. Columns: those named so, else the first two (user, item) plus the
    third as rating when every value in it is numeric. Ids lose surrounding whitespace; they are
    int64 when every id is an integer, else strings. A rating must be a finite number within
    float32's range. Malformed lines raise WorkbenchError naming the file and line number.
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
    where = f"{file} line {first_index + 1}"
    named = None if header is False else _header_columns(first_fields, where, first)
    has_header = named is not None if header is None else header
    width = len(first_fields)
    shown = "<whitespace>" if delimiter is None else delimiter
    expected = f"user{shown}item[{shown}rating]"
    if has_header:
        names = [name.strip() for name in first_fields]
    else:
        names = ["user", "item"] + [f"column {k + 1}" for k in range(2, width)]
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
                names=[f"c{k}" for k in range(width)],  # header names may repeat; they are only shown
                skiprows=skip,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
            )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserWarning) as error:
        _text.raise_bad_line(file, raw, _text.fields_check(delimiter, names, kinds), expected, error, skip)
    if header is None and not has_header:
        suspect = _unknown_header(frame)
        if suspect is not None:
            raise WorkbenchError(
                f"{where}: {first!r} looks like a header (column {suspect[0] + 1} holds {suspect[1]!r} above "
                f"numbers) but names no user column and no item column; {_NAMING_HINT}. From Python, "
                "header=True reads the columns by position and header=False reads that line as data"
            )
    columns = named if named is not None else _positional_columns(frame)
    if not has_header and columns.rating is not None:
        names[columns.rating] = "rating"
    bad = _first_bad_row(frame, columns, names)
    if bad is not None:
        kinds = ["any"] * width
        kinds[columns.user] = kinds[columns.item] = "text"
        if columns.rating is not None:
            kinds[columns.rating] = "number"
        _text.raise_bad_line(file, raw, _text.fields_check(delimiter, names, kinds), expected, bad[1], skip)
    return _interactions(frame, columns, file)
