"""Results a notebook records for tests, sweeps and reports to read back, without scrapbook.

A notebook's last cell calls :func:`record_results` with a JSON-serialisable dict. It is displayed as
an output of mimetype :data:`RESULTS_MIMETYPE` (Jupyter shows nothing for it; papermill and nbclient
store it in the executed notebook), and :func:`read_recorded_results` finds it in the ``.ipynb``.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import nbformat

from workbench.errors import WorkbenchError

RESULTS_MIMETYPE = "application/vnd.workbench.results+json"


def _plain(value: Any) -> Any:
    """``value`` as plain JSON types: numpy scalars and arrays become numbers and lists; NaN becomes None."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise WorkbenchError(f"record_results: cannot record a value of type {type(value).__name__}: {value!r}")


def record_results(results: dict[str, Any], *, dataset: Any = None) -> None:
    """Display ``results`` (converted to plain JSON types) as this notebook's recorded results.

    With ``dataset`` (the `workbench.data.Dataset` the results were made on) they also record
    ``dataset_fingerprint`` and ``split_origin`` (:mod:`workbench.provenance`), so that a sweep's table
    says which data and split every run used.
    """
    from IPython.display import display

    if dataset is not None:
        from workbench.provenance import dataset_fingerprint

        fingerprint = dataset_fingerprint(dataset)
        results = {**results, "dataset_fingerprint": fingerprint.digest, "split_origin": fingerprint.split_origin}
    plain = _plain(results)
    json.dumps(plain)  # fail here, in the notebook, rather than when the results are read
    display({RESULTS_MIMETYPE: plain, "text/plain": f"<recorded results: {', '.join(plain)}>"}, raw=True)


def read_recorded_results(notebook: str | os.PathLike[str]) -> dict[str, Any]:
    """The results an executed notebook recorded (the last ones, if several cells recorded).

    Raises:
        WorkbenchError: the file is not a notebook, or it recorded nothing (not executed, or it failed
            before its last cell).
    """
    try:
        content = nbformat.read(os.fspath(notebook), as_version=4)
    except (OSError, ValueError) as error:
        raise WorkbenchError(f"{notebook}: cannot read it as a notebook ({error})") from None
    found: dict[str, Any] | None = None
    for cell in content.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RESULTS_MIMETYPE in data:
                value = data[RESULTS_MIMETYPE]
                found = json.loads(value) if isinstance(value, str) else dict(value)
    if found is None:
        raise WorkbenchError(f"{notebook}: no recorded results (was it executed to its last cell?)")
    return found
