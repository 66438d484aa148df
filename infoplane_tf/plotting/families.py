"""One run under several estimator families, side by side: is a phase the network's or the
estimator's?

``plot_families`` draws, for each member of a family set (``measure --family ...``), a column
of two panels: the information plane I(X;T) against I(T;X') of every layer (a classifier's:
the supervised plane, against I(T;Y)), and the bottleneck curve I(X;Z) (a classifier's: its
last hidden layer) over iteration (symlog) with its untrained level (fresh initialisations, dotted),
the estimator band (shaded) and, for ``kde``, the lower bound (dashed). Each column's title
says the family and its parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from infoplane_tf.analysis.claims import hidden_layers
from infoplane_tf.catalog import MODELS
from infoplane_tf.families import describe
from infoplane_tf.io.runs import Run
from infoplane_tf.plotting.canvas import _RUN_COLORS, _format_iteration, _math_name, _new_figure
from infoplane_tf.plotting.figures import _draw_references
from infoplane_tf.plotting.series import _as_runs, _layer_index, _plane_series, _time_series


def family_members(runs: Run | Sequence[Run]) -> list[Run]:
    """Each member of each run's family set as a run of its own (a run without a family set is
    one member: its measurement)."""
    members = []
    for run in _as_runs(runs):
        if run.families is None:
            members.append(run)
            continue
        for name, measured in run.families.items():
            label = f"{run.measurement_label}/{name}"
            members.append(dataclasses.replace(run, measurement=measured, measurement_label=label,
                                               families=None))  # fmt: skip
    return members


def describe_estimator(run: Run) -> str:
    """The estimator of a run's measurement in a few words (``families.describe``)."""
    return describe(run.trajectory.settings.get("estimator") or {})


def plot_families(runs: Run | Sequence[Run], layers: Sequence[str] | None = None) -> Figure:
    """Per family member, the information plane and the bottleneck curve.

    Args:
        runs: runs loaded from a family set (``load_run(path, LABEL)``), or several runs each
            loaded from one family's measurement.
        layers: the layers of the planes; None means every layer. The bottleneck curve is Z's
            (or the last of ``layers`` but the softmax when there is no Z).

    Returns:
        The figure: one column per member, the plane above the bottleneck curve; the members
        of each measurement (family set) in a row pair of their own.

    Raises:
        ValueError: an unknown layer.
    """
    members = family_members(runs)
    names = list(layers or members[0].trajectory.layers)
    for member in members:
        unknown = [name for name in names if _layer_index(member, name) is None]
        if unknown:
            listed = ", ".join(member.trajectory.layers)
            raise ValueError(f"no layer {unknown[0]!r} in {member.label}; layers: {listed}")
    hidden = hidden_layers(names) or names
    bottleneck = "Z" if "Z" in names else hidden[-1]
    key = "i_t_label" if _is_classifier(members[0]) else "i_t_out"
    palette = {name: _RUN_COLORS[i % len(_RUN_COLORS)] for i, name in enumerate(names)}
    sets = _by_set(members)
    columns = max(len(group) for group in sets.values())
    fig = _new_figure((0.4 + 2.5 * columns, 0.6 + 5.0 * len(sets)))
    axes = fig.subplots(2 * len(sets), columns, squeeze=False)
    for row, (label, group) in enumerate(sets.items()):
        for column in range(columns):
            plane, curve = axes[2 * row : 2 * row + 2, column]
            if column >= len(group):
                plane.set_axis_off()
                curve.set_axis_off()
                continue
            _draw_member_plane(plane, group[column], names, palette, key)
            _draw_bottleneck(curve, group[column], bottleneck, palette[bottleneck])
            title = describe_estimator(group[column])
            plane.set_title(f"{label}\n{title}" if len(sets) > 1 else title, fontsize="small")
    handles = [Line2D([], [], color=palette[name], label=name) for name in names]
    if any(member.controls for member in members):
        handles.append(Line2D([], [], color="0.3", ls=":", label="fresh init"))
    if any(member.measurement.lower is not None for member in members):
        handles.append(Line2D([], [], color="0.3", ls="--", label="lower bound (kde)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize="small")
    fig.suptitle(f"{members[0].config.get('name') or members[0].path.name}: estimator families",
                 wrap=True)  # fmt: skip
    return fig


def _by_set(members: list[Run]) -> dict[str, list[Run]]:
    """Members grouped by the measurement they come from, in order (one row pair each)."""
    sets: dict[str, list[Run]] = {}
    for member in members:
        sets.setdefault(member.measurement_label.split("/")[0], []).append(member)
    return sets


def _is_classifier(run: Run) -> bool:
    spec = MODELS.get(run.config.get("model"))
    return bool(spec and spec.classifier)


def _draw_member_plane(ax, member: Run, names, palette, key: str) -> None:
    """Every layer's I(X;T) against I(T;X') (or, ``key="i_t_label"``, I(T;Y)): a line from
    start (hollow) to end (filled)."""
    high = 0.0
    for name in names:
        series = _plane_series(member, name, key)
        if series is None or not len(series[0]):
            continue
        x, y, _ = series
        color = palette[name]
        ax.plot(x, y, color=color, lw=0.9, alpha=0.85)
        ax.plot(x[:1], y[:1], "o", mfc="none", mec=color, ms=5)
        ax.plot(x[-1:], y[-1:], "o", color=color, mec="black", mew=0.5, ms=5)
        high = max(high, float(np.nanmax(x)), float(np.nanmax(y)))
    if key == "i_t_out":
        ax.plot([0, high], [0, high], ls="--", color="0.6", lw=0.8, zorder=0)
    ax.set_xlabel("$I(X;T)$ (bits)")
    ax.set_ylabel("$I(T;Y)$ (bits)" if key == "i_t_label" else "$I(T;X')$ (bits)")
    ax.grid(True, alpha=0.25, lw=0.6)


def _draw_bottleneck(ax, member: Run, name: str, color) -> None:
    """I(X;Z) over iteration with the untrained level, the band and a kde lower bound."""
    series = _time_series(member, name, "i_xt")
    if series is not None:
        ax.plot(*series, color=color, lw=1.1)
    _draw_references(ax, member, name, "i_xt", color)
    lower = member.measurement.lower
    j = _layer_index(member, name)
    if lower is not None and j is not None:
        ax.plot(np.asarray(lower.iterations, float), lower.i_xt[:, j], color=color, ls="--",
                lw=0.9)  # fmt: skip
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, max(1.0, float(np.max(member.trajectory.iterations, initial=1))))
    ax.xaxis.set_major_formatter(FuncFormatter(_format_iteration))
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"$I(X;{_math_name(name)})$ (bits)")
    ax.grid(True, alpha=0.25, lw=0.6)


def plot_seed_curves(experiments: dict[str, Sequence[Run]], layer: str) -> Figure:
    """Per family member (rows) and experiment (columns), one layer's I(X;T) over iteration,
    one line per seed, with the untrained level (fresh initialisations, dotted): where the
    claims of the classic experiments are decided.

    Args:
        experiments: experiment name → its runs (seeds), each loaded from a family set with
            the same members (``load_run(path, LABEL)``).
        layer: the layer to draw (e.g. the last hidden layer, ``"H5"``).

    Returns:
        The figure.

    Raises:
        ValueError: no runs, or a run without the layer (named).
    """
    columns = {name: [family_members(run) for run in runs] for name, runs in experiments.items()}
    if not columns or not all(columns.values()):
        raise ValueError("plot_seed_curves needs at least one run per experiment")
    first = next(iter(columns.values()))[0]
    fig = _new_figure((0.6 + 3.2 * len(columns), 0.6 + 2.3 * len(first)))
    axes = fig.subplots(len(first), len(columns), squeeze=False, sharex=True)
    for column, (name, seeds) in enumerate(columns.items()):
        for row in range(len(first)):
            ax = axes[row, column]
            for k, members in enumerate(seeds):
                member = members[row]
                if _layer_index(member, layer) is None:
                    raise ValueError(f"no layer {layer!r} in {member.label}")
                color = _RUN_COLORS[k % len(_RUN_COLORS)]
                ax.plot(*_time_series(member, layer, "i_xt"), color=color, lw=0.9)
                _draw_references(ax, member, layer, "i_xt", color)
            ax.set_xscale("symlog", linthresh=1.0)
            ax.xaxis.set_major_formatter(FuncFormatter(_format_iteration))
            ax.grid(True, alpha=0.25, lw=0.6)
            ax.set_title(f"{name}: {describe_estimator(seeds[0][row])}", fontsize="small")
            if column == 0:
                ax.set_ylabel(f"$I(X;{_math_name(layer)})$ (bits)")
        axes[-1, column].set_xlabel("iteration")
    handles = [Line2D([], [], color=_RUN_COLORS[k], label=f"seed {k}")
               for k in range(max(len(seeds) for seeds in columns.values()))]  # fmt: skip
    handles.append(Line2D([], [], color="0.3", ls=":", label="fresh init"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize="small")
    fig.suptitle(f"I(X;{layer}) over training, every seed, under each estimator", wrap=True)
    return fig
