"""The budget curve: a metric against the % of users a model was trained on, one line per sampler.

Top panel: the metric (mean over seeds, error bars = standard deviation over seeds) on a log x-axis,
with the full-data value as a dashed line. Bottom panel: the same relative to full data (%), with the
95 % line. A selected budget is marked with a ring on every sampler's point there. Data go in as plain lists
(not plotly's base64 typed arrays), so the figure's JSON and the page's ``el.data`` are readable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.figures.colours import sampler_colour, sampler_label


def _hover(row: pd.Series, metric: str) -> str:
    spread = f" ± {row['std']:.2f}" if np.isfinite(row["std"]) else ""
    relative = f"<br>{row['relative'] * 100:.1f} % of full data" if np.isfinite(row["relative"]) else ""
    return (
        f"<b>{sampler_label(row['sampler'])}</b> at {row['budget']}<br>"
        f"{metric}: {row['mean']:.2f}{spread} ({int(row['seeds'])} seed{'s' if row['seeds'] != 1 else ''})"
        f"{relative}<br>users used: {row['fraction_users'] * 100:.2f} %"
        f"<br>interactions used: {row['fraction_interactions'] * 100:.2f} %"
    )


def budget_curve_figure(
    table: pd.DataFrame,
    *,
    full_value: float | None,
    metric: str,
    dataset: str,
    model: str = "infinite-ae",
    selected_percent: float | None = None,
    samplers: Sequence[str] | None = None,
) -> go.Figure:
    """The figure for :func:`workbench.budget.answer.curve_table`'s ``table``.

    Args:
        table: rows (sampler, budget, percent_users, mean, std, seeds, fraction_users,
            fraction_interactions, relative).
        full_value: the metric on all the data (None: no reference line, no relative panel values).
        selected_percent: a budget (% of users) to mark on every sampler, or None.
        samplers: which samplers to draw, in legend order (default: all in ``table``).
    """
    shown = list(samplers) if samplers is not None else list(dict.fromkeys(table["sampler"]))
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.62, 0.38],
        subplot_titles=(f"{metric} (test), {model} trained on each sample", "Relative to full data"),
    )
    for sampler in shown:
        rows = table[table["sampler"] == sampler].sort_values("percent_users")
        if rows.empty:
            continue
        colour = sampler_colour(sampler)
        hover = [_hover(row, metric) for _, row in rows.iterrows()]
        std = rows["std"].fillna(0.0)
        figure.add_trace(go.Scatter(
            x=rows["percent_users"].tolist(), y=rows["mean"].tolist(), mode="lines+markers", name=sampler_label(sampler),
            legendgroup=sampler, line={"color": colour, "width": 2.5}, marker={"size": 8},
            error_y={"type": "data", "array": std.tolist(), "visible": bool((std > 0).any()), "thickness": 1.2},
            hovertext=hover, hoverinfo="text", meta={"sampler": sampler, "panel": "absolute"},
        ), row=1, col=1)
        figure.add_trace(go.Scatter(
            x=rows["percent_users"].tolist(), y=(rows["relative"] * 100.0).tolist(), mode="lines+markers", name=sampler_label(sampler),
            legendgroup=sampler, showlegend=False, line={"color": colour, "width": 2}, marker={"size": 6},
            hovertext=hover, hoverinfo="text", meta={"sampler": sampler, "panel": "relative"},
        ), row=2, col=1)
        if selected_percent is not None:
            at = rows[np.isclose(rows["percent_users"], selected_percent)]
            if not at.empty:
                figure.add_trace(go.Scatter(
                    x=at["percent_users"].tolist(), y=at["mean"].tolist(), mode="markers", name=f"{sampler_label(sampler)}, selected",
                    legendgroup=sampler, showlegend=False,
                    marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"color": colour, "width": 3}, "symbol": "circle"},
                    hovertext=[_hover(row, metric) for _, row in at.iterrows()], hoverinfo="text",
                    meta={"sampler": sampler, "panel": "selected"},
                ), row=1, col=1)
    if full_value is not None:
        figure.add_hline(
            y=full_value, line={"color": sampler_colour("full"), "dash": "dash"}, row=1, col=1,
            annotation_text=f"full data: {full_value:.2f}", annotation_position="bottom right",
        )
        figure.add_hline(y=100.0, line={"color": sampler_colour("full"), "dash": "dash"}, row=2, col=1)
        figure.add_hline(y=95.0, line={"color": "#999999", "dash": "dot", "width": 1}, row=2, col=1,
                         annotation_text="95 %", annotation_position="bottom right")
    if selected_percent is not None:
        figure.add_vline(x=selected_percent, line={"color": "#555555", "dash": "dot", "width": 1})
    figure.update_xaxes(type="log", title_text="users in the training sample (% of all users, log scale)", row=2, col=1)
    figure.update_xaxes(type="log", row=1, col=1)
    figure.update_yaxes(title_text=f"{metric} (%)", row=1, col=1)
    figure.update_yaxes(title_text="% of full data", row=2, col=1)
    figure.update_layout(
        title=f"Is more data needed? {dataset}: {metric} against the data budget",
        template="plotly_white", height=640, legend={"title": "sampler"}, hovermode="closest",
        margin={"t": 90},
    )
    return figure
