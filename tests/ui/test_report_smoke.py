"""The offline report check (helpers.check_offline_report) passes on a self-contained plotly page
and fails on pages that would show an empty figure: an empty div, a figure without data, plotly.js
from a CDN."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest
from helpers import check_offline_report

pytestmark = pytest.mark.ui


def _figures() -> tuple[go.Figure, go.Figure]:
    line = go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[4, 1, 3, 2], mode="lines+markers", name="line"))
    line.update_layout(title="first figure", height=350)
    bars = go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2], name="bars"))
    bars.add_trace(go.Heatmap(z=[[1, 2], [3, 4]], xaxis="x2", yaxis="y2", showscale=False))
    bars.update_layout(title="second figure", height=350, xaxis2={"domain": [0.6, 1]}, yaxis2={"anchor": "x2"})
    bars.update_layout(xaxis={"domain": [0, 0.5]})
    return line, bars


def _page(path: Path, *parts: str) -> Path:
    body = "\n".join(f"<section>{part}</section>" for part in parts)
    path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>report</title></head>\n<body>\n{body}\n</body></html>\n")
    return path


def test_two_figures_in_one_offline_page(page, tmp_path, screenshots):
    line, bars = _figures()
    report = _page(
        tmp_path / "report.html",
        "<h1>Report</h1>",
        line.to_html(full_html=False, include_plotlyjs=True),
        bars.to_html(full_html=False, include_plotlyjs=False),
    )
    figures = check_offline_report(page, report, expected_figures=2)
    assert [figure["data"] for figure in figures] == [1, 2]
    screenshots(page, "report", full_page=True)


def test_write_html_file_opens_offline(page, tmp_path):
    line, _ = _figures()
    line.write_html(tmp_path / "figure.html", include_plotlyjs=True)
    check_offline_report(page, tmp_path / "figure.html", expected_figures=1)


def test_fails_on_a_figure_without_data(page, tmp_path, screenshots):
    line, _ = _figures()
    report = _page(
        tmp_path / "empty.html",
        line.to_html(full_html=False, include_plotlyjs=True),
        go.Figure().to_html(full_html=False, include_plotlyjs=False),
    )
    with pytest.raises(AssertionError, match=r"figure 1 .* has no data"):
        check_offline_report(page, report)
    screenshots(page, "empty-figure")


def test_fails_on_an_empty_plotly_div(page, tmp_path):
    line, _ = _figures()
    report = _page(
        tmp_path / "div.html",
        line.to_html(full_html=False, include_plotlyjs=True),
        '<div id="never-plotted" class="plotly-graph-div" style="height:300px"></div>',
    )
    with pytest.raises(AssertionError, match=r"never-plotted\) was never plotted"):
        check_offline_report(page, report)


def test_fails_when_plotly_comes_from_a_cdn(page, tmp_path, screenshots):
    line, _ = _figures()
    line.write_html(tmp_path / "cdn.html", include_plotlyjs="cdn")
    with pytest.raises(AssertionError) as raised:
        check_offline_report(page, tmp_path / "cdn.html")
    message = str(raised.value)
    assert "asked the network for: https://cdn.plot.ly/" in message
    assert "plotly.js is not loaded" in message
    screenshots(page, "cdn")


def test_fails_on_a_page_without_figures(page, tmp_path):
    with pytest.raises(AssertionError, match="no plotly figure"):
        check_offline_report(page, _page(tmp_path / "none.html", "<p>nothing</p>"))


def test_fails_on_a_missing_file(page, tmp_path):
    with pytest.raises(AssertionError, match="no report at"):
        check_offline_report(page, tmp_path / "missing.html")
