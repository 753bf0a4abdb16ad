"""The ``workbench`` command line: ``evaluate``, ``reproduce``, ``plan``, ``distill``, ``sample``, ``budget-curve``,
``datasets`` and ``generate``.

User errors (a missing file, a bad parameter, a kernel that will not fit) print one line starting
with ``error:`` and exit with status 2; no traceback. ``run`` and ``sweep`` exit with status 1 when a
notebook failed, recorded failures or recorded no answer (each printed as a ``failed:`` line); Ctrl-C
exits with 130.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
import dataclasses
from typing import Any

from workbench.errors import WorkbenchError
from workbench.validation import check_seed

METRICS_SHOWN = ("HR@10", "HR@100", "NDCG@10", "NDCG@100", "PSP@10", "PSP@100", "AUC")


def parse_list(text: str, parameter: str) -> tuple[str, ...]:
    values = tuple(part.strip() for part in text.split(",") if part.strip())
    if not values:
        raise WorkbenchError(f"{parameter}: expected a comma-separated list, got {text!r}")
    return values


def parse_seeds(text: str) -> tuple[int, ...]:
    """Comma-separated seeds, each an integer from 0 to 2**32 - 1 (``--seeds``)."""
    try:
        seeds = tuple(int(part) for part in parse_list(text, "--seeds"))
    except ValueError:
        raise WorkbenchError(f"--seeds: expected comma-separated integers such as 1,2,3, got {text!r}") from None
    if min(seeds) < 0:
        raise WorkbenchError(f"--seeds: seeds must be ≥ 0, got {min(seeds)}")
    return tuple(check_seed(seed, "--seeds") for seed in seeds)


def _number_list(convert: Any, example: str, kind: str) -> Any:
    """An argparse type: comma-separated numbers converted with ``convert`` (float or int)."""

    def parse(text: str) -> tuple[Any, ...]:
        try:
            values = tuple(convert(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {kind} such as {example}, got {text!r}") from None
        if not values:
            raise argparse.ArgumentTypeError("expected at least one number")
        return values

    return parse


_float_list = _number_list(float, "1,5,20", "numbers")
_int_list = _number_list(int, "64,128,256", "whole numbers")


def _seed(text: str) -> int:
    """A seed: an integer from 0 to 2**32 - 1 (what numpy's generators take)."""
    from workbench.validation import MAX_SEED

    try:
        return check_seed(int(text), "--seed")
    except (ValueError, WorkbenchError):
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {MAX_SEED}, got {text!r}") from None


def check_output_path(path: Path | None) -> None:
    """Refuse, before any work, an --output that is a folder or lies where nothing can be written."""
    if path is None:
        return
    if path.is_dir():
        raise WorkbenchError(f"--output {path} is a folder; give a file name")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise WorkbenchError(f"--output {path}: cannot write into {parent}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _shape(text: str) -> tuple[int, int, int]:
    parts = text.lower().replace(",", "").split("x")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected USERSxITEMSxINTERACTIONS such as 29858x40981x810128, got {text!r}")
    return values  # type: ignore[return-value]


_UNITS = {"": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}


def _bytes(text: str) -> int:
    number = text.strip().lower().rstrip("ytes").rstrip()
    unit = number.lstrip("0123456789.").strip()
    try:
        value = float(number[: len(number) - len(unit)].strip()) * _UNITS[unit if unit.endswith("b") or not unit else unit + "b"]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"expected a size such as 80GiB, 40GB or 16384MiB, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a size > 0, got {text!r}")
    return int(value)


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", default="ml-1m",
        help="dataset name (see `workbench datasets`) or a path to your own CSV/TSV/parquet; default ml-1m",
    )
    parser.add_argument("--data-file", type=Path, help="your own CSV/TSV/parquet of user,item[,rating] instead of --dataset")
    parser.add_argument("--data-dir", type=Path, help="folder with the datasets (default: $WORKBENCH_DATA, then a user cache)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed for the split (where the dataset has none), AUC negatives and user support")


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lambdas", type=_float_list, help="λ grid, comma-separated (∞-AE default 1,5,20,50,100)")
    parser.add_argument("--ranks", type=_int_list, help="SVD-AE, GF-CF: rank grid k, comma-separated (SVD-AE default 16,...,512; GF-CF 256)")
    parser.add_argument("--alphas", type=_float_list, help="GF-CF: grid of the ideal filter's weight α, comma-separated (default 0,...,10)")
    parser.add_argument("--user-support", type=_positive_int, help="∞-AE: this many random users carry the model (see --support-method)")
    parser.add_argument(
        "--support-method", choices=("sample", "nystrom"), default="sample",
        help="∞-AE with --user-support: 'sample' fits on those users only (the authors' choice); "
        "'nystrom' keeps every user as a target with those users as landmarks",
    )
    parser.add_argument(
        "--selection-users", type=_positive_int,
        help=f"∞-AE: above this many support users, choose λ on this many random users and refit once "
        f"(default {_default_selection_users():,}); see --exact-grid",
    )
    parser.add_argument("--exact-grid", action="store_true", help="∞-AE: search the whole λ grid on all users, however many")
    parser.add_argument("--depth", type=_positive_int, default=1, help="∞-AE: hidden layers of the infinitely wide network")
    parser.add_argument("--float64", action="store_true", help="compute in float64 (default float32)")
    parser.add_argument(
        "--linear-algebra", choices=("auto", "scipy", "jax"), default="auto",
        help="∞-AE, EASE, SVD-AE, GF-CF: linear algebra backend; auto is SciPy on a CPU, JAX on a GPU",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value}")
    return value


def _add_distill_arguments(parser: argparse.ArgumentParser) -> None:
    from workbench.distill import DistillConfig

    default = DistillConfig()
    parser.add_argument("--tau", type=float, default=default.temperature,
                        help=f"Distill-CF: Gumbel-softmax temperature τ ({default.temperature:g})")
    parser.add_argument("--draws", type=_positive_int, default=default.draws,
                        help=f"Distill-CF: Gumbel draws γ per synthetic user ({default.draws})")
    parser.add_argument("--steps", type=int, default=default.steps, help=f"Distill-CF: at most this many Adam steps ({default.steps})")
    parser.add_argument("--learning-rate", type=_positive_float, default=default.learning_rate,
                        help=f"Distill-CF: Adam's learning rate ({default.learning_rate:g})")
    parser.add_argument("--evaluate-every", type=_positive_int, default=default.evaluate_every,
                        help=f"Distill-CF: steps between validations ({default.evaluate_every})")
    parser.add_argument("--patience", type=_positive_int, default=default.patience,
                        help=f"Distill-CF: stop after this many steps without a better validation HR@100 ({default.patience})")
    parser.add_argument("--min-steps", type=int, default=default.min_steps,
                        help=f"Distill-CF: no early stop before this step ({default.min_steps})")
    parser.add_argument(
        "--batch-users", "--target-batch", dest="batch_users", type=int, metavar="B",
        help="Distill-CF: B random real users per step instead of all; only their rows are made dense, so a step's "
        "memory grows with B, not with the users (default all)",
    )
    parser.add_argument(
        "--store-draws", action=argparse.BooleanOptionalAction, default=default.store_draws,
        help="Distill-CF: keep a step's Gumbel draws for its backward pass (γ·μ·items floats more memory) instead of "
        "making them again (the default; as fast on a 2-core CPU)",
    )
    parser.add_argument(
        "--start-logit", type=_positive_float, default=default.start_logit,
        help=f"Distill-CF: the logit of a starting user's own items at step 0 ({default.start_logit:g}, the authors'); "
        "larger keeps the first summary near its users when there are many items",
    )


def _distill_config(args: argparse.Namespace) -> Any:
    from workbench.distill import DistillConfig

    return DistillConfig(
        temperature=args.tau, draws=args.draws, steps=args.steps, learning_rate=args.learning_rate,
        evaluate_every=args.evaluate_every, target_batch=args.batch_users, patience=args.patience, min_steps=args.min_steps,
        store_draws=args.store_draws, start_logit=args.start_logit,
    )


def build_parser() -> argparse.ArgumentParser:
    from workbench.models import MODEL_NAMES
    from workbench.samplers import SAMPLER_NAMES

    parser = argparse.ArgumentParser(prog="workbench", description="Data-centric recommendation research: ∞-AE, EASE, PopRec, SVD-AE, GF-CF.")
    commands = parser.add_subparsers(dest="command", required=True)

    evaluate = commands.add_parser("evaluate", help="choose λ on validation, evaluate on test, print a table")
    _add_data_arguments(evaluate)
    evaluate.add_argument("--model", default="infinite-ae", help=f"one of: {', '.join(MODEL_NAMES)}")
    _add_model_arguments(evaluate)
    evaluate.add_argument("--output", type=Path, help="write the results as JSON to this file")
    evaluate.add_argument("--train-on", type=Path, help="fit on this sample or summary (.npz from `sample` or `distill`)")

    reproduce = commands.add_parser("reproduce", help="the paper's table for several models, paper vs measured")
    _add_data_arguments(reproduce)
    reproduce.add_argument("--models", default=",".join(MODEL_NAMES), help="comma-separated models")
    _add_model_arguments(reproduce)
    reproduce.add_argument("--output", type=Path, help="write all results as JSON to this file")

    distill = commands.add_parser("distill", help="distil the training data into a summary of synthetic users")
    _add_data_arguments(distill)
    distill.add_argument("--budget", default="500", help="μ: synthetic users (500) or a fraction of users (2%%)")
    _add_distill_arguments(distill)
    distill.add_argument("--output", type=Path, required=True, help="the summary (.npz)")
    distill.add_argument("--no-progress", action="store_true", help="hide progress bars")

    sample = commands.add_parser("sample", help="draw a data-budget sample of the training users or interactions")
    _add_data_arguments(sample)
    sample.add_argument("--sampler", required=True, help=f"one of: {', '.join(SAMPLER_NAMES)}")
    sample.add_argument("--budget", required=True, help="users (500) or a fraction of users (2%%)")
    sample.add_argument("--output", type=Path, required=True, help="the sample (.npz)")

    curve = commands.add_parser("budget-curve", help="metrics vs data budget for several samplers, models and seeds")
    _add_data_arguments(curve)
    curve.add_argument("--samplers", default="user-rns,head-user,distill-cf", help="comma-separated samplers")
    curve.add_argument("--budgets", default="0.5%,1%,2%,5%,10%,100%", help="comma-separated budgets")
    curve.add_argument("--models", default="infinite-ae", help="comma-separated models")
    curve.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    _add_distill_arguments(curve)
    curve.add_argument("--output", type=Path, required=True, help="tidy results (.parquet or .csv); re-running resumes")
    curve.add_argument("--no-progress", action="store_true", help="hide progress bars")

    plan = commands.add_parser("plan", help="predicted peak memory and time of each stage of ∞-AE, here and on a GPU")
    _add_data_arguments(plan)
    plan.add_argument("--model", default="infinite-ae", help="infinite-ae (the only model with stages worth planning)")
    _add_model_arguments(plan)
    plan.add_argument(
        "--shape", type=_shape,
        help="plan without loading data: USERSxITEMSxINTERACTIONS, e.g. 480189x17770x100480507 (Netflix)",
    )
    plan.add_argument("--device-memory", type=_bytes, default=80 * 2**30, help="memory of the GPU to plan for (default 80GiB)")
    plan.add_argument("--device-tflops", type=_positive_float, default=20.0, help="that GPU's float32 TFLOP/s (default 20)")

    datasets = commands.add_parser("datasets", help="list the datasets and where each was found")
    datasets.add_argument("--data-dir", type=Path, help="folder with the datasets")

    generate = commands.add_parser("generate", help="write seeded synthetic data shaped like a published dataset")
    generate.add_argument("--like", default="netflix", help="the dataset whose statistics to follow (netflix)")
    generate.add_argument("--scale", default="1", help="fraction of its users (and interactions), in (0, 1]; default 1")
    generate.add_argument("--seed", type=_seed, default=0, help="seed of the draw (default 0)")
    generate.add_argument("--output", type=Path, required=True, help="data folder to write <output>/synthetic-<like>/ into")

    run = commands.add_parser("run", help="execute a notebook with papermill; parameters are checked first")
    run.add_argument("notebook", type=Path, help="the notebook (.ipynb), e.g. notebooks/02_data_budget.ipynb")
    run.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a parameter of the notebook's 'parameters' cell (repeatable); lists as a,b,c or [a, b]",
    )
    run.add_argument("--output-dir", type=Path, default=Path("runs"), help="where the executed notebook goes (default runs/)")
    run.add_argument("--log-output", action="store_true", help="stream the notebook's output (progress bars) here")

    sweep = commands.add_parser("sweep", help="execute a notebook over a parameter grid; re-running skips finished runs")
    sweep.add_argument("notebook", type=Path, help="the notebook (.ipynb)")
    sweep.add_argument("--grid", type=Path, required=True, help="YAML: {parameter: [values to try]}; runs = their product")
    sweep.add_argument("--jobs", type=_positive_int, default=1, help="runs at once (default 1)")
    sweep.add_argument("--output-dir", type=Path, default=Path("runs"), help="where executed notebooks go (default runs/)")
    sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _default_selection_users() -> int:
    from workbench.models.infinite_ae import DEFAULT_SELECTION_USERS

    return DEFAULT_SELECTION_USERS


def _model_options(args: argparse.Namespace, model: str) -> dict[str, Any]:
    from workbench.models import MODEL_NAMES
    from workbench.kernels.ntk import NTKConfig

    options: dict[str, Any] = {}
    dtype = "float64" if args.float64 else "float32"
    if model == "infinite-ae":
        options.update(ntk=NTKConfig(depth=args.depth), dtype=dtype, linear_algebra=args.linear_algebra)
        if args.user_support is not None:
            options["user_support"] = args.user_support
            options["support_method"] = args.support_method
        elif args.support_method != "sample":
            raise WorkbenchError("--support-method nystrom needs --user-support M, the number of landmark users")
        if args.exact_grid and args.selection_users is not None:
            raise WorkbenchError("--exact-grid and --selection-users contradict each other; give one")
        if args.exact_grid:
            options["selection_users"] = None
        elif args.selection_users is not None:
            options["selection_users"] = args.selection_users
        if args.lambdas is not None:
            options["lambdas"] = args.lambdas
    elif model == "ease":
        options.update(dtype=dtype, linear_algebra=args.linear_algebra)
        if args.lambdas is not None:
            options["lambdas"] = args.lambdas
    elif args.lambdas is not None and model in MODEL_NAMES:  # a model without λ: refuse, do not ignore
        raise WorkbenchError(f"--lambdas does not apply to {model}: it has no λ to choose")
    if model in ("svd-ae", "gf-cf"):
        options.update(dtype=dtype, linear_algebra=args.linear_algebra)
        if args.ranks is not None:
            options["ranks"] = args.ranks
    elif args.ranks is not None and model in MODEL_NAMES:
        raise WorkbenchError(f"--ranks does not apply to {model}: only SVD-AE and GF-CF have a rank to choose")
    if args.alphas is not None:
        if model != "gf-cf":
            raise WorkbenchError(f"--alphas does not apply to {model}: only GF-CF has an α to choose")
        options["alphas"] = args.alphas
    return options


def _load(args: argparse.Namespace) -> Any:
    from workbench.data import load_data_file, open_dataset

    if args.data_file is not None:
        return load_data_file(args.data_file, seed=args.seed)
    return open_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed, parameter="--dataset")


def format_report(report: Any) -> str:
    """A model's report as text: validation, test and the paper's value per metric, and the λ curve."""
    from workbench.reference import paper_metrics

    paper = paper_metrics(report.dataset, report.model)
    published = _lightgcn_published(report)
    chosen = ", ".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}" for key, value in report.hyperparameters.items())
    lines = [f"{report.model} on {report.dataset}" + (f" ({chosen})" if chosen else ""), ""]
    if published:
        lines.append("∞-AE paper's protocol (validation carved from LightGCN's train split):")
    lines.append(f"{'metric':<10}{'validation':>12}{'test':>10}{'paper':>10}{'test-paper':>12}")
    for metric in METRICS_SHOWN:
        if metric not in report.test:
            continue
        reference = paper.get(metric)
        lines.append(
            f"{metric:<10}{report.validation.get(metric, float('nan')):>12.2f}{report.test[metric]:>10.2f}"
            + (f"{reference:>10.2f}{report.test[metric] - reference:>+12.2f}" if reference is not None else f"{'':>10}{'':>12}")
        )
    if paper:
        from workbench.reference import INFINITE_AE_SOURCE, paper_source

        if paper_source(report.model) != INFINITE_AE_SOURCE:  # the ∞-AE paper's rows need no footnote
            lines.append(f"paper: {paper_source(report.model)}")
    if published:
        from workbench.reference import LIGHTGCN_SOURCE

        lines += [
            "",
            f"LightGCN protocol: Recall@20, NDCG@20 on test (published LightGCN: {LIGHTGCN_SOURCE});",
            "all items ranked, the user's train.txt items (train ∪ validation) masked, averaged over test users:",
            f"{'metric':<10}{'test':>10}{'LightGCN':>10}{'test-LightGCN':>15}",
        ]
        from workbench.reference import lightgcn_split_metrics, paper_source

        own = lightgcn_split_metrics(report.dataset, report.model)
        if own:
            lines[-1] += f"{'own paper':>11}"
        for metric, reference in published.items():
            lines.append(
                f"{metric:<10}{report.test[metric]:>10.2f}{reference:>10.2f}{report.test[metric] - reference:>+15.2f}"
                + (f"{own[metric]:>11.2f}" if metric in own else "")
            )
        if own:
            lines.append(f"own paper: {paper_source(report.model)}")
    if len(report.selection) > 1 and all("lambda" in step.hyperparameters for step in report.selection):
        lines += ["", "λ curve (validation HR@100):"]
        best = report.hyperparameters.get("lambda")
        for step in report.selection:
            lam = step.hyperparameters.get("lambda")
            marker = "  <- chosen" if lam == best else ""
            lines.append(f"  λ = {lam:>8g}   HR@100 = {step.validation['HR@100']:6.2f}{marker}")
    elif len(report.selection) > 1:  # a model without λ (SVD-AE, GF-CF): its own hyper-parameters
        lines += ["", "hyper-parameter curve (validation HR@100):"]
        for step in report.selection:
            setting = ", ".join(
                f"{key} = {value:g}" if isinstance(value, float) else f"{key} = {value}" for key, value in step.hyperparameters.items()
            )
            marker = "  <- chosen" if dict(step.hyperparameters) == dict(report.hyperparameters) else ""
            lines.append(f"  {setting:<24}   HR@100 = {step.validation['HR@100']:6.2f}{marker}")
    lines += [
        "",
        f"users evaluated: {report.users['validation_evaluated']:,} (validation), {report.users['test_evaluated']:,} (test); "
        f"skipped without positives: {report.users['validation_skipped']}, {report.users['test_skipped']}",
        f"seconds: {report.seconds['total']:.1f} ({report.seconds['select_on_validation']:.1f} selecting on validation, "
        f"{report.seconds['test']:.1f} test)",
    ]
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)


def _lightgcn_published(report: Any) -> dict[str, float]:
    """LightGCN's published Recall@20 and NDCG@20 for ``report``'s dataset, when the report measured them.

    Empty unless the dataset has published LightGCN figures (gowalla, yelp2018) and the test metrics hold
    Recall@20 and NDCG@20 (evaluated with ``evaluation.config_for``, which adds k = 20 on LightGCN's split).
    """
    from workbench.reference import LIGHTGCN_PROTOCOL_METRICS, lightgcn_published

    published = lightgcn_published(report.dataset)
    if not published or not all(metric in report.test for metric in LIGHTGCN_PROTOCOL_METRICS):
        return {}
    return {metric: published[metric] for metric in LIGHTGCN_PROTOCOL_METRICS}


def _report_json(report: Any) -> dict[str, Any]:
    """``report.to_json()``, with a ``lightgcn_protocol`` entry (measured and published) where it applies."""
    payload = report.to_json()
    published = _lightgcn_published(report)
    if published:
        from workbench.reference import LIGHTGCN_SOURCE

        payload["lightgcn_protocol"] = {
            "test": {metric: report.test[metric] for metric in published},
            "published_lightgcn": published,
            "source": LIGHTGCN_SOURCE,
            "definition": "all items ranked, train ∪ validation (LightGCN's train.txt) masked; Recall@k = hits / "
            "|test items|, NDCG@k with IDCG over min(|test items|, k); ×100, averaged over test users",
        }
    return payload


def _write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as JSON atomically: a failed write leaves the previous file as it was."""
    from workbench.atomic import write_atomic

    try:
        write_atomic(path, json.dumps(payload, indent=2, default=float, allow_nan=True) + "\n")
    except OSError as error:
        raise WorkbenchError(f"--output {path}: cannot write the results ({error.strerror or error})") from None
    print(f"results written to {path}")


def _provenance(dataset: Any, sample: Any) -> dict[str, Any]:
    """What a results JSON was made on: the dataset's fingerprint, and the sample trained on (if any)."""
    from workbench.provenance import dataset_fingerprint

    provenance: dict[str, Any] = {"dataset": dataset_fingerprint(dataset).as_dict()}
    if sample is not None:
        provenance["train_on"] = {key: sample.metadata[key] for key in ("sampler", "budget", "seed", "rows")}
    return provenance


def _run_models(args: argparse.Namespace, models: Sequence[str], skipped: list[str] | None = None) -> list[Any]:
    """Evaluate each model; with ``skipped`` given, a model that does not fit in memory is skipped
    (its refusal appended there) instead of ending the command."""
    from workbench.errors import MemoryBudgetError
    from workbench.evaluation import config_for, evaluate_on_sample
    from workbench.models import make_model

    options = {name: _model_options(args, name) for name in models}
    for name in models:  # every model's options checked before any data is loaded
        make_model(name, **options[name])
    dataset = _load(args)
    print(dataset)
    print()
    sample = None
    if getattr(args, "train_on", None) is not None:
        from workbench.samplers import load_sample

        sample = load_sample(args.train_on, dataset=dataset)  # refused if made on another dataset or split
        print(f"training on {args.train_on}: {sample.sampler} at {sample.budget} (seed {sample.seed}), "
              f"{sample.n_rows:,} rows, {100 * sample.fraction_users:.2f} % of users")
    args.provenance = _provenance(dataset, sample)  # stored with the results (--output)
    reports = []
    for name in models:
        try:
            report = evaluate_on_sample(
                name, dataset, sample, seed=args.seed, config=config_for(dataset), progress=not args.no_progress, **options[name],
            )
        except MemoryBudgetError as error:
            if skipped is None:
                raise
            skipped.append(f"{name}: skipped, it does not fit: {error}")
            print(skipped[-1] + "\n")
            continue
        print(format_report(report))
        print()
        reports.append(dataclasses.replace(report, fitted=None))  # let each model's memory go before the next
    return reports


def command_evaluate(args: argparse.Namespace) -> int:
    check_output_path(args.output)
    (report,) = _run_models(args, [args.model])
    if args.output is not None:
        _write_json(args.output, {**_report_json(report), "provenance": args.provenance})
    return 0


def command_reproduce(args: argparse.Namespace) -> int:
    check_output_path(args.output)
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    if not models:
        raise WorkbenchError(f"--models: expected comma-separated model names, got {args.models!r}")
    if args.lambdas is not None and len(models) > 1:
        raise WorkbenchError("--lambdas applies to one model; with --models give a single model or leave the default grids")
    skipped: list[str] = []
    reports = _run_models(args, models, skipped)
    if reports:
        print(summary_table(reports))
    for line in skipped:
        print(line.split(":", 2)[0] + ": skipped (does not fit in memory; see above)")
    if args.output is not None:
        _write_json(args.output, [{**_report_json(report), "provenance": args.provenance} for report in reports]
                    + [{"skipped": line} for line in skipped])
    return 0 if reports else 2


def chosen_setting(hyperparameters: Any) -> str:
    """The chosen grid values of a report, short: "λ=5", "k=128", "α=1 k=256" ("—" for none)."""
    from workbench.evaluation import HYPERPARAMETER_SYMBOLS

    parts = [f"{symbol}={hyperparameters[key]:g}" for key, symbol in HYPERPARAMETER_SYMBOLS.items() if key in hyperparameters]
    return " ".join(parts) or "—"


def summary_table(reports: Sequence[Any]) -> str:
    """One line per model: measured test NDCG@10, HR@10 and HR@100 next to the published figures.

    The "paper" columns are the ∞-AE paper's for ∞-AE and its baselines, and a newer model's own paper
    where it published on the same split (SVD-AE on ML-1M); a footnote names the sources. "chosen" is the
    setting validation chose (λ, k, α). On a dataset with LightGCN's split (gowalla, yelp2018), a second
    block: test Recall@20 and NDCG@20 (LightGCN's protocol) next to LightGCN's published figures and,
    where the model published its own on that split (GF-CF), those too.
    """
    from workbench.reference import lightgcn_split_metrics, paper_metrics, paper_source

    lines = [f"{'model':<14}{'NDCG@10':>9}{'paper':>8}{'HR@10':>8}{'paper':>8}{'HR@100':>8}{'paper':>8}  {'chosen':<14}{'seconds':>9}"]
    sources: dict[str, list[str]] = {}

    def cell(metric: str, source: Any) -> str:
        value = source.get(metric)
        return f"{value:>8.2f}" if value is not None else f"{'—':>8}"

    for report in reports:
        paper = paper_metrics(report.dataset, report.model)
        if paper:
            sources.setdefault(paper_source(report.model), []).append(report.model)
        lines.append(
            f"{report.model:<14}{report.test['NDCG@10']:>9.2f}{cell('NDCG@10', paper)}{cell('HR@10', report.test)}"
            f"{cell('HR@10', paper)}{cell('HR@100', report.test)}{cell('HR@100', paper)}"
            f"  {chosen_setting(report.hyperparameters):<14}{report.seconds['total']:>9.1f}"
        )
    if sources:
        lines.append("paper: " + "; ".join(f"{source} ({', '.join(models)})" for source, models in sources.items()))
    lightgcn = [(report, published) for report in reports if (published := _lightgcn_published(report))]
    if lightgcn:
        from workbench.reference import LIGHTGCN_SOURCE

        lines += [
            "",
            f"LightGCN protocol: Recall@20, NDCG@20, test (published LightGCN: {LIGHTGCN_SOURCE}; own: the model's paper)",
            f"{'model':<14}{'Recall@20':>10}{'LightGCN':>10}{'diff':>8}{'own':>8}{'NDCG@20':>9}{'LightGCN':>10}{'diff':>8}{'own':>8}",
        ]
        own_sources: dict[str, list[str]] = {}
        for report, published in lightgcn:
            recall, ndcg = report.test["Recall@20"], report.test["NDCG@20"]
            own = lightgcn_split_metrics(report.dataset, report.model)
            if own:
                own_sources.setdefault(paper_source(report.model), []).append(report.model)
            lines.append(
                f"{report.model:<14}{recall:>10.2f}{published['Recall@20']:>10.2f}{recall - published['Recall@20']:>+8.2f}"
                f"{cell('Recall@20', own)}{ndcg:>9.2f}{published['NDCG@20']:>10.2f}{ndcg - published['NDCG@20']:>+8.2f}"
                f"{cell('NDCG@20', own)}"
            )
        if own_sources:
            lines.append("own: " + "; ".join(f"{source} ({', '.join(models)})" for source, models in own_sources.items()))
    return "\n".join(lines)


def command_distill(args: argparse.Namespace) -> int:
    from workbench.samplers import DISTILL_CF, get_sampler

    config = _distill_config(args)
    check_output_path(args.output)
    dataset = _load(args)
    sample = get_sampler(DISTILL_CF)(dataset, args.budget, args.seed, config=config, progress=not args.no_progress)
    path = _save_sample(sample, args.output)
    parameters = sample.parameters
    print(f"Distill-CF: {sample.n_rows} synthetic users ({100 * sample.fraction_users:.2f} % of {dataset.n_users:,}); "
          f"best validation HR@100 {parameters['best_validation_hr100']:.2f} at step {parameters['best_step']}, "
          f"inner λ = {parameters['inner_lambda']:g}" + (f"; stopped: {parameters['stopped']}" if parameters["stopped"] else ""))
    print(f"summary written to {path}")
    return 0


def command_sample(args: argparse.Namespace) -> int:
    from workbench.samplers import check_sampler, get_sampler

    check_output_path(args.output)
    spec = get_sampler(check_sampler(args.sampler, "--sampler"))
    dataset = _load(args)
    sample = spec(dataset, args.budget, args.seed, progress=True)
    path = _save_sample(sample, args.output)
    print(f"{sample.sampler} at {sample.budget}: {sample.n_rows:,} rows, {100 * sample.fraction_users:.2f} % of users, "
          f"{100 * sample.fraction_interactions:.2f} % of interactions; written to {path}")
    return 0


def _save_sample(sample: Any, path: Path) -> Path:
    try:
        return sample.save(path)
    except OSError as error:
        raise WorkbenchError(f"--output {path}: cannot write ({error.strerror})") from None


def command_budget_curve(args: argparse.Namespace) -> int:
    from workbench.budget.curve import summarise_curve
    from workbench.budget.runs import BudgetCurveConfig, budget_curve

    config = BudgetCurveConfig(
        samplers=parse_list(args.samplers, "--samplers"), budgets=parse_list(args.budgets, "--budgets"),
        models=parse_list(args.models, "--models"), seeds=parse_seeds(args.seeds), distill=_distill_config(args),
    )
    if args.output.suffix not in (".parquet", ".csv"):
        raise WorkbenchError(f"--output {args.output}: expected a .parquet or .csv file")
    dataset = _load(args)
    if config.distill.target_batch is not None:  # before any point: a batch above the users fails every Distill-CF point
        from workbench.distill.distill import check_target_batch

        check_target_batch(config.distill.target_batch, dataset.n_users, f"dataset {dataset.name!r}")
    frame, failures = budget_curve(dataset, config, args.output, progress=not args.no_progress)
    if len(frame):
        print(summarise_curve(frame).to_string(index=False, float_format=lambda value: f"{value:.2f}"))
    print(f"{len(frame):,} rows in {args.output}")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


def command_plan(args: argparse.Namespace) -> int:
    from workbench.kernels.memory import available_host_memory
    from workbench.models import make_model
    from workbench.models.infinite_ae_plan import format_plan, measure_rates

    if args.model != "infinite-ae":
        raise WorkbenchError(f"--model: plan knows ∞-AE's stages only (infinite-ae), got {args.model!r}")
    model = make_model(args.model, **_model_options(args, args.model))
    if args.shape is not None:
        name, (n_users, n_items, nnz) = "data of the given shape", args.shape
    else:
        dataset = _load(args)
        name, n_users, n_items, nnz = dataset.name, dataset.n_users, dataset.n_items, int(dataset.train.nnz)
    print(format_plan(
        model, name, n_users, n_items, nnz, rates=measure_rates(), available=available_host_memory(),
        device_memory=args.device_memory, device_tflops=args.device_tflops,
    ))
    return 0


def command_datasets(args: argparse.Namespace) -> int:
    from workbench.data import available_datasets

    rows = available_datasets(args.data_dir)
    width = max(len(row.name) for row in rows)
    for row in rows:
        status = "available" if row.available else "missing  "
        print(f"{row.name:<{width}}  {status}  {row.location}")
    return 0


def command_generate(args: argparse.Namespace) -> int:
    from workbench.data.generate import GenerateConfig, generate, write_generated

    try:
        scale = float(args.scale)
    except ValueError:
        raise WorkbenchError(f"--scale: expected a number in (0, 1], got {args.scale!r}") from None
    if args.output.exists() and not args.output.is_dir():
        raise WorkbenchError(f"--output {args.output}: is a file; give the data folder to write into")
    try:
        config = GenerateConfig(like=args.like, scale=scale, seed=args.seed)
    except WorkbenchError as error:
        raise WorkbenchError(f"--{error}") from None
    print(f"generating {config.dataset_name}: {config.n_users:,} users (scale {config.scale:g}, seed {config.seed}) ...", flush=True)
    folder = write_generated(generate(config), args.output)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    users, items = metadata["user_degree"], metadata["item_degree"]
    print(f"wrote {folder}: {metadata['interactions']:,} interactions, {metadata['n_users']:,} users, "
          f"{metadata['items_with_interactions']:,} of {metadata['n_items']:,} items, density {metadata['density']:.3%}")
    print(f"  per user: median {users['median']:g}, mean {users['mean']:.1f}, max {users['max']:g}; "
          f"per item: median {items['median']:g}, mean {items['mean']:.1f}, max {items['max']:g}")
    print(f"  files: {folder / 'interactions.npz'}, {folder / 'metadata.json'}")
    print(f"use it with: --data-dir {args.output} --dataset {config.dataset_name}   "
          f"(Python: load_dataset({config.dataset_name!r}, data_dir={str(args.output)!r}))")
    return 0


def command_run(args: argparse.Namespace) -> int:
    from workbench.notebooks.runs import (
        check_parameters,
        notebook_parameters,
        parse_parameter_text,
        recorded_problems,
        run_notebook,
    )

    known = notebook_parameters(args.notebook)
    parameters: dict[str, Any] = {}
    for name, text in args.parameter:
        if name not in known:
            raise WorkbenchError(
                f"-p {name}: notebook {args.notebook.name} has no parameter {name!r}; valid parameters: {', '.join(known)}"
            )
        parameters[name] = parse_parameter_text(known[name], text)
    parameters = check_parameters(args.notebook, parameters)
    output = args.output_dir / f"{args.notebook.stem}.ipynb"
    if args.log_output:  # papermill logs the notebook's printed output on its logger
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger("papermill")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    print(f"running {args.notebook} → {output}", flush=True)
    results = run_notebook(args.notebook, parameters, output, progress=True, log_output=args.log_output)
    for name, value in results.items():
        if name not in ("answer", "report") and (value is None or isinstance(value, (bool, int, float, str))):
            print(f"  {name}: {value}")
    if results.get("answer"):
        print(f"\n{results['answer']}")
    print(f"\nexecuted notebook: {output}")
    if results.get("report"):
        report = Path(results["report"])
        print(f"report: {report if report.is_absolute() else output.parent / report}")
    problems = recorded_problems(results)  # the notebook ran to its end but did not answer
    for problem in problems:
        print(f"failed: {problem}", file=sys.stderr)
    if problems:
        print(f"the notebook recorded {len(problems)} problem(s); see {output}", file=sys.stderr)
    return 1 if problems else 0


def command_sweep(args: argparse.Namespace) -> int:
    from workbench.notebooks.runs import read_grid, sweep

    runs = read_grid(args.grid)
    finished, table = sweep(args.notebook, runs, args.output_dir, jobs=args.jobs, progress=not args.no_progress)
    shown = table.drop(columns=["error"]) if "error" in table else table
    print(shown.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    folder = args.output_dir / args.notebook.stem
    counts = {status: sum(run.status == status for run in finished) for status in ("done", "skipped", "failed")}
    print(f"{counts['done']} run, {counts['skipped']} already complete, {counts['failed']} failed; table: {folder / 'results.csv'}")
    for run in finished:
        if run.status == "failed":
            print(f"failed: {run.notebook.name}: {run.error}", file=sys.stderr)
    return 1 if counts["failed"] else 0


#: The flag of each library parameter that the commands set, for error messages.
FLAGS: dict[str, str] = {
    "output": "--output", "grid": "--grid", "jobs": "--jobs", "seeds": "--seeds", "seed": "--seed",
    "samplers": "--samplers", "budgets": "--budgets", "models": "--models", "dataset": "--dataset",
    "target_batch": "--batch-users", "temperature": "--tau", "draws": "--draws", "steps": "--steps",
    "learning_rate": "--learning-rate", "evaluate_every": "--evaluate-every", "patience": "--patience",
    "min_steps": "--min-steps", "store_draws": "--store-draws", "start_logit": "--start-logit", "budget": "--budget", "ranks": "--ranks", "alphas": "--alphas",
}


def cli_message(error: WorkbenchError) -> str:
    """``error``'s message with the library parameter it names written as this CLI's flag."""
    message = str(error)
    flag = FLAGS.get(error.parameter or "")
    if flag is not None and message.startswith(error.parameter):
        return flag + message[len(error.parameter):]
    return message


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "evaluate": command_evaluate,
        "reproduce": command_reproduce,
        "distill": command_distill,
        "sample": command_sample,
        "budget-curve": command_budget_curve,
        "datasets": command_datasets,
        "plan": command_plan,
        "generate": command_generate,
        "run": command_run,
        "sweep": command_sweep,
    }
    try:
        return handlers[args.command](args)
    except WorkbenchError as error:
        print(f"error: {cli_message(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
