"""The README's "or a better model?" figure and numbers, from a recorded budget curve.

    python benchmarks/models_figure.py [--results FILE] [--models infinite-ae,svd-ae] [--sampler user-rns]
        [--metric HR@10] [--png docs/budget_models_ml1m.png] [--output FILE]

Reads the tidy results of ``workbench budget-curve`` (default benchmarks/results/budget_curve_ml1m.csv),
draws :func:`workbench.figures.models.models_figure` for one sampler and writes it as a PNG, and writes
benchmarks/results/models_curve.ml1m.json (atomically, workbench.atomic.write_atomic): per model and sampler, the
mean ± sd over seeds at each budget, each model's full-data value, the answer sentence of the first
model and the comparison sentence (:func:`workbench.budget.answer.compare_curves`).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results" / "budget_curve_ml1m.csv")
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--models", default="infinite-ae,svd-ae")
    parser.add_argument("--sampler", default="user-rns", help="the sampler drawn in the figure")
    parser.add_argument("--metric", default="HR@10")
    parser.add_argument("--png", type=Path, default=HERE.parent / "docs" / "budget_models_ml1m.png")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "models_curve.ml1m.json")
    args = parser.parse_args()

    from workbench.atomic import write_atomic
    from workbench.budget.answer import compare_curves
    from workbench.budget.curve import BudgetCurve
    from workbench.budget.runs import read_results
    from workbench.figures.export import export_png
    from workbench.figures.models import models_figure

    models = [name for name in args.models.split(",") if name]
    frame = read_results(args.results)
    curves = {model: BudgetCurve.from_results(frame, dataset=args.dataset, metric=args.metric, model=model) for model in models}
    per_model = {}
    for model, curve in curves.items():
        per_model[model] = {
            "full_data": curve.full_value,
            "points": [
                {key: (row[key] if key in ("sampler", "budget") else float(row[key]))
                 for key in ("sampler", "budget", "percent_users", "mean", "std", "seeds")}
                for _, row in curve.table.iterrows()
            ],
        }
    chosen = models[0]
    sentences = {}
    for sampler in curves[chosen].samplers:
        result = curves[chosen].answer(sampler=sampler)
        comparison = compare_curves(result, curves, chosen=chosen) if result is not None else None
        sentences[sampler] = {"answer": result.sentence if result else None, "comparison": comparison.sentence if comparison else None}
        print(f"{sampler}: {sentences[sampler]['answer']}\n    {sentences[sampler]['comparison']}")
    figure = models_figure(
        {model: curve.table for model, curve in curves.items()}, {model: curve.full_value for model, curve in curves.items()},
        sampler=args.sampler, metric=args.metric, dataset=args.dataset,
    )
    export_png(figure, args.png, width=900, height=500)
    result = {
        "question": f"{args.dataset}: more data, or a better model? {', '.join(models)} trained on the same samples",
        "date": date.today().isoformat(),
        "results": str(args.results.relative_to(HERE.parent)) if args.results.is_relative_to(HERE.parent) else str(args.results),
        "metric": args.metric,
        "models": per_model,
        "sentences": sentences,
        "figure": {"sampler": args.sampler, "png": str(args.png.relative_to(HERE.parent)) if args.png.is_relative_to(HERE.parent) else str(args.png)},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.output, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output} and {args.png}")


if __name__ == "__main__":
    main()
