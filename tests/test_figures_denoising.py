"""The denoising figure: traces, colours, values in both panels, hover text and axis titles."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from workbench.errors import WorkbenchError
from workbench.figures.colours import sampler_colour
from workbench.figures.denoising import denoising_figure, metric_axis_title

VALUES = {
    ("removal", 0.0): (30.0, 28.0), ("removal", 0.1): (27.0, 26.6), ("removal", 0.5): (15.0, 21.0),
    ("false-positive", 0.0): (30.0, 28.0), ("false-positive", 0.5): (27.0, 25.2),
}


@pytest.fixture()
def frame() -> pd.DataFrame:
    rows = []
    for (noise, rate), (full, distilled) in VALUES.items():
        for training, value in (("full", full), ("distill-cf", distilled)):
            for metric, scale in (("HR@10", 1.0), ("AUC", 0.01)):
                rows.append({
                    "dataset": "ml-1m", "noise": noise, "rate": rate, "training": training, "split": "test",
                    "metric": metric, "value": value * scale, "lambda": 5.0 if training == "full" else 1e-5,
                    "train_interactions": 1000, "interactions_removed": int(rate * 1000) if noise == "removal" else 0,
                    "interactions_added": int(rate * 1000) if noise == "false-positive" else 0,
                })
    return pd.DataFrame(rows)


def trace(figure: go.Figure, noise: str, training: str, panel: str) -> go.Scatter:
    (found,) = [t for t in figure.data if t.meta == {"noise": noise, "training": training, "panel": panel}]
    return found


def test_one_line_per_training_data_per_noise_kind_and_panel(frame: pd.DataFrame) -> None:
    figure = denoising_figure(frame)
    assert len(figure.data) == 2 * 2 * 2
    assert [a.text for a in figure.layout.annotations if a.text in ("Random removals", "Random false positives")] == [
        "Random removals", "Random false positives",
    ]
    assert sum(bool(t.showlegend) for t in figure.data) == 2  # each training data once in the legend


def test_points_are_rates_in_percent_and_exact_values(frame: pd.DataFrame) -> None:
    figure = denoising_figure(frame)
    absolute = trace(figure, "removal", "distill-cf", "absolute")
    assert list(absolute.x) == pytest.approx([0.0, 10.0, 50.0])
    assert list(absolute.y) == pytest.approx([28.0, 26.6, 21.0])
    relative = trace(figure, "removal", "full", "relative")
    assert list(relative.y) == pytest.approx([100.0, 90.0, 50.0])
    assert list(trace(figure, "false-positive", "distill-cf", "relative").y) == pytest.approx([100.0, 90.0])


def test_fixed_colours_per_training_data(frame: pd.DataFrame) -> None:
    figure = denoising_figure(frame)
    for t in figure.data:
        assert t.line.color == sampler_colour(t.meta["training"])
    assert sampler_colour("full") != sampler_colour("distill-cf")


def test_hover_shows_exact_values_and_the_noise(frame: pd.DataFrame) -> None:
    hover = trace(denoising_figure(frame), "removal", "full", "absolute").hovertext
    assert "∞-AE trained on Full data" in hover[2] and "random removals at 50 %" in hover[2]
    assert "test HR@10: 15.0000" in hover[2] and "50.0 % of its clean-data value" in hover[2]
    assert "λ = 5" in hover[2] and "(500 removed, 0 added)" in hover[2]
    assert "no noise" in hover[0]


def test_titles_and_axis_labels_carry_units(frame: pd.DataFrame) -> None:
    figure = denoising_figure(frame)
    assert figure.layout.yaxis.title.text == "test HR@10 (%)"
    assert "ml-1m" in figure.layout.title.text and "test HR@10" in figure.layout.title.text
    assert [t.name for t in figure.data if t.showlegend] == ["Full data", "Distill-CF"]
    x_titles = [figure.layout[name].title.text for name in figure.layout.to_plotly_json() if name.startswith("xaxis")]
    assert x_titles == [None, None, "removed (% of the training interactions)", "added (% of the training interactions)"]
    assert figure.layout.xaxis3.ticksuffix == " %"
    auc = denoising_figure(frame, metric="AUC")
    assert auc.layout.yaxis.title.text == "test AUC"
    assert metric_axis_title("NDCG@100", "validation") == "validation NDCG@100 (%)"


def test_missing_metric_or_columns_are_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(WorkbenchError, match="no validation HR@10 in the frame"):
        denoising_figure(frame, split="validation")
    with pytest.raises(WorkbenchError, match="lacks the columns training"):
        denoising_figure(frame.drop(columns="training"))


def test_optional_columns_may_be_absent(frame: pd.DataFrame) -> None:
    minimal = frame[["noise", "rate", "training", "split", "metric", "value"]]
    hover = trace(denoising_figure(minimal, dataset="tiny"), "removal", "full", "absolute").hovertext
    assert "λ" not in hover[1] and "test HR@10: 27.0000" in hover[1]
