"""Do recorded budget-curve points come out the same from today's code? Recompute some, compare exactly.

    python benchmarks/curve_points.py [--points user-rns:1%:1,distill-cf:1%:1,...] [--recorded FILE]
        [--against OTHER.json] [--output FILE]

Each point (sampler:budget:seed, model ∞-AE) of the recorded ML-1M curve
(benchmarks/results/budget_curve_ml1m.csv, made with Distill-CF's settings stored in its rows) is
computed again through :func:`workbench.budget.runs.budget_curve` into a temporary file, and every
validation and test metric is compared with the recorded value: equal as float64, or the largest
difference. Writes benchmarks/results/curve_points.ml1m.json (temporary name, then renamed) with the
machine, the date, the commit and one entry per point (its values included).

``--against`` compares with another run of this script instead (its ``values``), for example one made
with an older checkout of the package on ``PYTHONPATH``: the script imports either layout (the
package's modules moved to ``workbench.budget``/``workbench.kernels`` on 2026-11-28).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent
DEFAULT_POINTS = "user-rns:1%:1,head-user:2%:2,svp-cf-user:1%:3,interaction-rns:1%:1,distill-cf:1%:1,full:100%:1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default=DEFAULT_POINTS, help="comma-separated sampler:budget:seed")
    parser.add_argument("--recorded", type=Path, default=HERE / "results" / "budget_curve_ml1m.csv")
    parser.add_argument("--against", type=Path, help="another run's JSON to compare with, instead of the recorded file")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "curve_points.ml1m.json")
    args = parser.parse_args()

    import workbench
    from workbench.data import load_dataset
    from workbench.distill import DistillConfig

    try:
        from workbench.budget.runs import BudgetCurveConfig, budget_curve, read_results
        from workbench.kernels.ntk import NTKConfig
    except ImportError:  # the layout before 2026-11-28
        from workbench.experiments import BudgetCurveConfig, budget_curve, read_results
        from workbench.ntk import NTKConfig

    machine = describe()
    recorded = read_results(args.recorded)
    settings = json.loads(next(text for text in recorded["settings"] if text))
    settings["ntk"] = NTKConfig(**settings["ntk"])
    settings["lambdas"] = tuple(settings["lambdas"])
    distill = DistillConfig(**settings)
    dataset = load_dataset("ml-1m")
    against = json.loads(args.against.read_text()) if args.against else None
    entries = []
    for text in args.points.split(","):
        sampler, budget, seed = text.split(":")
        config = BudgetCurveConfig(
            samplers=(sampler if sampler != "full" else "user-rns",), budgets=(budget,), models=("infinite-ae",),
            seeds=(int(seed),), distill=distill,
        )
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            frame, failures = budget_curve(dataset, config, Path(folder) / "points.csv", progress=False)
            seconds = time.perf_counter() - started
        if failures:
            raise SystemExit(f"{text}: {failures}")
        key = ["split", "metric"]
        mine = recorded[(recorded["sampler"] == sampler) & (recorded["budget"] == budget) & (recorded["seed"] == int(seed))
                        & (recorded["model"] == "infinite-ae")].set_index(key)["value"]
        if against is not None:
            other = next(point for point in against["points"] if point["point"] == text)["values"]
            mine = mine.copy()
            mine[:] = [other[f"{split} {metric}"] for split, metric in mine.index]
        again = frame.set_index(key)["value"].reindex(mine.index)
        difference = (again - mine).abs()
        entry = {
            "point": text, "compared": int(len(mine)), "identical": int((again == mine).sum()),
            "max_abs_difference": float(difference.max()), "seconds": seconds,
            "values": {f"{split} {metric}": float(value) for (split, metric), value in again.items()},
        }
        entries.append(entry)
        print(f"{text}: {entry['identical']}/{entry['compared']} identical, max |Δ| {entry['max_abs_difference']:.3g} ({seconds:.0f} s)")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    result = {
        "question": "do recorded budget-curve points reproduce exactly with today's code?",
        "compared_with": str(args.against) if args.against else str(args.recorded.relative_to(HERE.parent)),
        "package": str(Path(workbench.__file__).parent), "dataset": dataset.name, "split": dataset.split_origin,
        "distill_settings": dataclasses.asdict(distill), "date": date.today().isoformat(), "commit": commit,
        "machine": machine, "points": entries,
    }
    temporary = args.output.with_name(f".{args.output.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
