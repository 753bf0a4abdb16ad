"""Static PNG export of plotly figures (workbench.figures.export) with the local Chromium."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import plotly.graph_objects as go
import pytest

from workbench.errors import WorkbenchError
from workbench.figures import export
from workbench.figures.export import export_png, find_chromium

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _figure(title: str) -> go.Figure:
    figure = go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[4, 1, 3, 2], mode="lines+markers", name=title))
    figure.update_layout(title=title)
    return figure


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        message = "no Chromium found for PNG export: run .ci/install-browser (or apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["kaleido", "playwright"])
def test_export_png_writes_pngs_of_the_requested_size(tmp_path, chromium, backend):
    if backend == "kaleido" and not export._kaleido_available():
        pytest.skip("kaleido >= 1 is not installed")
    written = export_png(
        {"first": _figure("first"), "second": _figure("second")},
        tmp_path / "figures",
        width=640,
        height=400,
        chromium=chromium,
        backend=backend,
    )
    assert written == [tmp_path / "figures" / "first.png", tmp_path / "figures" / "second.png"]
    for path in written:
        assert _png_size(path) == (640, 400)
        assert path.stat().st_size > 5_000  # a drawn figure, not a blank image


@pytest.mark.slow
def test_export_png_single_figure_uses_the_layout_size(tmp_path, chromium):
    figure = _figure("sized")
    figure.update_layout(width=500, height=300)
    [path] = export_png(figure, tmp_path / "one.png", scale=2, chromium=chromium)
    assert path == tmp_path / "one.png"
    assert _png_size(path) == (1000, 600)


def test_missing_browser_is_a_clear_error(tmp_path):
    with pytest.raises(WorkbenchError) as raised:
        export_png(_figure("x"), tmp_path / "x.png", chromium=tmp_path / "no-such-chromium")
    message = str(raised.value)
    assert "no-such-chromium" in message
    assert ".ci/install-browser" in message and "apt-get install chromium" in message
    assert "HTML output is unaffected" in message
    assert not (tmp_path / "x.png").exists()


def test_no_browser_on_path_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    assert find_chromium() is None
    with pytest.raises(WorkbenchError, match=r"no Chromium or Chrome found.*\.ci/install-browser"):
        export_png(_figure("x"), tmp_path / "x.png")


def test_find_chromium_prefers_browser_path(tmp_path, monkeypatch):
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert find_chromium() == str(fake)


@pytest.mark.parametrize("name", ["", "a/b", "..", "../up"])
def test_figure_names_must_be_plain_file_names(tmp_path, name):
    with pytest.raises(WorkbenchError, match="plain file name"):
        export_png({name: _figure("x")}, tmp_path, chromium="/bin/sh")


def test_single_figure_path_must_end_in_png(tmp_path):
    with pytest.raises(WorkbenchError, match=r"\.png"):
        export_png(_figure("x"), tmp_path / "x.svg", chromium="/bin/sh")
