"""``workbench reproduce`` with the machine it ran on: the README's paper-vs-measured table.

    python benchmarks/reproduce.py --dataset ml-1m [--output FILE]

Runs ``workbench reproduce --dataset DATASET`` (∞-AE, EASE and PopRec with their default grids) in
this process, prints its tables, and writes benchmarks/results/reproduce.<dataset>.json (written
to a temporary name, then renamed): the date, the machine (``machine.describe``: CPU model, AVX2 or
AVX-512, the load when it started), what it printed (``table``: the per-model tables, then the
summary) and every model's report as ``--output`` writes it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    from workbench.cli import main as workbench

    machine = describe()
    with tempfile.TemporaryDirectory() as folder:
        reports_path = Path(folder) / "reports.json"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            status = workbench(["reproduce", "--dataset", args.dataset, "--output", str(reports_path)])
        sys.stdout.write(printed.getvalue())
        if status != 0:
            raise SystemExit(status)
        reports = json.loads(reports_path.read_text(encoding="utf-8"))
    table = [line for line in printed.getvalue().splitlines() if line and not line.startswith("results written to")]
    result = {
        "question": f"workbench reproduce --dataset {args.dataset}: the paper's table, measured",
        "command": f"workbench reproduce --dataset {args.dataset}",
        "date": date.today().isoformat(),
        "machine": machine,
        "table": table,
        "reports": reports,
    }
    output = args.output or HERE / "results" / f"reproduce.{args.dataset}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    os.replace(temporary, output)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
