"""The package as it was at another commit, for benchmarks that time an older code against today's.

:func:`checkout` makes a temporary detached git worktree of a commit and removes it afterwards; a
child process given ``PYTHONPATH=<worktree>`` imports that commit's ``workbench`` instead of this
checkout's. :func:`head` names this checkout's commit for the result files.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """A temporary worktree of ``commit`` (its root), removed on leaving, whatever happened inside."""
    with tempfile.TemporaryDirectory() as scratch:
        worktree = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), commit], check=True, cwd=ROOT)
        try:
            yield worktree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], check=False, cwd=ROOT)


def head() -> str:
    """This checkout's commit, abbreviated."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
