"""The models figure (workbench.figures.models): one line per model on one sampler's points, each
model's full-data value as a dashed line of its colour, exact values and spreads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.budget.curve import curve_table, full_data_value
from workbench.figures.models import MODEL_COLOURS, model_colour, models_figure


def frame() -> pd.DataFrame:
    """Tidy rows: ∞-AE and SVD-AE on User RNS at 1 % and 10 % (seeds 1, 2) and on full data, plus Head User."""
    values = {
        ("infinite-ae", "user-rns", "1%"): (15.0, 17.0), ("infinite-ae", "user-rns", "10%"): (26.0, 28.0),
        ("svd-ae", "user-rns", "1%"): (12.0, 12.0), ("svd-ae", "user-rns", "10%"): (29.0, 31.0),
        ("infinite-ae", "head-user", "1%"): (11.0, 11.0),
        ("infinite-ae", "full", "100%"): (31.0, 33.0), ("svd-ae", "full", "100%"): (32.0, 32.0),
    }
    rows = []
    for (model, sampler, budget), pair in values.items():
        for seed, value in zip((1, 2), pair):
            fraction = {"1%": 0.01, "10%": 0.1, "100%": 1.0}[budget]
            rows.append({"dataset": "d", "sampler": sampler, "budget": budget, "seed": seed, "model": model, "split": "test",
                         "metric": "HR@10", "value": value, "fraction_users": fraction, "fraction_interactions": fraction,
                         "settings": ""})
    return pd.DataFrame(rows)


def test_one_line_per_model_with_its_full_data_line() -> None:
    rows = frame()
    models = ("infinite-ae", "svd-ae")
    tables = {model: curve_table(rows, metric="HR@10", model=model) for model in models}
    full = {model: full_data_value(rows, metric="HR@10", model=model) for model in models}
    assert full == {"infinite-ae": 32.0, "svd-ae": 32.0}
    figure = models_figure(tables, full, sampler="user-rns", metric="HR@10", dataset="d")
    lines = {trace.meta["model"]: trace for trace in figure.data}
    assert list(lines) == list(models)
    assert lines["infinite-ae"].x == (1.0, 10.0) and lines["infinite-ae"].y == (16.0, 27.0)
    assert lines["svd-ae"].y == (12.0, 30.0)
    np.testing.assert_allclose(lines["infinite-ae"].error_y.array, [np.std([15, 17], ddof=1), np.std([26, 28], ddof=1)])
    assert lines["svd-ae"].line.color == MODEL_COLOURS["svd-ae"] != lines["infinite-ae"].line.color
    assert "SVD-AE" in lines["svd-ae"].name and "∞-AE" in lines["infinite-ae"].name
    dashed = [shape for shape in figure.layout.shapes if shape.line.dash == "dash"]
    assert sorted((shape.y0, shape.line.color) for shape in dashed) == sorted(
        (32.0, model_colour(model)) for model in models
    )
    texts = [annotation.text for annotation in figure.layout.annotations]
    assert "∞-AE, all users: 32.00" in texts and "SVD-AE, all users: 32.00" in texts
    assert figure.layout.xaxis.type == "log" and "User RNS" in figure.layout.title.text


def test_a_model_without_points_or_full_data_draws_nothing_for_it() -> None:
    rows = frame()
    tables = {"infinite-ae": curve_table(rows, metric="HR@10", model="infinite-ae"),
              "gf-cf": curve_table(rows, metric="HR@10", model="gf-cf")}
    figure = models_figure(tables, {"infinite-ae": None}, sampler="head-user", metric="HR@10", dataset="d")
    assert [trace.meta["model"] for trace in figure.data] == ["infinite-ae"]
    assert figure.data[0].y == (11.0,) and not figure.layout.shapes
    assert model_colour("unknown") == "#888888"
