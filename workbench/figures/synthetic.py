"""Plotly figures of a Distill-CF summary next to the real data (notebook 03; analysis in
:mod:`workbench.inspect.summaries`). Synthetic users are drawn in Distill-CF's registered colour, real
users in full data's; every trace's hover text gives exact values."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.errors import WorkbenchError
from workbench.figures.colours import sampler_colour
from workbench.inspect.summaries import PopularityComparison, Projection, TemperatureSweep, UserSizeComparison
from workbench.samplers.registry import DISTILL_CF

SYNTHETIC = DISTILL_CF
REAL = "full"
SYNTHETIC_NAME = "Distill-CF summary"
REAL_NAME = "Real data"
#: Mass in entries near 0, between, near 1 (the last in the summary's colour).
MASS_COLOURS = ("#DDDDDD", "#E6B3BB", sampler_colour(SYNTHETIC))


def _scale(sampler: str) -> list[list[float | str]]:
    """A colour scale from white (0) to the sampler's colour (1)."""
    return [[0.0, "#FFFFFF"], [1.0, sampler_colour(sampler)]]


def _rank_ticks(count: int) -> list[int]:
    """1-based popularity ranks to label on an axis of ``count`` items: 1 and round numbers."""
    step = max(1, 10 ** int(np.floor(np.log10(max(count, 1)))) // 2) if count > 20 else 5
    return [1] + [rank for rank in range(step, count + 1, step)]


def summary_heatmap(
    summary: np.ndarray,
    order: np.ndarray,
    *,
    real_rows: np.ndarray | None = None,
    real_user_ids: Sequence[object] | None = None,
    item_labels: Sequence[str] | None = None,
    max_items: int | None = None,
    common_scale: bool = False,
) -> go.Figure:
    """Synthetic users × items, items in the real data's popularity order (most popular on the left).

    Args:
        summary: (μ, d) float entries in [0, 1].
        order: (d,) int, the items from most to least popular in the real data.
        real_rows: optional (m, d) dense rows of real users, drawn below the summary for comparison.
        real_user_ids: (m,) their original ids (for labels and hover); default their row numbers.
        item_labels: (d,) a label per item (title) for the hover text; default ``item <index>``.
        max_items: show only the ``max_items`` most popular items (default all).
        common_scale: colour every panel from 0 to 1; by default each panel's colour runs from 0 to
            its largest entry, so that a smooth summary of small entries still shows its structure.

    Returns:
        One heatmap (two with ``real_rows``): x the item's popularity rank (1 = most popular),
        y the user, colour the entry (0 white → the largest entry, or 1, in the sampler's colour).
    """
    summary = np.asarray(summary, dtype=np.float64)
    order = np.asarray(order)
    if summary.ndim != 2 or order.shape != (summary.shape[1],):
        raise WorkbenchError(f"order: expected shape ({summary.shape[1] if summary.ndim == 2 else 'd'},) for a summary of shape {summary.shape}, got {order.shape}")
    shown = order if max_items is None else order[: max(1, int(max_items))]
    labels = list(item_labels) if item_labels is not None else [f"item {item}" for item in range(summary.shape[1])]
    if len(labels) != summary.shape[1]:
        raise WorkbenchError(f"item_labels: expected {summary.shape[1]} labels, got {len(labels)}")
    # Categories "rank. label" are unique and put the title in the hover text at the cost of d strings.
    x = [f"{rank}. {labels[item]}" for rank, item in enumerate(shown.tolist(), start=1)]
    ticks = _rank_ticks(len(shown))
    panels = [(SYNTHETIC, SYNTHETIC_NAME, summary[:, shown], [f"synthetic {row}" for row in range(summary.shape[0])])]
    if real_rows is not None:
        real = np.asarray(real_rows, dtype=np.float64)
        if real.ndim != 2 or real.shape[1] != summary.shape[1]:
            raise WorkbenchError(f"real_rows: expected shape (m, {summary.shape[1]}), got {real.shape}")
        ids = list(real_user_ids) if real_user_ids is not None else list(range(real.shape[0]))
        if len(ids) != real.shape[0]:
            raise WorkbenchError(f"real_user_ids: expected {real.shape[0]} ids, got {len(ids)}")
        panels.append((REAL, f"{len(ids)} random real users", real[:, shown], [f"user {user}" for user in ids]))
    figure = make_subplots(
        rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.08,
        subplot_titles=[f"{name} ({values.shape[0]} users)" if sampler == SYNTHETIC else name for sampler, name, values, _ in panels],
    )
    for index, (sampler, name, values, rows) in enumerate(panels, start=1):
        bar_length = 1.0 / len(panels) - 0.06
        top = 1.0 if common_scale else max(float(values.max()), 1e-9)
        figure.add_trace(
            go.Heatmap(
                z=values, x=x, y=rows, zmin=0.0, zmax=top, colorscale=_scale(sampler), name=name,
                colorbar=dict(title=dict(text="entry"), len=bar_length, y=1.0 - (index - 0.5) / len(panels), x=1.02),
                hovertemplate=f"{name}<br>%{{y}}<br>popularity rank %{{x}}<br>entry %{{z:.4f}}<extra></extra>",
            ),
            row=index, col=1,
        )
        figure.update_yaxes(title_text="user", showticklabels=False, autorange="reversed", row=index, col=1)
    figure.update_xaxes(tickmode="array", tickvals=[x[rank - 1] for rank in ticks], ticktext=[str(rank) for rank in ticks])
    figure.update_xaxes(title_text="item, by popularity in the real data (rank; 1 = most popular)", row=len(panels), col=1)
    figure.update_layout(
        title=f"What the summary looks like: users × the {len(shown):,} most popular items",
        height=380 * len(panels) + 80,
    )
    return figure


def popularity_figure(comparison: PopularityComparison, *, item_labels: Sequence[str] | None = None) -> go.Figure:
    """Each item's share of interactions, real vs summary, items by real popularity (log y), with the
    item coverage of each as bars beside it.

    Args:
        comparison: from :func:`workbench.inspect.summaries.compare_popularity`.
        item_labels: (d,) a label per item (title) for the hover text, in the items' own order.
    """
    count = comparison.order.size
    labels = list(item_labels) if item_labels is not None else [f"item {item}" for item in range(count)]
    if len(labels) != count:
        raise WorkbenchError(f"item_labels: expected {count} labels, got {len(labels)}")
    ordered = [labels[item] for item in comparison.order.tolist()]
    ranks = np.arange(1, count + 1)
    correlation = comparison.rank_correlation
    figure = make_subplots(
        rows=1, cols=2, column_widths=[0.78, 0.22], horizontal_spacing=0.1,
        subplot_titles=["Share of interactions per item", "Item coverage"],
    )
    for sampler, name, share, mode in (
        (REAL, REAL_NAME, comparison.real_share, "lines"),
        (SYNTHETIC, SYNTHETIC_NAME, comparison.summary_share, "markers"),
    ):
        figure.add_trace(
            go.Scatter(
                x=ranks, y=100 * share, mode=mode, name=name, customdata=ordered, legendgroup=sampler,
                line=dict(color=sampler_colour(sampler), width=2), marker=dict(color=sampler_colour(sampler), size=4, opacity=0.7),
                hovertemplate=f"{name}<br>rank %{{x}}: %{{customdata}}<br>share %{{y:.4f}} %<extra></extra>",
            ),
            row=1, col=1,
        )
    for sampler, name, coverage in (
        (REAL, REAL_NAME, comparison.real_coverage),
        (SYNTHETIC, SYNTHETIC_NAME, comparison.summary_coverage),
    ):
        figure.add_trace(
            go.Bar(
                x=[name], y=[100 * coverage], name=name,
                marker_color=sampler_colour(sampler), legendgroup=sampler, showlegend=False,
                text=[f"{100 * coverage:.1f} %"], textposition="outside",
                hovertemplate=f"{name}<br>covers %{{y:.2f}} % of the {count:,} items<extra></extra>",
            ),
            row=1, col=2,
        )
    figure.update_xaxes(title_text="item, by popularity in the real data (rank; 1 = most popular)", row=1, col=1)
    figure.update_yaxes(title_text="share of interactions (%, log scale)", type="log", exponentformat="power", row=1, col=1)
    figure.update_yaxes(title_text="items held by at least one user (%)", range=[0, 110], row=1, col=2)
    title = "Item popularity: summary vs real data"
    if np.isfinite(correlation):
        title += f" (Spearman ρ = {correlation:.3f})"
    figure.update_layout(title=title, height=480)
    return figure


def user_size_figure(comparison: UserSizeComparison, *, bins: int = 40) -> go.Figure:
    """Histograms (share of users) of real and synthetic user sizes on common bins, with each mean
    as a dashed vertical line."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise WorkbenchError(f"bins: expected a positive integer, got {bins!r}")
    high = float(max(comparison.real_sizes.max(), comparison.summary_sizes.max()))
    edges = np.linspace(0.0, high if high > 0 else 1.0, bins + 1)
    figure = go.Figure()
    means = []
    for sampler, name, sizes in (
        (REAL, REAL_NAME, comparison.real_sizes),
        (SYNTHETIC, SYNTHETIC_NAME, comparison.summary_sizes),
    ):
        counts, _ = np.histogram(sizes, bins=edges)
        shares = 100 * counts / sizes.size
        figure.add_trace(
            go.Bar(
                x=(edges[:-1] + edges[1:]) / 2, y=shares, width=np.diff(edges), name=f"{name} ({sizes.size:,} users)",
                marker_color=sampler_colour(sampler), opacity=0.6, legendgroup=sampler,
                customdata=np.stack([edges[:-1], edges[1:], counts], axis=1),
                hovertemplate=(
                    f"{name}<br>size %{{customdata[0]:.1f}} – %{{customdata[1]:.1f}}<br>"
                    "%{customdata[2]:,.0f} users (%{y:.2f} %)<extra></extra>"
                ),
            )
        )
        means.append((sampler, name, float(sizes.mean()), float(np.median(sizes))))
    top = float(max(np.max(trace.y) for trace in figure.data)) * 1.05
    for sampler, name, mean, median in means:
        figure.add_trace(
            go.Scatter(
                x=[mean, mean], y=[0, top], mode="lines", name=f"mean, {name}: {mean:.1f}", legendgroup=sampler,
                line=dict(color=sampler_colour(sampler), dash="dash", width=2),
                hovertemplate=f"{name}<br>mean size {mean:.2f}<br>median size {median:.2f}<extra></extra>",
            )
        )
    figure.update_layout(
        title="User sizes: synthetic vs real users", barmode="overlay", height=450,
        xaxis_title="user size (interactions; for a synthetic user, the sum of its entries)",
        yaxis_title="share of users (%)",
    )
    return figure


def projection_figure(projection: Projection, *, real_user_ids: Sequence[object] | None = None) -> go.Figure:
    """Real and synthetic users on the first two principal components (one point per user).

    Args:
        projection: from :func:`workbench.inspect.summaries.pca_projection`.
        real_user_ids: the original id of every row of the real matrix (indexed by
            ``projection.real_users``) for the hover text; default the row numbers.
    """
    ids = np.asarray(real_user_ids if real_user_ids is not None else np.arange(projection.real_users.max() + 1), dtype=object)
    if ids.size <= projection.real_users.max():
        raise WorkbenchError(f"real_user_ids: expected at least {projection.real_users.max() + 1} ids, got {ids.size}")
    first, second = 100 * projection.explained_variance
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=projection.real_coordinates[:, 0], y=projection.real_coordinates[:, 1], mode="markers",
            name=f"{REAL_NAME} ({projection.real_users.size:,} users)",
            marker=dict(color=sampler_colour(REAL), size=5, opacity=0.35),
            customdata=np.stack([ids[projection.real_users], projection.real_sizes], axis=1),
            hovertemplate="real user %{customdata[0]}<br>size %{customdata[1]:.0f}<br>PC1 %{x:.4f}, PC2 %{y:.4f}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=projection.summary_coordinates[:, 0], y=projection.summary_coordinates[:, 1], mode="markers",
            name=f"{SYNTHETIC_NAME} ({projection.summary_sizes.size:,} users)",
            marker=dict(color=sampler_colour(SYNTHETIC), size=9, symbol="diamond", line=dict(color="#000000", width=0.5)),
            customdata=np.stack([np.arange(projection.summary_sizes.size), projection.summary_sizes], axis=1),
            hovertemplate="synthetic user %{customdata[0]:.0f}<br>size %{customdata[1]:.2f}<br>PC1 %{x:.4f}, PC2 %{y:.4f}<extra></extra>",
        )
    )
    figure.update_layout(
        title="Real and synthetic users on a 2-D map (PCA of their rows)", height=550,
        xaxis_title=f"PC1 ({first:.1f} % of variance)", yaxis_title=f"PC2 ({second:.1f} % of variance)",
    )
    return figure


def temperature_figure(sweep: TemperatureSweep) -> go.Figure:
    """How τ changes a summary drawn from the same logits: its discreteness, its entropy, and the
    spread of its entries (one colour per τ in the last panel)."""
    temperatures = list(sweep.temperatures)
    rows = sweep.discreteness
    tolerance = rows[0].tolerance
    figure = make_subplots(
        rows=1, cols=3, horizontal_spacing=0.09,
        subplot_titles=["Where the summary's mass lies", "Entropy", "Spread of the entries"],
    )
    labels = [f"τ = {tau:g}" for tau in temperatures]
    for name, values, colour in (
        (f"mass in entries ≥ {1 - tolerance:g}", [row.mass_near_one for row in rows], MASS_COLOURS[2]),
        (f"mass in entries between {tolerance:g} and {1 - tolerance:g}", [row.mass_between for row in rows], MASS_COLOURS[1]),
        (f"mass in entries ≤ {tolerance:g}", [row.mass_near_zero for row in rows], MASS_COLOURS[0]),
    ):
        figure.add_trace(
            go.Bar(
                x=labels, y=[100 * value for value in values], name=name, marker_color=colour,
                customdata=[100 * row.near_binary for row in rows],
                hovertemplate=(
                    f"%{{x}}<br>{name}: %{{y:.3f}} % of the mass<br>"
                    f"entries within {tolerance:g} of 0 or 1: %{{customdata:.3f}} %<extra></extra>"
                ),
            ),
            row=1, col=1,
        )
    figure.add_trace(
        go.Scatter(
            x=temperatures, y=[row.mean_entropy for row in rows], mode="lines+markers", name="mean entropy per entry",
            line=dict(color=sampler_colour(SYNTHETIC)), customdata=[row.mean_size for row in rows],
            hovertemplate="τ = %{x:g}<br>entropy %{y:.5f} bits per entry<br>mean user size %{customdata:.2f}<extra></extra>",
        ),
        row=1, col=2,
    )
    centres = (sweep.bin_edges[:-1] + sweep.bin_edges[1:]) / 2
    edges = np.stack([sweep.bin_edges[:-1], sweep.bin_edges[1:]], axis=1)
    colours = plotly.colors.sample_colorscale("Viridis", [0.5] if len(temperatures) == 1 else list(np.linspace(0, 0.9, len(temperatures))))
    for tau, shares, colour in zip(temperatures, sweep.histograms, colours):
        figure.add_trace(
            go.Scatter(
                x=centres, y=100 * shares, mode="lines+markers", name=f"entries at τ = {tau:g}", line=dict(color=colour),
                customdata=edges,
                hovertemplate=(
                    f"τ = {tau:g}<br>entries in [%{{customdata[0]:.2f}}, %{{customdata[1]:.2f}}): %{{y:.4f}} %<extra></extra>"
                ),
            ),
            row=1, col=3,
        )
    figure.update_xaxes(title_text="temperature τ", row=1, col=1)
    figure.update_xaxes(title_text="temperature τ (log scale)", type="log", row=1, col=2)
    figure.update_xaxes(title_text="entry value", range=[0, 1], row=1, col=3)
    figure.update_yaxes(title_text="share of the summary's mass (%)", range=[0, 100.5], row=1, col=1)
    figure.update_yaxes(title_text="mean entropy (bits per entry)", rangemode="tozero", row=1, col=2)
    figure.update_yaxes(title_text="share of entries (%, log scale)", type="log", exponentformat="power", row=1, col=3)
    figure.update_layout(
        title=f"Summaries drawn from the same logits at each τ (γ = {sweep.draws} draws, the same noise)",
        height=450, barmode="stack",
    )
    return figure
