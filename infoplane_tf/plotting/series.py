"""From loaded runs to what figures draw: layers, series, bands, control levels, examples."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.colors import Normalize

from infoplane_tf.catalog import PAPER
from infoplane_tf.io.runs import Run

#: The scatter of one layer shows at most this many points (first and last always kept).
MAX_POINTS = 5000


#: Probe size assumed when a trajectory's settings do not record one (the paper's n).
DEFAULT_N_PROBE = PAPER.probe_size


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
    if isinstance(estimator, dict) and "sigma" in estimator:
        offset = run.trajectory.settings.get("probe_offset")
        gamma, alpha = estimator.get("gamma"), estimator.get("alpha")
        details.append(f"σ {estimator['sigma']}, γ = {gamma}, α = {alpha}")
        if offset:
            details.append(f"probe from test image {offset}")
    return f"{run.label}  ({', '.join(details)})"


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
        raise ValueError(f"{run.directory.examples}: the run has no example reconstructions")
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
        f"{run.directory.config}"
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
