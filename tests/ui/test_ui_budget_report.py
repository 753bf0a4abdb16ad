"""The data-budget report in a real browser with the network off: every figure drawn with data, the
answer shown, no console errors. The same code writes the report of `make demo`; when `make demo`
has run in this checkout, its report (reports/02_data_budget.html) is checked too."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import check_offline_report

from workbench.budget.curve import BudgetCurve
from workbench.budget.report import write_budget_report
from workbench.distill import DistillConfig
from workbench.budget.runs import read_results, rows_for_configuration

pytestmark = pytest.mark.ui

REPOSITORY = Path(__file__).resolve().parents[2]
RECORDED_CURVE = REPOSITORY / "benchmarks" / "results" / "budget_curve_ml1m.csv"
DEMO_REPORT = REPOSITORY / "reports" / "02_data_budget.html"


def test_budget_report_renders_offline(page, tmp_path, screenshots):
    frame = rows_for_configuration(read_results(RECORDED_CURVE), DistillConfig(steps=100))
    report = write_budget_report(
        tmp_path / "report.html", frame, dataset="ml-1m", metric="HR@10", models=["infinite-ae"], parameters={"seeds": [1, 2, 3]},
    )
    figures = check_offline_report(page, report, expected_figures=1)
    assert figures[0]["data"] >= 8  # an absolute and a relative trace per sampler, at least
    expected = BudgetCurve.from_results(frame, dataset="ml-1m", metric="HR@10", model="infinite-ae").answer()
    assert page.locator("p.answer").inner_text().strip() == expected.sentence
    screenshots(page, "report")


@pytest.mark.skipif(not DEMO_REPORT.exists(), reason="`make demo` has not been run in this checkout")
def test_demo_report_renders_offline(page, screenshots):
    figures = check_offline_report(page, DEMO_REPORT)
    assert all(figure["data"] > 0 for figure in figures)
    assert page.locator("p.answer").inner_text().strip()
    screenshots(page, "demo-report")
