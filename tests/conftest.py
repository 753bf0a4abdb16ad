"""Shared fixtures: where the real datasets are, and small generated data for fast tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

REPOSITORY = Path(__file__).resolve().parents[1]


def _real_data_dir() -> Path | None:
    configured = os.environ.get("WORKBENCH_DATA")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPOSITORY.parent / "shared" / "data")
    for candidate in candidates:
        if (candidate / "ml-1m").is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder holding the real datasets; tests that need it skip, saying why, when it is absent."""
    found = _real_data_dir()
    if found is None:
        pytest.skip("real datasets not found: set WORKBENCH_DATA or place them in ../shared/data")
    return found


def random_binary_matrix(n_users: int, n_items: int, density: float, seed: int) -> sp.csr_matrix:
    """A binary user x item matrix with popularity skew and at least 3 items per user (float32)."""
    rng = np.random.default_rng(seed)
    popularity = rng.zipf(1.6, size=n_items).astype(np.float64)
    popularity /= popularity.sum()
    rows = []
    for _ in range(n_users):
        size = max(3, rng.binomial(n_items, density))
        rows.append(rng.choice(n_items, size=min(size, n_items), replace=False, p=popularity))
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.concatenate(rows).astype(np.int32)
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(n_users, n_items))
    matrix.sort_indices()
    return matrix


def generated_dataset(n_users: int, n_items: int, density: float, seed: int):
    """A Dataset (the package's random split, seed 0) of :func:`random_binary_matrix`'s interactions."""
    from workbench.data import Interactions, build_dataset

    users, items = random_binary_matrix(n_users, n_items, density, seed=seed).nonzero()
    interactions = Interactions(users=users.astype(np.int64), items=items.astype(np.int64), ratings=None, split=None, source="generated")
    return build_dataset("generated", interactions, seed=0)


@pytest.fixture
def offline_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty cache folder instead of the user's; any download attempt fails loudly."""
    import pooch

    from workbench.data import locations

    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setattr(locations, "cache_dir", lambda: folder)

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("no network in tests")

    monkeypatch.setattr(pooch, "retrieve", offline)
    return folder
