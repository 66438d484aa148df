"""How much of a figure is the kernel width: heat maps of I(X;T) over (iteration × γ).

``plot_sensitivity`` draws, for each run measured as a width map (``measure --gamma G1,G2,…``),
one row per layer: a heat map of I(X;T) over iteration (x, symlog) and γ (y, log2), and beside
it the phase verdict per γ: peak and final I(X;T), the untrained levels (iteration 0 and fresh
initialisations) and the drop in bits, with the γ rows whose drop passes the simplifying test
marked. A reader sees at a glance at which widths a compression phase appears or disappears.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from infoplane_tf.analysis.summary import width_verdicts
from infoplane_tf.io.runs import Run
from infoplane_tf.plotting.canvas import _format_iteration, _math_name, _new_figure
from infoplane_tf.plotting.series import _as_runs, _n_probe

#: Colour map of the heat maps (bits).
BITS_CMAP = "magma"


def plot_sensitivity(runs: Run | Sequence[Run], layers: Sequence[str] | None = None) -> Figure:
    """Per run and layer, I(X;T) over (iteration × γ) and the phase verdict per γ.

    Args:
        runs: runs loaded from a width map (``load_run(path, LABEL)``).
        layers: the layers (rows); None means every layer of the first run.

    Returns:
        The figure: one row per (run, layer), a heat map and a verdict panel in each.

    Raises:
        ValueError: a run that is not a width map, or an unknown layer.
    """
    runs = _as_runs(runs)
    names = list(layers or runs[0].trajectory.layers)
    # Analysed before drawing: this also checks every run and layer.
    rows = [(run, name, width_verdicts(run, name)) for run in runs for name in names]
    fig = _new_figure((10.5, 0.6 + 2.3 * len(rows)))
    axes = fig.subplots(len(rows), 2, squeeze=False, width_ratios=[2.2, 1.0])
    limit = max(math.log2(_n_probe(run)) for run in runs)
    norm = Normalize(0.0, limit)
    for (run, name, verdicts), (heat, verdict) in zip(rows, axes, strict=True):
        _draw_heat_map(heat, run, name, norm)
        _draw_verdicts(verdict, verdicts, limit)
        rule = run.trajectory.settings.get("estimator", {}).get("sigma")
        heat.set_ylabel(f"{run.label}\n$\\gamma$ (rule {rule})")
    axes[-1, 0].set_xlabel("iteration")
    axes[-1, 1].set_xlabel("bits")
    colorbar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=BITS_CMAP), ax=axes[:, 0], shrink=0.8, pad=0.01
    )
    colorbar.set_label("$I(X;T)$ (bits)")
    fig.legend(handles=_legend_handles(), loc="outside lower center", ncols=4, fontsize="small")
    fig.suptitle(_title(runs), wrap=True)
    return fig


def _draw_heat_map(ax, run: Run, name: str, norm: Normalize) -> None:
    gammas = np.array(sorted(run.width_map))
    first = run.width_map[gammas[0]].trajectory
    iterations = np.asarray(first.iterations, float)
    values = np.stack([run.width_map[g].trajectory.layer(name)["i_xt"] for g in gammas])
    ax.pcolormesh(
        _edges(iterations), _edges(np.log2(gammas)), values,
        cmap=BITS_CMAP, norm=norm, shading="flat", rasterized=True,
    )  # fmt: skip
    ax.set_xscale("symlog", linthresh=max(1.0, iterations[iterations > 0].min(initial=1.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(_format_iteration))
    ax.set_yticks(np.log2(gammas), [f"{g:g}" for g in gammas])
    ax.set_title(f"$I(X;{_math_name(name)})$ over training and kernel width", fontsize="medium")


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres: midpoints inside, half a step beyond the ends."""
    centres = np.asarray(centres, float)
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - middle[0]], middle, [2 * centres[-1] - middle[-1]]])


def _draw_verdicts(ax, verdicts: dict[float, dict], limit: float) -> None:
    """The verdict panel of one layer from its ``width_verdicts``."""
    gammas = np.array(sorted(verdicts))
    y = np.log2(gammas)

    def column(key):
        return np.array([np.nan if verdicts[g][key] is None else verdicts[g][key] for g in gammas])

    peak, final = column("peak_bits"), column("final_bits")
    ax.hlines(y, final, peak, color="0.6", lw=3, zorder=1)
    ax.plot(column("start_bits"), y, "o", mfc="none", mec="tab:blue", ms=6, label="iteration 0")
    ax.plot(column("fresh_init_bits"), y, "x", color="tab:green", ms=6, label="fresh init")
    ax.plot(peak, y, "^", color="black", ms=5, label="peak")
    ax.plot(final, y, "s", color="tab:red", ms=4, label="final")
    for g, row in zip(gammas, y, strict=True):
        verdict = verdicts[g]
        simplifying = verdict["has_simplifying_phase"]
        text = f"−{verdict['drop_bits']:.2f}" + (" ✓" if simplifying else "")
        ax.text(limit * 1.02, row, text, va="center", fontsize="small",
                color="black" if simplifying else "0.5")  # fmt: skip
    ax.set_xlim(0, limit * 1.35)
    ax.set_ylim(y[0] - 0.5, y[-1] + 0.5)
    ax.set_yticks(y, [f"{g:g}" for g in gammas])
    ax.grid(True, axis="x", alpha=0.25, lw=0.6)
    ax.set_title("peak → final, drop (✓ simplifying)", fontsize="medium")


def _legend_handles() -> list[Line2D]:
    return [
        Line2D([], [], marker=m, ls="none", color=c, mfc=f, label=label)
        for m, c, f, label in (
            ("o", "tab:blue", "none", "iteration 0"),
            ("x", "tab:green", "tab:green", "fresh init (median of the controls)"),
            ("^", "black", "black", "peak"),
            ("s", "tab:red", "tab:red", "final"),
        )
    ]


def _title(runs: Sequence[Run]) -> str:
    """Which runs, and the estimator settings every γ shares."""
    run = runs[0]
    estimator = run.trajectory.settings.get("estimator", {})
    offset = run.trajectory.settings.get("probe_offset", 0)
    details = (
        f"σ = γ·σ₁ of each row's rule, α = {estimator.get('alpha')}, n = {_n_probe(run)}, "
        f"probe from test image {offset}"
    )
    labels = ", ".join(r.label for r in runs)
    return f"{labels}: kernel-width sensitivity ({details})"
