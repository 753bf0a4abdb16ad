"""Data-budget experiments: train models on samples or summaries of a dataset, evaluate on its split.

Every sampler, Distill-CF included, is drawn through its registry entry
(:func:`workbench.samplers.get_sampler`) and every model meets its sample through
:func:`workbench.evaluation.evaluate_on_sample`. :func:`budget_curve` runs the grid
dataset × sampler × budget × seed × model and writes one tidy row per split and metric to a
parquet or CSV file after every point, so that re-running the same command skips what is done, an
interruption loses at most the point in progress, and a point that fails is reported while the
others still run. The budget "100%" is the full training data, run once per seed and model under
the sampler name ``full``.

The results file is a cache shared by every process that computes points into it (``sweep --jobs N``,
two terminals):

* every row carries the ``fingerprint`` of the dataset and split it was made on
  (:mod:`workbench.provenance`); rows of the dataset's name made on another split are refused, never
  mixed in, and a file from before rows carried one is refused until re-made (or stamped with
  :func:`adopt_results`);
* a point is done only when it is whole: one finite row per split and metric
  (:func:`expected_point_rows`); a partial point is computed again and its rows replaced;
* each point is merged in under a lock (:func:`workbench.atomic.file_lock`): the file is read again,
  the point added to what is there now (rows another process wrote meanwhile are kept; a point another
  process finished first is kept as theirs) and written atomically (:func:`workbench.atomic.atomic_write`);
* a malformed file (a line cut short, a field that does not parse, unknown or missing columns) is
  refused naming the file and line, and left untouched.

A :class:`CurveMonitor` watches a run and can stop it (the budget panel's progress line and Stop
button): it hears each point start and end (:class:`PointEvent`) and the sampler's own progress
(Distill-CF's validations), and its ``should_stop`` is asked before each point and inside Distill-CF.
A stop raises :class:`workbench.errors.ComputationStopped`: the points saved before it stay, the point
in progress is not written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from workbench.atomic import atomic_write, file_lock, remove_stale_temporaries
from workbench.data import Dataset
from workbench.distill import DistillConfig
from workbench.errors import ComputationStopped, WorkbenchError
from workbench.evaluation import EvaluationConfig, evaluate_on_sample
from workbench.metrics import metric_names
from workbench.models import MODEL_NAMES
from workbench.provenance import DatasetFingerprint, dataset_fingerprint
from workbench.samplers import SAMPLERS, check_sampler, get_sampler, parse_budget
from workbench.validation import MAX_SEED, check_seed

FULL_DATA = "full"
POINT_COLUMNS = ("dataset", "sampler", "budget", "seed", "model", "settings")
COLUMN_TYPES = {
    "dataset": "string", "fingerprint": "string", "sampler": "string", "budget": "string", "seed": "int64", "model": "string",
    "settings": "string", "split": "string",
    "metric": "string", "value": "float64", "fraction_users": "float64", "fraction_interactions": "float64", "seconds": "float64",
}
COLUMNS = tuple(COLUMN_TYPES)
FLOAT_COLUMNS = ("value", "fraction_users", "fraction_interactions", "seconds")
#: Columns that may hold an empty string (settings: "" for samplers other than Distill-CF).
_OPTIONAL_TEXT = ("settings",)


@dataclass(frozen=True)
class BudgetCurveConfig:
    """The grid of a budget curve (each list non-empty)."""

    samplers: tuple[str, ...]
    budgets: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    distill: DistillConfig = field(default_factory=DistillConfig)

    def __post_init__(self) -> None:
        for name in ("samplers", "budgets", "models", "seeds"):
            if not getattr(self, name):
                raise WorkbenchError(f"{name}: give at least one")
        for sampler in self.samplers:
            check_sampler(sampler, "samplers")
        for model in self.models:
            if model not in MODEL_NAMES:
                raise WorkbenchError(f"unknown model {model!r}; valid models: {', '.join(MODEL_NAMES)}")
        object.__setattr__(self, "seeds", tuple(check_seed(seed, "seeds") for seed in self.seeds))
        object.__setattr__(self, "budgets", tuple(parse_budget(budget).label for budget in self.budgets))

    def points(self) -> list[tuple[str, str, int, str]]:
        """(sampler, budget label, seed, model) in run order; 100 % once, as sampler ``full``."""
        points: list[tuple[str, str, int, str]] = []
        for budget in self.budgets:
            full = parse_budget(budget).proportion == 1.0
            for sampler in (FULL_DATA,) if full else self.samplers:
                for seed in self.seeds:
                    for model in self.models:
                        if (sampler, budget, seed, model) not in points:
                            points.append((sampler, budget, seed, model))
        return points


@dataclass(frozen=True)
class PointEvent:
    """What :func:`budget_curve` tells its :class:`CurveMonitor` about a point of the grid.

    Attributes:
        kind: ``"started"`` (being computed now), ``"saved"`` (merged into the file), ``"theirs"``
            (another process saved it first: theirs is kept), ``"failed"`` (in the failures returned;
            the run goes on) or ``"stopped"`` (stopped on request: not written, the run ends with :class:`workbench.errors.ComputationStopped`); a stop asked for between two points
            tells ``"stopped"`` of the next one, which was not ``"started"``.
        number, total: its place among the points this run computes (from 1).
        sampler, budget, seed, model: the point.
        message: the failure's or the stop's message ("" otherwise).
    """

    kind: str
    number: int
    total: int
    sampler: str
    budget: str
    seed: int
    model: str
    message: str = ""


@dataclass(frozen=True)
class CurveMonitor:
    """Hooks to watch and stop :func:`budget_curve`; each is optional and called on the thread running it.

    Attributes:
        on_point: called with a :class:`PointEvent` when a point starts and when it ends.
        on_progress: given to each sampler (:class:`workbench.samplers.SamplerSpec`'s ``on_progress``):
            Distill-CF calls it with a :class:`workbench.distill.DistillProgress` after each validation;
            the real-user samplers never call it.
        should_stop: asked before each point and given to each sampler (Distill-CF asks it between
            updates). When it answers True the run raises :class:`workbench.errors.ComputationStopped`:
            the points saved before stay in the file, the one in progress is not written.
    """

    on_point: Callable[[PointEvent], None] | None = None
    on_progress: Callable[[Any], None] | None = None
    should_stop: Callable[[], bool] | None = None


def _empty_results() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in COLUMN_TYPES.items()})


def _legacy_message(path: Path, where: str) -> str:
    return (
        f"{path}{where}: written before budget-curve rows recorded the fingerprint of the dataset and split they "
        "were made on, so they cannot be checked against the data they are used with; move the file away to "
        "compute them again, or, if you know they were made on this dataset and split, stamp them with "
        "workbench.budget.runs.adopt_results(path, dataset)"
    )


class _CsvLines:
    """The line of each record of a CSV text, found with the csv module when first asked (for errors only)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[int] | None = None

    def __getitem__(self, position: int) -> int | str:
        if self.lines is None:
            reader = csv.reader(io.StringIO(self.text, newline=""))
            next(reader, None)
            self.lines = [reader.line_num for record in reader if record]
        return self.lines[position] if position < len(self.lines) else f"of record {position + 1}"


def _scan_csv(path: Path, text: str) -> None:
    """Raise the WorkbenchError naming the first damaged line of ``text`` (a quick pass found one)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        for record in reader:
            if record and len(record) != len(header):
                raise WorkbenchError(
                    f"{path} line {reader.line_num}: {len(record)} fields where the header has {len(header)} "
                    "(a line cut short or damaged); move the file away or fix that line"
                )
    except csv.Error as error:
        raise WorkbenchError(f"{path} line {reader.line_num}: not valid CSV ({error}); move the file away or fix that line") from None


def _read_csv_text(path: Path) -> tuple[pd.DataFrame, _CsvLines]:
    """The cells of a CSV file, as text ("" for an empty field), and the line of each record.

    Every record must have the header's number of fields, and the file must end with a line break
    (else its last line, and maybe its last number, was cut short).
    """
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        raise WorkbenchError(f"{path}: not a UTF-8 text file ({error.reason} at byte {error.start}); move it away or fix it") from None
    except OSError as error:
        raise WorkbenchError(f"{path}: cannot read the results already there ({error.strerror or error})") from None
    if not text.strip():
        raise WorkbenchError(f"{path}: empty, expected a budget-curve file with a header line; move it away or remove it")
    if not text.endswith(("\n", "\r")):
        last = text.count("\n") + 1 if "\n" in text else text.count("\r") + 1
        raise WorkbenchError(
            f"{path} line {last}: the file ends inside this line (no line break after it), so it was cut short and its "
            "last field may be cut too; move the file away or fix that line"
        )
    try:
        records = [record for record in csv.reader(io.StringIO(text, newline=""), strict=True) if record]
    except csv.Error:
        _scan_csv(path, text)
        raise WorkbenchError(f"{path}: not valid CSV; move the file away or fix it") from None
    header = records[0]
    if any(len(record) != len(header) for record in records):
        _scan_csv(path, text)
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        raise WorkbenchError(f"{path}: the columns {', '.join(duplicated)} appear twice; not a budget-curve file; use another output file")
    return pd.DataFrame(records[1:], columns=header, dtype=object), _CsvLines(text)


def _read_table(path: Path) -> tuple[pd.DataFrame, _CsvLines | None]:
    """The file's cells (text for CSV), and the line of each row (None for parquet: rows are numbered)."""
    if path.suffix == ".parquet":
        try:
            return pd.read_parquet(path), None
        except Exception as error:  # pyarrow raises many types for a damaged file
            raise WorkbenchError(f"{path}: cannot read the results already there ({error}); move it away or fix it") from None
    return _read_csv_text(path)


def _location(lines: _CsvLines | None, position: int) -> str:
    return f"line {lines[position]}" if lines is not None else f"row {position + 1}"


def _where(path: Path, lines: _CsvLines | None, position: int) -> str:
    return f"{path} {_location(lines, position)}"


def _parse_results(path: Path, cells: pd.DataFrame, lines: _CsvLines | None, *, legacy: bool) -> pd.DataFrame:
    """Typed rows (``COLUMN_TYPES``) of ``cells``, or a WorkbenchError naming the file and first bad line.

    With ``legacy`` a missing or empty ``fingerprint`` is kept as "" (for :func:`adopt_results`).
    """
    header = [str(column) for column in cells.columns]
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        raise WorkbenchError(f"{path}: the columns {', '.join(duplicated)} appear twice; not a budget-curve file; use another output file")
    frame = cells.copy()
    frame.columns = header
    if "settings" not in frame.columns:  # files written before the column existed: no Distill-CF settings
        frame["settings"] = ""
    if "fingerprint" not in frame.columns:
        if not legacy and len(frame.columns) > 1 and {"dataset", "sampler", "value"} <= set(frame.columns):
            raise WorkbenchError(_legacy_message(path, ""))
        frame["fingerprint"] = ""
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise WorkbenchError(f"{path} is not a budget-curve file: it lacks the columns {', '.join(missing)}; use another output file")
    unknown = [column for column in frame.columns if column not in COLUMN_TYPES]
    if unknown:
        raise WorkbenchError(
            f"{path} is not a budget-curve file: it has the columns {', '.join(unknown)}, not those of a budget curve "
            f"({', '.join(COLUMNS)}); use another output file"
        )
    frame = frame[list(COLUMNS)]
    if frame.empty:
        return _empty_results()

    def refuse(position: int, message: str) -> None:
        raise WorkbenchError(f"{_where(path, lines, position)}: {message}; move the file away or fix that line")

    typed: dict[str, pd.Series] = {}
    for column in COLUMNS:
        values = frame[column]
        if column in FLOAT_COLUMNS:
            text = values.astype("string").str.strip()
            numbers = pd.to_numeric(text.where(text != "", "nan"), errors="coerce")
            bad = numbers.isna() & ~text.str.lower().isin(["", "nan", "<na>"]).fillna(True)
            if bad.any():
                position = int(np.flatnonzero(bad.to_numpy())[0])
                refuse(position, f"{column} {values.iloc[position]!r} is not a number")
            typed[column] = numbers.astype("float64")
        elif column == "seed":
            if pd.api.types.is_integer_dtype(values.dtype):
                integers = values.astype("int64")
                bad = (integers < 0) | (integers > MAX_SEED)
            else:
                text = values.astype("string").str.strip()
                digits = text.str.fullmatch(r"[0-9]{1,10}").fillna(False).astype(bool)
                integers = pd.to_numeric(text.where(digits, "0"), errors="coerce").fillna(0).astype("int64")
                bad = ~digits | (integers > MAX_SEED)
            if bad.any():
                position = int(np.flatnonzero(bad.to_numpy())[0])
                refuse(position, f"seed {values.iloc[position]!r} is not an integer from 0 to {MAX_SEED}")
            typed[column] = integers
        else:
            text = values.astype("string")
            absent = text.isna()
            if column in _OPTIONAL_TEXT or (legacy and column == "fingerprint"):
                text = text.fillna("")
            elif column == "fingerprint" and (absent | (text == "")).any():
                position = int(np.flatnonzero((absent | (text == "")).to_numpy())[0])
                raise WorkbenchError(_legacy_message(path, f" {_location(lines, position)}"))
            elif (absent | (text == "")).any():
                position = int(np.flatnonzero((absent | (text == "")).to_numpy())[0])
                refuse(position, f"no {column}")
            typed[column] = text
    typed["settings"] = pd.Series(
        [_upgrade_settings(str(sampler), str(text)) for sampler, text in zip(typed["sampler"], typed["settings"])],
        index=typed["settings"].index,
    )
    return pd.DataFrame(typed).astype(COLUMN_TYPES).reset_index(drop=True)


def _upgrade_settings(sampler: str, text: str) -> str:
    """A row's settings with the fields its sampler added since (``SamplerSpec.added_settings``)."""
    spec = SAMPLERS.get(sampler)
    return spec.upgrade_settings(text) if spec is not None else text


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The rows already in ``path`` (parquet or CSV by extension); empty when it does not exist.

    Columns :data:`COLUMNS` with :data:`COLUMN_TYPES`. Raises WorkbenchError naming the file (and the
    line, for CSV) when it is not a budget-curve file, is damaged or cut short, or predates the
    ``fingerprint`` column; the file is never changed.
    """
    path = Path(path)
    if not path.exists():
        return _empty_results()
    cells, lines = _read_table(path)
    return _parse_results(path, cells, lines, legacy=False)


def write_results(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` to ``path`` atomically (:func:`workbench.atomic.atomic_write`).

    An interruption or a failed write never truncates the file. Two processes adding points to one
    file must also hold :func:`workbench.atomic.file_lock` from reading it to writing it (as
    :func:`budget_curve` does).
    """
    path = Path(path)
    try:
        with atomic_write(path) as stream:
            if path.suffix == ".parquet":
                frame.to_parquet(stream, index=False)
            else:
                stream.write(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    except OSError as error:
        raise WorkbenchError(f"output {path}: cannot write the results ({error.strerror or error})", parameter="output") from None


@contextlib.contextmanager
def _locked(path: Path) -> Any:
    """:func:`workbench.atomic.file_lock` on ``path``; a lock file that cannot be made is a WorkbenchError."""
    stack = contextlib.ExitStack()
    try:
        stack.enter_context(file_lock(path))
    except OSError as error:
        raise WorkbenchError(
            f"output {path}: cannot make its lock file beside it ({error.strerror or error})", parameter="output"
        ) from None
    with stack:
        yield


def expected_point_rows(config: EvaluationConfig = EvaluationConfig()) -> frozenset[tuple[str, str]]:
    """The (split, metric) pairs of a whole point: validation and test × every metric of ``config``.

    :func:`evaluate_point` evaluates with the default configuration: 2 × 10 = 20 rows per point.
    """
    return frozenset((split, metric) for split in ("validation", "test") for metric in metric_names(config.ks))


def whole_points(frame: pd.DataFrame) -> set[tuple[Any, ...]]:
    """The points (:data:`POINT_COLUMNS` tuples) of ``frame`` that are whole.

    Whole: exactly one row per pair of :func:`expected_point_rows`, and every number of every row finite.
    A point with fewer rows (a file cut at a line break, rows lost), duplicates or a NaN is not done.
    """
    if frame.empty:
        return set()
    expected = expected_point_rows()
    pairs = list(zip(frame["split"].astype(str), frame["metric"].astype(str), strict=True))
    finite = np.isfinite(frame[list(FLOAT_COLUMNS)].to_numpy(dtype=np.float64)).all(axis=1)
    marks = pd.DataFrame({
        "ok": finite & np.fromiter((pair in expected for pair in pairs), dtype=bool, count=len(pairs)),
        "pair": ["\0".join(pair) for pair in pairs],
    })
    keys = [frame[column].to_numpy(dtype=object) for column in POINT_COLUMNS]
    grouped = marks.groupby(keys, sort=False, dropna=False).agg(rows=("pair", "size"), pairs=("pair", "nunique"), ok=("ok", "all"))
    whole = grouped[(grouped["rows"] == len(expected)) & (grouped["pairs"] == len(expected)) & grouped["ok"]]
    return {tuple(key) for key in whole.index}


def _point_key(dataset_name: str, point: tuple[str, str, int, str], distill_config: DistillConfig) -> tuple[Any, ...]:
    sampler, budget, seed, model = point
    return (dataset_name, sampler, budget, int(seed), model, point_settings(sampler, distill_config))


def _rows_of(frame: pd.DataFrame, key: tuple[Any, ...]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in zip(POINT_COLUMNS, key, strict=True):
        mask &= (frame[column] == value).to_numpy(dtype=bool, na_value=False)
    return mask


def check_fingerprints(frame: pd.DataFrame, fingerprint: DatasetFingerprint, path: str | os.PathLike[str]) -> None:
    """Refuse ``frame`` (read from ``path``) if it holds rows of ``fingerprint.name`` made on other data.

    Rows of other datasets are fine: a results file may hold several, summarised per dataset.
    """
    if frame.empty:
        return
    mine = frame[frame["dataset"] == fingerprint.name]
    others = sorted(set(mine["fingerprint"].astype(str)) - {fingerprint.digest})
    if others:
        raise WorkbenchError(
            f"{path} holds rows of {fingerprint.name} made on another split or version of it (fingerprint "
            f"{', '.join(others)}), but the dataset here is {fingerprint.describe()}; mixing them would average "
            "two experiments: use another output file for this split, or move the file away"
        )


def adopt_results(path: str | os.PathLike[str], dataset: Dataset) -> int:
    """Stamp ``dataset``'s fingerprint on the rows of ``path`` named ``dataset.name`` that lack one.

    For a results file written before rows carried fingerprints, when you know its rows of that
    dataset were made on this very split (the same data and ``seed``); nothing checks that. Rows of
    other datasets are left as they are (adopt each). Returns the number of rows stamped.
    """
    path = Path(path)
    if not path.exists():
        raise WorkbenchError(f"{path}: no such results file")
    fingerprint = dataset_fingerprint(dataset)
    with _locked(path):
        cells, lines = _read_table(path)
        frame = _parse_results(path, cells, lines, legacy=True)
        check_fingerprints(frame[frame["fingerprint"] != ""], fingerprint, path)
        stamp = ((frame["dataset"] == fingerprint.name) & (frame["fingerprint"] == "")).to_numpy(dtype=bool)
        frame.loc[stamp, "fingerprint"] = fingerprint.digest
        write_results(frame, path)
    return int(stamp.sum())


def point_settings(sampler: str, distill_config: DistillConfig) -> str:
    """What else made a point, beyond its key: the sampler's settings as JSON ("" for none, and for full data).

    Part of the resume key, so that re-running with other settings (Distill-CF's) recomputes those
    points instead of mixing two configurations in one file.
    """
    spec = SAMPLERS.get(sampler)  # full data, and samplers of files made elsewhere, have no settings
    return spec.settings((distill_config,)) if spec is not None else ""


def evaluate_point(
    dataset: Dataset, sampler: str, budget: str, seed: int, model_name: str, distill_config: DistillConfig, progress: bool,
    monitor: CurveMonitor | None = None,
) -> list[dict[str, Any]]:
    """Tidy rows (validation and test, every metric) for one point of the grid; ``monitor``'s
    ``on_progress`` and ``should_stop`` go to the sampler (a stop raises ComputationStopped)."""
    started = time.perf_counter()
    sample = None
    fraction_users = fraction_interactions = 1.0
    monitor = monitor or CurveMonitor()
    if sampler != FULL_DATA:
        spec = get_sampler(sampler)
        sample = spec(
            dataset, budget, seed, config=spec.config_from((distill_config,)), progress=progress,
            on_progress=monitor.on_progress, should_stop=monitor.should_stop,
        )
        fraction_users, fraction_interactions = sample.fraction_users, sample.fraction_interactions
    report = evaluate_on_sample(model_name, dataset, sample, seed=seed)
    seconds = time.perf_counter() - started
    settings = point_settings(sampler, distill_config)
    rows = []
    for split, metrics in (("validation", report.validation), ("test", report.test)):
        for metric, value in metrics.items():
            rows.append({
                "dataset": dataset.name, "fingerprint": dataset_fingerprint(dataset).digest, "sampler": sampler,
                "budget": budget, "seed": seed, "model": model_name, "settings": settings,
                "split": split, "metric": metric, "value": float(value), "fraction_users": float(fraction_users),
                "fraction_interactions": float(fraction_interactions), "seconds": seconds,
            })
    return rows


def rows_for_configuration(frame: pd.DataFrame, distill_config: DistillConfig) -> pd.DataFrame:
    """The rows of ``frame`` made with ``distill_config`` (rows of other samplers are all kept)."""
    if frame.empty:
        return frame
    wanted = frame["sampler"].map(lambda sampler: point_settings(str(sampler), distill_config))
    return frame[frame["settings"].fillna("") == wanted]


def missing_points(frame: pd.DataFrame, dataset_name: str, config: BudgetCurveConfig) -> list[tuple[str, str, int, str]]:
    """The points of ``config`` (sampler, budget, seed, model) that ``frame`` has no whole rows for.

    A point with some of its rows only, or a non-finite number, is missing (:func:`whole_points`).
    """
    done = whole_points(frame)
    return [point for point in config.points() if _point_key(dataset_name, point, config.distill) not in done]


def _non_finite(rows: list[dict[str, Any]]) -> str:
    for row in rows:
        for column in FLOAT_COLUMNS:
            if not np.isfinite(row[column]):
                return f"{row['split']} {row['metric']}: {column} is {row[column]}"
    return ""


def budget_curve(
    dataset: Dataset, config: BudgetCurveConfig, output: str | os.PathLike[str], *, progress: bool = True,
    monitor: CurveMonitor | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Run every point of the grid not yet whole in ``output``; returns (all rows of the file, failures).

    Safe to run in several processes on one ``output`` (module docstring): each point is merged into
    the file as it is then, under a lock, and a point another process finished is not computed again.
    Raises WorkbenchError before computing anything when ``output`` is damaged, predates fingerprints,
    or holds rows of this dataset's name made on another split.

    ``monitor`` (:class:`CurveMonitor`) hears each point start and end and the sampler's progress; when
    its ``should_stop`` answers True (before a point, or inside Distill-CF) this raises
    :class:`workbench.errors.ComputationStopped`: every point saved so far stays in ``output``, the
    point in progress is not written (a KeyboardInterrupt does the same).
    """
    output = Path(output)
    if output.suffix not in (".parquet", ".csv"):
        raise WorkbenchError(f"output {output}: expected a .parquet or .csv file", parameter="output")
    fingerprint = dataset_fingerprint(dataset)
    with _locked(output):
        remove_stale_temporaries(output)  # of writers killed mid-write: every writer of output holds the lock
        frame = read_results(output)
        check_fingerprints(frame, fingerprint, output)
        write_results(frame, output)  # fail now, not after the first (possibly hour-long) point
    todo = missing_points(frame, dataset.name, config)
    failures: list[str] = []
    monitor = monitor or CurveMonitor()

    def tell(kind: str, number: int, point: tuple[str, str, int, str], message: str = "") -> None:
        if monitor.on_point is not None:
            monitor.on_point(PointEvent(kind, number, len(todo), *point, message=message))

    bar = tqdm(todo, desc=f"budget curve on {dataset.name}", disable=not progress, unit="point")
    try:
        for number, point in enumerate(bar, start=1):
            sampler, budget, seed, model = point
            key = _point_key(dataset.name, point, config.distill)
            described = f"{sampler} at {budget}, seed {seed}, {model}"
            if monitor.should_stop is not None and monitor.should_stop():
                message = f"stopped on request before {described}; the points saved before it are kept"
                tell("stopped", number, point, message)
                raise ComputationStopped(message)
            if number > 1:  # another process may have done it meanwhile (the file is replaced whole: no lock to read)
                frame = read_results(output)
                if key in whole_points(frame):
                    if progress:
                        tqdm.write(f"point {number}/{len(todo)} done by another process: {described}")
                    tell("theirs", number, point)
                    continue
            bar.set_postfix({"sampler": sampler, "budget": budget, "seed": seed, "model": model})
            tell("started", number, point)
            try:
                rows = evaluate_point(dataset, sampler, budget, seed, model, config.distill, progress, monitor)
                if problem := _non_finite(rows):
                    raise WorkbenchError(f"a non-finite result ({problem}); the point is not saved")
            except KeyboardInterrupt:
                raise
            except ComputationStopped as error:  # asked for: not a failure, and the run ends here
                tell("stopped", number, point, str(error))
                raise
            except Exception as error:  # one failed point must not stop the others
                message = f"{described}: {type(error).__name__}: {error}"
                failures.append(message)
                tqdm.write(f"failed: {message}")
                if not isinstance(error, WorkbenchError):
                    tqdm.write(traceback.format_exc(limit=3))
                tell("failed", number, point, message)
                continue
            new = pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMN_TYPES)
            with _locked(output):
                frame = read_results(output)  # with what other processes wrote since
                check_fingerprints(frame, fingerprint, output)
                theirs = key in whole_points(frame)
                if not theirs:  # replace a partial point (rows read just now), keep every other row
                    frame = pd.concat([frame[~_rows_of(frame, key)], new], ignore_index=True)
                    write_results(frame, output)
            if progress:  # one line per point: also readable where the bar is not (papermill's streamed log)
                whose = " (another process saved it first: kept theirs)" if theirs else ""
                tqdm.write(f"point {number}/{len(todo)} done: {described} ({rows[0]['seconds']:.1f} s){whose}")
            tell("theirs" if theirs else "saved", number, point)
    finally:
        bar.close()
    return frame, failures


__all__: Sequence[str] = (
    "BudgetCurveConfig", "CurveMonitor", "FULL_DATA", "PointEvent", "adopt_results", "budget_curve", "check_fingerprints",
    "evaluate_point", "expected_point_rows", "missing_points", "read_results", "rows_for_configuration",
    "whole_points",
)
