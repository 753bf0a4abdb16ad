"""Markers for the notebooks that pytest collects itself (nbval, ``testpaths`` in pyproject.toml).

Notebooks 01 and 03 load ML-1M: each of their cells is a ``notebook`` and ``real_data`` test, so
``-m "not notebook"`` or ``-m "not real_data"`` deselects them like every other such test, and they
skip, saying why, where the real datasets are not found.
"""

from __future__ import annotations

import pytest


def _have_real_data() -> bool:
    """Whether ``load_dataset("ml-1m")`` finds the data without a download (WORKBENCH_DATA or the cache)."""
    from workbench.data.locations import resolve_data_dir
    from workbench.errors import WorkbenchError

    try:
        return (resolve_data_dir() / "ml-1m").is_dir()
    except WorkbenchError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = None if _have_real_data() else pytest.mark.skip(
        reason="real datasets not found: set WORKBENCH_DATA (make test does when ../shared/data exists)"
    )
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.real_data)
            if missing is not None:
                item.add_marker(missing)
