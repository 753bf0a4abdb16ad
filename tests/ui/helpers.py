"""Helpers for the UI tests: a throw-away JupyterLab server, notebook driving, offline report checks.

Every wait here waits for a condition (an HTTP answer, a JavaScript predicate, a promise), never for a
fixed time, so the tests are as fast as the machine allows and do not fail on a slow one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Route

# Plugins switched off in the test server: the "Jupyter news" pop-up would cover the notebook.
DISABLED_LAB_PLUGINS = ("@jupyterlab/apputils-extension:announcements",)

# User settings of the test server (JSON files under <config>/lab/user-settings/<plugin>.jupyterlab-settings).
LAB_USER_SETTINGS = {
    # No news or update checks (both would ask a website), even if the plugin above comes back.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Render every cell, not only those in view: outputs far down a notebook exist and have a size.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

LOCAL_URL_PREFIXES = ("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "file:", "data:", "blob:", "about:")


# --------------------------------------------------------------------------------------------------
# The JupyterLab server


@dataclass
class JupyterLabServer:
    """A running JupyterLab: ``url`` ends in ``/``; notebooks live in ``root_dir``."""

    url: str
    root_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    work_dir: Path
    started_pids: set[int] = field(default_factory=set)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> Any:
        """Call the server's REST API (``path`` without the leading ``/``) and return the JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel (and its session), so that tests do not pile up kernels."""
        for session in self.api("GET", "api/sessions"):
            self.api("DELETE", f"api/sessions/{session['id']}")
        for kernel in self.api("GET", "api/kernels"):
            self.api("DELETE", f"api/kernels/{kernel['id']}")

    def reset_workspaces(self) -> None:
        """Forget the saved layouts, so that the next page does not reopen earlier tests' notebooks."""
        for workspace_id in self.api("GET", "lab/api/workspaces").get("workspaces", {}).get("ids", []):
            self.api("DELETE", f"lab/api/workspaces/{quote(workspace_id)}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def write_lab_configuration(config_dir: Path) -> None:
    """A JupyterLab configuration for tests: no announcements, no news, every cell rendered."""
    _write_json(config_dir / "labconfig" / "page_config.json", {"disabledExtensions": dict.fromkeys(DISABLED_LAB_PLUGINS, True)})
    _write_json(
        config_dir / "jupyter_server_config.json",
        {
            "LabApp": {
                "news_url": None,
                "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                "extension_manager": "readonly",  # the default one asks PyPI
            }
        },
    )
    for plugin, settings in LAB_USER_SETTINGS.items():
        _write_json(config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings", settings)


def lab_environment(work_dir: Path) -> dict[str, str]:
    """The server's environment: ours (WORKBENCH_DATA included) with Jupyter's folders in ``work_dir``.

    The venv's data path (kernel specs, lab extensions) stays on JUPYTER_PATH.
    """
    env = dict(os.environ)
    venv_data = str(Path(sys.prefix) / "share" / "jupyter")
    paths = [venv_data] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != venv_data]
    env.update(
        JUPYTER_CONFIG_DIR=str(work_dir / "config"),
        JUPYTER_DATA_DIR=str(work_dir / "data"),
        JUPYTER_RUNTIME_DIR=str(work_dir / "runtime"),
        JUPYTER_PATH=os.pathsep.join(paths),
        JUPYTERLAB_SETTINGS_DIR=str(work_dir / "config" / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(work_dir / "config" / "lab" / "workspaces"),
        IPYTHONDIR=str(work_dir / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_TOKEN", None)
    return env


def lab_command(port: int, root_dir: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # the port we chose, or fail (and try another)
        "--IdentityProvider.token=",  # the current name of --ServerApp.token (deprecated)
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",  # lets the fixture shut kernels down through the REST API
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "api/status", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start_jupyter_lab(root_dir: Path, work_dir: Path, timeout: float = 120.0, attempts: int = 3) -> JupyterLabServer:
    """Start JupyterLab in its own process group and return once ``/api/status`` answers."""
    write_lab_configuration(work_dir / "config")
    env = lab_environment(work_dir)
    log_path = work_dir / "jupyter-server.log"
    failures = []
    for _ in range(attempts):
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                lab_command(port, root_dir),
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as a whole at the end
            )
        server = JupyterLabServer(url=url, root_dir=root_dir, process=process, log_path=log_path, work_dir=work_dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(url):
                return server
            time.sleep(0.1)  # polling interval of a condition wait, not a fixed delay
        if process.poll() is None:
            stop_jupyter_lab(server)
            failures.append(f"port {port}: no answer from {url}api/status within {timeout:.0f} s")
        else:
            failures.append(f"port {port}: server exited with status {process.returncode}")
    raise RuntimeError(
        "JupyterLab did not start: " + "; ".join(failures) + f"\n--- server log ({log_path}) ---\n" + server.log_tail()
    )


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def stop_jupyter_lab(server: JupyterLabServer, timeout: float = 30.0) -> list[str]:
    """Stop the server, its process group and every process it started (kernels run in their own).

    Returns a description of each process that was still alive after the server's orderly shutdown
    and had to be killed (an empty list when the shutdown left nothing behind).
    """
    process = server.process
    children = _descendants(process.pid)  # kernels included: jupyter_client starts them in new sessions
    pgid = process.pid
    leftovers: list[str] = []
    if process.poll() is None:
        try:
            os.killpg(pgid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            leftovers.append(f"jupyter server {process.pid} (ignored SIGTERM for {timeout:.0f} s)")
            os.killpg(pgid, signal.SIGKILL)
            process.wait(timeout=timeout)
    # Anything left in the server's process group, or started by the server under it.
    try:
        os.killpg(pgid, 0)
        group_alive = True
    except (ProcessLookupError, PermissionError):
        group_alive = False
    if group_alive:
        leftovers.append(f"process group {pgid}")
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, alive = psutil.wait_procs(children, timeout=10)
    for child in alive:
        try:
            leftovers.append(f"{child.pid} {' '.join(child.cmdline())[:120]}")
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)
    return leftovers


# --------------------------------------------------------------------------------------------------
# Waiting in the page


def await_js(page: Page, function: str, arg: Any = None, timeout: float = 60_000, what: str = "script") -> Any:
    """Run an async JavaScript function (source text) in the page and wait for its result.

    Timeouts here, as in Playwright, are in milliseconds.

    ``page.evaluate`` on a promise that never settles would hang for ever; this polls a flag instead
    and raises with the JavaScript error (or a timeout naming ``what``).
    """
    key = f"__wb_{uuid.uuid4().hex}"
    page.evaluate(
        """([key, arg]) => {
            window[key] = {done: false};
            Promise.resolve().then(() => (FUNCTION)(arg)).then(
                (value) => { window[key] = {done: true, ok: true, value: value === undefined ? null : value}; },
                (error) => { window[key] = {done: true, ok: false, error: String((error && error.stack) || error)}; },
            );
        }""".replace("FUNCTION", function),
        [key, arg],
    )
    try:
        page.wait_for_function("(key) => window[key] && window[key].done", arg=key, timeout=timeout)
    except PlaywrightError as error:
        raise AssertionError(f"timed out after {timeout / 1000:.0f} s waiting for {what}") from error
    result = page.evaluate("(key) => { const r = window[key]; delete window[key]; return r; }", key)
    if not result["ok"]:
        raise AssertionError(f"{what} failed in the page: {result['error']}")
    return result["value"]


# --------------------------------------------------------------------------------------------------
# JupyterLab in the page

_APP_RESTORED = "async () => { const app = window.jupyterapp; await app.started; await app.restored; return true; }"

_OPEN_NOTEBOOK = """async (path) => {
    const app = window.jupyterapp;
    const widget = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await widget.context.ready;
    await widget.sessionContext.ready;
    app.shell.activateById(widget.id);
    window.__wbNotebook = widget;
    return widget.context.path;
}"""

_KERNEL_IDLE = """() => {
    const widget = window.__wbNotebook;
    const kernel = widget && widget.sessionContext.session && widget.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""

_RUN_ALL = """async () => {
    const app = window.jupyterapp;
    app.shell.activateById(window.__wbNotebook.id);
    return await app.commands.execute('notebook:run-all-cells');
}"""

_CELL_ERRORS = """() => {
    const widget = window.__wbNotebook;
    const errors = [];
    widget.content.widgets.forEach((cell, index) => {
        if (cell.model.type !== 'code') { return; }
        for (const output of cell.model.outputs.toJSON()) {
            if (output.output_type === 'error') {
                errors.push(`cell ${index}: ${output.ename}: ${output.evalue}\\n` + (output.traceback || []).join('\\n'));
            }
        }
    });
    return errors;
}"""


def wait_for_lab(page: Page, timeout: float = 120_000) -> None:
    """Wait until JupyterLab in ``page`` has started and restored its layout."""
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout)
    await_js(page, _APP_RESTORED, timeout=timeout, what="JupyterLab to start")


def open_notebook(page: Page, lab: JupyterLabServer, name: str, timeout: float = 120_000) -> None:
    """Open ``name`` (relative to the lab's root) in JupyterLab and wait for its kernel to be idle."""
    if not (lab.root_dir / name).is_file():
        raise FileNotFoundError(f"no notebook {name!r} in {lab.root_dir}")
    # ?reset: start from an empty workspace, not one that reopens the notebooks of earlier tests.
    page.goto(f"{lab.url}lab/tree/{quote(name)}?reset")
    wait_for_lab(page, timeout)
    await_js(page, _OPEN_NOTEBOOK, name, timeout=timeout, what=f"notebook {name!r} to open")
    wait_for_kernel_idle(page, timeout)


def wait_for_kernel_idle(page: Page, timeout: float = 120_000) -> None:
    """Wait until the kernel of the notebook opened by :func:`open_notebook` is connected and idle."""
    try:
        page.wait_for_function(_KERNEL_IDLE, timeout=timeout)
    except PlaywrightError as error:
        raise AssertionError(f"the notebook's kernel was not idle within {timeout / 1000:.0f} s") from error


def notebook_errors(page: Page) -> list[str]:
    """The error outputs (``ename: evalue`` and traceback) of the notebook's code cells."""
    return list(page.evaluate(_CELL_ERRORS))


def run_all_cells(page: Page, timeout: float = 300_000, raise_on_error: bool = True) -> None:
    """Run every cell of the open notebook, wait for the kernel to be idle, then check for errors."""
    await_js(page, _RUN_ALL, timeout=timeout, what="notebook:run-all-cells")
    wait_for_kernel_idle(page, timeout)
    if raise_on_error:
        errors = notebook_errors(page)
        if errors:
            raise AssertionError("notebook cells raised:\n" + "\n\n".join(errors))


# --------------------------------------------------------------------------------------------------
# Offline HTML reports

_PLOTLY_DIVS = "Array.from(document.querySelectorAll('.plotly-graph-div, .js-plotly-plot'))"

# A figure is "drawn" when plotly has plotted it with data and its traces are in the SVG (or a WebGL canvas).
_FIGURE_STATES = f"""() => {{
    const describe = (el) => {{
        const plotted = el.classList.contains('js-plotly-plot') && !!el._fullLayout;
        const traces = el.querySelectorAll(
            '.main-svg g.trace, .main-svg g.hm, .main-svg .imagelayer image, .gl-container canvas').length;
        return {{
            id: el.id || null,
            plotted,
            data: Array.isArray(el.data) ? el.data.length : 0,
            svg: !!el.querySelector('.main-svg'),
            traces,
        }};
    }};
    return {{plotly: typeof window.Plotly !== 'undefined', figures: {_PLOTLY_DIVS}.map(describe)}};
}}"""

# Waiting ends once every figure is drawn or can no longer be: no plotly.js, a div plotly never
# claimed (its script ran before `load`), or a figure plotted with no data.
_FIGURES_SETTLED = f"""() => {{
    if (typeof window.Plotly === 'undefined') {{ return true; }}
    return {_PLOTLY_DIVS}.every((el) => {{
        if (!el.classList.contains('js-plotly-plot')) {{ return true; }}
        if (!el._fullLayout) {{ return false; }}
        if (!Array.isArray(el.data) || el.data.length === 0) {{ return true; }}
        return el.querySelectorAll(
            '.main-svg g.trace, .main-svg g.hm, .main-svg .imagelayer image, .gl-container canvas').length > 0;
    }});
}}"""


def block_network(page: Page, allowed: tuple[str, ...] = ("file:", "data:", "blob:", "about:")) -> list[str]:
    """Abort every request of ``page``'s context whose URL does not start with ``allowed``; return their URLs."""
    blocked: list[str] = []

    def handle(route: Route) -> None:
        url = route.request.url
        if url.startswith(allowed):
            route.fallback()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    page.context.route("**/*", handle)
    return blocked


def check_offline_report(
    page: Page, html_path: str | Path, *, expected_figures: int | None = None, timeout: float = 30_000
) -> list[dict[str, Any]]:
    """Open an HTML report with the network off and check that every plotly figure was drawn with data.

    The page's context goes offline and every request that is not ``file:``/``data:``/``blob:`` is
    aborted. Raises AssertionError when there is no figure (or not ``expected_figures``), when a
    figure is empty or not drawn, when anything was fetched from the network, or on any console
    error or uncaught page error. Returns one description per figure.
    """
    path = Path(html_path).resolve()
    if not path.is_file():
        raise AssertionError(f"no report at {path}")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def on_failed(request: Request) -> None:
        errors.append(f"request failed: {request.url} ({request.failure})")

    page.on("requestfailed", on_failed)
    page.context.set_offline(True)
    blocked = block_network(page)

    page.goto(path.as_uri(), wait_until="load")
    try:
        page.wait_for_function(_FIGURES_SETTLED, timeout=timeout)
    except PlaywrightError:
        pass  # reported below, figure by figure
    state = page.evaluate(_FIGURE_STATES)
    figures = state["figures"]

    problems = []
    if blocked:
        problems.append("the report asked the network for: " + ", ".join(sorted(set(blocked))))
    if not state["plotly"]:
        problems.append("plotly.js is not loaded (was it taken from a CDN? use include_plotlyjs=True)")
    if not figures:
        problems.append("no plotly figure in the page")
    elif expected_figures is not None and len(figures) != expected_figures:
        problems.append(f"{len(figures)} plotly figures, expected {expected_figures}")
    for index, figure in enumerate(figures):
        name = f"figure {index} (id {figure['id']})"
        if not figure["plotted"]:
            problems.append(f"{name} was never plotted (an empty div)")
        elif figure["data"] == 0:
            problems.append(f"{name} has no data (no traces)")
        elif figure["traces"] == 0:
            problems.append(f"{name} has {figure['data']} traces in its data but none drawn")
    problems.extend(errors)
    if problems:
        raise AssertionError(f"report {path} is not right offline:\n  " + "\n  ".join(problems))
    return figures
