"""How long a whole command takes (``make test``, ``make demo``), with pytest's counts when it prints them.

    python benchmarks/suite_time.py --name make-test -- make test
    python benchmarks/suite_time.py --name make-demo -- make demo

Runs the command after ``--`` in the current directory (run it in a fresh clone to time the set-up
too), passes its output through, and writes benchmarks/results/suite_time.<name>.json (a temporary
name, then renamed, in this script's repository): the command, its exit status, wall seconds, the
CPU seconds of it and its children, pytest's summary lines and their counts added up (passed,
failed, skipped, ...; ``make test`` runs pytest twice, the browser tests apart) when the output has
them, the date, the commit, and the machine
(``machine.describe``: CPU model, AVX2 or AVX-512, the load when it started).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent
SUMMARY = re.compile(r"^=*\s*(?P<body>\d+ (passed|failed|errors?|skipped)\b.*?) in (?P<seconds>[\d.]+)s\b")
COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="names the result file: suite_time.<name>.json")
    parser.add_argument("--output", type=Path)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")

    machine = describe()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() or None
    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    summaries: list[re.Match[str]] = []
    for line in process.stdout:  # type: ignore[union-attr]
        sys.stdout.write(line)
        if match := SUMMARY.search(line):
            summaries.append(match)
    counts: dict[str, int] = {}
    for match in summaries:
        for count, kind in COUNT.findall(match.group("body")):
            kind = kind.rstrip("s") if kind.startswith(("error", "warning")) else kind
            counts[kind] = counts.get(kind, 0) + int(count)
    status = process.wait()
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "question": f"wall and CPU time of `{' '.join(command)}`",
        "command": command,
        "directory": os.getcwd(),
        "commit": commit,
        "date": started_at.date().isoformat(),
        "started_utc": started_at.isoformat(timespec="seconds"),
        "machine": machine,
        "exit_status": status,
        "wall_seconds": wall,
        "cpu_seconds": children.ru_utime + children.ru_stime,
        "pytest_summary": [match.string.strip().strip("=").strip() for match in summaries] or None,
        "pytest_seconds": sum(float(match.group("seconds")) for match in summaries) if summaries else None,
        "pytest_counts": counts or None,
    }
    output = args.output or HERE / "results" / f"suite_time.{args.name}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, output)
    print(f"{' '.join(command)}: exit {status}, {wall:.0f} s wall, {result['cpu_seconds']:.0f} s CPU; wrote {output}")
    raise SystemExit(status)


if __name__ == "__main__":
    main()
