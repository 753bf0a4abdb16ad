"""Run the workbench's notebooks headless with papermill: one run, or a sweep over a parameter grid.

Papermill silently accepts parameter names a notebook does not define and passes values of any type.
Here every parameter is checked against the notebook's ``parameters`` cell first: an unknown name is
refused with the list of valid ones, and a value must have its default's type (an int is accepted
where the default is a float; ``None`` defaults accept anything).

The elements of a list are checked against the default's elements the same way (``seeds = [1]`` takes
integers only). Parameters the package knows by name are also checked against its own lists before
anything runs: ``metric`` must be a metric the evaluation computes, ``seed``/``seeds`` integers from 0 to
2³²−1, ``model``/``models`` known model names.

A run's results are what the notebook recorded with :func:`workbench.notebooks.results.record_results`.
A notebook that ran to its end may still have failed to answer: :func:`recorded_problems` reads what it
recorded (a non-empty ``failures`` list, or an ``answer``/``full_value`` that is missing), and
``workbench run``/``sweep`` exit non-zero on them.

A sweep writes each executed notebook under ``output_dir/<notebook>/<run id>.ipynb``, skips runs whose
notebook is already there with recorded results and no problems, keeps going past a failed run (its
notebook is kept as ``<run id>.failed.ipynb``) and ends with one table: a row per run, its parameters and
scalar results. A run in progress is written as ``<run id>.running.ipynb``.

Ctrl-C (SIGINT) during a run kills the notebook's kernel at once, rather than letting it be shut down
mid-cell (which makes the kernel print ZMQ tracebacks), removes the ``.running.ipynb`` files of the runs
in progress and ends with KeyboardInterrupt.
"""

from __future__ import annotations

import ast
import concurrent.futures
import contextlib
import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import re
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import pandas as pd
import yaml

from workbench.atomic import write_atomic
from workbench.errors import WorkbenchError
from workbench.notebooks.results import read_recorded_results


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


def _fits(default: Any, value: Any) -> bool:
    """Whether ``value`` has the type of ``default`` (an int fits a float; a bool fits only a bool)."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _element_default(default: list[Any]) -> Any:
    """The element all of a list default's elements share the type of (None: empty, or mixed types)."""
    if not default or any(element is None or isinstance(element, (list, dict)) for element in default):
        return None
    kinds = {type(element) for element in default}
    return default[0] if len(kinds) == 1 else None


def check_parameter_value(parameter: NotebookParameter, value: Any, notebook: str | os.PathLike[str]) -> Any:
    """``value`` if it has the type of ``parameter``'s default (int → float is widened); else an error.

    A list's elements must fit the default's elements where those share one type, and parameters the
    package knows by name (see :func:`check_known_parameter`) must hold values it knows.
    """
    default = parameter.default
    if default is None:
        return check_known_parameter(parameter.name, value, notebook)
    if isinstance(default, tuple):
        default = list(default)
    if isinstance(value, tuple):
        value = list(value)
    if not _fits(default, value):
        expected = _type_name(default)
        if isinstance(default, list) and (element_default := _element_default(default)) is not None:
            expected = f"a list of {_plural_type_name(element_default)}"
        raise WorkbenchError(
            f"notebook {Path(notebook).name}: parameter {parameter.name!r} expects {expected} "
            f"(default {parameter.default!r}), got {value!r} ({_type_name(value)})"
        )
    if isinstance(default, list) and (element_default := _element_default(default)) is not None:
        for element in value:
            if not _fits(element_default, element):
                raise WorkbenchError(
                    f"notebook {Path(notebook).name}: parameter {parameter.name!r} expects a list of "
                    f"{_plural_type_name(element_default)} (default {parameter.default!r}), got {value!r}: "
                    f"{element!r} is {_type_name(element)}"
                )
        if isinstance(element_default, float):
            value = [float(element) for element in value]
    value = float(value) if isinstance(default, float) else value
    return check_known_parameter(parameter.name, value, notebook)


def _plural_type_name(value: Any) -> str:
    return {bool: "booleans", int: "integers", float: "numbers", str: "strings"}.get(type(value), type(value).__name__)


def _known_metrics() -> list[str]:
    """Every metric name an evaluation of the package computes (its default cut-offs and LightGCN's)."""
    from workbench.evaluation import LIGHTGCN_K, EvaluationConfig
    from workbench.metrics import metric_names

    return metric_names(tuple(sorted({*EvaluationConfig().ks, LIGHTGCN_K})))


def check_known_parameter(name: str, value: Any, notebook: str | os.PathLike[str]) -> Any:
    """``value`` checked against the package's own lists where ``name`` is one it knows, else as it is.

    ``metric``: a metric name the evaluation computes; ``seed``: an integer from 0 to 2³²−1, ``seeds``
    a list of them; ``model``/``models``: model names; ``sampler``/``samplers``: registered samplers;
    ``dataset``/``datasets``: dataset names or paths to data files (made absolute). A notebook's own parameters of these names mean
    these things in every workbench notebook; checking them here refuses a typo before the notebook
    runs for minutes and fails on every point.
    """
    where = f"notebook {Path(notebook).name}: parameter {name!r}"
    values = [item for item in (value if isinstance(value, list) else [value]) if item is not None]
    if name in ("metric", "metrics") and all(isinstance(item, str) for item in values):
        known = _known_metrics()
        for item in values:
            if item not in known:
                raise WorkbenchError(f"{where}: unknown metric {item!r}; valid metrics: {', '.join(known)}")
    elif name in ("seed", "seeds"):
        from workbench.validation import MAX_SEED, check_seed

        for item in values:
            try:
                check_seed(item, name)
            except WorkbenchError:
                expected = "integers" if isinstance(value, list) else "an integer"
                raise WorkbenchError(f"{where} expects {expected} from 0 to {MAX_SEED}, got {item!r}") from None
    elif name in ("sampler", "samplers") and all(isinstance(item, str) for item in values):
        from workbench.samplers import SAMPLER_NAMES

        for item in values:
            if item not in SAMPLER_NAMES:
                raise WorkbenchError(f"{where}: unknown sampler {item!r}; valid samplers: {', '.join(SAMPLER_NAMES)}")
    elif name in ("dataset", "datasets") and all(isinstance(item, str) for item in values):
        resolved = [_dataset_source(item, where) for item in values]
        return resolved if isinstance(value, list) else resolved[0]
    elif name in ("model", "models") and all(isinstance(item, str) for item in values):
        from workbench.models import MODEL_NAMES

        for item in values:
            if item not in MODEL_NAMES:
                raise WorkbenchError(f"{where}: unknown model {item!r}; valid models: {', '.join(MODEL_NAMES)}")
    return value


def _dataset_source(source: str, where: str) -> str:
    """A registered dataset name as it is; a path to a data file made absolute (the notebook runs
    in its output folder, not here), refused when it does not exist."""
    from workbench.data.registry import DATASET_NAMES, is_dataset_name

    if is_dataset_name(source):
        return source
    path = Path(source).expanduser()
    if not path.exists():
        raise WorkbenchError(
            f"{where}: {source!r} is neither a dataset name ({', '.join(DATASET_NAMES)}) nor an existing data file"
        )
    return str(path.resolve())


def _load_yaml(text: str) -> Any:
    """``text`` read as a YAML value; text that is not valid YAML stays the string it is."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_parameter_text(parameter: NotebookParameter, text: str) -> Any:
    """A value typed on the command line (``-p NAME VALUE``), read as YAML and fitted to the default.

    Strings stay strings where the default is a string (``-p dataset 100k``); where the default is a
    list, ``a,b,c`` is read as a list of three values.
    """
    if isinstance(parameter.default, str):
        return text
    value = _load_yaml(text)
    if isinstance(parameter.default, (list, tuple)) and not isinstance(value, (list, dict)):  # a mapping is refused by its type
        value = [_load_yaml(part) if part.strip() else part for part in text.split(",")] if text else []
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

    The results are returned as recorded, failures included: see :func:`recorded_problems`.

    Raises:
        WorkbenchError: bad parameters, or a cell failed (the message names the cell and the error;
            the partly executed notebook is at ``output``).
        KeyboardInterrupt: SIGINT arrived during the run (called from the main thread, the kernel is
            killed first, so that it prints nothing).
    """
    import papermill

    source = Path(notebook)
    checked = check_parameters(source, dict(parameters or {}))
    target = Path(output) if output is not None else source.with_name(f"{source.stem}.executed.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    interruption = _Interruption()
    with interruption.handling_sigint():
        try:
            papermill.execute_notebook(
                str(source), str(target), parameters=checked, kernel_name="python3", cwd=str(target.parent),
                progress_bar=progress, log_output=log_output, execution_timeout=timeout_s,
                kernel_manager_class=interruption.kernel_manager_class(),
            )
        except papermill.PapermillExecutionError as error:
            if interruption.requested:
                raise KeyboardInterrupt from None
            raise WorkbenchError(
                f"notebook {source.name} failed in cell {error.exec_count} ({error.ename}: {error.evalue}); "
                f"the partly executed notebook is {target}"
            ) from None
        except Exception:
            if interruption.requested:  # the kernel we killed: its death is the interruption, not an error
                raise KeyboardInterrupt from None
            raise
    if interruption.requested:
        raise KeyboardInterrupt
    return read_recorded_results(target)


def recorded_problems(results: Mapping[str, Any]) -> list[str]:
    """What a run's recorded results say went wrong; empty when the notebook answered its question.

    A workbench notebook records ``failures``, a list of what failed on the way (the points of a budget
    curve that could not be computed, say), and, where it answers a question, its ``answer`` and the
    ``full_value`` it measures the answer against. Problems: each recorded failure; an ``answer`` that is
    missing (None or empty); a ``full_value`` that is None (nothing to compare with: the full-data point
    failed, or the metric is not one the run computed). Results without these keys have no problems.
    """
    problems = [str(failure) for failure in results.get("failures") or []]
    if "answer" in results and not results["answer"]:
        problems.append("the notebook recorded no answer")
    if "full_value" in results and results["full_value"] is None:
        metric = f" of {results['metric']}" if results.get("metric") else ""
        problems.append(
            f"the notebook recorded no full-data value{metric}, so its answer"
            + (f" ({results['answer']!r})" if results.get("answer") else "")
            + " compares the curve with nothing"
        )
    return problems


class _Interruption:
    """SIGINT during a run: kill the kernel's process group at once and remember that it happened.

    Python's default handler raises KeyboardInterrupt inside nbclient's event loop, which shuts the
    kernel down while it is still executing a cell: the kernel then prints ZMQ tracebacks ("Socket
    operation on non-socket") and asyncio reports tasks whose exceptions were never retrieved. Killing
    the kernel instead ends the cell the ordinary way (nbclient sees a dead kernel), and
    :func:`run_notebook` turns that into KeyboardInterrupt.
    """

    def __init__(self) -> None:
        self.requested = False
        self.managers: list[Any] = []

    def kernel_manager_class(self) -> type:
        """nbclient's kernel manager, noting every kernel it starts (killed at once if already interrupted)."""
        from jupyter_client import AsyncKernelManager

        interruption = self

        class _NotedKernelManager(AsyncKernelManager):  # type: ignore[misc, valid-type]
            async def start_kernel(self, **kwargs: Any) -> None:
                await super().start_kernel(**kwargs)
                interruption.managers.append(self)
                if interruption.requested:
                    _kill_kernel(self)

        return _NotedKernelManager

    def handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        for manager in self.managers:
            _kill_kernel(manager)

    @contextlib.contextmanager
    def handling_sigint(self) -> Iterator[None]:
        """Within: SIGINT is :meth:`handle` (only in the main thread, the one Python delivers signals to)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self.handle)
        # nbclient logs "Kernel died while waiting for execute reply." on papermill's logger: not news here.
        quiet = _WhenInterrupted(self)
        logger = logging.getLogger("papermill")
        logger.addFilter(quiet)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            logger.removeFilter(quiet)


class _WhenInterrupted(logging.Filter):
    """Drops every record once the run has been interrupted."""

    def __init__(self, interruption: _Interruption) -> None:
        super().__init__()
        self.interruption = interruption

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.interruption.requested


def _kill_kernel(manager: Any) -> None:
    """SIGKILL to a kernel's process group (the kernel and whatever it started), if it still runs."""
    provisioner = getattr(manager, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is None or process.poll() is not None:
        return
    try:
        pgid = getattr(provisioner, "pgid", None)
        if pgid and pgid != os.getpgid(0):  # jupyter_client starts kernels in a session of their own
            os.killpg(pgid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        pass


# --- sweeps ---------------------------------------------------------------------------------------


def read_grid(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The runs of a grid file: a YAML mapping {parameter: [values to try]}, expanded to their product.

    A value that is not a list is one value to try; a list-valued parameter's values are lists of lists.
    """
    grid_path = Path(path)
    try:
        text = grid_path.read_text()
    except OSError as error:
        raise WorkbenchError(f"grid {grid_path}: cannot read it ({error.strerror or error})", parameter="grid") from None
    try:
        grid = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise WorkbenchError(f"grid {grid_path}{where}: not valid YAML ({problem})", parameter="grid") from None
    if not isinstance(grid, dict) or not grid:
        raise WorkbenchError(
            f"grid {grid_path}: expected a mapping of parameter names to lists of values, such as "
            f"'seed: [1, 2, 3]', got {type(grid).__name__}", parameter="grid",
        )
    names = list(grid)
    choices = [value if isinstance(value, list) else [value] for value in grid.values()]
    for name, values in zip(names, choices):
        if not values:
            raise WorkbenchError(f"grid {grid_path}: parameter {name!r} has an empty list of values", parameter="grid")
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


#: In a sweep's worker process: whether SIGINT has arrived (the worker then starts no further run).
_worker_interrupted = False
_in_worker = False


def _start_worker() -> None:
    """Initialise a sweep's worker: SIGINT between runs is noted, not raised into the pool's machinery."""
    global _in_worker
    _in_worker = True
    signal.signal(signal.SIGINT, _note_worker_interrupt)


def _note_worker_interrupt(signum: int, frame: Any) -> None:
    global _worker_interrupted
    _worker_interrupted = True


def _execute_run(notebook: str, parameters: dict[str, Any], output: str, timeout_s: float | None) -> dict[str, Any]:
    """Run one sweep run into ``<run id>.running.ipynb``, then rename it: ``.ipynb`` when it answered,
    ``.failed.ipynb`` when it failed or recorded problems. Interrupted, the running file is removed."""
    global _worker_interrupted
    if _worker_interrupted:
        raise KeyboardInterrupt
    running = Path(output).with_suffix(".running.ipynb")
    failed = Path(output).with_suffix(".failed.ipynb")
    try:
        results = run_notebook(notebook, parameters, running, timeout_s=timeout_s)
        os.replace(running, failed if recorded_problems(results) else Path(output))
    except KeyboardInterrupt:
        running.unlink(missing_ok=True)
        if _in_worker:
            _worker_interrupted = True
        raise
    except BaseException as error:
        if running.exists():
            os.replace(running, failed)
        if isinstance(error, WorkbenchError) and str(running) in str(error):  # name the file that is there
            raise WorkbenchError(str(error).replace(str(running), str(failed))) from None
        raise
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
    scalar recorded results. A run that recorded problems (:func:`recorded_problems`) is ``failed``, with
    its results kept in the table and its notebook as ``<run id>.failed.ipynb``. With ``jobs`` = 1 the
    runs execute in this process, one after another; otherwise in that many worker processes.

    Raises:
        KeyboardInterrupt: SIGINT; the runs in progress are stopped (their kernels killed) and their
            ``.running.ipynb`` files removed, the runs not started are not started.
    """
    from tqdm.auto import tqdm

    if not isinstance(jobs, int) or jobs < 1:
        raise WorkbenchError(f"jobs must be a positive integer, got {jobs!r}", parameter="jobs")
    source = Path(notebook)
    checked_runs = [check_parameters(source, dict(parameters)) for parameters in runs]
    folder = Path(output_dir) / source.stem
    folder.mkdir(parents=True, exist_ok=True)
    finished: dict[int, SweepRun] = {}
    pending: list[tuple[int, dict[str, Any], Path]] = []
    for index, parameters in enumerate(checked_runs):
        target = folder / f"{run_id(parameters)}.ipynb"
        try:
            results = read_recorded_results(target)
        except WorkbenchError:
            pending.append((index, parameters, target))
            continue
        if recorded_problems(results):  # written before runs with problems were kept as failed: run again
            pending.append((index, parameters, target))
        else:
            finished[index] = SweepRun(parameters, target, "skipped", results)
    bar = tqdm(total=len(pending), desc=f"sweep {source.name}", unit="run", disable=not progress)

    def record(index: int, parameters: dict[str, Any], target: Path, outcome: Any) -> None:
        if isinstance(outcome, BaseException):
            error = outcome
            message = str(error) if isinstance(error, WorkbenchError) else f"{type(error).__name__}: {error}"
            finished[index] = SweepRun(parameters, target, "failed", {}, message)
        elif problems := recorded_problems(outcome):
            message = f"the notebook recorded {len(problems)} problem(s): " + "; ".join(problems)
            finished[index] = SweepRun(parameters, target, "failed", outcome, message)
        else:
            finished[index] = SweepRun(parameters, target, "done", outcome)
            message = ""
        if message:
            tqdm.write(f"failed: {target.name}: {message}")
        bar.update(1)

    try:
        if jobs == 1:
            for index, parameters, target in pending:
                try:
                    outcome: Any = _execute_run(str(source), parameters, str(target), timeout_s)
                except Exception as error:
                    outcome = error
                record(index, parameters, target, outcome)
        else:
            _sweep_in_workers(source, pending, jobs, timeout_s, record)
    finally:
        bar.close()
    ordered = [finished[index] for index in range(len(checked_runs))]
    table = results_table(ordered)
    write_atomic(folder / "results.csv", table.to_csv(index=False))
    return ordered, table


def _sweep_in_workers(
    source: Path, pending: Sequence[tuple[int, dict[str, Any], Path]], jobs: int, timeout_s: float | None, record: Any
) -> None:
    """The pending runs in ``jobs`` worker processes; ``record(index, parameters, target, results or error)``."""
    # spawn, not fork: forking a process that has imported JAX can deadlock.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker) as pool:
        futures = {
            pool.submit(_execute_run, str(source), parameters, str(target), timeout_s): (index, parameters, target)
            for index, parameters, target in pending
        }
        try:
            for future in concurrent.futures.as_completed(futures):
                try:
                    outcome: Any = future.result()
                except Exception as error:
                    outcome = error
                record(*futures[future], outcome)
        except KeyboardInterrupt:
            _stop_workers(pool, futures)
            for _, _, target in pending:  # a worker that died before cleaning up
                target.with_suffix(".running.ipynb").unlink(missing_ok=True)
            raise


def _stop_workers(pool: concurrent.futures.ProcessPoolExecutor, futures: Mapping[Any, Any]) -> None:
    """After SIGINT: cancel the runs not started, pass SIGINT on to the workers (a terminal's Ctrl-C
    reached them already; ``kill -INT`` of this process did not) and wait until they have stopped."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None  # a second Ctrl-C waits too
    try:
        for future in futures:
            future.cancel()
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.kill(process.pid, signal.SIGINT)
        concurrent.futures.wait(futures)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


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
