"""Run the workbench's notebooks headless with papermill: one run, or a sweep over a parameter grid.

Papermill silently accepts parameter names a notebook does not define and passes values of any type.
Here every parameter is checked against the notebook's ``parameters`` cell first: an unknown name is
refused with the list of valid ones, and a value must have its default's type (an int is accepted
where the default is a float; ``None`` defaults accept anything).

A run's results are what the notebook recorded with :func:`workbench.notebook_results.record_results`.
A sweep writes each executed notebook under ``output_dir/<notebook>/<run id>.ipynb``, skips runs whose
notebook is already there with recorded results, keeps going past a failed run (its notebook is kept as
``<run id>.failed.ipynb``) and ends with one table: a row per run, its parameters and scalar results.
"""

from __future__ import annotations

import ast
import concurrent.futures
import hashlib
import itertools
import json
import multiprocessing
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
import yaml

from workbench.errors import WorkbenchError
from workbench.notebook_results import read_recorded_results


@dataclass(frozen=True)
class NotebookParameter:
    """A parameter of a notebook's ``parameters`` cell: its name, default value and a help comment."""

    name: str
    default: Any
    help: str


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, NotebookParameter]:
    """{name: parameter} from the cell tagged ``parameters`` (defaults must be Python literals)."""
    import papermill

    path = Path(notebook)
    if not path.is_file():
        raise WorkbenchError(f"notebook {path}: no such file")
    try:
        inspected = papermill.inspect_notebook(str(path))
    except Exception as error:  # papermill raises several types for unreadable notebooks
        raise WorkbenchError(f"notebook {path}: cannot read its parameters ({error})") from None
    parameters = {}
    for name, entry in inspected.items():
        try:
            default = ast.literal_eval(entry["default"])
        except (ValueError, SyntaxError):
            raise WorkbenchError(
                f"notebook {path}: the default of parameter {name!r} ({entry['default']}) is not a Python literal"
            ) from None
        parameters[name] = NotebookParameter(name, default, entry.get("help") or "")
    if not parameters:
        raise WorkbenchError(f"notebook {path} has no cell tagged 'parameters'")
    return parameters


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


def check_parameter_value(parameter: NotebookParameter, value: Any, notebook: str | os.PathLike[str]) -> Any:
    """``value`` if it has the type of ``parameter``'s default (int → float is widened); else an error."""
    default = parameter.default
    if default is None:
        return value
    if isinstance(default, tuple):
        default = list(default)
    if isinstance(value, tuple):
        value = list(value)
    fits = (
        isinstance(value, bool) if isinstance(default, bool)
        else (isinstance(value, int) and not isinstance(value, bool)) if isinstance(default, int)
        else (isinstance(value, (int, float)) and not isinstance(value, bool)) if isinstance(default, float)
        else isinstance(value, type(default))
    )
    if not fits:
        raise WorkbenchError(
            f"notebook {Path(notebook).name}: parameter {parameter.name!r} expects {_type_name(default)} "
            f"(default {parameter.default!r}), got {value!r} ({_type_name(value)})"
        )
    return float(value) if isinstance(default, float) else value


def parse_parameter_text(parameter: NotebookParameter, text: str) -> Any:
    """A value typed on the command line (``-p NAME VALUE``), read as YAML and fitted to the default.

    Strings stay strings where the default is a string (``-p dataset 100k``); where the default is a
    list, ``a,b,c`` is read as a list of three values.
    """
    if isinstance(parameter.default, str):
        return text
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    if isinstance(parameter.default, (list, tuple)) and not isinstance(value, list):
        value = [yaml.safe_load(part) if part.strip() else part for part in text.split(",")] if text else []
        element_default = parameter.default[0] if parameter.default else None
        if isinstance(element_default, str):
            value = [part.strip() for part in text.split(",") if part.strip()]
    return value


def check_parameters(notebook: str | os.PathLike[str], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` checked against the notebook's: unknown names and wrong types are refused."""
    known = notebook_parameters(notebook)
    unknown = [name for name in parameters if name not in known]
    if unknown:
        raise WorkbenchError(
            f"notebook {Path(notebook).name} has no parameter {', '.join(map(repr, unknown))}; "
            f"valid parameters: {', '.join(known)}"
        )
    return {name: check_parameter_value(known[name], value, notebook) for name, value in parameters.items()}


def run_notebook(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    output: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    log_output: bool = False,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Execute ``notebook`` with ``parameters`` into ``output``; returns the results it recorded.

    ``output`` defaults to ``<notebook stem>.executed.ipynb`` beside the notebook. The kernel runs in
    the output's folder with this Python (the ``python3`` kernel), so relative paths the notebook
    writes land next to the executed notebook.

    Raises:
        WorkbenchError: bad parameters, or a cell failed (the message names the cell and the error;
            the partly executed notebook is at ``output``).
    """
    import papermill

    source = Path(notebook)
    checked = check_parameters(source, dict(parameters or {}))
    target = Path(output) if output is not None else source.with_name(f"{source.stem}.executed.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(source), str(target), parameters=checked, kernel_name="python3", cwd=str(target.parent),
            progress_bar=progress, log_output=log_output, execution_timeout=timeout_s,
        )
    except papermill.PapermillExecutionError as error:
        raise WorkbenchError(
            f"notebook {source.name} failed in cell {error.exec_count} ({error.ename}: {error.evalue}); "
            f"the partly executed notebook is {target}"
        ) from None
    return read_recorded_results(target)


# --- sweeps ---------------------------------------------------------------------------------------


def read_grid(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The runs of a grid file: a YAML mapping {parameter: [values to try]}, expanded to their product.

    A value that is not a list is one value to try; a list-valued parameter's values are lists of lists.
    """
    grid_path = Path(path)
    try:
        text = grid_path.read_text()
    except OSError as error:
        raise WorkbenchError(f"--grid {grid_path}: cannot read it ({error.strerror or error})") from None
    try:
        grid = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise WorkbenchError(f"--grid {grid_path}{where}: not valid YAML ({problem})") from None
    if not isinstance(grid, dict) or not grid:
        raise WorkbenchError(
            f"--grid {grid_path}: expected a mapping of parameter names to lists of values, such as "
            f"'seed: [1, 2, 3]', got {type(grid).__name__}"
        )
    names = list(grid)
    choices = [value if isinstance(value, list) else [value] for value in grid.values()]
    for name, values in zip(names, choices):
        if not values:
            raise WorkbenchError(f"--grid {grid_path}: parameter {name!r} has an empty list of values")
    return [dict(zip(names, combination)) for combination in itertools.product(*choices)]


def run_id(parameters: Mapping[str, Any]) -> str:
    """A readable, file-safe id of a run: its parameters, shortened, plus a hash of all of them."""
    canonical = json.dumps(parameters, sort_keys=True, default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    readable = "_".join(f"{name}={value}" for name, value in sorted(parameters.items()))
    readable = re.sub(r"[^A-Za-z0-9=.,%+-]+", "-", readable).strip("-")[:80]
    return f"{readable}_{digest}" if readable else digest


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its parameters, where its notebook is, and how it went."""

    parameters: dict[str, Any]
    notebook: Path
    status: str  # "done" (this sweep ran it), "skipped" (already complete), "failed"
    results: dict[str, Any]
    error: str = ""


def _execute_run(notebook: str, parameters: dict[str, Any], output: str, timeout_s: float | None) -> dict[str, Any]:
    running = Path(output).with_suffix(".running.ipynb")
    try:
        results = run_notebook(notebook, parameters, running, timeout_s=timeout_s)
    except Exception:
        failed = Path(output).with_suffix(".failed.ipynb")
        if running.exists():
            os.replace(running, failed)
        raise
    os.replace(running, output)
    return results


def sweep(
    notebook: str | os.PathLike[str],
    runs: Sequence[Mapping[str, Any]],
    output_dir: str | os.PathLike[str],
    *,
    jobs: int = 1,
    progress: bool = True,
    timeout_s: float | None = None,
) -> tuple[list[SweepRun], pd.DataFrame]:
    """Execute ``notebook`` once per parameter set in ``runs``; returns the runs and the results table.

    Every run's parameters are checked before anything executes. The table (also written as
    ``output_dir/<notebook>/results.csv``) has a row per run: ``run``, ``status``, the parameters and the
    scalar recorded results.
    """
    from tqdm.auto import tqdm

    if not isinstance(jobs, int) or jobs < 1:
        raise WorkbenchError(f"--jobs must be a positive integer, got {jobs!r}")
    source = Path(notebook)
    checked_runs = [check_parameters(source, dict(parameters)) for parameters in runs]
    folder = Path(output_dir) / source.stem
    folder.mkdir(parents=True, exist_ok=True)
    finished: dict[int, SweepRun] = {}
    pending: list[tuple[int, dict[str, Any], Path]] = []
    for index, parameters in enumerate(checked_runs):
        target = folder / f"{run_id(parameters)}.ipynb"
        try:
            finished[index] = SweepRun(parameters, target, "skipped", read_recorded_results(target))
        except WorkbenchError:
            pending.append((index, parameters, target))
    bar = tqdm(total=len(pending), desc=f"sweep {source.name}", unit="run", disable=not progress)
    # spawn, not fork: forking a process that has imported JAX can deadlock.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {
            pool.submit(_execute_run, str(source), parameters, str(target), timeout_s): (index, parameters, target)
            for index, parameters, target in pending
        }
        for future in concurrent.futures.as_completed(futures):
            index, parameters, target = futures[future]
            try:
                finished[index] = SweepRun(parameters, target, "done", future.result())
            except Exception as error:
                message = str(error) if isinstance(error, WorkbenchError) else f"{type(error).__name__}: {error}"
                finished[index] = SweepRun(parameters, target, "failed", {}, message)
                tqdm.write(f"failed: {target.name}: {message}")
            bar.update(1)
    bar.close()
    ordered = [finished[index] for index in range(len(checked_runs))]
    table = results_table(ordered)
    table.to_csv(folder / "results.csv", index=False)
    return ordered, table


def results_table(runs: Sequence[SweepRun]) -> pd.DataFrame:
    """A row per run: ``run``, ``status``, ``error``, each parameter, each scalar recorded result."""
    rows = []
    for run in runs:
        row: dict[str, Any] = {"run": run.notebook.stem, "status": run.status, "error": run.error}
        for name, value in run.parameters.items():
            row[name] = json.dumps(value) if isinstance(value, (list, dict)) else value
        for name, value in run.results.items():
            if value is None or isinstance(value, (bool, int, float, str)):
                row[name if name not in row else f"result_{name}"] = value
        rows.append(row)
    return pd.DataFrame(rows)
