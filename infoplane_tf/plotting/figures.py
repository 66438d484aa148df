"""The paper's figures from loaded runs: information planes, DPI strips, losses, reconstructions.

Every public function takes one ``Run`` or a list of runs (overlaid) and returns a matplotlib
``Figure`` built without pyplot (an Agg canvas is attached), so nothing here needs a display or
changes the global backend.

Figures (Lee & Jo 2021, Figs. 2-8):

- ``plot_information_plane``, ``plot_label_plane``, ``animate_information_plane``: the planes
  (in ``infoplane_tf.plotting.planes``).
- ``plot_dpi``: the data-processing-inequality strip, I(X;E1) ≥ I(X;E2) ≥ I(X;Z) and
  I(D2;X') ≥ I(D1;X') ≥ I(Z;X') against iteration.
- ``plot_losses``: log10 of the train and test loss against iteration.
- ``plot_reconstructions``: example inputs over their reconstructions.
- ``plot_all``: all of the above in one figure; ``plot_seed_bands``: one layer's median and
  range over seeds.

What a run's series are comes from ``plotting.series``; sizes, colours and saving from
``plotting.canvas``.

Example:
    >>> from infoplane_tf.io.runs import load_run
    >>> run = load_run("saved_results/mnist-deep")  # doctest: +SKIP
    >>> save_figure(plot_information_plane([run]), "deep-ip.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from infoplane_tf.io.runs import Run
from infoplane_tf.plotting.canvas import (
    _RUN_COLORS,
    PANEL_INCHES,
    TIME_CMAP,
    _format_iteration,
    _math_name,
    _new_figure,
)
from infoplane_tf.plotting.planes import (
    _OUTPUT_PLANE,
    _draw_plane,
)
from infoplane_tf.plotting.series import (
    _as_runs,
    _band_series,
    _chain_holds,
    _control_level,
    _dpi_sides,
    _examples,
    _loss_series,
    _n_probe,
    _plane_grid,
    _runs_title,
    _select_layers,
    _time_series,
)

# --------------------------------------------------------------------------------------------
# Public figures
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Data selection
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Text and figures
# --------------------------------------------------------------------------------------------
