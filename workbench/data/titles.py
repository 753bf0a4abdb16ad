"""MovieLens item titles and genres: `movies.dat` (ML-1M/10M, `id::title::Genre1|Genre2`), `u.item`
(ML-100K, `id|title|release date|video release date|IMDb URL|19 genre flags`, flag names in `u.genre`)
and `movies.csv` (ML-20M, header `movieId,title,genres`, titles with commas quoted).

Genres are returned as one string per movie, the genre names joined by '|' in the file's order
("Animation|Children's|Comedy"); "" for a movie with none (ML-20M's "(no genres listed)" included).

Text files are decoded as UTF-8 when they are valid UTF-8 (ML-10M's `movies.dat`, ML-20M's
`movies.csv`), else as ISO-8859-1 (latin-1: ML-1M's `movies.dat`, ML-100K's `u.item`).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from workbench.data import _text
from workbench.errors import WorkbenchError

#: ML-100K's 19 genre flags in `u.item` column order, as listed in its `u.genre` (used when that
#: file is absent).
ML100K_GENRES: tuple[str, ...] = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip

_GENRE_SEPARATOR = "|"
_ITEM_FLAGS_START = 5  # u.item: id | title | release date | video release date | IMDb URL | flags...


_NO_GENRES = "(no genres listed)"  # ML-20M's movies.csv, for a movie without genres


def _is_item_file(path: str | os.PathLike[str]) -> bool:
    return str(path).endswith(".item")


def _is_csv(path: str | os.PathLike[str]) -> bool:
    name = str(path)
    return name.endswith(".csv") or name.endswith(".csv.gz")


def _decode(raw: bytes) -> str:
    """UTF-8 when `raw` is valid UTF-8, else latin-1 (module docstring)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _lines(path: str | os.PathLike[str], what: str) -> list[tuple[int, str]]:
    """(1-based line number, line) of every non-empty line of the file (decoded as `_decode` does)."""
    raw = _text.read_bytes(path, what)
    return [(number, line) for number, line in enumerate(_decode(raw).split("\n"), start=1) if line]


def _read_movies_csv(path: str | os.PathLike[str]) -> dict[int, tuple[str, str]]:
    """{movie id: (title, genres)} of an ML-20M `movies.csv` (header `movieId,title,genres`)."""
    expected = "movieId,title,genres"
    raw = _text.read_bytes(path, "MovieLens movies.csv")
    rows = list(csv.reader(io.StringIO(_decode(raw))))
    header = [field.strip().lower() for field in rows[0]] if rows else []
    if header[:2] != ["movieid", "title"]:
        raise WorkbenchError(f"{path} line 1: expected the header '{expected}', got {','.join(header)[:80]!r}")
    movies: dict[int, tuple[str, str]] = {}
    for number, fields in enumerate(rows[1:], start=2):
        if not fields:
            continue
        if len(fields) < 2 or not _text.is_integer(fields[0]):
            raise WorkbenchError(f"{path} line {number}: expected '{expected}', got {','.join(fields)[:80]!r}")
        genres = fields[2].strip() if len(fields) > 2 else ""
        movies[int(fields[0])] = (fields[1], "" if genres == _NO_GENRES else genres)
    return movies


def read_movielens_titles(path: str | os.PathLike[str]) -> dict[int, str]:
    """{movie id: title} from `movies.dat` (`::`-separated), `u.item` (`|`-separated) or `movies.csv`.

    The format is chosen by the file name: `u.item` (and any name ending in `.item`) uses '|', a
    name ending in `.csv` is ML-20M's CSV, everything else '::'. Decoded as the module docstring
    says. At most some 30,000 lines: read line by line.
    """
    if _is_csv(path):
        return {movie: title for movie, (title, _) in _read_movies_csv(path).items()}
    separator = "|" if _is_item_file(path) else "::"
    expected = f"id{separator}title{separator}..."
    titles: dict[int, str] = {}
    for number, line in _lines(path, "MovieLens titles"):
        fields = line.split(separator, 2)
        if len(fields) < 2 or not _text.is_integer(fields[0]):
            raise WorkbenchError(f"{path} line {number}: expected '{expected}', got {line[:80]!r}")
        titles[int(fields[0])] = fields[1]
    return titles


def read_movielens_genre_names(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The genre names of ML-100K's `u.genre` (`name|position` lines), in position order.

    Raises:
        WorkbenchError: a line is not `name|integer`, or the positions are not 0, 1, ..., n − 1.
    """
    named: dict[int, str] = {}
    for number, line in _lines(path, "MovieLens genre names"):
        fields = line.split("|")
        if len(fields) != 2 or not fields[0] or not _text.is_integer(fields[1]):
            raise WorkbenchError(f"{path} line {number}: expected 'genre|position', got {line[:80]!r}")
        named[int(fields[1])] = fields[0]
    if sorted(named) != list(range(len(named))):
        raise WorkbenchError(f"{path}: expected genre positions 0 to {len(named) - 1}, got {sorted(named)}")
    return tuple(named[position] for position in range(len(named)))


def read_movielens_genres(
    path: str | os.PathLike[str], genre_names: Sequence[str] | None = None
) -> dict[int, str]:
    """{movie id: genres joined by '|'} from `movies.dat`, `u.item` or `movies.csv` (chosen by name, as for titles).

    `movies.dat`: the third `::` field as it is ("" when a line has none). `movies.csv`: the
    `genres` column ("" for "(no genres listed)"). `u.item`: the names of the
    flags set to 1 among the fields after the fifth, flag j named `genre_names[j]`; `genre_names`
    defaults to the `u.genre` beside the file, else :data:`ML100K_GENRES`. A line may carry fewer
    flags than there are names (the missing ones count as 0).

    Raises:
        WorkbenchError: a line without an integer id; in `u.item`, a flag that is not 0 or 1, or
            more flags than genre names.
    """
    if _is_csv(path):
        return {movie: genres for movie, (_, genres) in _read_movies_csv(path).items()}
    if not _is_item_file(path):
        genres: dict[int, str] = {}
        for number, line in _lines(path, "MovieLens genres"):
            fields = line.split("::", 2)
            if len(fields) < 2 or not _text.is_integer(fields[0]):
                raise WorkbenchError(f"{path} line {number}: expected 'id::title::genres', got {line[:80]!r}")
            genres[int(fields[0])] = fields[2].strip() if len(fields) == 3 else ""
        return genres
    if genre_names is None:
        beside = Path(path).with_name("u.genre")
        genre_names = read_movielens_genre_names(beside) if beside.is_file() else ML100K_GENRES
    names = tuple(genre_names)
    genres = {}
    for number, line in _lines(path, "MovieLens genres"):
        fields = line.split("|")
        if not _text.is_integer(fields[0]):
            raise WorkbenchError(f"{path} line {number}: expected 'id|title|...|genre flags', got {line[:80]!r}")
        flags = [flag.strip() for flag in fields[_ITEM_FLAGS_START:]]
        if len(flags) > len(names):
            raise WorkbenchError(
                f"{path} line {number}: {len(flags)} genre flags but {len(names)} genre names ({', '.join(names)})"
            )
        if any(flag not in ("0", "1") for flag in flags):
            raise WorkbenchError(f"{path} line {number}: genre flags must be 0 or 1, got {'|'.join(flags)!r}")
        genres[int(fields[0])] = _GENRE_SEPARATOR.join(name for name, flag in zip(names, flags) if flag == "1")
    return genres


def titles_for(item_ids: np.ndarray, titles: dict[int, str]) -> tuple[str, ...]:
    """The title of each id in `item_ids` (shape (n_items,)); "" where the file has none."""
    return tuple(titles.get(int(item), "") for item in item_ids)
