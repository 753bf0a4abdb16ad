"""More data, or a better model? Several models trained on the same samples, one line per model.

For one sampler of a budget curve, each model's metric (mean over seeds, error bars = standard
deviation over seeds) against the % of users it was trained on (log x-axis), and each model's value on
all the data as a dashed line of the same colour. Reading across: where a model's line crosses another
model's dashed line, that model on that share of the users matches the other on all of them.
Data go in as plain lists, as in :mod:`workbench.figures.budget`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench.figures.colours import OTHER_COLOUR, sampler_label
from workbench.models import model_label

#: One colour per model (plotly's colour-blind-safe "Safe" palette, darker than the samplers' so that the
#: two kinds of figure are not read as one another's).
MODEL_COLOURS: Mapping[str, str] = {
    "infinite-ae": "#332288",
    "svd-ae": "#CC6677",
    "gf-cf": "#117733",
    "ease": "#DDCC77",
    "poprec": "#888888",
}


def model_colour(model: str) -> str:
    """The fixed colour of ``model`` (grey for one the workbench does not know)."""
    return MODEL_COLOURS.get(model, OTHER_COLOUR)


def models_figure(
    tables: Mapping[str, pd.DataFrame],
    full_values: Mapping[str, float | None],
    *,
    sampler: str,
    metric: str,
    dataset: str,
) -> go.Figure:
    """One line per model of ``sampler``'s points, with each model's full-data value as a dashed line.

    Args:
        tables: per model, :func:`workbench.budget.curve.curve_table`'s table (columns sampler, budget,
            percent_users, mean, std, seeds, ...); models are drawn in this mapping's order.
        full_values: per model, the metric on all the data (None or missing: no dashed line).
        sampler: the sampler whose points are drawn.
    """
    figure = go.Figure()
    positions = ("top left", "bottom right", "top right", "bottom left")  # full-data labels of close values do not overlap
    for index, (model, table) in enumerate(tables.items()):
        colour, label = model_colour(model), model_label(model)
        rows = table[table["sampler"] == sampler].sort_values("percent_users")
        if not rows.empty:
            std = rows["std"].fillna(0.0)
            hover = [
                f"<b>{label}</b> on {sampler_label(sampler)} at {row['budget']}<br>{metric}: {row['mean']:.2f}"
                + (f" ± {row['std']:.2f}" if np.isfinite(row["std"]) else "")
                + f" ({int(row['seeds'])} seed{'s' if row['seeds'] != 1 else ''})"
                for _, row in rows.iterrows()
            ]
            figure.add_trace(go.Scatter(
                x=rows["percent_users"].tolist(), y=rows["mean"].tolist(), mode="lines+markers", name=f"{label}, sample",
                legendgroup=model, line={"color": colour, "width": 2.5}, marker={"size": 8},
                error_y={"type": "data", "array": std.tolist(), "visible": bool((std > 0).any()), "thickness": 1.2},
                hovertext=hover, hoverinfo="text", meta={"model": model, "kind": "sample"},
            ))
        full = full_values.get(model)
        if full is not None and np.isfinite(full):
            figure.add_hline(
                y=full, line={"color": colour, "dash": "dash", "width": 1.5},
                annotation_text=f"{label}, all users: {full:.2f}", annotation_position=positions[index % len(positions)],
            )
    figure.update_xaxes(type="log", title_text="users in the training sample (% of all users, log scale)")
    figure.update_yaxes(title_text=f"{metric} (test, %)")
    figure.update_layout(
        title=f"More data, or a better model? {dataset}: {metric} of each model trained on {sampler_label(sampler)} samples",
        template="plotly_white", height=480, legend={"title": "model"}, hovermode="closest", margin={"t": 80},
    )
    return figure


__all__ = ["MODEL_COLOURS", "model_colour", "models_figure"]
