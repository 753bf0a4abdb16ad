"""The seeded Netflix-shaped generator (`workbench.data.generate`), its files, its dataset and its command."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main
from workbench.data import available_datasets, load_dataset, locations
from workbench.data.generate import (
    NETFLIX,
    _first_distinct,
    GenerateConfig,
    fit_user_sigma,
    generate,
    read_generated,
    sample_items,
    write_generated,
)
from workbench.errors import DataNotFoundError, WorkbenchError


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's cache and $WORKBENCH_DATA out of the tests."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setattr(locations, "cache_dir", lambda: cache)
    monkeypatch.delenv(locations.ENVIRONMENT_VARIABLE, raising=False)


@pytest.fixture(scope="module")
def one_percent():
    """Scale 0.01 (4,802 users, about 1 M interactions; under a second)."""
    return generate(GenerateConfig(like="netflix", scale=0.01, seed=0))


def test_config_refuses_bad_values() -> None:
    for scale in (0, -0.5, 1.5, math.nan, math.inf, "0.1", True, None):
        with pytest.raises(WorkbenchError, match=r"scale: expected a number in \(0, 1\]"):
            GenerateConfig(scale=scale)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match=r"like: expected one of netflix, got 'imdb'"):
        GenerateConfig(like="imdb")
    for seed in (-1, 1.5, True):
        with pytest.raises(WorkbenchError, match="seed: expected an integer >= 0"):
            GenerateConfig(seed=seed)  # type: ignore[arg-type]
    config = GenerateConfig(scale=1)
    assert config.scale == 1.0 and config.n_users == 480_189 and config.dataset_name == "synthetic-netflix"
    assert GenerateConfig(scale=1e-9).n_users == 1


def test_same_seed_same_data_different_seed_different_data() -> None:
    first = generate(GenerateConfig(scale=0.002, seed=0))
    again = generate(GenerateConfig(scale=0.002, seed=0))
    other = generate(GenerateConfig(scale=0.002, seed=1))
    assert np.array_equal(first.users, again.users) and np.array_equal(first.items, again.items)
    assert len(first) != len(other) or not np.array_equal(first.items, other.items)
    assert first.metadata() == again.metadata()


def test_pairs_are_distinct_sorted_int32_and_every_user_has_one(one_percent) -> None:
    data = one_percent
    assert data.users.dtype == np.int32 and data.items.dtype == np.int32
    keys = data.users.astype(np.int64) * (data.n_items + 1) + data.items
    assert np.all(np.diff(keys) > 0)  # sorted by (user, item), hence no repeated pair
    assert data.n_users == 4_802 and data.n_items == 17_770
    assert data.users.min() == 1 and data.users.max() == data.n_users
    assert data.items.min() >= 1 and data.items.max() <= data.n_items
    assert np.bincount(data.users)[1:].min() >= 1


def test_statistics_at_one_percent_are_near_the_scaled_targets(one_percent) -> None:
    """Scale 0.01: users keep Netflix's degree distribution; item degrees are Netflix's × 0.01.

    Tolerances: the mean user degree of 4,802 log-normal draws has a standard error of about 3 %,
    so 10 %; the median 10 %; item degrees (over the 17,770 catalogue items, zeros included) are
    small counts at this scale: median (5.6 expected) 25 %, mean 10 %, max 15 %.
    """
    metadata = one_percent.metadata()
    users, items, target = metadata["user_degree"], metadata["item_degree"], metadata["target"]
    assert users["min"] == 1 and users["max"] <= 17_653
    assert users["median"] == pytest.approx(96, rel=0.10)
    assert users["mean"] == pytest.approx(100_480_507 / 480_189, rel=0.10)
    assert metadata["interactions"] == pytest.approx(100_480_507 * 0.01, rel=0.10)
    assert target["item_degree"]["median"] == pytest.approx(5.61)
    assert items["median"] == pytest.approx(5.61, rel=0.25)
    assert items["mean"] == pytest.approx(5_654.5 * 0.01, rel=0.10)
    assert items["max"] == pytest.approx(232_944 * 0.01, rel=0.15)
    assert metadata["density"] == pytest.approx(100_480_507 / (480_189 * 17_770), rel=0.10)
    assert metadata["items_with_interactions"] > 0.95 * 17_770


def _inclusion(weights: np.ndarray, size: int) -> np.ndarray:
    """Exact P(item i among `size` items drawn without repetition ∝ weights), by enumeration."""
    probability = np.zeros(weights.shape[0])
    for sequence in itertools.permutations(range(weights.shape[0]), size):
        p, left = 1.0, 1.0
        for item in sequence:
            p *= weights[item] / left
            left -= weights[item]
        probability[list(sequence)] += p
    return probability


@pytest.mark.parametrize("size", [2, 4])  # 2: draws with replacement, first occurrences; 4 = n - 1: the race
def test_sample_items_is_successive_sampling(size: int) -> None:
    weights = np.array([0.45, 0.25, 0.15, 0.1, 0.05])
    n_users = 20_000
    users, items = sample_items(np.full(n_users, size), weights, np.random.default_rng(5))
    assert np.array_equal(np.bincount(users), np.full(n_users, size))
    keys = users.astype(np.int64) * 5 + items
    assert np.unique(keys).shape[0] == keys.shape[0]
    observed = np.bincount(items, minlength=5) / n_users
    expected = _inclusion(weights, size)
    error = np.sqrt(expected * (1 - expected) / n_users)
    assert np.all(np.abs(observed - expected) <= 4 * error + 1e-12), (observed, expected)


def test_stream_extended_for_users_it_fell_short_for_stays_exact() -> None:
    """A tiny draw budget (4 draws for 4 of 5 items) makes most users need the stream's continuation."""
    weights = np.array([0.45, 0.25, 0.15, 0.1, 0.05])
    n_users = 20_000
    users, items = _first_distinct(
        np.full(n_users, 4), np.zeros(n_users), np.cumsum(weights), np.random.default_rng(6)
    )
    assert np.array_equal(np.bincount(users), np.full(n_users, 4))
    assert np.unique(users * 5 + items).shape[0] == users.shape[0]
    observed = np.bincount(items, minlength=5) / n_users
    expected = _inclusion(weights, 4)
    assert np.all(np.abs(observed - expected) <= 4 * np.sqrt(expected * (1 - expected) / n_users) + 1e-12)


def test_fitted_user_sigma_is_the_one_used() -> None:
    sigma = fit_user_sigma(96, 100_480_507 / 480_189, 17_653)
    assert sigma == pytest.approx(NETFLIX.user_sigma, abs=1e-5)


def test_written_folder_loads_as_a_named_dataset(tmp_path: Path) -> None:
    data = generate(GenerateConfig(scale=0.002, seed=4))
    folder = write_generated(data, tmp_path)
    assert folder == tmp_path / "synthetic-netflix"
    assert sorted(path.name for path in folder.iterdir()) == ["interactions.npz", "metadata.json"]  # no temporaries
    metadata = json.loads((folder / "metadata.json").read_text())
    assert (metadata["like"], metadata["scale"], metadata["seed"]) == ("netflix", 0.002, 4)
    assert metadata["interactions"] == len(data) and metadata["n_users"] == data.n_users
    rows = read_generated(folder / "interactions.npz")
    assert np.array_equal(rows.users, data.users) and rows.users.dtype == np.int64
    dataset = load_dataset("synthetic-netflix", data_dir=tmp_path, seed=1)
    assert dataset.split_origin == "seeded 80/10/10 split, seed 1"
    kept = np.bincount(data.users)[1:] >= 3
    assert dataset.n_users == int(kept.sum())
    assert dataset.statistics()["total"].interactions == int(np.bincount(data.users)[1:][kept].sum())
    listing = {row.name: row for row in available_datasets(tmp_path)}
    assert listing["synthetic-netflix"].available


def test_read_generated_names_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="interactions.npz: not found"):
        read_generated(tmp_path / "interactions.npz")
    np.savez(tmp_path / "other.npz", rows=np.arange(3))
    with pytest.raises(WorkbenchError, match=r"expected arrays 'users' and 'items'"):
        read_generated(tmp_path / "other.npz")
    np.savez(tmp_path / "short.npz", users=np.arange(3), items=np.arange(2))
    with pytest.raises(WorkbenchError, match="'users' has 3 entries but 'items' 2"):
        read_generated(tmp_path / "short.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(WorkbenchError, match="not a readable .npz file"):
        read_generated(tmp_path / "text.npz")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "short.npz").read_bytes()[:60])
    with pytest.raises(WorkbenchError, match="not a readable .npz file"):
        read_generated(tmp_path / "cut.npz")
    with pytest.raises(DataNotFoundError, match="synthetic-netflix/interactions.npz"):
        load_dataset("synthetic-netflix", data_dir=tmp_path)


def test_cli_generate_writes_the_folder_and_says_how_to_use_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "data"
    assert main(["generate", "--like", "netflix", "--scale", "0.002", "--seed", "3", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert f"--data-dir {output} --dataset synthetic-netflix" in printed
    assert str(output / "synthetic-netflix") in printed
    assert json.loads((output / "synthetic-netflix" / "metadata.json").read_text())["seed"] == 3
    assert load_dataset("synthetic-netflix", data_dir=output).n_users > 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scale", "0"], r"error: --scale: expected a number in \(0, 1\], got 0.0"),
        (["--scale", "1.5"], r"error: --scale: expected a number in \(0, 1\], got 1.5"),
        (["--scale", "tenth"], r"error: --scale: expected a number in \(0, 1\], got 'tenth'"),
        (["--like", "imdb"], r"error: --like: expected one of netflix, got 'imdb'"),
    ],
)
def test_cli_generate_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["generate", *arguments, "--output", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert error.startswith("error:") and re.search(message, error)
    assert not (tmp_path / "synthetic-netflix").exists()


def test_cli_generate_refuses_a_file_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "data.txt"
    file.write_text("x")
    assert main(["generate", "--scale", "0.001", "--output", str(file)]) == 2
    assert "error: --output" in capsys.readouterr().err
