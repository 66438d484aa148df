"""Information planes: I(X;T) against I(T;X') (the paper's) or I(T;Y), still or animated."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from infoplane_tf.io.runs import Run
from infoplane_tf.plotting.canvas import (
    _RUN_COLORS,
    PANEL_INCHES,
    TIME_CMAP,
    _format_iteration,
    _math_name,
    _new_figure,
    _run_legend,
)
from infoplane_tf.plotting.series import (
    _as_runs,
    _check_labels,
    _control_level,
    _layer_index,
    _n_probe,
    _plane_grid,
    _plane_series,
    _runs_title,
    _select_layers,
    _time_norm,
)


@dataclass(frozen=True)
class _Plane:
    """What an information plane puts on its y axis (x is always I(X;T)).

    Attributes:
        key: the ``Trajectory`` attribute of the y values, (P, L) in bits.
        y_label: the y axis's mathtext, ``{t}`` standing for the layer.
        title: the figure title when several runs are overlaid.
    """

    key: str
    y_label: str
    title: str


#: I(T;X') with the network's output (the paper's plane).
_OUTPUT_PLANE = _Plane("i_t_out", "I({t};X')", "information plane")

#: I(T;Y) with the class labels (the supervised plane).
_LABEL_PLANE = _Plane("i_t_label", "I({t};Y)", "supervised information plane")


def plot_information_plane(
    runs: Run | Sequence[Run], layers: Sequence[str] | None = None, *, cmap: str = TIME_CMAP
) -> Figure:
    """The information plane, one panel per layer: I(X;T) (x) against I(T;X') (y).

    One run is drawn as a scatter coloured by iteration with a colour bar; several runs as one
    line per run (a colour each, a legend with ``run.label``, a dot at the last point). Each
    panel has the dashed diagonal y = x and both axes from 0 to log2 n bits (n the probe size,
    ``settings["estimator"]["n_probe"]``), plus a small margin. Deep models with the default
    layers get the paper's grid, encoder row ``E1 E2 Z`` over decoder row ``Z D1 D2``; other
    selections fill a grid of at most 3 columns in layer order. Invalid (NaN) points are
    skipped; at most ``MAX_POINTS`` points per layer are drawn (evenly spaced in point order,
    first and last kept).

    Args:
        runs: a ``Run`` or a list of runs to overlay.
        layers: the layers to draw, in order; None draws every recorded layer.
        cmap: the colour map of training time (single runs).

    Returns:
        The figure.

    Raises:
        ValueError: no runs, or a layer that no run recorded (the message lists the layers).
    """
    fig, _ = _plane_figure(_as_runs(runs), layers, cmap, _OUTPUT_PLANE)
    return fig


def plot_label_plane(
    runs: Run | Sequence[Run], layers: Sequence[str] | None = None, *, cmap: str = TIME_CMAP
) -> Figure:
    """The supervised information plane, one panel per layer: I(X;T) (x) against I(T;Y) (y).

    Y are the class labels of the probe (``trajectory.i_t_label``, recorded when the run was
    given labels). Drawn exactly like ``plot_information_plane``: the same panel grid, limits
    and dashed diagonal (by the data-processing inequality, I(T;Y) ≤ I(X;T) for an encoder of
    X), a scatter coloured by iteration for one run, a line per run for several.

    Args:
        runs: a ``Run`` or a list of runs to overlay, all recorded with labels.
        layers: the layers to draw, in order; None draws every recorded layer.
        cmap: the colour map of training time (single runs).

    Returns:
        The figure.

    Raises:
        ValueError: no runs, a run recorded without labels (the message names each), or a
            layer that no run recorded (the message lists the layers).
    """
    runs = _as_runs(runs)
    _check_labels(runs)
    fig, _ = _plane_figure(runs, layers, cmap, _LABEL_PLANE)
    return fig


def animate_information_plane(
    runs: Run | Sequence[Run],
    path: str | os.PathLike,
    layers: Sequence[str] | None = None,
    frames: int = 60,
    fps: int = 10,
    *,
    dpi: int = 80,
) -> Path:
    """Writes a GIF of the information plane building up over training.

    Frame k shows the points recorded up to iteration t_k, with t_k evenly spaced from the
    first to the last recorded iteration; the last frame is the full ``plot_information_plane``.

    Args:
        runs: a ``Run`` or a list of runs to overlay.
        path: the ``.gif`` file to write (its folder is created).
        layers: the layers to draw; None means all.
        frames: the number of frames, ≥ 1.
        fps: frames per second, ≥ 1.
        dpi: pixels per inch of the frames.

    Returns:
        The path written.

    Raises:
        ValueError: no runs, an unknown layer, a path not ending in ``.gif``, or
            ``frames``/``fps`` < 1.
    """
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"an animation is written as .gif, got {path.suffix or path.name!r}")
    if frames < 1 or fps < 1:
        raise ValueError(f"frames and fps must be >= 1, got frames={frames}, fps={fps}")
    runs = _as_runs(runs)
    fig, artists = _plane_figure(runs, layers, TIME_CMAP, _OUTPUT_PLANE)
    title = _runs_title(runs) if len(runs) == 1 else "information plane"
    start = min(float(a["iterations"][0]) for a in artists if len(a["iterations"]))
    stop = max(float(a["iterations"][-1]) for a in artists if len(a["iterations"]))
    times = np.linspace(start, stop, frames + 1)[1:] if frames > 1 else np.array([stop])
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PillowWriter(fps=fps)
    with writer.saving(fig, str(path), dpi):
        for t in times:
            for artist in artists:
                _show_until(artist, t)
            fig.suptitle(f"{title}\niteration {int(round(t)):,}", wrap=True)
            writer.grab_frame()
    return path


def _plane_figure(runs, layers, cmap, plane: _Plane):
    """An information-plane figure and its series artists (see ``_draw_plane``)."""
    names = _select_layers(runs, layers)
    grid = _plane_grid(names, default=layers is None)
    nrows, ncols = len(grid), max(len(row) for row in grid)
    width = ncols * PANEL_INCHES + (1.0 if len(runs) == 1 else 0.2)
    height = nrows * (PANEL_INCHES + 0.5) + (0.4 if len(runs) == 1 else 0.8)
    fig = _new_figure((width, height))
    artists = _draw_plane(fig, runs, grid, plane, cmap=cmap)
    return fig, artists


def _draw_plane(container, runs, grid, plane: _Plane, *, cmap, title=True):
    """Information-plane panels in ``grid`` (rows of layer names) into a (sub)figure.

    One run is a scatter coloured by iteration (with a colour bar), several runs a line each
    (with a legend); ``plane`` chooses the quantity on the y axis.

    Returns:
        One dict per drawn series, for the animation: ``artist`` (scatter or line), ``x``,
        ``y``, ``iterations`` and, for lines, the ``end`` marker.
    """
    single = len(runs) == 1
    limit = max(math.log2(_n_probe(run)) for run in runs)
    spec = container.add_gridspec(len(grid), max(len(row) for row in grid))
    norm = _time_norm(runs) if single else None
    artists, axes = [], []
    for r, row in enumerate(grid):
        for c, name in enumerate(row):
            ax = container.add_subplot(spec[r, c])
            axes.append(ax)
            artists += _draw_plane_panel(ax, runs, name, plane, limit, cmap=cmap, norm=norm)
    if single:
        colorbar = container.colorbar(
            ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.9, aspect=30, pad=0.02
        )
        colorbar.set_label("iteration")
        colorbar.ax.yaxis.set_major_formatter(FuncFormatter(_format_iteration))
        handles = _plane_marker_handles(runs[0])
        if handles and axes:
            axes[0].legend(handles=handles, fontsize="x-small", loc="lower right")
    else:
        _run_legend(container, runs)
    if title:
        container.suptitle(_runs_title(runs) if single else plane.title, wrap=True)
    return artists


def _draw_plane_panel(ax, runs, name, plane: _Plane, limit, *, cmap, norm):
    """One layer's panel: the diagonal, each run's series, labels and square limits.

    ``norm`` (the time scale) colours a single run's scatter; None draws a line per run.
    """
    ax.plot([0, limit], [0, limit], ls="--", color="0.45", lw=1.0, zorder=1)
    artists = []
    for k, run in enumerate(runs):
        series = _plane_series(run, name, plane.key)
        if series is None:
            continue
        x, y, iterations = series
        if norm is not None:
            artist = ax.scatter(
                x, y, c=iterations, cmap=cmap, norm=norm, s=7, linewidths=0,
                rasterized=True, zorder=2,
            )  # fmt: skip
            artists.append({"artist": artist, "x": x, "y": y, "iterations": iterations})
            _mark_start_peak_end(ax, x, y)
            _draw_plane_references(ax, run, name, plane.key)
        else:
            color = _RUN_COLORS[k % len(_RUN_COLORS)]
            (line,) = ax.plot(x, y, color=color, lw=0.9, alpha=0.85, zorder=2)
            (end,) = ax.plot(x[-1:], y[-1:], "o", color=color, mec="black", mew=0.6, ms=5,
                             zorder=3)  # fmt: skip
            artists.append({"artist": line, "end": end, "x": x, "y": y, "iterations": iterations})
    if not any(len(artist["x"]) for artist in artists):
        ax.text(0.5, 0.5, "no valid points", ha="center", va="center",
                transform=ax.transAxes, color="0.4")  # fmt: skip
    symbol = _math_name(name)
    ax.set_xlabel(f"$I(X;{symbol})$")
    ax.set_ylabel("$" + plane.y_label.format(t=symbol) + "$")
    ax.set_title(name)
    margin = 0.04 * limit
    ax.set_xlim(-margin, limit + margin)
    ax.set_ylim(-margin, limit + margin)
    ticks = np.arange(0, math.floor(limit) + 1)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_box_aspect(1)  # square panels: equal scales, since the limits are equal
    ax.grid(True, alpha=0.25, lw=0.6)
    return artists


def _mark_start_peak_end(ax, x, y) -> None:
    """Start (hollow circle), peak I(X;T) (triangle) and end (square) of a long trajectory."""
    if len(x) < 20:
        return
    peak = int(np.argmax(x))
    for (px, py), marker, face in (
        ((x[0], y[0]), "o", "none"),
        ((x[peak], y[peak]), "^", "white"),
        ((x[-1], y[-1]), "s", "white"),
    ):
        ax.plot(px, py, marker, mfc=face, mec="black", mew=0.9, ms=6, zorder=4)


def _plane_marker_handles(run: Run) -> list:
    """Legend entries for the markers ``_mark_start_peak_end`` and the references draw."""
    handles = []
    if int(np.sum(run.trajectory.valid)) >= 20:
        handles += [
            Line2D(
                [],
                [],
                marker=m,
                ls="none",
                mfc="none" if m == "o" else "white",
                mec="black",
                label=label,
            )  # fmt: skip
            for m, label in (("o", "start"), ("^", "peak I(X;T)"), ("s", "end"))
        ]
    if run.band is not None:
        handles.append(Line2D([], [], color="0.35", marker="|", label="estimator band"))
    if run.controls is not None:
        handles.append(Line2D([], [], marker="X", ls="none", color="tab:green", label="fresh init"))
    return handles


def _draw_plane_references(ax, run: Run, name: str, key: str) -> None:
    """Estimator error bars at a few points and the fresh-initialisation point, if measured."""
    j = _layer_index(run, name)
    if run.band is not None and j is not None:
        (low, high), trajectory = run.band, run.trajectory
        x, y = trajectory.i_xt[:, j], getattr(trajectory, key)[:, j]
        rows = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        rows = rows[np.unique(np.linspace(0, len(rows) - 1, 12).round().astype(int))]
        ax.errorbar(
            x[rows], y[rows],
            xerr=[x[rows] - low.i_xt[rows, j], high.i_xt[rows, j] - x[rows]],
            yerr=[y[rows] - getattr(low, key)[rows, j], getattr(high, key)[rows, j] - y[rows]],
            fmt="none", ecolor="0.35", elinewidth=0.8, capsize=1.5, zorder=3,
        )  # fmt: skip
    level_x, level_y = _control_level(run, name, "i_xt"), _control_level(run, name, key)
    if level_x is not None and level_y is not None:
        ax.plot(level_x, level_y, "X", color="tab:green", mec="black", mew=0.5, ms=7, zorder=4)


def _show_until(artist: dict, t: float) -> None:
    """Shows the points of one series up to iteration ``t`` (animation frames)."""
    m = int(np.searchsorted(artist["iterations"], t, side="right"))
    x, y = artist["x"][:m], artist["y"][:m]
    if "end" in artist:
        artist["artist"].set_data(x, y)
        artist["end"].set_data(x[-1:], y[-1:])
    else:
        artist["artist"].set_offsets(np.column_stack([x, y]))
        artist["artist"].set_array(artist["iterations"][:m])
