"""Scale and saturation beside I(X;T): is a phase the structure or the scale moving?

``plot_diagnostics`` draws, for each run re-measured with diagnostics (``measure`` records them),
three panels over iteration (symlog): I(X;T) per layer, each layer's median pairwise distance
(the scale a fixed kernel width is compared against) and the fraction of saturated units of
each bounded layer (see ``infoplane_tf.estimator.diagnostics``). When I(X;T) falls while the
distances grow and the units saturate, the "compression" is the code becoming near-binary;
when the distances shrink with it, the scale alone may be what moved.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from infoplane_tf.catalog import SATURATION_MARGIN
from infoplane_tf.io.runs import Run
from infoplane_tf.plotting.canvas import _RUN_COLORS, _format_iteration, _math_name, _new_figure
from infoplane_tf.plotting.figures import _draw_references, _reference_handles
from infoplane_tf.plotting.series import _as_runs, _runs_title, _time_series


def plot_diagnostics(runs: Run | Sequence[Run], layers: Sequence[str] | None = None) -> Figure:
    """Per run, I(X;T), the median pairwise distance and the saturated fraction per layer.

    Args:
        runs: runs loaded from a measurement with diagnostics (``load_run(path, LABEL)``).
        layers: the layers to draw; None means every layer of the first run.

    Returns:
        The figure: one row per run, three panels sharing the iteration axis.

    Raises:
        ValueError: a run without diagnostics (measured before 0.4.1, or the recorded
            trajectory), or an unknown layer.
    """
    runs = _as_runs(runs)
    missing = [run.label for run in runs if run.diagnostics is None]
    if missing:
        raise ValueError(
            f"no diagnostics in {', '.join(missing)}: they come with a re-measurement "
            "(infoplane_tf.measure, then load_run(path, label))"
        )
    names = list(layers or runs[0].trajectory.layers)
    palette = {name: _RUN_COLORS[i % len(_RUN_COLORS)] for i, name in enumerate(names)}
    fig = _new_figure((12.0, 0.9 + 3.0 * len(runs)))
    axes = fig.subplots(len(runs), 3, sharex=True, squeeze=False)
    for run, row in zip(runs, axes, strict=True):
        diagnostics = run.diagnostics
        iterations = np.asarray(diagnostics.iterations, float)
        for name in names:
            color = palette[name]
            series = _time_series(run, name, "i_xt")
            if series is not None:
                row[0].plot(*series, color=color, lw=1.1, label=f"${_math_name(name)}$")
                _draw_references(row[0], run, name, "i_xt", color)
            if name in diagnostics.layers:
                j = diagnostics.layers.index(name)
                row[1].plot(iterations, diagnostics.median_distance[:, j], color=color, lw=1.1)
                row[2].plot(iterations, diagnostics.saturated_fraction[:, j], color=color, lw=1.1)
        row[0].set_ylabel(f"{run.label}\n$I(X;T)$ (bits)" if len(runs) > 1 else "$I(X;T)$ (bits)")
        row[1].set_ylabel("median pairwise distance")
        row[1].set_yscale("log")
        row[2].set_ylabel("saturated fraction")
        row[2].set_ylim(-0.02, 1.02)
        for ax in row:
            ax.set_xscale("symlog", linthresh=1.0)
            ax.xaxis.set_major_formatter(FuncFormatter(_format_iteration))
            ax.grid(True, alpha=0.25, lw=0.6)
            ax.set_xlim(0, max(1.0, iterations.max()))
    axes[0, 0].set_title("information")
    axes[0, 1].set_title("scale")
    margin = f"{SATURATION_MARGIN:g}"
    axes[0, 2].set_title(f"saturation (within {margin} of a bound)")
    for ax in axes[-1]:
        ax.set_xlabel("iteration")
    handles, _ = axes[0, 0].get_legend_handles_labels()
    handles += _reference_handles(runs[0])
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="small")
    fig.suptitle(_runs_title(runs), wrap=True)
    return fig
