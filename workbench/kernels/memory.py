"""Memory estimates made before a large allocation, and a refusal that says what would fit instead."""

from __future__ import annotations

import os

import jax

from workbench.errors import MemoryBudgetError


def format_bytes(n_bytes: float) -> str:
    """A human-readable size: ``format_bytes(3 * 2**30) == '3.0 GiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n_bytes) < 1024 or unit == "TiB":
            return f"{n_bytes:.1f} {unit}" if unit != "B" else f"{int(n_bytes)} B"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def available_host_memory() -> int:
    """Bytes of host memory available now (``MemAvailable`` on Linux, free pages elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def available_device_memory() -> int:
    """Bytes available to JAX's default device: host memory on the CPU, the allocator's limit on a GPU."""
    device = jax.devices()[0]
    if device.platform == "cpu":
        return available_host_memory()
    stats = device.memory_stats() or {}
    limit = stats.get("bytes_limit")
    if limit is None:
        return available_host_memory()
    return int(limit) - int(stats.get("bytes_in_use", 0))


def require_memory(what: str, n_bytes: int, *, available: int | None = None, instead: str) -> None:
    """Refuse, before allocating, an allocation of ``n_bytes`` that would not fit.

    Args:
        what: what would be allocated, e.g. "the 29,858 x 29,858 user kernel (float32)".
        n_bytes: the estimated peak size in bytes.
        available: bytes available; defaults to :func:`available_device_memory`.
        instead: what the user can do instead (a smaller ``user_support``, a GPU, ...).

    Raises:
        MemoryBudgetError: when ``n_bytes`` exceeds what is available.
    """
    if available is None:
        available = available_device_memory()
    if n_bytes > available:
        raise MemoryBudgetError(
            f"{what} needs about {format_bytes(n_bytes)} but only {format_bytes(available)} is available; "
            f"nothing was allocated. {instead}"
        )
