"""Figures from loaded runs; the only part of the package that imports matplotlib.

- ``figures``: the paper's figures (information planes, DPI strips, losses, reconstructions,
  seed bands, the animated plane), with estimator bands and control levels where a
  measurement has them;
- ``diagnostics``: I(X;T) beside each layer's scale (median distance) and saturation;
- ``sensitivity``: kernel-width maps, I(X;T) over (iteration × γ) with the verdict per γ;
- ``families``: one run under several estimator families, side by side;
- ``plot_runs`` (here): what ``infoplane-tf plot`` calls, one ``catalog.PLOT_KINDS`` name each.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from infoplane_tf.catalog import PLOT_KINDS
from infoplane_tf.io.runs import Run
from infoplane_tf.plotting.canvas import FIGURE_FORMATS, _figure_format, save_figure
from infoplane_tf.plotting.diagnostics import plot_diagnostics
from infoplane_tf.plotting.families import (
    describe_estimator,
    family_members,
    plot_families,
    plot_seed_curves,
)
from infoplane_tf.plotting.figures import (
    plot_all,
    plot_dpi,
    plot_losses,
    plot_reconstructions,
    plot_seed_bands,
)
from infoplane_tf.plotting.planes import (
    animate_information_plane,
    plot_information_plane,
    plot_label_plane,
)
from infoplane_tf.plotting.sensitivity import plot_sensitivity, width_verdicts
from infoplane_tf.plotting.series import MAX_POINTS, _as_runs, _select_layers

__all__ = [
    "FIGURE_FORMATS",
    "MAX_POINTS",
    "PLOT_KINDS",
    "animate_information_plane",
    "describe_estimator",
    "family_members",
    "plot_all",
    "plot_diagnostics",
    "plot_dpi",
    "plot_families",
    "plot_information_plane",
    "plot_label_plane",
    "plot_losses",
    "plot_reconstructions",
    "plot_runs",
    "plot_seed_bands",
    "plot_seed_curves",
    "plot_sensitivity",
    "save_figure",
    "width_verdicts",
]


def plot_runs(
    runs: Run | Sequence[Run],
    path: str | os.PathLike,
    kind: str = "all",
    layers: Sequence[str] | None = None,
    animate: str | os.PathLike | bool | None = None,
    *,
    frames: int = 60,
    fps: int = 10,
    dpi: int = 150,
) -> list[Path]:
    """Draws ``kind`` for the runs into ``path``, and optionally a GIF (``infoplane-tf plot``).

    Args:
        runs: a ``Run`` or a list of runs to overlay.
        path: the figure file (.png, .svg or .pdf).
        kind: one of ``PLOT_KINDS``: ``all`` (one figure with everything), ``ip``,
            ``ip-label`` (the supervised plane), ``dpi``, ``loss`` or ``recon``.
        layers: the layers to draw; None means all.
        animate: a ``.gif`` path for an animated information plane, True for ``path`` with the
            suffix ``.gif``, or None/False for none.
        frames, fps: the animation's frame count and speed (see
            ``animate_information_plane``).
        dpi: pixels per inch of the figure file.

    Returns:
        The files written: the figure, then the GIF if any.

    Raises:
        ValueError: an unknown ``kind`` or extension, an unknown layer, (``ip-label``) a run
            recorded without labels, or (``recon``) a run without examples. Arguments are
            checked before any drawing.
    """
    path = Path(path)
    if kind not in PLOT_KINDS:
        raise ValueError(f"unknown plot kind {kind!r}; choose one of: {', '.join(PLOT_KINDS)}")
    _figure_format(path)
    gif = _animation_path(path, animate, frames, fps)
    runs = _as_runs(runs)
    _select_layers(runs, layers)
    fig = _KIND_FIGURES[kind](runs, layers)  # each checks its own needs before drawing
    written = [save_figure(fig, path, dpi=dpi)]
    if gif is not None:
        written.append(animate_information_plane(runs, gif, layers, frames=frames, fps=fps))
    return written


#: ``plot_runs`` kind → figure of (runs, layers); one entry per ``catalog.PLOT_KINDS`` name.
_KIND_FIGURES = {
    "all": plot_all,
    "ip": plot_information_plane,
    "ip-label": plot_label_plane,
    "dpi": plot_dpi,
    "loss": lambda runs, layers: plot_losses(runs),
    "recon": lambda runs, layers: plot_reconstructions(runs),
    "sensitivity": plot_sensitivity,
    "diagnostics": plot_diagnostics,
    "families": plot_families,
}


def _animation_path(path: Path, animate, frames: int, fps: int) -> Path | None:
    """The GIF that ``plot_runs`` writes besides ``path`` (None for none), checked."""
    if not animate:
        return None
    gif = path.with_suffix(".gif") if animate is True else Path(animate)
    if gif.suffix.lower() != ".gif":
        raise ValueError(f"an animation is written as .gif, got {gif.suffix or gif.name!r}")
    if frames < 1 or fps < 1:
        raise ValueError(f"frames and fps must be >= 1, got frames={frames}, fps={fps}")
    return gif


# --------------------------------------------------------------------------------------------
# Drawing into a figure or subfigure
# --------------------------------------------------------------------------------------------
