"""How much of Distill-CF's first summary is the real users it starts from? Share of its mass on their items, by τ.

    python benchmarks/distill_start_signal.py [--datasets ml-1m,gowalla] [--temperatures 0.3,0.5,0.7,1,5,10]
        [--start-logits 1] [--rows 100] [--draws 200] [--seed 42] [--output FILE]

Distill-CF starts its logits Z at the binary rows of μ random users and draws the summary
clip(Σ_{j≤γ} softmax((Z + g_j)/τ), 0, 1). A user's own items have logit 1 and the others 0, so one
draw puts about k·e^{1/τ} / (k·e^{1/τ} + d − k) of its mass on the user's k items: at a large τ and
many items d that is little, and the summary starts close to uniform rows that say almost nothing
about the users (``DistillConfig.start_logit`` s gives the user's items logit s instead of 1;
``--start-logits`` measures several). This script measures it with the package's own draw
(:func:`workbench.distill.draw_summary`, seed ``--seed``): for the first ``--rows`` of the μ = 500
starting users that :func:`workbench.distill.init` picks at that seed, the share of the clipped
summary's mass on each row's own items (mean over rows), against the share k/d of a uniform row,
and the mean cosine between a summary row and its own starting row. No optimiser step is taken.
Writes benchmarks/results/distill_start_signal.json (atomically): the machine, the settings and
one entry per dataset, τ and starting logit.
"""

from __future__ import annotations

import argparse
import itertools
import json
from datetime import date
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="ml-1m,gowalla")
    parser.add_argument("--temperatures", default="0.3,0.5,0.7,1,5,10")
    parser.add_argument("--start-logits", default="1", help="comma-separated starting logits s of a user's items (1)")
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "distill_start_signal.json")
    args = parser.parse_args()

    import jax
    import numpy as np

    from workbench.atomic import write_atomic
    from workbench.data import load_dataset
    from workbench.distill import DistillConfig, draw_summary

    entries = []
    for name in args.datasets.split(","):
        dataset = load_dataset(name)
        active = np.flatnonzero(np.diff(dataset.train.indptr) > 0)
        users = np.sort(np.random.default_rng(args.seed).choice(active, size=args.budget, replace=False))[: args.rows]
        rows = dataset.train[users].toarray().astype(np.float32)  # (rows, d): the starting logits of init
        own = rows > 0
        sizes = own.sum(axis=1)
        for start_logit, temperature in itertools.product(
            (float(text) for text in args.start_logits.split(",")), [float(text) for text in args.temperatures.split(",")]
        ):
            config = DistillConfig(budget=args.rows, draws=args.draws, temperature=temperature, start_logit=start_logit)
            key = jax.random.fold_in(jax.random.key(args.seed), 0)
            logits = jax.numpy.asarray(rows * np.float32(start_logit))  # as init() makes them
            summary = np.asarray(draw_summary(logits, key, config), dtype=np.float64)
            mass = summary.sum(axis=1)
            share = (summary * own).sum(axis=1) / mass
            cosine = (summary * own).sum(axis=1) / (np.linalg.norm(summary, axis=1) * np.sqrt(sizes))
            entries.append({
                "dataset": name, "n_items": dataset.n_items, "temperature": temperature, "start_logit": start_logit,
                "mean_items_per_row": float(sizes.mean()),
                "uniform_share": float(np.mean(sizes / dataset.n_items)),
                "share_on_own_items": float(share.mean()),
                "cosine_with_own_row": float(cosine.mean()),
                "mean_row_mass": float(mass.mean()),
            })
            print(json.dumps(entries[-1]), flush=True)
    payload = {
        "question": "Distill-CF's first summary: its mass on the starting users' own items, by τ and starting logit",
        "date": date.today().isoformat(),
        "machine": describe(),
        "settings": {"rows": args.rows, "budget": args.budget, "draws": args.draws, "seed": args.seed},
        "entries": entries,
    }
    write_atomic(args.output, (json.dumps(payload, indent=2) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
