"""What a result was measured on: CPU model, cores, memory, vector-instruction class, load. Imported by the
benchmark scripts (``from machine import describe``) so that every JSON they write says it.

The vector class matters: the same 2-core AMD EPYC session machines came with AVX2 or with AVX-512,
and OpenBLAS and XLA kernels differ by up to 3× between them. ``load_average`` is the 1-minute load
when the measurement started: above the core count, other work shared the cores.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace") if Path("/proc/cpuinfo").exists() else ""
    fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    meminfo = Path("/proc/meminfo").read_text(encoding="ascii", errors="replace") if Path("/proc/meminfo").exists() else ""
    memory_kib = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), None)
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "neither AVX2 nor AVX-512" if flags else "unknown"
    return {
        "cpu": fields.get("model name") or platform.processor() or platform.machine(),
        "cpu_family": fields.get("cpu family"),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1) if memory_kib else None,
        "vector": vector,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "platform": platform.platform(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "nice": os.nice(0) if hasattr(os, "nice") else None,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(describe(), indent=2))
