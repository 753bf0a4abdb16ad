"""The support study's figure: a test metric against the share of users carrying ∞-AE, per method."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from workbench.figures.colours import sampler_colour
from workbench.support.study import support_methods_in, support_table

#: Colours of the two support methods (from the same colour-blind-safe palette as the samplers).
METHOD_COLOURS = {"sample": "#88CCEE", "nystrom": "#CC6677"}
METHOD_LABELS = {"sample": "Sample (fit on those users only)", "nystrom": "Nyström (those users as landmarks, every user a target)"}


def support_figure(frame: pd.DataFrame, metric: str = "NDCG@10", dataset: str | None = None) -> go.Figure:
    """Test ``metric`` against the percentage of users in the support, a line per method, the full model dashed."""
    table = support_table(frame, metric)
    percent = [100 * fraction for fraction in table["fraction"]]
    figure = go.Figure()
    for method in support_methods_in(frame):
        figure.add_trace(
            go.Scatter(
                x=percent, y=[float(value) for value in table[method]], mode="lines+markers", name=METHOD_LABELS[method],
                line={"color": METHOD_COLOURS[method]},
                customdata=[int(users) for users in table["support_users"]],
                hovertemplate="%{x:.3g} % of users (%{customdata:,} users): " + metric + " %{y:.2f}<extra></extra>",
            )
        )
    full = float(table["full"].iloc[0])
    figure.add_hline(y=full, line={"dash": "dash", "color": sampler_colour("full")}, annotation_text=f"all users: {full:.2f}")
    figure.update_layout(
        title=f"∞-AE with a support of m users{f' on {dataset}' if dataset else ''}: test {metric}",
        xaxis={"title": "users in the support (% of all users)", "type": "log", "tickvals": percent, "ticktext": [f"{p:g} %" for p in percent]},
        yaxis={"title": f"test {metric}"},
        legend={"orientation": "h", "y": -0.25},
        template="plotly_white",
    )
    return figure
