"""Did re-making budget-curve points repeat them? Two committed versions of a curve file, compared.

    python benchmarks/curve_repeat.py --before fc4147d^ --after fc4147d [--sampler distill-cf]

Reads ``--file`` (default benchmarks/results/budget_curve_ml1m.csv) as committed at the two git
revisions, matches rows on (sampler, budget, seed, model, split, metric), and counts, for the
sampler's rows, how many metric values are written identically (the same text, so the same float64
bit for bit) and how many entries of every other column changed; per budget it records both versions' ``fraction_interactions`` and the
new ``seconds`` range. Writes benchmarks/results/<file stem>.repeat.json (a temporary name, then
renamed). Reads git only; measures nothing, so the machine does not matter.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
KEY = ["sampler", "budget", "seed", "model", "split", "metric"]


def _git(*arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=REPOSITORY, check=True, capture_output=True, text=True).stdout


def _version(revision: str, path: str):
    import pandas as pd

    commit = _git("rev-parse", revision).strip()
    committed = _git("show", "-s", "--format=%cI", commit).strip()
    frame = pd.read_csv(io.StringIO(_git("show", f"{commit}:{path}")), dtype=str, keep_default_na=False)
    return {"revision": revision, "commit": commit, "committed": committed, "rows": len(frame)}, frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--file", default="benchmarks/results/budget_curve_ml1m.csv")
    parser.add_argument("--sampler", default="distill-cf")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    before_info, before = _version(args.before, args.file)
    after_info, after = _version(args.after, args.file)
    matched = before.merge(after, on=KEY, suffixes=("_before", "_after"), validate="one_to_one")
    rows = matched[matched["sampler"] == args.sampler]
    other = matched[matched["sampler"] != args.sampler]
    shared = [column for column in before.columns if column in after.columns and column not in KEY]
    changed = {column: int((rows[f"{column}_before"] != rows[f"{column}_after"]).sum()) for column in shared}
    per_budget = {
        budget: {
            "fraction_interactions_before": sorted(set(group["fraction_interactions_before"].astype(float))),
            "fraction_interactions_after": sorted(set(group["fraction_interactions_after"].astype(float))),
            "seconds_after": [float(group["seconds_after"].astype(float).min()), float(group["seconds_after"].astype(float).max())],
        }
        for budget, group in rows.groupby("budget")
    }
    result = {
        "question": f"{args.file}: do the {args.sampler} rows made again repeat the values?",
        "date": date.today().isoformat(),
        "before": before_info,
        "after": after_info,
        "sampler": args.sampler,
        "rows_compared": len(rows),
        "values_equal_bit_for_bit": int((rows["value_before"] == rows["value_after"]).sum()),
        "entries_changed_per_column": changed,
        "other_samplers_rows": len(other),
        "other_samplers_values_equal": int((other["value_before"] == other["value_after"]).sum()),
        "per_budget": per_budget,
    }
    output = args.output or HERE / "results" / f"{Path(args.file).stem}.repeat.json"
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    os.replace(temporary, output)
    print(f"{result['values_equal_bit_for_bit']} of {len(rows)} {args.sampler} values equal bit for bit; "
          f"entries changed per column: {changed}; wrote {output}")


if __name__ == "__main__":
    main()
