"""MovieLens item titles and genres: `movies.dat` (ML-1M, `id::title::Genre1|Genre2`) and `u.item`
(ML-100K, `id|title|release date|video release date|IMDb URL|19 genre flags`, flag names in `u.genre`).

Genres are returned as one string per movie, the genre names joined by '|' in the file's order
("Animation|Children's|Comedy"); "" for a movie with none.
"""

from __future__ import annotations

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


def _is_item_file(path: str | os.PathLike[str]) -> bool:
    return str(path).endswith(".item")


def _lines(path: str | os.PathLike[str], what: str) -> list[tuple[int, str]]:
    """(1-based line number, line) of every non-empty line of a latin-1 file."""
    raw = _text.read_bytes(path, what)
    return [(number, line) for number, line in enumerate(raw.decode("latin-1").split("\n"), start=1) if line]


def read_movielens_titles(path: str | os.PathLike[str]) -> dict[int, str]:
    """{movie id: title} from `movies.dat` (`::`-separated) or `u.item` (`|`-separated).

    Both files are ISO-8859-1 (latin-1). The separator is chosen by the file name: `u.item` (and
    any name ending in `.item`) uses '|', everything else '::'. About 4,000 lines: read line by line.
    """
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
    """{movie id: genres joined by '|'} from `movies.dat` or `u.item` (chosen by name, as for titles).

    `movies.dat`: the third `::` field as it is ("" when a line has none). `u.item`: the names of the
    flags set to 1 among the fields after the fifth, flag j named `genre_names[j]`; `genre_names`
    defaults to the `u.genre` beside the file, else :data:`ML100K_GENRES`. A line may carry fewer
    flags than there are names (the missing ones count as 0).

    Raises:
        WorkbenchError: a line without an integer id; in `u.item`, a flag that is not 0 or 1, or
            more flags than genre names.
    """
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
