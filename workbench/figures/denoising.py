"""The denoising figure: a metric against the noise rate, one line per training data, one column per noise kind.

Top row: the metric of ∞-AE trained on the noisy full data and on a Distill-CF summary of it. Bottom
row: the same as a percentage of its own clean-data value (rate 0 of the same kind), with the 100 %
line, so that "which degrades less" reads directly. Colours are the workbench's fixed sampler
colours (:func:`workbench.figures.colours.sampler_colour`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.errors import WorkbenchError
from workbench.figures.colours import sampler_colour, sampler_label

#: The x-axis title of each noise kind (the rate is shown in % of the clean training interactions).
NOISE_AXIS_TITLES: dict[str, str] = {
    "removal": "removed (% of the training interactions)",
    "false-positive": "added (% of the training interactions)",
}
#: The subplot title of each noise kind.
NOISE_TITLES: dict[str, str] = {"removal": "Random removals", "false-positive": "Random false positives"}
#: Metrics in [0, 1] rather than ×100.
_UNIT_FREE = ("AUC", "UserAUC")


def metric_axis_title(metric: str, split: str) -> str:
    """``"test HR@10 (%)"`` for the ×100 ranking metrics, ``"test AUC"`` for AUC and per-user AUC (in [0, 1])."""
    return f"{split} {metric}" if metric in _UNIT_FREE else f"{split} {metric} (%)"


def _points(frame: pd.DataFrame, metric: str, split: str) -> pd.DataFrame:
    """One row per noise × rate × training: value, λ, interaction counts, and % of the clean value."""
    required = ("noise", "rate", "training", "split", "metric", "value")
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise WorkbenchError(f"not a denoising frame: it lacks the columns {', '.join(missing)}")
    selected = frame[(frame["metric"] == metric) & (frame["split"] == split)].copy()
    if selected.empty:
        raise WorkbenchError(
            f"no {split} {metric} in the frame; metrics: {', '.join(map(str, frame['metric'].unique()))}; "
            f"splits: {', '.join(map(str, frame['split'].unique()))}"
        )
    for column in ("lambda", "train_interactions", "interactions_removed", "interactions_added"):
        if column not in selected.columns:
            selected[column] = np.nan
    clean = selected[selected["rate"] == 0.0].set_index(["noise", "training"])["value"]
    keys = pd.MultiIndex.from_frame(selected[["noise", "training"]])
    selected["relative"] = 100.0 * selected["value"].to_numpy() / clean.reindex(keys).to_numpy(dtype=np.float64)
    return selected.sort_values(["noise", "training", "rate"], kind="stable")


def _hover(row: pd.Series, metric: str, split: str) -> str:
    kind = NOISE_TITLES.get(row["noise"], row["noise"]).lower()
    noise = "no noise" if row["rate"] == 0 else f"{kind} at {row['rate'] * 100:g} %"
    lines = [
        f"<b>∞-AE trained on {sampler_label(row['training'])}</b>, {noise}",
        f"{split} {metric}: {row['value']:.4f}",
    ]
    if np.isfinite(row["relative"]):
        lines.append(f"{row['relative']:.1f} % of its clean-data value")
    if np.isfinite(row["lambda"]):
        lines.append(f"λ = {row['lambda']:g}")
    if np.isfinite(row["train_interactions"]):
        lines.append(
            f"training interactions: {int(row['train_interactions']):,} "
            f"({int(row['interactions_removed']):,} removed, {int(row['interactions_added']):,} added)"
        )
    return "<br>".join(lines)


def denoising_figure(
    frame: pd.DataFrame, *, metric: str = "HR@10", split: str = "test", dataset: str | None = None
) -> go.Figure:
    """The figure for a frame of :func:`workbench.denoising.study.denoising_experiment`.

    Args:
        frame: tidy rows with at least noise, rate, training, split, metric, value (optionally
            lambda and the interaction counts, shown on hover).
        metric, split: what is plotted.
        dataset: named in the title (default: the frame's ``dataset`` column, if any).

    Returns:
        A figure with 2 rows × one column per noise kind (in the frame's order). Each trace's
        ``meta`` is ``{"noise", "training", "panel": "absolute" | "relative"}``; x is the rate in %,
        y the metric (top) or its percentage of the rate-0 value (bottom).
    """
    points = _points(frame, metric, split)
    noises = list(dict.fromkeys(frame["noise"]))  # in the frame's order
    trainings = list(dict.fromkeys(frame["training"]))
    if dataset is None and "dataset" in frame.columns and frame["dataset"].nunique() == 1:
        dataset = str(frame["dataset"].iloc[0])
    figure = make_subplots(
        rows=2, cols=len(noises), shared_yaxes="rows", shared_xaxes="columns", vertical_spacing=0.1,
        horizontal_spacing=0.06, row_heights=[0.6, 0.4],
        subplot_titles=[NOISE_TITLES.get(noise, noise) for noise in noises] + [""] * len(noises),
    )
    for column, noise in enumerate(noises, start=1):
        for training in trainings:
            rows = points[(points["noise"] == noise) & (points["training"] == training)]
            if rows.empty:
                continue
            colour = sampler_colour(training)
            hover = [_hover(row, metric, split) for _, row in rows.iterrows()]
            for row_index, (panel, y) in enumerate((("absolute", rows["value"]), ("relative", rows["relative"])), start=1):
                figure.add_trace(go.Scatter(
                    x=rows["rate"] * 100.0, y=y, mode="lines+markers", name=sampler_label(training),
                    legendgroup=training, showlegend=column == 1 and panel == "absolute",
                    line={"color": colour, "width": 2.5 if panel == "absolute" else 2},
                    marker={"size": 8 if panel == "absolute" else 6},
                    hovertext=hover, hoverinfo="text", meta={"noise": noise, "training": training, "panel": panel},
                ), row=row_index, col=column)
        figure.add_hline(y=100.0, line={"color": "#999999", "dash": "dash", "width": 1}, row=2, col=column)
        figure.update_xaxes(title_text=NOISE_AXIS_TITLES.get(noise, f"{noise} rate (%)"), ticksuffix=" %", row=2, col=column)
        figure.update_xaxes(ticksuffix=" %", row=1, col=column)
    figure.update_yaxes(title_text=metric_axis_title(metric, split), row=1, col=1)
    figure.update_yaxes(title_text="% of the clean-data value", row=2, col=1)
    where = f"{dataset}: " if dataset else ""
    figure.update_layout(
        title={"text": f"{where}∞-AE trained on noisy data<br><sup>{split} {metric}; bottom: relative to the same "
                       "training data without noise</sup>"},
        template="plotly_white", height=680, hovermode="closest", margin={"t": 110, "b": 110},
        legend={
            "title": "∞-AE trained on", "orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.14, "yanchor": "top",
        },
    )
    return figure


__all__ = ["NOISE_AXIS_TITLES", "NOISE_TITLES", "denoising_figure", "metric_axis_title"]
