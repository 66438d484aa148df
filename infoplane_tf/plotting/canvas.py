"""What every figure shares: sizes, colours, names in math text, titles, saving."""

from __future__ import annotations

import os
import re
from pathlib import Path

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

#: File extension → matplotlib format accepted by ``save_figure``.
FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


#: Side of one information-plane panel, inches.
PANEL_INCHES = 3.4

#: Colour map for training time (single runs).
TIME_CMAP = "viridis"

_RUN_COLORS = colormaps["tab10"].colors


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
