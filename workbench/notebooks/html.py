"""Self-contained HTML reports: headings, text, tables and plotly figures in one file that opens offline.

plotly.js is embedded once (about 4.8 MB), so the file needs no network connection; every other
figure refers to it. Text is escaped; tables are pandas' HTML.
"""

from __future__ import annotations

import datetime
import html
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from workbench.atomic import write_atomic
from workbench.errors import WorkbenchError


@dataclass(frozen=True)
class Section:
    """One part of a report: a heading and, in order, paragraphs, figures and tables."""

    heading: str
    paragraphs: Sequence[str] = ()
    figures: Sequence[go.Figure] = ()
    tables: Sequence[pd.DataFrame] = ()


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
p.answer { font-size: 1.15em; background: #f4f0f8; padding: 0.8em 1em; border-left: 4px solid #CC6677; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f6f6f6; } footer { color: #777; font-size: 0.85em; margin-top: 3em; }
"""


def report_html(
    title: str, sections: Sequence[Section], *, answer: str | None = None, footer: str | None = None, data: str | None = None
) -> str:
    """The whole document as a string; the first figure carries plotly.js.

    ``data`` (what the results were made on: the dataset and its fingerprint) is shown above the footer.
    """
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if answer:
        parts.append(f'<p class="answer">{html.escape(answer)}</p>')
    plotly_included = False
    for section in sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        parts.extend(f"<p>{html.escape(paragraph)}</p>" for paragraph in section.paragraphs)
        for figure in section.figures:
            parts.append(figure.to_html(full_html=False, include_plotlyjs=not plotly_included, config={"responsive": True}))
            plotly_included = True
        parts.extend(table.to_html(index=False, border=0, float_format=lambda value: f"{value:.4g}") for table in section.tables)
    made = footer or (
        f"Made by workbench on {platform.node() or 'an unnamed machine'} ({platform.machine()}, "
        f"Python {platform.python_version()}), {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC."
    )
    if data:
        parts.append(f'<p class="data">{html.escape(data)}</p>')
    parts += [f"<footer>{html.escape(made)}</footer>", "</body>", "</html>"]
    return "\n".join(parts)


def write_report(
    path: str | os.PathLike[str], title: str, sections: Sequence[Section], *, answer: str | None = None,
    footer: str | None = None, data: str | None = None,
) -> Path:
    """Write :func:`report_html` to ``path`` (atomically) and return the path."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise WorkbenchError(f"report path {target}: expected a .html file")
    document = report_html(title, sections, answer=answer, footer=footer, data=data)
    try:
        write_atomic(target, document)
    except OSError as error:
        raise WorkbenchError(f"report path {target}: cannot write it ({error.strerror or error})") from None
    return target
