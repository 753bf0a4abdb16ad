"""Named datasets: where each one's files are looked for, which reader reads them, which split.

| name              | preferred source (first found wins)                                  | default split |
| ----------------- | -------------------------------------------------------------------- | ------------- |
| `ml-1m`           | `ml-1m/paper/` (authors' HDF5 + index), `ml-1m/ratings.dat[.gz]`, `ml-1m/derived/ratings_no_timestamp.csv.gz`; GroupLens download | paper, else protocol |
| `amazon-magazine` | `amazon-magazine/paper/`, `amazon-magazine/Magazine_Subscriptions.csv[.gz]` | paper, else protocol |
| `ml-100k`         | `ml-100k/u.data`; GroupLens download                                  | protocol      |
| `gowalla`         | `lightgcn-gowalla/train.txt` + `test.txt`                             | LightGCN's    |
| `yelp2018`        | `lightgcn-yelp2018/train.txt` + `test.txt`                            | LightGCN's    |
| `netflix`         | `netflix/combined_data_*.txt` (or `netflix/training_set/mv_*.txt`)    | protocol      |
| `ml-10m`          | `ml-10m/ratings.dat[.gz]`, `ml-10M100K/ratings.dat` (the zip's folder); GroupLens download | protocol |
| `ml-20m`          | `ml-20m/ratings.csv[.gz]`; GroupLens download                         | protocol      |
| `synthetic-netflix` | `synthetic-netflix/interactions.npz`, written by `workbench generate` (`generate.py`) | protocol |

`split=None` (default) takes the split published with the data where there is one (the paper's,
or LightGCN's), else the seeded protocol; `split="paper"` insists on the published split;
`split="protocol"` always draws the seeded 80/10/10 split, from the raw ratings when present,
else from the published files with their split ignored.

The folders are looked for in the data directory (`locations.resolve_data_dir`), then in the
download cache. MovieLens datasets also get each item's title and genres (`Dataset.item_titles`,
`Dataset.item_genres`) from `movies.dat` / `u.item` / `movies.csv` when that file is present. ML-1M user ids are
the original MovieLens UserIDs from every source (the authors' HDF5 stores UserID − 1; 1 is added
back).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from workbench.data import locations
from workbench.data.dataset import Dataset, build_dataset
from workbench.data.generate import INTERACTIONS_FILE, read_generated
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
from workbench.data.titles import read_movielens_genres, read_movielens_titles
from workbench.data.user_file import read_interactions_file
from workbench.errors import DataNotFoundError, WorkbenchError
from workbench.validation import check_seed

Split = Literal["paper", "protocol"]
_Reader = Callable[[list[list[Path]], int], Interactions]


@dataclass(frozen=True)
class _Source:
    """Files (relative paths or globs, each matching >= 1 file) and how to read them."""

    patterns: tuple[str, ...]
    read: _Reader
    published: bool  # True: the files carry their own split (paper / LightGCN)
    label: str


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: its sources in order of preference, download and item file, if any.

    `titles`: the MovieLens file (relative to the data directory) holding each item's title and
    genres (`movies.dat`, `movies.csv` or `u.item`; `u.item`'s genre names come from the `u.genre`
    beside it), or several such paths, the first one found wins.
    """

    name: str
    description: str
    sources: tuple[_Source, ...]
    download: str | None = None
    titles: str | tuple[str, ...] | None = None


@dataclass(frozen=True)
class DatasetAvailability:
    """Whether `name` can be loaded from the data directory; `location`: the files found, or what is missing."""

    name: str
    available: bool
    location: str
    description: str


def _ml1m_paper(matched: list[list[Path]], seed: int) -> Interactions:
    rows = read_paper_split(matched[0][0].parent)
    return dataclasses.replace(rows, users=rows.users + 1)  # HDF5 user = UserID - 1


def _paper(matched: list[list[Path]], seed: int) -> Interactions:
    return read_paper_split(matched[0][0].parent)


def _single(reader: Callable[[Path], Interactions]) -> _Reader:
    return lambda matched, seed: reader(matched[0][0])


def _lightgcn(matched: list[list[Path]], seed: int) -> Interactions:
    return read_lightgcn(matched[0][0], matched[1][0], seed=seed)


def _netflix(matched: list[list[Path]], seed: int) -> Interactions:
    return read_netflix(matched[0])


def _paper_source(folder: str, read: _Reader = _paper) -> _Source:
    return _Source(
        (f"{folder}/paper/total_data.hdf5", f"{folder}/paper/index.npz"), read, True, "the ∞-AE authors' files"
    )


def _lightgcn_source(folder: str) -> _Source:
    return _Source((f"{folder}/train.txt", f"{folder}/test.txt"), _lightgcn, True, "LightGCN split files")


SPECS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "ml-1m",
            "MovieLens-1M: 1,000,209 ratings, 6,040 users, 3,706 movies (GroupLens)",
            (
                _paper_source("ml-1m", _ml1m_paper),
                _Source(("ml-1m/ratings.dat",), _single(read_movielens_dat), False, "ratings.dat"),
                _Source(("ml-1m/ratings.dat.gz",), _single(read_movielens_dat), False, "ratings.dat.gz"),
                _Source(
                    ("ml-1m/derived/ratings_no_timestamp.csv.gz",), _single(read_movielens_csv), False, "derived CSV"
                ),
            ),
            download="ml-1m",
            titles="ml-1m/movies.dat",
        ),
        DatasetSpec(
            "amazon-magazine",
            "Amazon Review Data 2018, Magazine Subscriptions ratings (89,689 rows; paper split 3,092 users)",
            (
                _paper_source("amazon-magazine"),
                _Source(
                    ("amazon-magazine/Magazine_Subscriptions.csv",), _single(read_amazon_csv), False, "ratings CSV"
                ),
                _Source(
                    ("amazon-magazine/Magazine_Subscriptions.csv.gz",), _single(read_amazon_csv), False, "ratings CSV"
                ),
            ),
        ),
        DatasetSpec(
            "ml-100k",
            "MovieLens-100K: 100,000 ratings, 943 users, 1,682 movies (GroupLens)",
            (_Source(("ml-100k/u.data",), _single(read_movielens_100k), False, "u.data"),),
            download="ml-100k",
            titles="ml-100k/u.item",
        ),
        DatasetSpec(
            "gowalla",
            "Gowalla check-ins, LightGCN/NGCF 10-core split: 29,858 users, 40,981 locations",
            (_lightgcn_source("lightgcn-gowalla"),),
        ),
        DatasetSpec(
            "yelp2018",
            "Yelp2018, LightGCN 10-core split: 31,668 users, 38,048 businesses",
            (_lightgcn_source("lightgcn-yelp2018"),),
        ),
        DatasetSpec(
            "netflix",
            "Netflix Prize ratings (about 100 M): combined_data_*.txt files",
            (
                _Source(("netflix/combined_data_*.txt",), _netflix, False, "combined_data files"),
                _Source(("netflix/training_set/mv_*.txt",), _netflix, False, "training_set files"),
            ),
        ),
        DatasetSpec(
            "ml-10m",
            "MovieLens-10M: 10,000,054 ratings, 69,878 users, 10,677 movies (GroupLens)",
            (
                _Source(("ml-10m/ratings.dat",), _single(read_movielens_dat), False, "ratings.dat"),
                _Source(("ml-10m/ratings.dat.gz",), _single(read_movielens_dat), False, "ratings.dat.gz"),
                _Source(("ml-10M100K/ratings.dat",), _single(read_movielens_dat), False, "ratings.dat"),
            ),
            download="ml-10m",
            titles=("ml-10m/movies.dat", "ml-10M100K/movies.dat"),
        ),
        DatasetSpec(
            "ml-20m",
            "MovieLens-20M: 20,000,263 ratings, 138,493 users, 26,744 movies (GroupLens)",
            (
                _Source(("ml-20m/ratings.csv",), _single(read_movielens_csv), False, "ratings.csv"),
                _Source(("ml-20m/ratings.csv.gz",), _single(read_movielens_csv), False, "ratings.csv.gz"),
            ),
            download="ml-20m",
            titles="ml-20m/movies.csv",
        ),
        DatasetSpec(
            "synthetic-netflix",
            "Synthetic Netflix-shaped implicit data (`workbench generate --like netflix`)",
            (
                _Source(
                    (f"synthetic-netflix/{INTERACTIONS_FILE}",), _single(read_generated), False, "generated interactions"
                ),
            ),
        ),
    )
}

DATASET_NAMES: tuple[str, ...] = tuple(SPECS)


def _spec(name: str) -> DatasetSpec:
    if name not in SPECS:
        raise WorkbenchError(f"unknown dataset {name!r}; valid names: {', '.join(DATASET_NAMES)}")
    return SPECS[name]


def _search_dirs(data_dir: str | os.PathLike[str] | None) -> list[Path]:
    first = locations.resolve_data_dir(data_dir)
    cache = locations.cache_dir()
    return [first] if cache.resolve() == first.resolve() else [first, cache]


def _match(source: _Source, folder: Path) -> list[list[Path]] | None:
    """The files of each pattern under `folder` (sorted), or None when one pattern matches none."""
    matched = []
    for pattern in source.patterns:
        files = sorted(path for path in folder.glob(pattern) if path.is_file())
        if not files:
            return None
        matched.append(files)
    return matched


def _candidates(spec: DatasetSpec, split: Split | None) -> list[tuple[_Source, bool]]:
    """(source, keep its split) in order of preference for the requested `split`."""
    if split is None:
        return [(source, True) for source in spec.sources]
    if split == "paper":
        published = [(source, True) for source in spec.sources if source.published]
        if not published:
            raise WorkbenchError(
                f"{spec.name} has no published split; use split='protocol' (or None) for the seeded 80/10/10 split"
            )
        return published
    if split == "protocol":
        raw = [(source, False) for source in spec.sources if not source.published]
        return raw + [(source, False) for source in spec.sources if source.published]
    raise WorkbenchError(f"split: expected 'paper', 'protocol' or None, got {split!r}")


@dataclass(frozen=True)
class _Found:
    source: _Source
    keep_split: bool
    matched: list[list[Path]]
    data_dir: Path


def _locate(spec: DatasetSpec, dirs: list[Path], split: Split | None) -> _Found | None:
    for source, keep_split in _candidates(spec, split):
        for folder in dirs:
            matched = _match(source, folder)
            if matched is not None:
                return _Found(source, keep_split, matched, folder)
    return None


def _expected_files(spec: DatasetSpec, split: Split | None, folder: Path) -> str:
    options = [
        " + ".join(str(folder / pattern) for pattern in source.patterns) for source, _ in _candidates(spec, split)
    ]
    return "; or ".join(dict.fromkeys(options))


def _not_found(spec: DatasetSpec, dirs: list[Path], split: Split | None) -> DataNotFoundError:
    looked = " and ".join(str(folder) for folder in dirs)
    return DataNotFoundError(
        f"{spec.name}: not found in {looked}. Put {_expected_files(spec, split, dirs[0])} there, "
        f"or pass data_dir / set {locations.ENVIRONMENT_VARIABLE} to a folder holding them"
    )


def _item_file(spec: DatasetSpec, dirs: list[Path], found_in: Path) -> Path | None:
    """The file with the items' titles and genres: beside the data found first, else in `dirs`."""
    if spec.titles is None:
        return None
    candidates = (spec.titles,) if isinstance(spec.titles, str) else spec.titles
    for folder in [found_in, *dirs]:
        for candidate in candidates:
            path = folder / candidate
            if path.is_file():
                return path
    return None


def _with_item_metadata(dataset: Dataset, item_file: Path | None) -> Dataset:
    """`dataset` with `item_titles` and `item_genres` read from `item_file` (unchanged when None)."""
    if item_file is None:
        return dataset
    return dataset.with_item_titles(read_movielens_titles(item_file)).with_item_genres(
        read_movielens_genres(item_file)
    )


def load_dataset(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    split: Split | None = None,
    min_interactions: int = 3,
    download: bool = True,
) -> Dataset:
    """Load the named dataset (one of DATASET_NAMES) as a `Dataset`.

    split: None (published split where there is one, else the seeded protocol), "paper" (the
    published split, required) or "protocol" (seeded 80/10/10 with `seed`, users with fewer than
    `min_interactions` distinct items dropped). `seed` also draws the validation carved out of
    LightGCN's train split. MovieLens datasets missing locally are downloaded into the user cache
    when `download` is true. Raises WorkbenchError for an unknown name or a seed that is not an
    integer in [0, 2**32 - 1], DataNotFoundError when the files are not found (saying which files
    to put where).
    """
    seed = check_seed(seed)
    spec = _spec(name)
    dirs = _search_dirs(data_dir)
    found = _locate(spec, dirs, split)
    if found is None and spec.download is not None and split != "paper":
        if not download:
            raise DataNotFoundError(
                locations.missing_message(spec.download, reason="not found and download=False", data_dir=dirs[0])
            )
        try:
            locations.download(spec.download)
        except DataNotFoundError as error:
            raise DataNotFoundError(
                f"{error} (looked in {' and '.join(map(str, dirs))} first)"
            ) from error
        found = _locate(spec, [locations.cache_dir()], split)
    if found is None:
        raise _not_found(spec, dirs, split)
    rows = found.source.read(found.matched, seed)
    if not found.keep_split and rows.split is not None:
        rows = dataclasses.replace(rows, split=None)
    dataset = build_dataset(spec.name, rows, seed=seed, min_interactions=min_interactions)
    return _with_item_metadata(dataset, _item_file(spec, dirs, found.data_dir))


def load_data_file(
    path: str | os.PathLike[str],
    seed: int = 0,
    min_interactions: int = 3,
    delimiter: str | None = None,
    header: bool | None = None,
) -> Dataset:
    """A `Dataset` from a user's own file (see `read_interactions_file`), named after the file stem.

    A folder holding `total_data.hdf5` + `index.npz` is read as the authors' format, keeping its
    split. Otherwise the seeded protocol applies (`seed`, an integer in [0, 2**32 - 1], and
    `min_interactions`).
    """
    seed = check_seed(seed)
    file = Path(path)
    if file.is_dir():
        rows = read_paper_split(file)
        return build_dataset(data_file_name(file), rows, seed=seed, min_interactions=min_interactions)
    rows = read_interactions_file(file, delimiter=delimiter, header=header)
    return build_dataset(data_file_name(file), rows, seed=seed, min_interactions=min_interactions)


def data_file_name(path: str | os.PathLike[str]) -> str:
    """The dataset name of a user's file: its stem ("log" for log.csv or log.csv.gz), a folder's name."""
    file = Path(path)
    if file.is_dir():
        return file.name
    name = file.name[: -len(".gz")] if file.name.endswith(".gz") else file.name
    return Path(name).stem


def is_dataset_name(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` names a registered dataset (else it is taken as a path to a file)."""
    return isinstance(source, str) and source in SPECS


def dataset_name(source: str | os.PathLike[str]) -> str:
    """The name the dataset of ``source`` will have, without loading it: the registered name or the file's stem."""
    return str(source) if is_dataset_name(source) else data_file_name(source)


def open_dataset(
    source: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None, seed: int = 0, parameter: str = "dataset",
) -> Dataset:
    """A registered dataset by name, or a user's CSV/TSV/parquet file (or paper-format folder) by path.

    Every place that names a dataset (a notebook's ``dataset`` parameter, the panel's list, the CLI's
    ``--dataset``) goes through here: a name is :func:`load_dataset`, a path :func:`load_data_file`
    (same reader, protocol and errors as ``workbench evaluate --data-file``), both with ``seed``.
    Raises WorkbenchError naming ``parameter`` when ``source`` is neither.
    """
    if is_dataset_name(source):
        return load_dataset(str(source), data_dir=data_dir, seed=seed)
    if not isinstance(source, (str, os.PathLike)) or not str(source).strip():
        raise WorkbenchError(f"{parameter}: expected a dataset name ({', '.join(SPECS)}) or a path to a data file, got {source!r}")
    path = Path(source).expanduser()
    if not path.exists():
        looks_like_file = path.suffix != "" or os.sep in str(source)
        what = f"no such file: {path}" if looks_like_file else "not a registered dataset and no such file"
        raise WorkbenchError(
            f"{parameter}: {source!r}: {what}; expected a dataset name ({', '.join(SPECS)}) or a path to a "
            "CSV/TSV/parquet file of user,item[,rating] rows"
        )
    return load_data_file(path, seed=seed)


def available_datasets(data_dir: str | os.PathLike[str] | None = None) -> list[DatasetAvailability]:
    """Each named dataset, whether its files are present (no download is tried), and where."""
    dirs = _search_dirs(data_dir)
    result = []
    for spec in SPECS.values():
        found = _locate(spec, dirs, None)
        if found is not None:
            source, files = found.source, [path for group in found.matched for path in group]
            shown = ", ".join(map(str, files[:2])) + (f" and {len(files) - 2} more" if len(files) > 2 else "")
            result.append(DatasetAvailability(spec.name, True, f"{source.label}: {shown}", spec.description))
            continue
        where = f"expected {_expected_files(spec, None, dirs[0])}"
        if spec.download is not None:
            where += f" (downloadable from {locations.DOWNLOADS[spec.download].url})"
        result.append(DatasetAvailability(spec.name, False, where, spec.description))
    return result
