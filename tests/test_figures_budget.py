"""The budget-curve figure (workbench.figures.budget): one line per sampler in an absolute and a
relative panel, fixed colours, log x-axes, exact hover text, the selected-point ring, the full-data line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from test_budget_answer import DATASET, FULL, MEANS, METRIC, MODEL, STDS, row, tidy, tidy_frame
from workbench.budget.curve import curve_table
from workbench.figures.budget import budget_curve_figure
from workbench.figures.colours import OTHER_COLOUR, SAMPLER_COLOURS, sampler_colour, sampler_label

SAMPLERS = ("distill-cf", "head-user", "user-rns")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return curve_table(tidy_frame(), metric=METRIC, model=MODEL, dataset=DATASET)


def figure_of(table: pd.DataFrame, **options) -> go.Figure:
    arguments = {"full_value": FULL, "metric": METRIC, "dataset": DATASET, "model": MODEL, **options}
    return budget_curve_figure(table, **arguments)


def traces(figure: go.Figure, panel: str, sampler: str | None = None) -> list:
    return [
        trace for trace in figure.data
        if trace.meta["panel"] == panel and (sampler is None or trace.meta["sampler"] == sampler)
    ]


def one(figure: go.Figure, panel: str, sampler: str):
    found = traces(figure, panel, sampler)
    assert len(found) == 1, f"expected one {panel} trace for {sampler}, got {len(found)}"
    return found[0]


def hline(figure: go.Figure, yref: str, y: float):
    return [
        shape for shape in figure.layout.shapes
        if shape.yref == yref and shape.y0 == pytest.approx(y) and shape.y1 == pytest.approx(y)
    ]


def test_each_sampler_has_an_absolute_and_a_relative_trace(table: pd.DataFrame) -> None:
    figure = figure_of(table)
    assert len(figure.data) == 2 * len(SAMPLERS)
    for sampler in SAMPLERS:
        absolute, relative = one(figure, "absolute", sampler), one(figure, "relative", sampler)
        assert (absolute.xaxis, absolute.yaxis) == ("x", "y")
        assert (relative.xaxis, relative.yaxis) == ("x2", "y2")
        assert absolute.name == relative.name == sampler_label(sampler)
        assert absolute.legendgroup == relative.legendgroup == sampler
        assert absolute.showlegend is not False and relative.showlegend is False


def test_trace_values_are_the_means_and_the_relative_percent(table: pd.DataFrame) -> None:
    figure = figure_of(table)
    for sampler in SAMPLERS:
        budgets = sorted(MEANS[sampler], key=lambda budget: float(budget[:-1]))
        percents = [float(budget[:-1]) for budget in budgets]
        means = [MEANS[sampler][budget] for budget in budgets]
        absolute, relative = one(figure, "absolute", sampler), one(figure, "relative", sampler)
        assert list(absolute.x) == pytest.approx(percents) and list(relative.x) == pytest.approx(percents)
        assert list(absolute.y) == pytest.approx(means)
        assert list(relative.y) == pytest.approx([mean / FULL * 100 for mean in means])
        assert list(absolute.error_y.array) == pytest.approx([STDS[sampler][budget] for budget in budgets])


def test_points_are_drawn_in_budget_order_even_from_an_unsorted_table(table: pd.DataFrame) -> None:
    shuffled = table.iloc[np.random.default_rng(3).permutation(len(table))]
    figure = figure_of(shuffled)
    for sampler in SAMPLERS:
        x = list(one(figure, "absolute", sampler).x)
        assert x == sorted(x)


def test_colours_are_the_samplers_fixed_colours(table: pd.DataFrame) -> None:
    figure = figure_of(table)
    for sampler in SAMPLERS:
        colour = SAMPLER_COLOURS[sampler]
        assert one(figure, "absolute", sampler).line.color == colour
        assert one(figure, "relative", sampler).line.color == colour
    assert len({SAMPLER_COLOURS[s] for s in SAMPLERS}) == len(SAMPLERS)


def test_a_subset_keeps_each_samplers_colour_and_the_given_order(table: pd.DataFrame) -> None:
    figure = figure_of(table, samplers=["user-rns", "distill-cf"])
    assert [trace.meta["sampler"] for trace in traces(figure, "absolute")] == ["user-rns", "distill-cf"]
    assert one(figure, "absolute", "user-rns").line.color == sampler_colour("user-rns")
    assert not traces(figure, "absolute", "head-user")


def test_a_sampler_without_rows_is_skipped() -> None:
    table = curve_table(tidy([row("user-rns", "5%", 1, 10.0), row("full", "100%", 1, 20.0)]))
    figure = budget_curve_figure(table, full_value=20.0, metric=METRIC, dataset=DATASET, samplers=["distill-cf", "user-rns"])
    assert [trace.meta["sampler"] for trace in figure.data] == ["user-rns", "user-rns"]


def test_an_unknown_sampler_is_grey_and_keeps_its_name() -> None:
    table = curve_table(tidy([row("my-sampler", "5%", 1, 10.0), row("full", "100%", 1, 20.0)]))
    figure = budget_curve_figure(table, full_value=20.0, metric=METRIC, dataset=DATASET)
    absolute = one(figure, "absolute", "my-sampler")
    assert absolute.line.color == OTHER_COLOUR and absolute.name == "my-sampler"


def test_x_axes_are_log_with_titles(table: pd.DataFrame) -> None:
    layout = figure_of(table).layout
    assert layout.xaxis.type == "log" and layout.xaxis2.type == "log"
    assert layout.xaxis2.title.text == "users in the training sample (% of all users, log scale)"
    assert layout.yaxis.title.text == "HR@10 (%)"
    assert layout.yaxis2.title.text == "% of full data"
    assert layout.xaxis.matches == "x2"  # zooming one panel zooms the other


def test_titles_name_the_dataset_metric_and_model(table: pd.DataFrame) -> None:
    figure = figure_of(table, metric="HR@10", model="ease")
    assert figure.layout.title.text == "Is more data needed? toy: HR@10 against the data budget"
    texts = [annotation.text for annotation in figure.layout.annotations]
    assert "HR@10 (test), ease trained on each sample" in texts and "Relative to full data" in texts
    assert figure.layout.legend.title.text == "sampler"


def test_hover_text_has_the_exact_values(table: pd.DataFrame) -> None:
    figure = figure_of(table)
    hover = one(figure, "absolute", "user-rns").hovertext
    assert hover[1] == (
        "<b>User RNS</b> at 10%<br>HR@10: 30.00 ± 2.00 (3 seeds)<br>75.0 % of full data"
        "<br>users used: 10.00 %<br>interactions used: 10.00 %"
    )
    head = one(figure, "absolute", "head-user").hovertext
    assert head[0] == (
        "<b>Head User</b> at 1%<br>HR@10: 6.00 ± 2.00 (3 seeds)<br>15.0 % of full data"
        "<br>users used: 1.00 %<br>interactions used: 3.00 %"
    )
    assert one(figure, "relative", "user-rns").hovertext == hover
    assert one(figure, "absolute", "user-rns").hoverinfo == "text"


def test_hover_text_for_one_seed_and_without_full_data() -> None:
    table = curve_table(tidy([row("distill-cf", "0.5%", 3, 12.345, fraction_interactions=0.00123)]))
    figure = budget_curve_figure(table, full_value=None, metric="NDCG@10", dataset=DATASET)
    assert one(figure, "absolute", "distill-cf").hovertext[0] == (
        "<b>Distill-CF</b> at 0.5%<br>NDCG@10: 12.35 (1 seed)<br>users used: 0.50 %<br>interactions used: 0.12 %"
    )


def test_selected_point_ring_is_at_each_samplers_point(table: pd.DataFrame) -> None:
    figure = figure_of(table, selected_percent=10.0)
    rings = traces(figure, "selected")
    assert {trace.meta["sampler"] for trace in rings} == set(SAMPLERS)
    for sampler in SAMPLERS:
        ring = one(figure, "selected", sampler)
        assert list(ring.x) == [10.0] and list(ring.y) == pytest.approx([MEANS[sampler]["10%"]])
        assert (ring.xaxis, ring.yaxis) == ("x", "y")
        assert ring.mode == "markers" and ring.showlegend is False
        assert ring.marker.line.color == sampler_colour(sampler) and ring.marker.color == "rgba(0,0,0,0)"
        assert ring.marker.size > one(figure, "absolute", sampler).marker.size
        absolute = one(figure, "absolute", sampler)
        assert ring.hovertext[0] == absolute.hovertext[list(absolute.x).index(10.0)]


def test_selected_point_only_for_samplers_with_that_budget(table: pd.DataFrame) -> None:
    figure = figure_of(table, selected_percent=2.0)
    rings = traces(figure, "selected")
    assert [trace.meta["sampler"] for trace in rings] == ["distill-cf"]
    assert list(rings[0].x) == [2.0] and list(rings[0].y) == pytest.approx([39.0])
    figure = figure_of(table, selected_percent=50.0)
    assert {trace.meta["sampler"]: trace.y[0] for trace in traces(figure, "selected")} == pytest.approx(
        {"head-user": 16.0, "user-rns": 38.0}
    )


def test_selected_budget_has_a_vertical_line_and_none_without_selection(table: pd.DataFrame) -> None:
    figure = figure_of(table, selected_percent=10.0)
    verticals = [shape for shape in figure.layout.shapes if shape.x0 == shape.x1 == 10.0]
    assert verticals and {shape.xref for shape in verticals} >= {"x"}
    plain = figure_of(table)
    assert not traces(plain, "selected")
    assert not [shape for shape in plain.layout.shapes if shape.xref in ("x", "x2")]


def test_a_selection_with_no_point_draws_no_ring(table: pd.DataFrame) -> None:
    assert not traces(figure_of(table, selected_percent=7.0), "selected")


def test_full_data_line_reference_lines_and_label(table: pd.DataFrame) -> None:
    figure = figure_of(table)
    full = hline(figure, "y", FULL)
    assert len(full) == 1 and full[0].line.color == sampler_colour("full") and full[0].line.dash == "dash"
    assert len(hline(figure, "y2", 100.0)) == 1
    assert len(hline(figure, "y2", 95.0)) == 1
    texts = [annotation.text for annotation in figure.layout.annotations]
    assert "full data: 40.00" in texts and "95 %" in texts


def test_no_full_data_no_reference_lines_and_no_relative_values(table: pd.DataFrame) -> None:
    no_full = table.assign(relative=np.nan)
    figure = figure_of(no_full, full_value=None)
    assert not figure.layout.shapes
    assert not [a for a in figure.layout.annotations if a.text.startswith("full data")]
    assert all(math.isnan(value) for value in one(figure, "relative", "user-rns").y)
    assert "% of full data" not in one(figure, "absolute", "user-rns").hovertext[0]


def test_error_bars_only_with_more_than_one_seed(table: pd.DataFrame) -> None:
    assert one(figure_of(table), "absolute", "user-rns").error_y.visible is True
    single = curve_table(tidy([row("user-rns", "1%", 1, 10.0), row("user-rns", "10%", 1, 20.0), row("full", "100%", 1, 30.0)]))
    error = one(budget_curve_figure(single, full_value=30.0, metric=METRIC, dataset=DATASET), "absolute", "user-rns").error_y
    assert error.visible is False
    assert list(error.array) == [0.0, 0.0]  # NaN std of one seed drawn as no bar


def test_error_bars_mixed_seeds_are_visible_with_zero_for_the_single_seed_point() -> None:
    mixed = curve_table(tidy([row("user-rns", "1%", 1, 10.0), row("user-rns", "10%", 1, 20.0), row("user-rns", "10%", 2, 24.0)]))
    error = one(budget_curve_figure(mixed, full_value=None, metric=METRIC, dataset=DATASET), "absolute", "user-rns").error_y
    assert error.visible is True
    assert list(error.array) == pytest.approx([0.0, math.sqrt(8.0)])


def test_an_empty_table_gives_an_empty_figure_with_axes() -> None:
    figure = budget_curve_figure(curve_table(tidy([])), full_value=None, metric=METRIC, dataset=DATASET)
    assert len(figure.data) == 0
    assert figure.layout.xaxis.type == "log"


def test_figure_serialises_to_json(table: pd.DataFrame) -> None:
    text = figure_of(table, selected_percent=10.0).to_json()
    assert '"panel":"selected"' in text
