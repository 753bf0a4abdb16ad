"""Atomic, collision-free file writes and a lock for read-merge-write caches: used by every writer.

:func:`atomic_write` (a stream) and :func:`write_atomic` (bytes or text) write to a unique temporary
file in the target's folder (``tempfile.mkstemp``: two writers never share a name), flush and fsync
it, then rename it over the target (``os.replace``, atomic on POSIX) and fsync the folder. A reader
sees the old file or the new one, never half of one; a write that fails (disk full, a file-size
limit, an exception or Ctrl-C in the middle) leaves the old file as it was and no temporary behind.
The new file gets the usual permissions (0666 less the umask), not mkstemp's 0600.

:func:`file_lock` serialises the processes that read a cache, merge their rows into it and write
it back (``fcntl.flock`` on a ``.<name>.lock`` file beside it, created once and never removed:
removing a lock file that another process is waiting on would let two processes in). The kernel
releases the lock when its holder exits, even when killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

_UMASK: int | None = None


def _umask() -> int:
    """The process's umask, read once (from /proc where it is, else by setting and restoring it)."""
    global _UMASK
    if _UMASK is None:
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                line = next(line for line in status if line.startswith("Umask:"))
            _UMASK = int(line.split()[1], 8)
        except (OSError, StopIteration, ValueError, IndexError):
            _UMASK = os.umask(0o022)
            os.umask(_UMASK)
    return _UMASK


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows opening a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream whose content replaces ``path`` when the block ends without an exception.

    The parent folder is created if missing. On an exception (in the block, or while flushing,
    syncing or renaming) the temporary file is removed, ``path`` is left untouched and the
    exception propagates (an ``OSError`` for a failed write: callers name the file in their error).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(target.parent)


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text is encoded with ``encoding``) to ``path`` atomically; returns the path."""
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    with atomic_write(path) as stream:
        stream.write(payload)
    return Path(path)


def remove_stale_temporaries(path: str | os.PathLike[str]) -> int:
    """Remove the temporaries :func:`atomic_write` left beside ``path`` in processes that were killed.

    A process killed by SIGKILL (or a power cut) between creating its temporary and renaming it
    cannot remove it. Call this only while holding :func:`file_lock` on ``path``, for a file that is
    written only under that lock: then no temporary of ``path`` can belong to a live writer.
    Returns how many were removed.
    """
    target = Path(path)
    removed = 0
    for temporary in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            temporary.unlink()
            removed += 1
    return removed


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file of ``path``: ``.<name>.lock`` in the same folder."""
    target = Path(path)
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` (through :func:`lock_path`) for the block; waits for it.

    Every process that reads, merges and rewrites ``path`` must do so inside this block, so that none
    overwrites rows another wrote after it read. Raises ``OSError`` when the lock file cannot be made.
    """
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield lock
    finally:
        os.close(descriptor)  # closing releases the lock


__all__ = ["atomic_write", "file_lock", "lock_path", "remove_stale_temporaries", "write_atomic"]
