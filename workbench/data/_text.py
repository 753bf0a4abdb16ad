"""Plumbing shared by the text readers: opening files and naming the first malformed line.

The readers parse with pandas/numpy fast paths. When a fast path rejects a file, `raise_bad_line`
walks the file line by line (only then, so the slow path costs nothing on good files) to name the
first offending line (1-based, counting every physical line, blank ones included).
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from workbench.errors import DataNotFoundError, WorkbenchError

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_UTF8_BOM = b"\xef\xbb\xbf"

#: The largest magnitude a value read as a number may have: ratings are stored as float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: A line checker: returns None when the line is well formed, else the reason it is not.
LineCheck = Callable[[str], "str | None"]


def existing_file(path: str | os.PathLike[str], what: str) -> Path:
    """`path` as a Path; DataNotFoundError naming it when it is not an existing file."""
    file = Path(path)
    if not file.is_file():
        detail = "is a directory, not a file" if file.is_dir() else "does not exist"
        raise DataNotFoundError(f"{file}: {what} file {detail}")
    return file


def read_bytes(path: str | os.PathLike[str], what: str) -> bytes:
    """The whole content of `path`, gunzipped when its name ends in `.gz`.

    A leading UTF-8 byte-order mark is removed (else it would stick to the first field), line
    endings are normalised to b"\\n" and the result ends with b"\\n" unless empty.
    """
    file = existing_file(path, what)
    try:
        if file.suffix == ".gz":
            with gzip.open(file, "rb") as handle:
                raw = handle.read()
        else:
            raw = file.read_bytes()
    except (OSError, EOFError) as error:
        raise WorkbenchError(f"{file}: could not read {what} file ({error})") from error
    raw = raw.removeprefix(_UTF8_BOM)
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if raw and not raw.endswith(b"\n"):
        raw += b"\n"
    return raw


def is_integer(text: str) -> bool:
    """True for an optionally signed run of decimal digits, surrounding spaces allowed."""
    return _INTEGER.fullmatch(text.strip(" ")) is not None


def is_number(text: str) -> bool:
    """True for a decimal number such as `4`, `-3.5`, `.5`, `1e3` (no nan/inf), spaces allowed."""
    return _NUMBER.fullmatch(text.strip(" ")) is not None


def in_float32_range(value: str) -> bool:
    """True when the number `value` (as `is_number` accepts) is at most FLOAT32_MAX in magnitude."""
    return abs(float(value)) <= FLOAT32_MAX


def finite_float32(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the `values` (float64) that are finite and within float32's range."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (np.abs(values) <= FLOAT32_MAX)


def all_finite_float32(values: np.ndarray) -> bool:
    """True when every one of the numeric `values` is finite and within float32's range.

    Integers always are; for floats two passes (min, max) and no temporary array (NaN fails both).
    """
    if values.dtype.kind in "iub" or values.size == 0:
        return True
    return bool(values.min() >= -FLOAT32_MAX) and bool(values.max() <= FLOAT32_MAX)


def split_fields(line: str, delimiter: str | None) -> list[str]:
    """Fields of one line: CSV quoting rules for a one-character delimiter (as pandas), plain split otherwise.

    `delimiter=None` splits on runs of whitespace; a longer delimiter such as '::' is split plainly.
    """
    if delimiter is not None and len(delimiter) == 1:
        return next(csv.reader([line], delimiter=delimiter), [])
    if delimiter is None:
        return line.split()
    return line.split(delimiter)


def fields_check(
    delimiter: str | None,
    names: Sequence[str],
    kinds: Sequence[str],
) -> LineCheck:
    """A checker for lines of exactly len(names) fields; kinds: 'int', 'number', 'text' (non-empty), 'any'."""

    def check(line: str) -> str | None:
        fields = split_fields(line, delimiter)
        if len(fields) != len(names):
            return f"{len(names)} fields, found {len(fields)}"
        for name, kind, value in zip(names, kinds, fields, strict=True):
            if kind == "int" and not is_integer(value):
                return f"{name} is not an integer: {value!r}"
            if kind == "number" and not is_number(value):
                return f"{name} is not a number: {value!r}"
            if kind == "number" and not in_float32_range(value):
                return f"{name} is out of range (beyond ±{FLOAT32_MAX:.4g}): {value!r}"
            if kind == "text" and not value.strip():
                return f"{name} is empty"
        return None

    return check


def _shorten(line: str, limit: int = 80) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."


def first_bad_line(raw: bytes, check: LineCheck, skip_lines: int = 0) -> tuple[int, str, str] | None:
    """(1-based line number, line, reason) of the first line `check` rejects, or None.

    Empty lines are skipped; so are the first `skip_lines` lines (a header).
    """
    text = raw.decode("utf-8", errors="replace")
    for number, line in enumerate(text.split("\n"), start=1):
        if number <= skip_lines or line == "":
            continue
        reason = check(line)
        if reason is not None:
            return number, line, reason
    return None


def raise_bad_line(
    path: str | os.PathLike[str],
    raw: bytes,
    check: LineCheck,
    expected: str,
    cause: BaseException | str | None = None,
    skip_lines: int = 0,
) -> NoReturn:
    """Raise WorkbenchError naming the file, the first malformed line, and the expected layout.

    `cause` (what made the fast path give up) is reported when no single line can be blamed.
    """
    found = first_bad_line(raw, check, skip_lines)
    if found is not None:
        number, line, reason = found
        raise WorkbenchError(
            f"{path} line {number}: expected '{expected}' ({reason}), got {_shorten(line)!r}"
        )
    detail = f" ({cause})" if cause else ""
    raise WorkbenchError(f"{path}: could not be read as '{expected}' lines{detail}")
