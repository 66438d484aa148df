"""The pass over a run's checkpoints that every re-measurement makes: which checkpoints, which
probe sets (K disjoint windows or B resamples), fresh initialisations for the controls, each
checkpoint's weights as a snapshot, progress, and the per-probe values combined into one
``Measurement`` (median, band, controls). ``workflows.measure`` (the Rényi estimator) and
``workflows.families`` (the other estimator families) share it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.data.datasets import load_dataset
from infoplane_tf.estimator.diagnostics import DIAGNOSTICS
from infoplane_tf.io.checkpoints import CheckpointFormatError, read_checkpoint
from infoplane_tf.io.measurements import Diagnostics, Measurement
from infoplane_tf.io.runs import RunFiles
from infoplane_tf.io.trajectory import Trajectory, recorded_keys
from infoplane_tf.models import restore
from infoplane_tf.readout import Readout
from infoplane_tf.validation import ParameterError, positive_int


def measurement_metadata(
    run: RunFiles, probe_offset: int, seeds, sets: int, probes: int, bootstrap: int
):
    """What a measurement records besides the estimator: probe, run, controls and band."""
    metadata = {"probe_offset": probe_offset, "run": str(run.path)}
    metadata |= {"controls": {"fresh-init seeds": seeds}} if seeds else {}
    if sets > 1:
        metadata["band"] = {"probes": probes} if bootstrap == 0 else {"bootstrap": bootstrap}
    return metadata


def checkpointed(run: RunFiles) -> list[int]:
    """The run's checkpoint iterations; ParameterError if it has none."""
    if not run.checkpoints:
        raise ParameterError(
            "run", f"{run.path} has no checkpoints; train with checkpoints (e.g. 'log:64')"
        )
    return run.checkpoints


class PointTicker:
    """Counts measured points and reports them to a ``progress(done, total)`` callable."""

    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


def probe_sets(run: RunFiles, probe_size, probe_offset: int, probes, bootstrap):
    """The (x, y) probe sets: K disjoint windows of the test set, or B resamples of one."""
    probes = positive_int("probes", probes)
    bootstrap = positive_int("bootstrap", bootstrap, minimum=0)
    if probes > 1 and bootstrap:
        raise ParameterError("bootstrap", f"cannot be combined with probes={probes}; choose one")
    probe_size = positive_int("probe_size", probe_size, minimum=2)
    x, y = _probe(run, probe_size * probes, probe_offset)
    if not bootstrap:
        windows = [slice(k * probe_size, (k + 1) * probe_size) for k in range(probes)]
        return [(x[window], y[window]) for window in windows]
    rng = np.random.default_rng(int(run.config.get("seed", 0)))
    draws = [rng.integers(0, probe_size, probe_size) for _ in range(bootstrap)]
    return [(x[rows], y[rows]) for rows in draws]


def fresh_weights(run: RunFiles, count: int) -> tuple[list[int], list[dict[str, np.ndarray]]]:
    """The seeds (after the run's) and variable values (path → array) of ``count`` fresh
    initialisations; it sets Keras's global seed (``keras.utils.set_random_seed``)."""
    first = int(run.config.get("seed", 0)) + 1
    seeds, weights = list(range(first, first + count)), []
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        weights.append(
            {v.path: v.numpy() for v in restore.build_recorded_model(run.config).variables}
        )
    return seeds, weights


def checkpoint_loaders(run: RunFiles, iterations: Sequence[int]) -> list:
    """(index, load) per checkpoint: ``load()`` returns its variable values and its epoch."""
    return [(it, functools.partial(read_checkpoint, _checkpoints(run), it)) for it in iterations]


def _across(key: str, values: np.ndarray, statistic) -> np.ndarray:
    """``statistic`` over the probe axis of (K, C, L) values; a method code is not a number to
    average, so ``method`` keeps the first probe's."""
    return values[0] if key == "method" else statistic(values, axis=0)


def combine_probes(per_probe: list[dict], layers, iterations, metadata, bootstrap) -> Measurement:
    """One γ's ``Measurement`` from its probes: the median, the band and the controls."""
    keys = [key for key in recorded_keys(True, True) if per_probe[0]["values"][key] is not None]
    settings = {"estimator": per_probe[0]["estimator"], **metadata}

    def trajectory(values):
        return Trajectory(
            layers=tuple(layers),
            iterations=np.asarray(iterations, np.int64),
            epochs=per_probe[0]["epochs"],
            loss=np.full(len(iterations), np.nan),
            settings=settings,
            **values,
        )

    stacked = {key: np.stack([p["values"][key] for p in per_probe]) for key in keys}
    edges = (2.5, 97.5) if bootstrap else (0.0, 100.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: missing points
        median = trajectory({key: _across(key, v, np.nanmedian) for key, v in stacked.items()})
        band = None
        if len(per_probe) > 1:
            band = tuple(
                trajectory(
                    {
                        key: _across(key, v, lambda v, axis, q=q: np.nanpercentile(v, q, axis))
                        for key, v in stacked.items()
                    }
                )
                for q in edges
            )
        controls = None
        count = len(per_probe[0]["controls"]["i_xt"])
        if count:
            fresh = {
                key: np.nanmedian(np.stack([p["controls"][key] for p in per_probe]), axis=0)
                for key in keys
            }
            controls = {"fresh-init": {"seeds": metadata["controls"]["fresh-init seeds"]}}
            for key in keys:
                columns = dict(zip(layers, fresh[key].T.tolist(), strict=True))
                controls["fresh-init"][key] = columns
    return Measurement(median, band, controls, per_probe[0]["diagnostics"])


def _checkpoints(run: RunFiles) -> Path:
    return run.directory.checkpoints


def _probe(run: RunFiles, probe_size, probe_offset: int):
    """The probe images and labels: test images ``probe_offset`` .. ``+ probe_size``, from the
    probe the run keeps when it holds them (no dataset needed), else from the dataset."""
    probe_size = positive_int("probe_size", probe_size, minimum=2)
    probe_offset = positive_int("probe_offset", probe_offset, minimum=0)
    window = slice(probe_offset, probe_offset + probe_size)
    kept = run.directory.read_probe()
    if kept is not None and probe_offset + probe_size <= len(kept[0]):
        return kept[0][window], kept[1][window]
    name = run.config["dataset"]
    dataset = load_dataset(name, probe_size=2)
    if probe_offset + probe_size > dataset.info.n_test:
        raise ParameterError(
            "probe_size",
            f"must fit in the {dataset.info.n_test} test images of {name} after "
            f"probe_offset {probe_offset}, got {probe_size}",
        )
    return dataset.x_test[window], dataset.y_test[window]


def read_snapshots(readout: Readout, loads: list):
    """The variable values of each loader, in the probe's order, and their epochs (None for
    weights that cannot be read, measured on the last readable ones and recorded as missing)."""
    snapshots, epochs = [], []
    for load in loads:
        try:
            values, epoch = load()
            snapshot = [tf.constant(values[v.path]) for v in readout.variables]
        except (CheckpointFormatError, KeyError) as error:
            warnings.warn(f"skipping a checkpoint: {error}", RuntimeWarning, stacklevel=3)
            snapshot, epoch = (snapshots[-1] if snapshots else readout.snapshot()), None
        snapshots.append(snapshot)
        epochs.append(epoch)
    return snapshots, epochs


def diagnostics_of(rows: list[dict | None], readout, iterations) -> Diagnostics:
    """The layers' ``Diagnostics`` from measured rows (NaN where a point is missing)."""
    missing = np.full(len(readout.names), np.nan)
    values = {
        key: np.array([missing if row is None else row[key] for row in rows]) for key in DIAGNOSTICS
    }
    return Diagnostics(
        readout.names, np.asarray(iterations, np.int64), **values, activations=readout.activations
    )


def fresh_loaders(fresh: list[dict[str, np.ndarray]]) -> list:
    """(index, load) per fresh initialisation (see ``checkpoint_loaders``): index 0, epoch 0."""
    return [(0, lambda weights=weights: (weights, 0.0)) for weights in fresh]


def stack_points(values: list[np.ndarray | None], n_layers: int) -> np.ndarray:
    """(C, L) from C per-point (L,) values; a NaN row where a point is missing (None)."""
    rows = [np.full(n_layers, np.nan) if v is None else v for v in values]
    return np.array(rows, np.float64).reshape(len(values), n_layers)
