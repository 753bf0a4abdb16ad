"""pyproject.toml (pip/uv) and environment.yml (conda) list the same dependencies with the same bounds."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import REPOSITORY

# Names that differ between PyPI and conda-forge.
CONDA_NAMES = {"pyyaml": "pyyaml"}


def _normalise(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def test_environment_yml_agrees_with_pyproject() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    wanted = dict(_normalise(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    environment = yaml.safe_load((REPOSITORY / "environment.yml").read_text())
    conda = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, str):
            name, bound = _normalise(entry)
            if name not in ("python", "pip"):
                conda[name] = bound
    assert conda == {CONDA_NAMES.get(name, name): bound for name, bound in wanted.items()}


def test_python_bound_agrees() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((REPOSITORY / "environment.yml").read_text())
    python = next(e for e in environment["dependencies"] if isinstance(e, str) and e.startswith("python"))
    assert python.replace("python", "") == project["requires-python"]
