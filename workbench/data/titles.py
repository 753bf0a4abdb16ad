"""MovieLens item titles: `movies.dat` (ML-1M, `id::title::genres`) and `u.item` (ML-100K, `id|title|...`)."""

from __future__ import annotations

import os

import numpy as np

from workbench.data import _text
from workbench.errors import WorkbenchError


def read_movielens_titles(path: str | os.PathLike[str]) -> dict[int, str]:
    """{movie id: title} from `movies.dat` (`::`-separated) or `u.item` (`|`-separated).

    Both files are ISO-8859-1 (latin-1). The separator is chosen by the file name: `u.item` (and
    any name ending in `.item`) uses '|', everything else '::'. About 4,000 lines: read line by line.
    """
    raw = _text.read_bytes(path, "MovieLens titles")
    separator = "|" if str(path).endswith(".item") else "::"
    expected = f"id{separator}title{separator}..."
    titles: dict[int, str] = {}
    for number, line in enumerate(raw.decode("latin-1").split("\n"), start=1):
        if not line:
            continue
        fields = line.split(separator, 2)
        if len(fields) < 2 or not _text.is_integer(fields[0]):
            raise WorkbenchError(f"{path} line {number}: expected '{expected}', got {line[:80]!r}")
        titles[int(fields[0])] = fields[1]
    return titles


def titles_for(item_ids: np.ndarray, titles: dict[int, str]) -> tuple[str, ...]:
    """The title of each id in `item_ids` (shape (n_items,)); "" where the file has none."""
    return tuple(titles.get(int(item), "") for item in item_ids)
