"""The ``workbench`` command line: ``evaluate``, ``reproduce`` and ``datasets``.

User errors (a missing file, a bad parameter, a kernel that will not fit) print one line starting
with ``error:`` and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

METRICS_SHOWN = ("HR@10", "HR@100", "NDCG@10", "NDCG@100", "PSP@10", "PSP@100", "AUC")


def _float_list(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 1,5,20, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="ml-1m", help="dataset name (see `workbench datasets`); default ml-1m")
    parser.add_argument("--data-file", type=Path, help="your own CSV/TSV/parquet of user,item[,rating] instead of --dataset")
    parser.add_argument("--data-dir", type=Path, help="folder with the datasets (default: $WORKBENCH_DATA, then a user cache)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the split (where the dataset has none), AUC negatives and user support")


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lambdas", type=_float_list, help="λ grid, comma-separated (∞-AE default 1,5,20,50,100)")
    parser.add_argument("--user-support", type=_positive_int, help="∞-AE: fit on this many random users")
    parser.add_argument("--depth", type=_positive_int, default=1, help="∞-AE: hidden layers of the infinitely wide network")
    parser.add_argument("--float64", action="store_true", help="compute in float64 (default float32)")
    parser.add_argument("--linear-algebra", choices=("auto", "scipy", "jax"), default="auto", help="dense algebra backend")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def build_parser() -> argparse.ArgumentParser:
    from workbench.models import MODEL_NAMES

    parser = argparse.ArgumentParser(prog="workbench", description="Data-centric recommendation research: ∞-AE, EASE, PopRec.")
    commands = parser.add_subparsers(dest="command", required=True)

    evaluate = commands.add_parser("evaluate", help="choose λ on validation, evaluate on test, print a table")
    _add_data_arguments(evaluate)
    evaluate.add_argument("--model", default="infinite-ae", help=f"one of: {', '.join(MODEL_NAMES)}")
    _add_model_arguments(evaluate)
    evaluate.add_argument("--output", type=Path, help="write the results as JSON to this file")

    reproduce = commands.add_parser("reproduce", help="the paper's table for several models, paper vs measured")
    _add_data_arguments(reproduce)
    reproduce.add_argument("--models", default=",".join(MODEL_NAMES), help="comma-separated models")
    _add_model_arguments(reproduce)
    reproduce.add_argument("--output", type=Path, help="write all results as JSON to this file")

    datasets = commands.add_parser("datasets", help="list the datasets and where each was found")
    datasets.add_argument("--data-dir", type=Path, help="folder with the datasets")
    return parser


def _model_options(args: argparse.Namespace, model: str) -> dict[str, Any]:
    from workbench.ntk import NTKConfig

    options: dict[str, Any] = {}
    dtype = "float64" if args.float64 else "float32"
    if model == "infinite-ae":
        options.update(ntk=NTKConfig(depth=args.depth), dtype=dtype, linear_algebra=args.linear_algebra)
        if args.user_support is not None:
            options["user_support"] = args.user_support
        if args.lambdas is not None:
            options["lambdas"] = args.lambdas
    elif model == "ease":
        options.update(dtype=dtype, linear_algebra=args.linear_algebra)
        if args.lambdas is not None:
            options["lambdas"] = args.lambdas
    return options


def _load(args: argparse.Namespace) -> Any:
    from workbench.data import load_data_file, load_dataset

    if args.data_file is not None:
        return load_data_file(args.data_file, seed=args.seed)
    return load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)


def format_report(report: Any) -> str:
    """A model's report as text: validation, test and the paper's value per metric, and the λ curve."""
    from workbench.reference import paper_metrics

    paper = paper_metrics(report.dataset, report.model)
    chosen = ", ".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}" for key, value in report.hyperparameters.items())
    lines = [f"{report.model} on {report.dataset}" + (f" ({chosen})" if chosen else ""), ""]
    lines.append(f"{'metric':<10}{'validation':>12}{'test':>10}{'paper':>10}{'test-paper':>12}")
    for metric in METRICS_SHOWN:
        if metric not in report.test:
            continue
        reference = paper.get(metric)
        lines.append(
            f"{metric:<10}{report.validation.get(metric, float('nan')):>12.2f}{report.test[metric]:>10.2f}"
            + (f"{reference:>10.2f}{report.test[metric] - reference:>+12.2f}" if reference is not None else f"{'':>10}{'':>12}")
        )
    if len(report.selection) > 1:
        lines += ["", "λ curve (validation HR@100):"]
        best = report.hyperparameters.get("lambda")
        for step in report.selection:
            lam = step.hyperparameters.get("lambda")
            marker = "  <- chosen" if lam == best else ""
            lines.append(f"  λ = {lam:>8g}   HR@100 = {step.validation['HR@100']:6.2f}{marker}")
    lines += [
        "",
        f"users evaluated: {report.users['validation_evaluated']:,} (validation), {report.users['test_evaluated']:,} (test); "
        f"skipped without positives: {report.users['validation_skipped']}, {report.users['test_skipped']}",
        f"seconds: {report.seconds['total']:.1f} ({report.seconds['select_on_validation']:.1f} selecting on validation, "
        f"{report.seconds['test']:.1f} test)",
    ]
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)


def _write_json(path: Path, payload: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, default=float) + "\n", encoding="utf-8")
    except OSError as error:
        raise WorkbenchError(f"--output {path}: cannot write the results ({error.strerror})") from None
    print(f"results written to {path}")


def _run_models(args: argparse.Namespace, models: Sequence[str]) -> list[Any]:
    from workbench.evaluation import evaluate_model
    from workbench.models import make_model

    model_objects = [make_model(name, **_model_options(args, name)) for name in models]  # validate all first
    dataset = _load(args)
    print(dataset)
    print()
    reports = []
    for model in model_objects:
        report = evaluate_model(model, dataset, seed=args.seed, progress=not args.no_progress)
        print(format_report(report))
        print()
        reports.append(report)
    return reports


def command_evaluate(args: argparse.Namespace) -> int:
    if args.output is not None and args.output.is_dir():
        raise WorkbenchError(f"--output {args.output} is a folder; give a file name such as results.json")
    (report,) = _run_models(args, [args.model])
    if args.output is not None:
        _write_json(args.output, report.to_json())
    return 0


def command_reproduce(args: argparse.Namespace) -> int:
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    if args.lambdas is not None and len(models) > 1:
        raise WorkbenchError("--lambdas applies to one model; with --models give a single model or leave the default grids")
    reports = _run_models(args, models)
    print(summary_table(reports))
    if args.output is not None:
        _write_json(args.output, [report.to_json() for report in reports])
    return 0


def summary_table(reports: Sequence[Any]) -> str:
    """One line per model: measured test NDCG@10 and HR@10 next to the paper's."""
    from workbench.reference import paper_metrics

    lines = [f"{'model':<14}{'NDCG@10':>9}{'paper':>8}{'HR@10':>8}{'paper':>8}{'HR@100':>8}{'paper':>8}{'λ':>8}{'seconds':>9}"]
    for report in reports:
        paper = paper_metrics(report.dataset, report.model)

        def cell(metric: str, source: Any) -> str:
            value = source.get(metric)
            return f"{value:>8.2f}" if value is not None else f"{'—':>8}"

        lam = report.hyperparameters.get("lambda")
        lines.append(
            f"{report.model:<14}{report.test['NDCG@10']:>9.2f}{cell('NDCG@10', paper)}{cell('HR@10', report.test)}"
            f"{cell('HR@10', paper)}{cell('HR@100', report.test)}{cell('HR@100', paper)}"
            f"{(f'{lam:g}' if lam is not None else '—'):>8}{report.seconds['total']:>9.1f}"
        )
    return "\n".join(lines)


def command_datasets(args: argparse.Namespace) -> int:
    from workbench.data import available_datasets

    rows = available_datasets(args.data_dir)
    width = max(len(row.name) for row in rows)
    for row in rows:
        status = "available" if row.available else "missing  "
        print(f"{row.name:<{width}}  {status}  {row.location}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"evaluate": command_evaluate, "reproduce": command_reproduce, "datasets": command_datasets}
    try:
        return handlers[args.command](args)
    except WorkbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
