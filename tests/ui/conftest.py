"""Fixtures of the UI tests: a headless Chromium driven by Playwright, a throw-away JupyterLab server,
and screenshots of each step under ``artifacts/ui/<test name>/`` (git-ignored).

Without a Chromium the tests skip, saying to run ``.ci/install-browser``; under CI (``CI=true``) they
fail instead. Every process started here (browser, server, kernels) is stopped at the end, also when a
test fails.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from helpers import LOCAL_URL_PREFIXES, JupyterLabServer, start_jupyter_lab, stop_jupyter_lab

from workbench.figures.export import BROWSER_FLAGS, find_chromium

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "artifacts" / "ui"
NOTEBOOKS = REPOSITORY / "notebooks"

VIEWPORT = {"width": 1400, "height": 900}
DEFAULT_TIMEOUT_MS = 60_000  # for Playwright actions and waits; the machine may be busy


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/ui is a UI test (marker ``ui``), whether or not its module says so."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.ui)


def _test_folder(node: pytest.Item) -> Path:
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", node.name).strip("_")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """When a test that uses ``page`` fails, save ``failure.png`` in its folder (the page is still open)."""
    report = yield
    if report.when == "setup":
        (_test_folder(item) / "failure.png").unlink(missing_ok=True)  # from an earlier run
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        try:
            if not page.is_closed():
                folder = _test_folder(item)
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=folder / "failure.png", timeout=15_000)
        except Exception:  # a courtesy: never hide the test's own error
            pass
    return report


# ---------------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium binary; skips (fails under CI=true) when there is none."""
    found = find_chromium()
    if found is None:
        message = (
            "no Chromium found for the UI tests: run .ci/install-browser "
            "(or apt-get install chromium), or set BROWSER_PATH to a Chromium/Chrome binary"
        )
        if _on_ci():
            pytest.fail(message + " (CI=true: a missing browser is a failure)", pytrace=False)
        pytest.skip(message)
    return found


def _is_browser_process(process: psutil.Process) -> bool:
    """Chromium, or Playwright's driver (node), which the browser fixture starts."""
    try:
        name = process.name().lower()
    except psutil.NoSuchProcess:
        return False
    return "chrom" in name or "node" in name or "playwright" in name


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Any]:
    """A headless Chromium for the whole session, driven by Playwright; closed (and checked gone) at the end."""
    from playwright.sync_api import sync_playwright

    before = {child.pid for child in psutil.Process().children(recursive=True)}
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=list(BROWSER_FLAGS)
        )
    except Exception:
        playwright.stop()
        raise
    try:
        yield chromium
    finally:
        try:
            chromium.close()
        finally:
            playwright.stop()
        started = [
            child
            for child in psutil.Process().children(recursive=True)
            if child.pid not in before and _is_browser_process(child)
        ]
        _, alive = psutil.wait_procs(started, timeout=15)
        for process in alive:
            process.kill()
        assert not alive, f"browser processes left running after the session: {[p.pid for p in alive]}"


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of the test's ``page`` (filled as they happen)."""
    return []


@pytest.fixture
def page(browser: Any, console_errors: list[str]) -> Iterator[Any]:
    """A fresh browser context and page. Requests off this machine are aborted (and show up as console
    errors); a failed test leaves ``failure.png`` in its artefact folder."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)

    def keep_local(route: Any) -> None:
        if route.request.url.startswith(LOCAL_URL_PREFIXES):
            route.fallback()
        else:
            route.abort("blockedbyclient")

    context.route(lambda url: not url.startswith(LOCAL_URL_PREFIXES), keep_local)
    new_page = context.new_page()
    new_page.on(
        "console",
        lambda message: console_errors.append(f"{message.text} ({message.location.get('url', '')})")
        if message.type == "error"
        else None,
    )
    new_page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    new_page.console_errors = console_errors  # also reachable from the page itself
    try:
        yield new_page
    finally:
        context.close()


class Screenshots:
    """``screenshots(page_or_locator, "step")`` saves ``artifacts/ui/<test>/<NN>-<step>.png``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.paths: list[Path] = []

    def __call__(self, target: Any, step: str, **options: Any) -> Path:
        self.count += 1
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", step).strip("-") or "step"
        path = self.folder / f"{self.count:02d}-{name}.png"
        target.screenshot(path=path, **options)
        self.paths.append(path)
        return path


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    folder = _test_folder(request.node)
    shutil.rmtree(folder, ignore_errors=True)  # only this run's steps
    folder.mkdir(parents=True, exist_ok=True)
    return Screenshots(folder)


# ---------------------------------------------------------------------------------------------------
# JupyterLab


@pytest.fixture(scope="session")
def jupyter_lab(chromium_executable: str) -> Iterator[JupyterLabServer]:
    """JupyterLab on 127.0.0.1 (no token, temporary configuration, announcements off) serving a
    temporary copy of ``notebooks/``. Stopped at the end with its whole process group and kernels;
    the session errors if anything had to be killed. Its log is kept in ``artifacts/ui/``."""
    work_dir = Path(tempfile.mkdtemp(prefix="workbench-ui-lab-"))
    root_dir = work_dir / "notebooks"
    if NOTEBOOKS.is_dir():
        shutil.copytree(NOTEBOOKS, root_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    else:
        root_dir.mkdir()
    server = start_jupyter_lab(root_dir, work_dir)
    try:
        yield server
    finally:
        leftovers = stop_jupyter_lab(server)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, ARTIFACTS / "jupyter-server.log")
        shutil.rmtree(work_dir, ignore_errors=True)
        assert not leftovers, f"processes left after stopping JupyterLab (killed): {leftovers}"


@pytest.fixture
def lab(jupyter_lab: JupyterLabServer, browser: Any) -> Iterator[JupyterLabServer]:
    """The session's JupyterLab. After each test, the pages showing it are closed (before they save
    their layout again), its saved layouts are forgotten and its kernels shut down."""
    yield jupyter_lab
    for context in browser.contexts:
        for open_page in context.pages:
            if open_page.url.startswith(jupyter_lab.url):
                open_page.close()
    if jupyter_lab.process.poll() is None:
        jupyter_lab.reset_workspaces()
        jupyter_lab.shutdown_kernels()


@pytest.fixture
def write_notebook(lab: JupyterLabServer) -> Callable[..., Path]:
    """``write_notebook(name, [source, ...])`` writes a notebook of code cells (python3 kernel) into the lab's root."""
    import nbformat

    def write(name: str, cells: list[str]) -> Path:
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        path = lab.root_dir / name
        nbformat.write(notebook, path)
        return path

    return write
