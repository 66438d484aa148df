"""The paper's figures from loaded runs: information planes, DPI strips, losses, reconstructions.

Every public function takes one ``Run`` or a list of runs (overlaid) and returns a matplotlib
``Figure`` built without pyplot (an Agg canvas is attached), so nothing here needs a display or
changes the global backend.

Figures (Lee & Jo 2021, Figs. 2-8):

- ``plot_information_plane``: I(X;T) against I(T;X') per layer, coloured by iteration, with the
  dashed diagonal y = x and both axes from 0 to log2 n bits (n = probe size).
- ``plot_label_plane``: the supervised plane, I(X;T) against I(T;Y) with the class labels Y,
  drawn the same way (runs recorded with labels).
- ``plot_dpi``: the data-processing-inequality strip, I(X;E1) ≥ I(X;E2) ≥ I(X;Z) and
  I(D2;X') ≥ I(D1;X') ≥ I(Z;X') against iteration.
- ``plot_losses``: log10 of the train and test loss against iteration.
- ``plot_reconstructions``: example inputs over their reconstructions.
- ``plot_all``: all of the above in one figure; ``animate_information_plane``: a GIF of the
  information plane building up.

Example:
    >>> from infoplane_tf.io.runs import load_run
    >>> run = load_run("saved_results/mnist-deep")  # doctest: +SKIP
    >>> save_figure(plot_information_plane([run]), "deep-ip.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.animation import PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from infoplane_tf.catalog import PAPER
from infoplane_tf.io.runs import Run

#: File extension → matplotlib format accepted by ``save_figure``.
FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: The scatter of one layer shows at most this many points (first and last always kept).
MAX_POINTS = 5000
#: Probe size assumed when a trajectory's settings do not record one (the paper's n).
DEFAULT_N_PROBE = PAPER.probe_size
#: Side of one information-plane panel, inches.
PANEL_INCHES = 3.4
#: Colour map for training time (single runs).
TIME_CMAP = "viridis"

_RUN_COLORS = colormaps["tab10"].colors


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


# --------------------------------------------------------------------------------------------
# Public figures
# --------------------------------------------------------------------------------------------


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


def plot_dpi(runs: Run | Sequence[Run], layers: Sequence[str] | None = None) -> Figure:
    """The data-processing-inequality strip: MI of each layer against iteration, two panels.

    Left, the encoder side I(X;T) for the layers up to the bottleneck Z (E1, E2, Z: the DPI
    expects I(X;E1) ≥ I(X;E2) ≥ I(X;Z)); right, the decoder side I(T;X') for Z and the decoder
    layers (expected I(D2;X') ≥ I(D1;X') ≥ I(Z;X')). A shallow model shows Z on both. Colours
    are per layer; several runs get a row of two panels each (labelled with ``run.label``).

    Args:
        runs: a ``Run`` or a list of runs (a row each).
        layers: the layers to draw; None draws every recorded layer.

    Returns:
        The figure (y in bits, x in training iterations).

    Raises:
        ValueError: no runs, or an unknown layer (the message lists the layers).
    """
    runs = _as_runs(runs)
    names = _select_layers(runs, layers)
    fig = _new_figure((2 * 4.6, 0.6 + 3.2 * len(runs)))
    _draw_dpi(fig, runs, names)
    return fig


def plot_losses(runs: Run | Sequence[Run]) -> Figure:
    """log10 of the train and test loss against iteration.

    Uses the per-iteration history when the run recorded it, else the per-epoch rows at their
    iteration, else the training loss stored with the trajectory points. Non-positive or
    missing values are skipped.

    Args:
        runs: a ``Run`` or a list of runs to overlay (colour per run, dashed test curves).

    Returns:
        The figure.

    Raises:
        ValueError: no runs.
    """
    runs = _as_runs(runs)
    fig = _new_figure((5.0, 3.8))
    _draw_losses(fig.add_subplot(), runs)
    return fig


def plot_reconstructions(runs: Run | Sequence[Run], count: int = 10) -> Figure:
    """Example inputs (top row) over their reconstructions (bottom row), one row pair per run.

    Images are reshaped to ``config["image_shape"]`` or, failing that, to a square (28 × 28 for
    784 pixels), drawn in greyscale from 0 (black) to 1 (white) without ticks.

    Args:
        runs: a ``Run`` or a list of runs.
        count: the number of examples (columns), ≥ 1; fewer if a run saved fewer.

    Returns:
        The figure.

    Raises:
        ValueError: no runs, ``count`` < 1, a run without examples (the message names its
            path), or examples whose width is not an image.
    """
    runs = _as_runs(runs)
    examples = [_examples(run, count) for run in runs]
    columns = max(len(inputs) for inputs, _, _ in examples)
    fig = _new_figure((1.0 + 0.95 * columns, 0.4 + 1.9 * len(runs)))
    _draw_reconstructions(fig, runs, examples)
    return fig


def plot_all(
    runs: Run | Sequence[Run], layers: Sequence[str] | None = None, *, count: int = 10
) -> Figure:
    """Everything in one figure: the information plane, the DPI strip and losses, examples.

    Reconstructions are left out (not an error) when a run has no saved examples.

    Args:
        runs: a ``Run`` or a list of runs to overlay.
        layers: the layers of the information plane and DPI strip; None means all.
        count: the number of examples shown.

    Returns:
        The figure, built from subfigures (``fig.subfigs``): plane, strip, and examples.

    Raises:
        ValueError: no runs, or an unknown layer.
    """
    runs = _as_runs(runs)
    names = _select_layers(runs, layers)
    grid = _plane_grid(names, default=layers is None)
    try:
        examples = [_examples(run, count) for run in runs]
    except ValueError:
        examples = None
    single = len(runs) == 1
    plane_height = len(grid) * (PANEL_INCHES + 0.5) + (0.1 if single else 0.5)
    strip_height = 0.6 + 3.2 * len(runs)
    recon_height = 1.9 * len(runs) + 0.4 if examples else 0.0
    width = 3 * PANEL_INCHES + 1.2
    heights = [plane_height, strip_height] + ([recon_height] if examples else [])
    fig = _new_figure((width, sum(heights) + 0.5))
    parts = fig.subfigures(len(heights), 1, height_ratios=heights)
    plane_width = max(len(row) for row in grid) * PANEL_INCHES + (1.0 if single else 0.2)
    side = max(width - plane_width, 0.0) / 2  # centre a plane narrower than the figure
    plane = parts[0].subfigures(1, 3, width_ratios=[side, plane_width, side])[1]
    _draw_plane(plane, runs, grid, _OUTPUT_PLANE, cmap=TIME_CMAP, title=False)
    dpi_part, loss_part = parts[1].subfigures(1, 2, width_ratios=[2.1, 1.0])
    _draw_dpi(dpi_part, runs, names)
    _draw_losses(loss_part.add_subplot(), runs)
    if examples:
        _draw_reconstructions(parts[2], runs, examples)
    fig.suptitle(_runs_title(runs), fontsize="large", wrap=True)
    return fig


def plot_seed_bands(groups: dict[str, Sequence[Run]], layer: str = "Z") -> Figure:
    """Seed robustness: median and inter-seed range of one layer's curves, per group of runs.

    One column per group (e.g. ``"sparse, sigma=paper"``); the top row shows I(X;T), the bottom
    row I(T;X') against iteration: the median over the group's seeds as a line and the band
    between the smallest and largest seed. Runs in a group are aligned on the iterations that
    all of them recorded (a per-iteration run and an every-10-steps run meet every 10 steps).

    Args:
        groups: label → the runs of one setting with different seeds.
        layer: the layer to show (default the bottleneck ``Z``).

    Returns:
        The figure.

    Raises:
        ValueError: no groups, an empty group, or a run without ``layer``.
    """
    if not groups or any(not runs for runs in groups.values()):
        raise ValueError("plot_seed_bands needs at least one non-empty group of runs")
    fig = _new_figure((PANEL_INCHES * len(groups) + 0.5, 2 * PANEL_INCHES * 0.75))
    axes = fig.subplots(2, len(groups), squeeze=False, sharey="row")
    for column, (label, runs) in enumerate(groups.items()):
        for run in runs:
            if layer not in run.trajectory.layers:
                raise ValueError(f"{run.path}: no layer {layer!r}")
        iterations = runs[0].trajectory.iterations
        for run in runs[1:]:
            iterations = np.intersect1d(iterations, run.trajectory.iterations)
        positions = [np.searchsorted(r.trajectory.iterations, iterations) for r in runs]
        for row, key in enumerate(("i_xt", "i_t_out")):
            values = np.stack(
                [r.trajectory.layer(layer)[key][at] for r, at in zip(runs, positions, strict=True)]
            )
            ax = axes[row, column]
            with warnings.catch_warnings():  # points missing in every seed stay NaN (gaps)
                warnings.simplefilter("ignore", RuntimeWarning)
                low, middle, high = (f(values, 0) for f in (np.nanmin, np.nanmedian, np.nanmax))
            ax.fill_between(iterations, low, high, alpha=0.3, linewidth=0)
            ax.plot(iterations, middle, linewidth=1.2)
            ax.set_ylim(0, math.log2(_n_probe(runs[0])) * 1.04)
            ax.xaxis.set_major_formatter(FuncFormatter(_format_iteration))
            ax.grid(alpha=0.3)
            name = _math_name(layer)
            ax.set_ylabel(f"$I(X;{name})$" if key == "i_xt" else f"$I({name};X')$")
            if row == 0:
                ax.set_title(f"{label} ({len(runs)} seeds)", fontsize=10)
            else:
                ax.set_xlabel("iteration")
    fig.suptitle(f"median and min-max band over seeds, layer {layer} (bits)", wrap=True)
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


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> Path:
    """Saves a figure in the format its extension names (PNG, SVG or PDF).

    The canvas is ``fig.get_size_inches() * dpi`` pixels (no tight cropping), so sizes are
    predictable.

    Args:
        fig: the figure.
        path: the file to write; its folder is created.
        dpi: pixels per inch (PNG, and rasterized scatters inside SVG/PDF).

    Returns:
        The path written.

    Raises:
        ValueError: an unsupported extension (the message lists the valid ones).
    """
    path = Path(path)
    fmt = _figure_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt, dpi=dpi)
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


def _run_legend(container, runs):
    """The legend of overlaid runs below the panels: a colour per run, the end marker."""
    handles = [
        Line2D([], [], color=_RUN_COLORS[k % len(_RUN_COLORS)], lw=1.5, label=run.label)
        for k, run in enumerate(runs)
    ]
    handles.append(Line2D([], [], ls="", marker="o", color="0.6", mec="black", label="end"))
    # As many columns as fit the width, so a one-panel figure wraps its legend, not clips it.
    inches = container.bbox.width / container.figure.dpi
    column = 0.7 + 0.09 * max(len(h.get_label()) for h in handles)
    columns = max(1, min(len(handles), 5, int(inches / column)))
    container.legend(handles=handles, loc="outside lower center", ncols=columns, frameon=False)


def _draw_dpi(container, runs, names):
    """The DPI panels into a (sub)figure: encoder and decoder side, one row per run.

    Several runs get a row each rather than overlaid line styles: the estimator's noise hides
    dash patterns, and six overlaid noisy curves are unreadable.
    """
    encoder, decoder = _dpi_sides(names)
    palette = {name: _RUN_COLORS[i % len(_RUN_COLORS)] for i, name in enumerate(names)}
    limit = max(math.log2(_n_probe(run)) for run in runs)
    axes = container.subplots(len(runs), 2, sharex=True, sharey=True, squeeze=False)
    sides = (
        (0, encoder, "i_xt", lambda s: f"I(X;{s})", "encoder side"),
        (1, decoder, "i_t_out", lambda s: f"I({s};X')", "decoder side"),
    )
    for row, run in enumerate(runs):
        for column, side, key, label, heading in sides:
            ax = axes[row, column]
            handles = []
            for name in side:
                series = _time_series(run, name, key)
                if series is None:
                    continue
                (line,) = ax.plot(*series, color=palette[name], lw=1.0)
                line.set_label(f"${label(_math_name(name))}$")
                handles.append(line)
                _draw_references(ax, run, name, key, palette[name])
            chain = r" \geq ".join(label(_math_name(name)) for name in side)
            held = _chain_holds(run, side, key)
            check = "" if held is None else f"\nholds at {held:.1%} of points"
            ax.set_title(f"{heading}: ${chain}${check}", fontsize="medium")
            if row == len(runs) - 1:
                ax.set_xlabel("iteration")
            ax.set_ylim(0, limit + 0.04 * limit)
            ax.grid(True, alpha=0.25, lw=0.6)
            ax.xaxis.set_major_formatter(FuncFormatter(_format_iteration))
            if handles:
                ax.legend(handles=handles + _reference_handles(run), loc="best",
                          fontsize="small")  # fmt: skip
        what = "mutual information (bits)"
        axes[row, 0].set_ylabel(what if len(runs) == 1 else f"{run.label}\n{what}")
    return axes


def _draw_references(ax, run: Run, name: str, key: str, color) -> None:
    """A layer's estimator band (shaded) and fresh-initialisation level (dotted), if measured."""
    band = _band_series(run, name, key)
    if band is not None:
        ax.fill_between(*band, color=color, alpha=0.22, lw=0)
    level = _control_level(run, name, key)
    if level is not None:
        ax.axhline(level, color=color, ls=":", lw=1.1)


def _reference_handles(run: Run) -> list:
    """Legend entries that say what the shading and dotted lines are."""
    handles = []
    if run.band is not None:
        band = run.trajectory.settings.get("band", {})
        what = (
            f"range of {band['probes']} disjoint probes"
            if "probes" in band
            else f"95% of {band.get('bootstrap')} probe resamples"
        )
        handles.append(Patch(color="0.6", alpha=0.4, label=f"estimator band: {what}"))
    if "fresh-init" in (run.controls or {}):
        count = len(run.controls["fresh-init"]["seeds"])
        handles.append(Line2D([], [], color="0.3", ls=":", label=f"fresh init (median of {count})"))
    return handles


def _draw_losses(ax, runs):
    """log10 train/test loss curves into one axes."""
    single = len(runs) == 1
    for k, run in enumerate(runs):
        color = _RUN_COLORS[k % len(_RUN_COLORS)]
        suffix = "" if single else f" {run.label}"
        for which, style in (("train", "-"), ("test", "--")):
            series = _loss_series(run, which)
            if series is None:
                continue
            iterations, loss = series
            positive = np.isfinite(loss) & (loss > 0)
            if single:
                color = _RUN_COLORS[0 if which == "train" else 1]
            # Per-iteration train loss is noisy: draw it thin and under the test curve.
            train = which == "train"
            ax.plot(iterations[positive], np.log10(loss[positive]), color=color,
                    ls="-" if single else style, lw=0.7 if train else 1.3,
                    alpha=0.8 if train else 1.0, zorder=2 if train else 3,
                    label=which + suffix)  # fmt: skip
    ax.set_xlabel("iteration")
    ax.set_ylabel(r"$\log_{10}$ loss")
    ax.set_title("loss", fontsize="medium")
    ax.grid(True, alpha=0.25, lw=0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(_format_iteration))
    if ax.lines:
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no loss recorded", ha="center", va="center",
                transform=ax.transAxes, color="0.4")  # fmt: skip
    return ax


def _draw_reconstructions(container, runs, examples):
    """Rows of inputs over reconstructions (one pair per run) into a (sub)figure."""
    columns = max(len(inputs) for inputs, _, _ in examples)
    axes = container.subplots(2 * len(runs), columns, squeeze=False)
    for k, (run, (inputs, outputs, shape)) in enumerate(zip(runs, examples, strict=True)):
        for row, images, what in ((2 * k, inputs, "input"), (2 * k + 1, outputs, "output")):
            for c in range(columns):
                ax = axes[row, c]
                ax.set_xticks([])
                ax.set_yticks([])
                if c >= len(images):
                    ax.set_axis_off()
                    continue
                image = np.asarray(images[c], dtype=float).reshape(shape)
                ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            name = what if len(runs) == 1 else f"{run.label}\n{what}"
            axes[row, 0].set_ylabel(name, fontsize="small")
    container.suptitle("inputs (top) and reconstructions (bottom)", fontsize="medium")
    return axes


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


# --------------------------------------------------------------------------------------------
# Data selection
# --------------------------------------------------------------------------------------------


def _as_runs(runs) -> list[Run]:
    """A non-empty list of runs from a run or a sequence of runs."""
    runs = [runs] if isinstance(runs, Run) else list(runs)
    if not runs:
        raise ValueError("nothing to plot: no runs given")
    return runs


def _check_labels(runs: Sequence[Run]) -> None:
    """ValueError naming the runs recorded without labels (no I(T;Y) to plot)."""
    unlabelled = [str(run.path) for run in runs if run.trajectory.i_t_label is None]
    if unlabelled:
        raise ValueError(
            f"{', '.join(unlabelled)}: recorded without labels, so there is no I(T;Y) for the "
            "supervised plane (ip-label); record with InfoPlaneCallback(y_probe=...)"
        )


def _available_layers(runs: Sequence[Run]) -> list[str]:
    """The layers recorded by any run, in first-seen order."""
    names: list[str] = []
    for run in runs:
        names.extend(name for name in run.trajectory.layers if name not in names)
    return names


def _select_layers(runs: Sequence[Run], layers: Sequence[str] | None) -> list[str]:
    """The chosen layers (all by default); ValueError listing the layers for an unknown one."""
    available = _available_layers(runs)
    if layers is None:
        return available
    chosen = [layers] if isinstance(layers, str) else list(layers)
    unknown = [name for name in chosen if name not in available]
    if unknown or not chosen:
        what = f"unknown layer(s) {', '.join(map(repr, unknown))}" if unknown else "no layers"
        raise ValueError(f"{what}; available layers: {', '.join(available)}")
    return list(dict.fromkeys(chosen))


def _plane_grid(names: Sequence[str], default: bool) -> list[list[str]]:
    """Rows of panels: the paper's ``E.. Z`` over ``Z D..`` for deep models, else ≤ 3 columns."""
    if default and "Z" in names:
        z = names.index("Z")
        encoder, decoder = list(names[: z + 1]), list(names[z:])
        if len(encoder) > 1 and len(decoder) > 1 and max(len(encoder), len(decoder)) <= 3:
            return [encoder, decoder]
    ncols = min(3, len(names))
    return [list(names[i : i + ncols]) for i in range(0, len(names), ncols)]


def _dpi_sides(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Encoder layers up to Z (input side first) and decoder layers from the output side to Z,
    each in the order the data-processing inequality ranks them (largest MI first)."""
    names = list(names)
    if "Z" not in names:
        return names, names[::-1]
    z = names.index("Z")
    return names[: z + 1], names[z:][::-1]


def _n_probe(run: Run) -> int:
    """The probe size n of a run's estimator (``DEFAULT_N_PROBE`` when not recorded)."""
    estimator = run.trajectory.settings.get("estimator")
    n = estimator.get("n_probe") if isinstance(estimator, dict) else None
    return int(n) if n else DEFAULT_N_PROBE


def _layer_index(run: Run, name: str) -> int | None:
    layers = tuple(run.trajectory.layers)
    return layers.index(name) if name in layers else None


def _plane_series(run: Run, name: str, key: str = "i_t_out"):
    """(x, y, iterations) of a layer's valid points, subsampled; None if the run lacks it.

    x is I(X;T); y the trajectory's ``key`` (``i_t_out`` or ``i_t_label``).
    """
    j = _layer_index(run, name)
    if j is None:
        return None
    trajectory = run.trajectory
    x, y = trajectory.i_xt[:, j], getattr(trajectory, key)[:, j]
    keep = np.isfinite(x) & np.isfinite(y)
    if trajectory.valid is not None:
        keep &= np.asarray(trajectory.valid, bool)
    index = np.flatnonzero(keep)[_subsample(int(keep.sum()), MAX_POINTS)]
    return x[index], y[index], np.asarray(trajectory.iterations, float)[index]


def _time_series(run: Run, name: str, key: str):
    """(iterations, values) of one layer's ``key`` (valid points, subsampled) or None."""
    j = _layer_index(run, name)
    if j is None:
        return None
    values = getattr(run.trajectory, key)[:, j]
    keep = np.flatnonzero(np.isfinite(values))
    keep = keep[_subsample(len(keep), MAX_POINTS)]
    return np.asarray(run.trajectory.iterations, float)[keep], values[keep]


def _chain_holds(run: Run, names: Sequence[str], key: str) -> float | None:
    """The fraction of points at which ``key`` falls (or stays) along ``names``, as the
    data-processing inequality says it must; None with fewer than two layers or no point."""
    columns = [_layer_index(run, name) for name in names]
    if len(columns) < 2 or None in columns:
        return None
    values = getattr(run.trajectory, key)[:, columns]
    valid = np.isfinite(values).all(axis=1)
    if not valid.any():
        return None
    return float(np.mean(np.all(np.diff(values[valid], axis=1) <= 0, axis=1)))


def _band_series(run: Run, name: str, key: str):
    """(iterations, lower, upper) of a layer's estimator band at valid points, or None."""
    j = _layer_index(run, name)
    if run.band is None or j is None:
        return None
    low, high = (getattr(edge, key)[:, j] for edge in run.band)
    keep = np.flatnonzero(np.isfinite(low) & np.isfinite(high))
    return np.asarray(run.band[0].iterations, float)[keep], low[keep], high[keep]


def _control_level(run: Run, name: str, key: str) -> float | None:
    """The median over fresh initialisations of a layer's ``key``, or None."""
    values = (run.controls or {}).get("fresh-init", {}).get(key, {}).get(name)
    return float(np.median(values)) if values else None


def _loss_series(run: Run, which: str):
    """(iterations, loss) for ``which`` in {train, test}: per iteration, per epoch, or the
    trajectory's training loss; None when nothing finite was recorded."""
    history = run.history
    candidates = [
        (history.iteration_iterations, getattr(history, f"iteration_{which}_loss")),
        (history.iterations, getattr(history, f"{which}_loss")),
    ]
    if which == "train":
        candidates.append((run.trajectory.iterations, run.trajectory.loss))
    for iterations, loss in candidates:
        loss = np.asarray(loss, float)
        if len(loss) and np.isfinite(loss).any():
            keep = _subsample(len(loss), 4 * MAX_POINTS)
            return np.asarray(iterations, float)[keep], loss[keep]
    return None


def _examples(run: Run, count: int):
    """(inputs, reconstructions, image shape) of the first ``count`` examples of a run."""
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    examples = run.examples
    if not examples or "inputs" not in examples or "reconstructions" not in examples:
        raise ValueError(f"{run.path}: the run has no example reconstructions (examples.npz)")
    inputs = np.asarray(examples["inputs"])
    outputs = np.asarray(examples["reconstructions"])
    k = min(count, len(inputs), len(outputs))
    if k == 0:
        raise ValueError(f"{run.path}: the run's examples are empty")
    inputs = inputs[:k].reshape(k, -1)
    outputs = outputs[:k].reshape(k, -1)
    return inputs, outputs, _image_shape(run, inputs.shape[1])


def _image_shape(run: Run, width: int) -> tuple[int, int]:
    """The image shape for ``width`` pixels: the config's ``image_shape`` or a square."""
    shape = run.config.get("image_shape")
    if shape is not None and int(np.prod(shape)) == width:
        return tuple(int(s) for s in shape)
    side = math.isqrt(width)
    if side * side == width:
        return side, side
    raise ValueError(
        f"{run.path}: examples of width {width} are not square images; set image_shape in "
        "config.json"
    )


def _subsample(n: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` of n points, evenly spaced, first and last included."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def _time_norm(runs: Sequence[Run]) -> Normalize:
    """The colour scale of training time: first to last recorded iteration."""
    iterations = np.concatenate([np.asarray(run.trajectory.iterations, float) for run in runs])
    low, high = (float(iterations.min()), float(iterations.max())) if len(iterations) else (0, 1)
    return Normalize(vmin=low, vmax=high if high > low else low + 1)


# --------------------------------------------------------------------------------------------
# Text and figures
# --------------------------------------------------------------------------------------------


def _math_name(name: str) -> str:
    """A layer name usable inside mathtext (``Z``, ``E1``; others set upright, escaped)."""
    if re.fullmatch(r"[A-Za-z0-9]+", name):
        return name
    return r"\mathrm{" + re.sub(r"([_^$%&#{}\\])", r"\\\1", name) + "}"


def _format_iteration(value: float, _position=None) -> str:
    """Iteration tick labels: ``0``, ``500``, ``5k``, ``12.5k``, ``1.2M``."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def _runs_title(runs: Sequence[Run]) -> str:
    """A figure title: a single run's label and settings, or the labels of several."""
    if len(runs) > 1:
        return ", ".join(run.label for run in runs)
    run = runs[0]
    config = run.config
    details = [str(config[key]) for key in ("model", "dataset") if config.get(key)]
    if config.get("seed") is not None:
        details.append(f"seed {config['seed']}")
    details.append(f"n = {_n_probe(run)}")
    estimator = run.trajectory.settings.get("estimator")
    if isinstance(estimator, dict) and "sigma_rule" in estimator:
        offset = run.trajectory.settings.get("probe_offset")
        gamma, alpha = estimator.get("gamma"), estimator.get("alpha")
        details.append(f"σ {estimator['sigma_rule']}, γ = {gamma}, α = {alpha}")
        if offset:
            details.append(f"probe from test image {offset}")
    return f"{run.label}  ({', '.join(details)})"


def _figure_format(path: Path) -> str:
    """The matplotlib format for a figure path; ValueError listing the valid extensions."""
    suffix = path.suffix.lower()
    if suffix not in FIGURE_FORMATS:
        valid = ", ".join(FIGURE_FORMATS)
        raise ValueError(
            f"unsupported figure format {suffix or '(no extension)'!r} for {path}; "
            f"use one of {valid}"
        )
    return FIGURE_FORMATS[suffix]


def _new_figure(size: tuple[float, float]) -> Figure:
    """A constrained-layout figure with an Agg canvas, independent of pyplot."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig
