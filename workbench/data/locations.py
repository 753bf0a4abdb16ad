"""Where the data lives, and the downloads of the datasets that have a publisher's URL.

Resolution order of the data directory (`resolve_data_dir`):

1. the explicit `data_dir` argument;
2. the environment variable `WORKBENCH_DATA`;
3. the user cache, `pooch.os_cache("workbench")` (e.g. `~/.cache/workbench` on Linux).

Layout inside a data directory: one folder per dataset, named as in :mod:`workbench.data.registry`
(`ml-1m/ratings.dat` or `ml-1m/paper/...`, `ml-100k/u.data`, `ml-10m/ratings.dat` (or the zip's own
`ml-10M100K/ratings.dat`), `ml-20m/ratings.csv`, `lightgcn-gowalla/train.txt`, ...).

Downloads (MovieLens only: GroupLens publishes the zips) go to the user cache, never to the
data directory (which may be read-only), and are checked against the archive's sha256.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pooch

from workbench.errors import DataNotFoundError

ENVIRONMENT_VARIABLE = "WORKBENCH_DATA"


@dataclass(frozen=True)
class Download:
    """A publisher's zip holding `folder/<files>`; `sha256` of the zip, as published/pinned."""

    name: str
    url: str
    sha256: str
    folder: str
    files: tuple[str, ...]


#: sha256 of the GroupLens zips. Each value is quoted, identically, by several independent public
#: projects that pin these archives (next to the md5 that GroupLens publishes beside each file:
#: c4d9eecf… for ml-1m.zip, 0e33842e… for ml-100k.zip, ce571fd5… for ml-10m.zip (65,566,137
#: bytes), cd245b17… for ml-20m.zip (198,702,078 bytes)). The ML-10M zip unpacks to `ml-10M100K/`.
DOWNLOADS: dict[str, Download] = {
    "ml-100k": Download(
        name="ml-100k",
        url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        folder="ml-100k",
        files=("u.data", "u.item"),
    ),
    "ml-1m": Download(
        name="ml-1m",
        url="https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        folder="ml-1m",
        files=("ratings.dat", "movies.dat"),
    ),
    "ml-10m": Download(
        name="ml-10m",
        url="https://files.grouplens.org/datasets/movielens/ml-10m.zip",
        sha256="813c411ccb6122564edfe752e7f80c4dcc5aa25fa94c93622f6877a7ba252862",
        folder="ml-10M100K",
        files=("ratings.dat", "movies.dat"),
    ),
    "ml-20m": Download(
        name="ml-20m",
        url="https://files.grouplens.org/datasets/movielens/ml-20m.zip",
        sha256="96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
        folder="ml-20m",
        files=("ratings.csv", "movies.csv"),
    ),
}


def cache_dir() -> Path:
    """The user cache for downloads: `pooch.os_cache("workbench")` (not created here)."""
    return Path(pooch.os_cache("workbench"))


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `data_dir`, else $WORKBENCH_DATA, else the user cache (module docstring).

    An explicit `data_dir` or a set WORKBENCH_DATA that is not a directory raises
    DataNotFoundError naming it. The cache is returned even if it does not exist yet.
    """
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"data_dir={str(data_dir)!r}: not a directory")
        return path
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"{ENVIRONMENT_VARIABLE}={configured!r}: not a directory")
        return path
    return cache_dir()


def download(name: str) -> Path:
    """Download and unzip dataset `name` into the user cache; the folder holding its files.

    The zip is fetched by `pooch.retrieve` (sha256-checked, kept in the cache, so later calls do
    not download again) and unpacked with `pooch.Unzip` into the cache, giving `<cache>/<folder>/`
    (the zips hold a top folder of that name); pooch re-extracts when an unpacked file is missing.
    Any failure (offline, checksum mismatch, bad zip) raises DataNotFoundError saying which files
    to put where instead.
    """
    spec = DOWNLOADS[name]
    cache = cache_dir()
    target = cache / spec.folder
    try:
        cache.mkdir(parents=True, exist_ok=True)
        pooch.retrieve(
            spec.url,
            known_hash=f"sha256:{spec.sha256}",
            fname=f"{spec.name}.zip",
            path=cache,
            processor=pooch.Unzip(extract_dir="."),  # relative to the zip's folder: the cache
            progressbar=False,
        )
    except Exception as error:  # network, checksum, disk and zip errors all mean: not available
        raise DataNotFoundError(missing_message(name, reason=f"download of {spec.url} failed: {error}")) from error
    missing = [file for file in spec.files if not (target / file).is_file()]
    if missing:
        raise DataNotFoundError(missing_message(name, reason=f"{spec.url} did not contain {', '.join(missing)}"))
    return target


def missing_message(name: str, reason: str, data_dir: Path | None = None) -> str:
    """Where to put the files of downloadable dataset `name` by hand."""
    spec = DOWNLOADS[name]
    where = data_dir if data_dir is not None else f"${ENVIRONMENT_VARIABLE}"
    files = " and ".join(spec.files)
    return (
        f"{name}: {reason}. Put {files} from {spec.url.rsplit('/', 1)[-1]} ({spec.url}) into "
        f"{where}/{spec.folder}/ (or into {cache_dir() / spec.folder}/), or set {ENVIRONMENT_VARIABLE} "
        f"to a folder holding {spec.folder}/{spec.files[0]}"
    )
