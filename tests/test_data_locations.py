"""Data-directory resolution and the (never real, in tests) MovieLens downloads."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pooch
import pytest

from workbench.data import load_dataset, locations, resolve_data_dir
from workbench.errors import DataNotFoundError

U_DATA = "".join(f"{u}\t{i}\t{(u + i) % 5 + 1}\t88125{u}{i}\n" for u in range(1, 6) for i in range(1, 8))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder instead of the user's; every download attempt fails loudly."""
    folder = tmp_path / "cache"
    monkeypatch.setattr(locations, "cache_dir", lambda: folder)

    def offline(*args, **kwargs):
        raise ConnectionError("no network in tests")

    monkeypatch.setattr(pooch, "retrieve", offline)
    monkeypatch.delenv(locations.ENVIRONMENT_VARIABLE, raising=False)
    return folder


def test_resolution_order(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, from_env = tmp_path / "explicit", tmp_path / "env"
    explicit.mkdir()
    from_env.mkdir()
    assert resolve_data_dir() == cache
    monkeypatch.setenv(locations.ENVIRONMENT_VARIABLE, str(from_env))
    assert resolve_data_dir() == from_env
    assert resolve_data_dir(explicit) == explicit
    assert resolve_data_dir(str(explicit)) == explicit


def test_bad_directories_are_named(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataNotFoundError, match=r"data_dir=.*missing.*not a directory"):
        resolve_data_dir(tmp_path / "missing")
    monkeypatch.setenv(locations.ENVIRONMENT_VARIABLE, str(tmp_path / "gone"))
    with pytest.raises(DataNotFoundError, match=r"WORKBENCH_DATA=.*gone.*not a directory"):
        resolve_data_dir()


def test_default_cache_is_pooch_os_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    assert locations.cache_dir() == Path(pooch.os_cache("workbench"))


def test_offline_download_says_which_files_to_put_where(tmp_path: Path, cache: Path) -> None:
    empty = tmp_path / "data"
    empty.mkdir()
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset("ml-1m", data_dir=empty)
    message = str(caught.value)
    assert "no network in tests" in message
    assert "ratings.dat" in message and "ml-1m.zip" in message and "/ml-1m/" in message
    assert "WORKBENCH_DATA" in message
    with pytest.raises(DataNotFoundError, match=r"u\.data.*ml-100k\.zip.*ml-100k/"):
        load_dataset("ml-100k", data_dir=empty)


def test_download_false_does_not_try(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: calls.append(a))
    with pytest.raises(DataNotFoundError, match=r"download=False.*u\.data"):
        load_dataset("ml-100k", data_dir=tmp_path, download=False)
    assert calls == []


def test_fake_download_unzips_into_the_cache_and_loads(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What pooch would do online, done by hand: save the zip, run the processor it was given."""
    requests = []

    def fake_retrieve(url, known_hash, fname, path, processor, progressbar):
        requests.append((url, known_hash))
        archive = Path(path) / fname
        with zipfile.ZipFile(archive, "w") as handle:
            handle.writestr("ml-100k/u.data", U_DATA)
            handle.writestr("ml-100k/u.item", "1|Toy Story (1995)|x||y|0\n2|GoldenEye (1995)|x||y|0\n")
        return processor(str(archive), "download", None)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    empty = tmp_path / "data"
    empty.mkdir()
    data = load_dataset("ml-100k", data_dir=empty)
    assert requests == [
        (
            "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
            "sha256:50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        )
    ]
    assert (cache / "ml-100k" / "u.data").is_file()
    assert data.n_users == 5 and data.n_items == 7
    assert data.item_titles[:2] == ("Toy Story (1995)", "GoldenEye (1995)")
    # Second call: found in the cache, no second download.
    load_dataset("ml-100k", data_dir=empty)
    assert len(requests) == 1


def test_data_dir_wins_over_cache(tmp_path: Path, cache: Path) -> None:
    (cache / "ml-100k").mkdir(parents=True)
    (cache / "ml-100k" / "u.data").write_text(U_DATA)
    mine = tmp_path / "mine" / "ml-100k"
    mine.mkdir(parents=True)
    (mine / "u.data").write_text("".join(f"{u}\t{i}\t5\t1\n" for u in (1, 2) for i in range(1, 5)))
    assert load_dataset("ml-100k", data_dir=tmp_path / "mine").n_users == 2
    assert load_dataset("ml-100k", data_dir=tmp_path).n_users == 5  # not in data_dir: the cache copy


def test_checksums_are_pinned() -> None:
    assert locations.DOWNLOADS["ml-1m"].sha256 == "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"
    assert all(len(spec.sha256) == 64 for spec in locations.DOWNLOADS.values())
