"""Self-contained HTML reports (workbench.notebooks.html) and the data-budget report (workbench.budget.report):
plotly.js embedded once so the file opens offline, escaped text, tables, atomic writes; the report's
answer sentence is :meth:`BudgetCurve.answer`'s."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from test_budget_answer import DATASET, FULL, MEANS, METRIC, MODEL, tidy, tidy_frame
from workbench.budget.answer import answer
from workbench.budget.curve import BudgetCurve, curve_table, full_data_value
from workbench.budget.report import write_budget_report
from workbench.errors import WorkbenchError
from workbench.notebooks.html import Section, report_html, write_report

PLOTLY_BUNDLE = "* plotly.js v"  # the licence header at the top of the embedded bundle


def small_figure(name: str) -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], name=name))


def script_sources(document: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc\s*=\s*['\"]?([^'\" >]+)", document, flags=re.IGNORECASE)


def answer_paragraph(document: str) -> str | None:
    found = re.search(r'<p class="answer">(.*?)</p>', document, flags=re.DOTALL)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def three_figures_document() -> str:
    sections = [
        Section("First", paragraphs=["one"], figures=[small_figure("a"), small_figure("b")]),
        Section("Second", figures=[small_figure("c")]),
    ]
    return report_html("Figures", sections, footer="made in a test")


# --- report_html / write_report ------------------------------------------------------------------------


def test_plotly_js_is_embedded_exactly_once_with_several_figures(three_figures_document: str) -> None:
    document = three_figures_document
    assert document.count(PLOTLY_BUNDLE) == 1
    assert document.count("window.PlotlyConfig") == 1
    assert document.count("Plotly.newPlot(") == 3
    assert document.index(PLOTLY_BUNDLE) < document.index("Plotly.newPlot(")  # defined before it is used
    assert len(document) > 3_000_000  # the bundle itself, not a reference to it


def test_report_opens_offline_no_script_is_fetched(three_figures_document: str) -> None:
    assert script_sources(three_figures_document) == []
    assert not re.search(r"<script[^>]*src=[^>]*cdn\.plot\.ly", three_figures_document)
    assert "mathjax" not in " ".join(script_sources(three_figures_document)).lower()


def test_report_is_one_html_document_in_section_order(three_figures_document: str) -> None:
    document = three_figures_document
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in document
    assert document.count("<h1>") == 1 and "<title>Figures</title>" in document
    assert document.index("<h2>First</h2>") < document.index("<p>one</p>") < document.index("<h2>Second</h2>")
    assert "<footer>made in a test</footer>" in document


def test_a_report_without_figures_has_no_plotly() -> None:
    document = report_html("Text only", [Section("Only text", paragraphs=["hello"])])
    assert PLOTLY_BUNDLE not in document and "Plotly.newPlot" not in document


def test_text_is_escaped_everywhere() -> None:
    nasty = '<script>alert("x")</script> & <b>bold</b>'
    escaped = html.escape(nasty)
    document = report_html(
        nasty, [Section(nasty, paragraphs=[nasty, "a < b > c"])], answer=nasty, footer=nasty,
    )
    assert "<script>" not in document and "<b>bold</b>" not in document
    assert f"<title>{escaped}</title>" in document
    assert f"<h1>{escaped}</h1>" in document
    assert f"<h2>{escaped}</h2>" in document
    assert f"<p>{escaped}</p>" in document and "<p>a &lt; b &gt; c</p>" in document
    assert f'<p class="answer">{escaped}</p>' in document
    assert f"<footer>{escaped}</footer>" in document


def test_answer_paragraph_only_when_given() -> None:
    assert answer_paragraph(report_html("t", [], answer="It is enough.")) == "It is enough."
    assert answer_paragraph(report_html("t", [])) is None
    assert answer_paragraph(report_html("t", [], answer="")) is None


def test_default_footer_says_who_made_it() -> None:
    footer = re.search(r"<footer>(.*?)</footer>", report_html("t", [])).group(1)
    assert footer.startswith("Made by workbench on ") and "Python " in footer and footer.endswith(" UTC.")


def test_tables_are_present_with_headers_and_four_significant_digits() -> None:
    first = pd.DataFrame({"sampler": ["User RNS", "Head <User>"], "HR@10 mean": [12.345678, 0.000123456], "seeds": [3, 1]})
    second = pd.DataFrame({"other": [1.5]})
    document = report_html("Tables", [Section("T", tables=[first, second])])
    assert document.count("<table") == 2
    assert "<th>HR@10 mean</th>" in document and "<th>seeds</th>" in document and "<th>other</th>" in document
    assert "<td>12.35</td>" in document and "<td>0.0001235</td>" in document and "<td>1.5</td>" in document
    assert "Head &lt;User&gt;" in document  # pandas escapes cell text
    assert "<th></th>" not in document  # no index column


def test_write_report_writes_the_document_atomically(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "deeper" / "report.html"
    written = write_report(target, "Hello & bye", [Section("S", paragraphs=["text"])], footer="f")
    assert written == target and target.exists()
    assert target.read_text(encoding="utf-8") == report_html("Hello & bye", [Section("S", paragraphs=["text"])], footer="f")
    assert sorted(path.name for path in target.parent.iterdir()) == ["report.html"]  # no temporary left
    write_report(target, "Second", [], footer="f")
    assert "<h1>Second</h1>" in target.read_text(encoding="utf-8")
    assert sorted(path.name for path in target.parent.iterdir()) == ["report.html"]


def test_write_report_keeps_the_old_file_when_the_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    target.write_text("the old report", encoding="utf-8")

    def failing_replace(source, destination):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(WorkbenchError, match=r"report\.html: cannot write it \(Permission denied\)"):
        write_report(target, "New", [], footer="f")
    assert target.read_text(encoding="utf-8") == "the old report"


def test_write_report_into_an_unwritable_place_is_a_workbench_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(WorkbenchError, match="cannot write it"):
        write_report(blocker / "report.html", "t", [])


@pytest.mark.parametrize("name", ["report.txt", "report", "report.html.gz", "report.pdf"])
def test_write_report_rejects_a_path_that_is_not_html(tmp_path: Path, name: str) -> None:
    with pytest.raises(WorkbenchError, match=r"expected a \.html file"):
        write_report(tmp_path / name, "t", [])
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("name", ["report.htm", "REPORT.HTML"])
def test_write_report_accepts_htm_and_upper_case(tmp_path: Path, name: str) -> None:
    assert write_report(tmp_path / name, "t", [], footer="f").exists()


# --- budget_report --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return tidy_frame()


@pytest.fixture(scope="module")
def budget_document(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "budget.html"
    written = write_budget_report(
        path, frame, dataset=DATASET, metric=METRIC, models=[MODEL, "ease"],
        parameters={"dataset": DATASET, "seeds": [1, 2, 3], "note": "<tiny>"},
    )
    assert written == path
    return path.read_text(encoding="utf-8")


def test_budget_report_answer_is_the_curves_answer(frame: pd.DataFrame, budget_document: str) -> None:
    expected = BudgetCurve.from_results(frame, dataset=DATASET, metric=METRIC, model=MODEL).answer()
    assert expected is not None and expected.sampler == "distill-cf" and expected.reached_at == 2.0
    assert answer_paragraph(budget_document) == html.escape(expected.sentence)
    assert expected.sentence == answer(
        curve_table(frame, metric=METRIC, model=MODEL, dataset=DATASET), full_value=FULL, metric=METRIC, dataset=DATASET
    ).sentence


def test_budget_report_has_a_section_per_model_with_its_answer_figure_and_table(frame: pd.DataFrame, budget_document: str) -> None:
    document = budget_document
    assert "<title>Is more data needed? toy</title>" in document
    assert document.count("<h2>") == 3
    assert document.index("<h2>infinite-ae: HR@10 against the data budget</h2>") < document.index(
        "<h2>ease: HR@10 against the data budget</h2>"
    ) < document.index("<h2>How this was made</h2>")
    ease = BudgetCurve.from_results(frame, dataset=DATASET, metric=METRIC, model="ease").answer()
    assert ease is not None and f"<p>{html.escape(ease.sentence)}</p>" in document
    assert document.count("Plotly.newPlot(") == 2 and document.count(PLOTLY_BUNDLE) == 1
    assert script_sources(document) == []
    assert document.count("<table") == 2
    for header in ("% users", "HR@10 mean", "std over seeds", "% of full data", "seeds"):
        assert f"<th>{html.escape(header)}</th>" in document
    assert "<td>Distill-CF</td>" in document and "<td>distill-cf</td>" not in document
    assert "<td>97.5</td>" in document  # distill-cf at 2 %: 39 / 40, shown in %


def test_budget_report_parameters_section(budget_document: str) -> None:
    assert "<p>dataset = &quot;toy&quot;</p>" in budget_document
    assert "<p>seeds = [1, 2, 3]</p>" in budget_document
    assert "<p>note = &quot;&lt;tiny&gt;&quot;</p>" in budget_document


def test_budget_report_headline_comes_from_the_first_model_with_an_answer(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = write_budget_report(tmp_path / "r.html", frame, dataset=DATASET, metric=METRIC, models=["poprec", "ease"])
    document = path.read_text(encoding="utf-8")
    assert "<p>No full-data point yet: add the 100% budget.</p>" in document
    assert answer_paragraph(document) == html.escape(BudgetCurve.from_results(frame, dataset=DATASET, metric=METRIC, model="ease").answer().sentence)
    assert "How this was made" not in document


def test_budget_report_without_full_data_has_no_answer(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = write_budget_report(tmp_path / "r.html", frame[frame["sampler"] != "full"], dataset=DATASET, metric=METRIC, models=[MODEL])
    document = path.read_text(encoding="utf-8")
    assert answer_paragraph(document) is None
    assert "<p>No full-data point yet: add the 100% budget.</p>" in document
    assert document.count("<table") == 1


def test_budget_report_needs_a_model_and_an_html_path(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="at least one model"):
        write_budget_report(tmp_path / "r.html", frame, dataset=DATASET, metric=METRIC, models=[])
    with pytest.raises(WorkbenchError, match=r"expected a \.html file"):
        write_budget_report(tmp_path / "r.csv", frame, dataset=DATASET, metric=METRIC, models=[MODEL])


def test_answer_for_without_distill_picks_the_sampler_that_reaches_first(frame: pd.DataFrame) -> None:
    no_distill = frame[frame["sampler"] != "distill-cf"]
    result = BudgetCurve.from_results(no_distill, dataset=DATASET, metric=METRIC, model=MODEL).answer()
    assert result.sampler == "user-rns" and result.reached_at == 50.0  # head-user never reaches 95 %
    # share 0.3: user-rns reaches it at 1 % (50 %), head-user at 50 % (40 %): the smaller budget wins
    result = BudgetCurve.from_results(no_distill, dataset=DATASET, metric=METRIC, model=MODEL).answer(0.3)
    assert result.sampler == "user-rns" and result.reached_at == 1.0


def test_answer_for_when_no_sampler_reaches_picks_the_best_relative(frame: pd.DataFrame) -> None:
    no_distill = frame[frame["sampler"] != "distill-cf"]
    result = BudgetCurve.from_results(no_distill, dataset=DATASET, metric=METRIC, model=MODEL).answer(0.99)
    assert result.sampler == "user-rns" and result.reached_at is None and result.best_relative == pytest.approx(0.95)
    only_head = no_distill[no_distill["sampler"] != "user-rns"]
    assert BudgetCurve.from_results(only_head, dataset=DATASET, metric=METRIC, model=MODEL).answer().sampler == "head-user"


def test_answer_for_prefers_distill_cf_even_when_another_sampler_reaches_earlier(frame: pd.DataFrame) -> None:
    result = BudgetCurve.from_results(frame, dataset=DATASET, metric=METRIC, model=MODEL).answer(0.5)
    assert result.sampler == "distill-cf" and result.reached_at == 1.0


def test_answer_for_is_none_without_full_data_or_points(frame: pd.DataFrame) -> None:
    assert BudgetCurve.from_results(frame[frame["sampler"] != "full"], dataset=DATASET, metric=METRIC, model=MODEL).answer() is None
    assert BudgetCurve.from_results(frame[frame["sampler"] == "full"], dataset=DATASET, metric=METRIC, model=MODEL).answer() is None
    assert BudgetCurve.from_results(frame, dataset=DATASET, metric="AUC", model=MODEL).answer() is None
    assert BudgetCurve.from_results(tidy([]), dataset=DATASET, metric=METRIC, model=MODEL).answer() is None


def test_curve_means_values(frame: pd.DataFrame) -> None:
    means = BudgetCurve.from_results(frame, dataset=DATASET, metric=METRIC, model=MODEL).means()
    assert set(means) == {*MEANS, "full"}
    for sampler, budgets in MEANS.items():
        assert means[sampler] == pytest.approx(budgets)
    assert means["full"] == {"100%": pytest.approx(FULL)}
    ndcg = BudgetCurve.from_results(frame, dataset=DATASET, metric="NDCG@10", model=MODEL).means()
    assert ndcg["user-rns"] == pytest.approx({"1%": 10.0, "10%": 15.0, "50%": 19.0})
    assert ndcg["full"] == {"100%": pytest.approx(20.0)}
    assert all(isinstance(value, float) for budgets in means.values() for value in budgets.values())


def test_curve_means_without_full_data_and_empty(frame: pd.DataFrame) -> None:
    means = BudgetCurve.from_results(frame[frame["sampler"] != "full"], dataset=DATASET, metric=METRIC, model=MODEL).means()
    assert "full" not in means and means["distill-cf"] == pytest.approx(MEANS["distill-cf"])
    assert BudgetCurve.from_results(tidy([]), dataset=DATASET, metric=METRIC, model=MODEL).means() == {}
    assert full_data_value(frame, dataset="other", metric=METRIC, model=MODEL) == pytest.approx(FULL + 500)
    assert BudgetCurve.from_results(frame, dataset="other", metric=METRIC, model=MODEL).means()["full"] == {"100%": pytest.approx(FULL + 500)}


def test_report_figures_are_exported_as_png_next_to_the_report(tmp_path: Path) -> None:
    from workbench.budget.report import export_report_figures
    from workbench.figures.export import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium here: run .ci/install-browser")
    paths, message = export_report_figures(tmp_path / "report.html", tidy_frame(), dataset=DATASET, metric=METRIC, models=[MODEL])
    assert paths == [tmp_path / f"report-{MODEL}.png"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(paths[0]) in message


def test_report_figures_without_a_browser_say_what_to_install(tmp_path: Path) -> None:
    from workbench.budget.report import export_report_figures

    paths, message = export_report_figures(
        tmp_path / "report.html", tidy_frame(), dataset=DATASET, metric=METRIC, models=[MODEL], chromium=str(tmp_path / "no-chromium"),
    )
    assert paths == []
    assert "no PNG copies" in message and "install-browser" in message
