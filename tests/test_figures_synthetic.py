"""The figures of notebook 03 (`workbench.figures.synthetic`): their data, colours, axis titles and hover text."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from conftest import random_binary_matrix
from workbench.inspect import summaries as synthetic
from workbench.errors import WorkbenchError
from workbench.figures import sampler_colour
from workbench.figures import synthetic as figures

SYNTHETIC_COLOUR = sampler_colour("distill-cf")
REAL_COLOUR = sampler_colour("full")


@pytest.fixture(scope="module")
def real():
    return random_binary_matrix(60, 25, 0.2, seed=4)


@pytest.fixture(scope="module")
def summary():
    rng = np.random.default_rng(1)
    values = rng.random((5, 25)) * 0.4
    values[0, 3] = 1.0
    return values


def _titles(figure: go.Figure) -> list[str]:
    return [annotation.text for annotation in figure.layout.annotations]


def test_summary_heatmap_alone(summary, real) -> None:
    order = synthetic.popularity_order(real)
    labels = [f"Film {item}" for item in range(25)]
    figure = figures.summary_heatmap(summary, order, item_labels=labels, max_items=10)
    assert len(figure.data) == 1
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    np.testing.assert_allclose(np.asarray(heatmap.z), summary[:, order[:10]])
    assert list(heatmap.x) == [f"{rank}. Film {item}" for rank, item in enumerate(order[:10].tolist(), start=1)]
    assert list(heatmap.y) == [f"synthetic {row}" for row in range(5)]
    assert heatmap.colorscale[-1][1] == SYNTHETIC_COLOUR and heatmap.zmin == 0 and heatmap.zmax == pytest.approx(summary[:, order[:10]].max())
    assert "%{z:.4f}" in heatmap.hovertemplate and "%{x}" in heatmap.hovertemplate
    assert "10 most popular items" in figure.layout.title.text
    assert "popularity" in figure.layout.xaxis.title.text and figure.layout.yaxis.title.text == "user"
    assert list(figure.layout.xaxis.ticktext)[0] == "1"


def test_summary_heatmap_with_real_users(summary, real) -> None:
    order = synthetic.popularity_order(real)
    rows = real[:4].toarray()
    figure = figures.summary_heatmap(summary, order, real_rows=rows, real_user_ids=[11, 12, 13, 14], common_scale=True)
    assert [trace.type for trace in figure.data] == ["heatmap", "heatmap"]
    synthetic_panel, real_panel = figure.data
    assert synthetic_panel.zmax == 1.0 and real_panel.zmax == 1.0
    assert real_panel.colorscale[-1][1] == REAL_COLOUR
    np.testing.assert_array_equal(np.asarray(real_panel.z), rows[:, order])
    assert list(real_panel.y) == ["user 11", "user 12", "user 13", "user 14"]
    assert len(list(synthetic_panel.x)) == 25  # all items by default
    assert any("4 random real users" in title for title in _titles(figure))
    assert "popularity" in figure.layout.xaxis2.title.text


def test_summary_heatmap_refuses_mismatched_input(summary) -> None:
    with pytest.raises(WorkbenchError, match="order"):
        figures.summary_heatmap(summary, np.arange(24))
    with pytest.raises(WorkbenchError, match="item_labels"):
        figures.summary_heatmap(summary, np.arange(25), item_labels=["a"])
    with pytest.raises(WorkbenchError, match="real_rows"):
        figures.summary_heatmap(summary, np.arange(25), real_rows=np.zeros((3, 24)))
    with pytest.raises(WorkbenchError, match="real_user_ids"):
        figures.summary_heatmap(summary, np.arange(25), real_rows=np.zeros((3, 25)), real_user_ids=[1])


def test_popularity_figure(real, summary) -> None:
    comparison = synthetic.compare_popularity(real, summary)
    labels = [f"Film {item}" for item in range(25)]
    figure = figures.popularity_figure(comparison, item_labels=labels)
    lines = [trace for trace in figure.data if trace.type == "scatter"]
    bars = [trace for trace in figure.data if trace.type == "bar"]
    assert len(lines) == 2 and len(bars) == 2
    real_line, summary_points = lines
    np.testing.assert_allclose(real_line.y, 100 * comparison.real_share)
    np.testing.assert_allclose(summary_points.y, 100 * comparison.summary_share)
    np.testing.assert_array_equal(real_line.x, np.arange(1, 26))
    assert list(real_line.customdata) == [labels[item] for item in comparison.order.tolist()]
    assert real_line.line.color == REAL_COLOUR and summary_points.marker.color == SYNTHETIC_COLOUR
    assert [bar.marker.color for bar in bars] == [REAL_COLOUR, SYNTHETIC_COLOUR]
    np.testing.assert_allclose([bar.y[0] for bar in bars], [100 * comparison.real_coverage, 100 * comparison.summary_coverage])
    assert "%{y:.4f}" in real_line.hovertemplate and "%{customdata}" in real_line.hovertemplate
    assert "%{y:.2f}" in bars[0].hovertemplate
    assert figure.layout.yaxis.type == "log" and "%" in figure.layout.yaxis.title.text
    assert "popularity" in figure.layout.xaxis.title.text and "%" in figure.layout.yaxis2.title.text
    assert f"ρ = {comparison.rank_correlation:.3f}" in figure.layout.title.text


def test_popularity_figure_without_a_correlation(real) -> None:
    comparison = synthetic.compare_popularity(real, np.full((2, 25), 0.5))
    figure = figures.popularity_figure(comparison)
    assert "ρ" not in figure.layout.title.text
    assert figure.data[0].customdata[0] == f"item {comparison.order[0]}"
    with pytest.raises(WorkbenchError, match="item_labels"):
        figures.popularity_figure(comparison, item_labels=["a", "b"])


def test_user_size_figure(real, summary) -> None:
    sizes = synthetic.compare_user_sizes(real, summary)
    figure = figures.user_size_figure(sizes, bins=8)
    bars = [trace for trace in figure.data if trace.type == "bar"]
    means = [trace for trace in figure.data if trace.type == "scatter"]
    assert len(bars) == 2 and len(means) == 2
    for bar, values in zip(bars, (sizes.real_sizes, sizes.summary_sizes)):
        assert len(bar.y) == 8
        assert sum(bar.y) == pytest.approx(100.0)
        np.testing.assert_array_equal(np.asarray(bar.customdata)[:, 2].sum(), values.size)
    assert [bar.marker.color for bar in bars] == [REAL_COLOUR, SYNTHETIC_COLOUR]
    assert list(means[0].x) == [sizes.real_mean, sizes.real_mean] and list(means[1].x) == [sizes.summary_mean] * 2
    assert f"{sizes.summary_mean:.2f}" in means[1].hovertemplate
    assert "size" in figure.layout.xaxis.title.text and "%" in figure.layout.yaxis.title.text
    assert figure.layout.title.text and figure.layout.barmode == "overlay"
    with pytest.raises(WorkbenchError, match="bins"):
        figures.user_size_figure(sizes, bins=0)


def test_projection_figure(real, summary) -> None:
    projection = synthetic.pca_projection(real, summary, max_real_users=20, seed=3)
    ids = [f"u{row}" for row in range(60)]
    figure = figures.projection_figure(projection, real_user_ids=ids)
    assert len(figure.data) == 2
    real_points, synthetic_points = figure.data
    np.testing.assert_allclose(real_points.x, projection.real_coordinates[:, 0])
    np.testing.assert_allclose(synthetic_points.y, projection.summary_coordinates[:, 1])
    assert list(np.asarray(real_points.customdata)[:, 0]) == [ids[row] for row in projection.real_users]
    assert real_points.marker.color == REAL_COLOUR and synthetic_points.marker.color == SYNTHETIC_COLOUR
    assert "%{x:.4f}" in real_points.hovertemplate and "synthetic user" in synthetic_points.hovertemplate
    first, second = 100 * projection.explained_variance
    assert figure.layout.xaxis.title.text == f"PC1 ({first:.1f} % of variance)"
    assert figure.layout.yaxis.title.text == f"PC2 ({second:.1f} % of variance)"
    assert "20 users" in real_points.name and "5 users" in synthetic_points.name
    with pytest.raises(WorkbenchError, match="real_user_ids"):
        figures.projection_figure(projection, real_user_ids=["a"])


def test_temperature_figure() -> None:
    logits = np.random.default_rng(0).normal(size=(4, 20)).astype(np.float32)
    sweep = synthetic.temperature_sweep(logits, [0.1, 1.0, 10.0], draws=5, seed=0, bins=10)
    figure = figures.temperature_figure(sweep)
    bars = [trace for trace in figure.data if trace.type == "bar"]
    lines = [trace for trace in figure.data if trace.type == "scatter"]
    assert len(bars) == 3 and len(lines) == 1 + 3
    assert list(bars[0].x) == ["τ = 0.1", "τ = 1", "τ = 10"]
    np.testing.assert_allclose(np.sum([bar.y for bar in bars], axis=0), 100.0)
    np.testing.assert_allclose(bars[0].y, [100 * row.mass_near_one for row in sweep.discreteness])
    assert bars[0].marker.color == SYNTHETIC_COLOUR
    entropy = lines[0]
    np.testing.assert_allclose(entropy.y, [row.mean_entropy for row in sweep.discreteness])
    np.testing.assert_allclose(entropy.x, [0.1, 1.0, 10.0])
    for line, shares in zip(lines[1:], sweep.histograms):
        np.testing.assert_allclose(line.y, 100 * shares)
        np.testing.assert_allclose(line.x, np.arange(0.05, 1.0, 0.1))
    assert "bits" in entropy.hovertemplate and "%{y:.3f} % of the mass" in bars[0].hovertemplate
    assert figure.layout.barmode == "stack" and figure.layout.xaxis2.type == "log" and figure.layout.yaxis3.type == "log"
    assert "τ" in figure.layout.xaxis.title.text and "bits" in figure.layout.yaxis2.title.text
    assert "entry value" == figure.layout.xaxis3.title.text and "γ = 5" in figure.layout.title.text
