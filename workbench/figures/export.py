"""Static PNG export of plotly figures with the Chromium installed on this machine.

Plotly draws its figures in a browser, so a PNG needs one: :func:`export_png` uses kaleido (≥ 1) when
it is installed, pointed at the local Chromium, and otherwise renders the figure in that Chromium
through Playwright and asks plotly.js for the image. Nothing is downloaded: plotly.js comes from the
plotly package. Without a browser it raises :class:`~workbench.errors.WorkbenchError` saying what to
install; HTML output (``fig.write_html``) never needs one.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Literal

import plotly.graph_objects as go

from workbench.atomic import write_atomic
from workbench.errors import WorkbenchError

__all__ = ["BROWSER_FLAGS", "export_png", "find_chromium"]

Backend = Literal["auto", "kaleido", "playwright"]

# The names a Chromium or Chrome binary goes by, most likely first (Debian's package is `chromium`).
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome")

# Headless flags that keep Chromium quiet on a machine without a network (no background requests).
BROWSER_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

_DEFAULT_WIDTH = 700  # plotly's own default size for a figure without a layout size
_DEFAULT_HEIGHT = 500


def find_chromium() -> str | None:
    """The path of a Chromium/Chrome binary, or None.

    ``$BROWSER_PATH`` (the variable kaleido reads) wins when it names an executable file; then the usual
    names are looked up on ``PATH``.
    """
    configured = os.environ.get("BROWSER_PATH")
    if configured and os.path.isfile(configured) and os.access(configured, os.X_OK):
        return configured
    for name in _BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing_browser_error(path: str | Path | None) -> WorkbenchError:
    where = f"no browser at {str(path)!r}" if path is not None else "no Chromium or Chrome found on PATH"
    return WorkbenchError(
        f"static PNG export of plotly figures needs a Chromium/Chrome browser: {where}. "
        "Install one with `.ci/install-browser` (or `apt-get install chromium`), or set BROWSER_PATH to "
        "its binary. HTML output is unaffected."
    )


def _resolve_browser(chromium: str | Path | None) -> str:
    if chromium is None:
        found = find_chromium()
        if found is None:
            raise _missing_browser_error(None)
        return found
    path = Path(chromium)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise _missing_browser_error(chromium)
    return str(path)


def _targets(figures: Mapping[str, go.Figure] | go.Figure, path: str | Path) -> list[tuple[go.Figure, Path]]:
    """Pairs (figure, PNG path): one figure goes to ``path``; a mapping to ``path/<name>.png``."""
    if isinstance(figures, go.Figure):
        target = Path(path)
        if target.suffix.lower() != ".png":
            raise WorkbenchError(f"a PNG path must end in .png: {str(path)!r}")
        return [(figures, target)]
    folder = Path(path)
    pairs = []
    for name, figure in figures.items():
        if not name or Path(name).name != name or name in {".", ".."}:
            raise WorkbenchError(f"a figure name must be a plain file name, without folders: {name!r}")
        if not isinstance(figure, go.Figure):
            raise WorkbenchError(f"figure {name!r} is a {type(figure).__name__}, not a plotly Figure")
        pairs.append((figure, folder / f"{name}.png"))
    return pairs


def _size(figure: go.Figure, width: int | None, height: int | None) -> tuple[int, int]:
    return (
        int(width or figure.layout.width or _DEFAULT_WIDTH),
        int(height or figure.layout.height or _DEFAULT_HEIGHT),
    )


def _kaleido_available() -> bool:
    if importlib.util.find_spec("kaleido") is None:
        return False
    try:
        return int(metadata.version("kaleido").split(".")[0]) >= 1
    except (metadata.PackageNotFoundError, ValueError):
        return False


def _export_kaleido(
    targets: list[tuple[go.Figure, Path]], browser: str, width: int | None, height: int | None, scale: float
) -> None:
    import kaleido

    specs = [
        {
            "fig": figure.to_dict(),
            "path": target,
            "opts": {"format": "png", "width": w, "height": h, "scale": scale},
        }
        for figure, target in targets
        for w, h in [_size(figure, width, height)]
    ]
    # mathjax=False: kaleido would otherwise load MathJax from a CDN. plotly.js comes from the plotly package.
    kaleido.write_fig_from_object_sync(specs, kopts={"path": browser, "mathjax": False})


_TO_IMAGE = """async ([width, height, scale]) => {
    const gd = document.querySelector('.js-plotly-plot');
    return await Plotly.toImage(gd, {format: 'png', width, height, scale});
}"""


def _export_playwright_now(
    targets: list[tuple[go.Figure, Path]], browser: str, width: int | None, height: int | None, scale: float
) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="workbench-png-") as scratch, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser, headless=True, args=list(BROWSER_FLAGS))
        try:
            context = chromium.new_context(offline=True)
            page = context.new_page()
            for index, (figure, target) in enumerate(targets):
                w, h = _size(figure, width, height)
                html = Path(scratch) / f"figure-{index}.html"
                figure.write_html(html, include_plotlyjs=True, full_html=True, default_width=w, default_height=h)
                page.goto(html.as_uri())
                page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
                data_url = page.evaluate(_TO_IMAGE, [w, h, scale])
                target.write_bytes(base64.b64decode(data_url.split(",", 1)[1]))  # a draft in export_png's scratch folder
        finally:
            chromium.close()


def _export_playwright(
    targets: list[tuple[go.Figure, Path]], browser: str, width: int | None, height: int | None, scale: float
) -> None:
    """Playwright's sync API refuses to run inside an asyncio loop (a Jupyter kernel): use a thread."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _export_playwright_now(targets, browser, width, height, scale)
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)

    worker = threading.Thread(target=run, name="workbench-png-export")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def export_png(
    figures: Mapping[str, go.Figure] | go.Figure,
    path: str | Path,
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1.0,
    chromium: str | Path | None = None,
    backend: Backend = "auto",
) -> list[Path]:
    """Write figures as PNG files and return their paths.

    ``figures`` is one figure, written to ``path`` (which ends in ``.png``), or a mapping from names to
    figures, written to ``path/<name>.png`` (``path`` is a folder, made if missing). The size is
    ``width`` × ``height`` pixels, else the figure's layout size, else 700 × 500, times ``scale``.
    ``chromium`` is the browser binary (default: :func:`find_chromium`). ``backend`` picks kaleido or
    Playwright; ``"auto"`` takes kaleido when kaleido ≥ 1 is installed.

    Raises :class:`~workbench.errors.WorkbenchError` when no browser is found (saying what to install)
    or when a path or name is not usable.
    """
    targets = _targets(figures, path)
    browser = _resolve_browser(chromium)
    if backend == "auto":
        backend = "kaleido" if _kaleido_available() else "playwright"
    if backend not in ("kaleido", "playwright"):
        raise WorkbenchError(f"unknown PNG export backend {backend!r}: expected 'auto', 'kaleido' or 'playwright'")
    if backend == "kaleido" and not _kaleido_available():
        raise WorkbenchError("the kaleido backend needs kaleido >= 1: pip install 'kaleido>=1'")
    if backend == "playwright" and importlib.util.find_spec("playwright") is None:
        raise WorkbenchError("PNG export needs kaleido >= 1 or playwright: pip install 'kaleido>=1'")
    for _, target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    # Rendered into a scratch folder, then each PNG written atomically: a failed export leaves old PNGs whole.
    with tempfile.TemporaryDirectory(prefix="workbench-png-out-") as scratch:
        drafts = [(figure, Path(scratch) / f"figure-{index}.png") for index, (figure, _) in enumerate(targets)]
        if backend == "kaleido":
            _export_kaleido(drafts, browser, width, height, scale)
        else:
            _export_playwright(drafts, browser, width, height, scale)
        for (_, target), (_, draft) in zip(targets, drafts, strict=True):
            write_atomic(target, draft.read_bytes())
    return [target for _, target in targets]
