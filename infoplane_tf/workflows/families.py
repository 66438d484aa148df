"""Measuring a run's checkpoints under several estimator families in one pass.

``measure(run, family=("binning", "kde", "knn"), bins=(10, 30, 100))`` (see
``workflows.measure``) comes here: every checkpoint's weights go through the model's probe
forward pass once, and each (family, parameter) of ``infoplane_tf.families`` reads the same
activations. ``renyi`` among them is measured by ``measure``'s own compiled point function at
the run's (or the given) α, σ and γ. The result is a family set (member name → ``Measurement``,
see ``io.measurements``), with the probes' band, the fresh-initialisation controls and the
layers' diagnostics like any other measurement.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from infoplane_tf.estimator.diagnostics import layer_diagnostics
from infoplane_tf.estimator.families import POINT_KEYS, family_point
from infoplane_tf.families import EstimatorFamily, family_specs
from infoplane_tf.io.measurements import Measurement
from infoplane_tf.io.runs import RunFiles
from infoplane_tf.io.trajectory import recorded_keys
from infoplane_tf.models import restore
from infoplane_tf.readout import Readout
from infoplane_tf.validation import ParameterError, positive_int
from infoplane_tf.workflows import checkpoint_pass as checkpoints

Spec = tuple[EstimatorFamily, float | int | None]


def measure_families(
    run: RunFiles,
    family,
    parameters: dict,
    renyi: tuple[Callable, int],
    *,
    probe_size,
    probe_offset: int,
    probes: int,
    bootstrap: int,
    controls: int,
    layers,
    progress: Callable[[int, int], None] | None,
) -> dict[str, Measurement]:
    """The family set of ``run``: member name (``binning-30``) → ``Measurement``.

    Args:
        run: the loaded run.
        family: a family name or a sequence of them (``infoplane_tf.families.FAMILY_NAMES``).
        parameters: ``{"bins": ..., "noise_variance": ..., "k": ...}``, each a value, a
            sequence of values or None (the family's default).
        renyi: ``(measure_renyi, points)``: the ``renyi`` member's measurement as a function
            of a progress callable, and the points it measures (``workflows.measure``).
        probe_size, probe_offset, probes, bootstrap, controls, layers, progress: as for
            ``workflows.measure.measure``.

    Raises:
        ValueError: an unknown family or a bad parameter (named).
    """
    specs = family_specs(family, parameters)
    shannon = [spec for spec in specs if spec[0].name != "renyi"]
    iterations = checkpoints.checkpointed(run)
    sets = checkpoints.probe_sets(run, probe_size or run.config.get("probe_size"), probe_offset,
                                  probes, bootstrap)  # fmt: skip
    _check_neighbours(specs, len(sets[0][0]), bootstrap)
    readout = Readout.for_model(restore.build_recorded_model(run.config), layers, sets[0][0])
    seeds, fresh = checkpoints.fresh_weights(run, positive_int("controls", controls, minimum=0))
    total = len(sets) * (len(iterations) + len(fresh)) if shannon else 0
    measure_renyi, renyi_points = renyi
    # The display's total counts the Rényi member's points too.
    ticker = checkpoints.PointTicker(progress, total + renyi_points * (len(shannon) < len(specs)))
    metadata = checkpoints.measurement_metadata(run, probe_offset, seeds, len(sets), probes,
                                                bootstrap)  # fmt: skip
    per_probe = [
        _measure_probe(run, readout, x, y, shannon, iterations, fresh, ticker, not k)
        for k, (x, y) in enumerate(sets)
    ]
    combine = (readout.names, iterations, metadata, bootstrap)
    result = {}
    for entry, value in specs:
        name = entry.member(value)
        if entry.name == "renyi":
            result[name] = measure_renyi(_after(progress, total))
        else:
            result[name] = _combined([p[name] for p in per_probe], entry.lower_bound, combine)
    return result


def _check_neighbours(specs: list[Spec], n: int, bootstrap: int) -> None:
    """ParameterError for a knn member that cannot be measured on probes of n samples: k ≥ n,
    or resamples (a duplicated sample is an exact neighbour in every space)."""
    for entry, value in specs:
        if entry.name != "knn":
            continue
        if value >= n:
            raise ParameterError("k", f"must be below the probe's {n} samples, got {value}")
        if bootstrap:
            raise ParameterError(
                "bootstrap",
                "cannot be combined with family 'knn': a resampled probe's duplicates are "
                "exact neighbours of each other; use probes instead",
            )


def _combined(measured: list[dict], lower_bound: bool, combine: tuple) -> Measurement:
    """One member's ``Measurement`` from its per-probe records (``_measure_probe``), with its
    lower bound when the family gives one."""
    result = checkpoints.combine_probes(measured, *combine)
    if lower_bound:
        lower = [p | {"values": p["lower"], "controls": p["lower_controls"]} for p in measured]
        bound = checkpoints.combine_probes(lower, *combine).trajectory
        bound.settings = bound.settings | {
            "estimator": measured[0]["estimator"] | {"bound": "lower"}
        }
        result.lower = bound
    return result


def _after(progress, offset: int):
    """``progress`` shifted by ``offset`` points done before (the Shannon pass)."""
    if progress is None:
        return None
    return lambda done, total: progress(offset + done, offset + total)


def _measure_probe(run, readout, x, y, specs: list[Spec], iterations, fresh, ticker, diagnose):
    """One probe's per-member records (see ``checkpoint_pass.combine_probes``): values (C, L) per
    key, epochs, controls (F, L), estimator settings, diagnostics (first probe only)."""
    loaders = checkpoints.checkpoint_loaders(run, iterations)
    rows = _points(run, readout, x, y, specs, loaders, ticker, diagnose)
    controls = _points(run, readout, x, y, specs, checkpoints.fresh_loaders(fresh), ticker, False)
    n_layers = len(readout.names)
    keys = recorded_keys(True, True)
    given = POINT_KEYS if y is not None else POINT_KEYS[:-1]
    epochs = np.array([np.nan if r is None else r["epoch"] for r in rows])
    diagnostics = checkpoints.diagnostics_of(rows, readout, iterations) if diagnose else None
    records = {}
    for entry, value in specs:
        name = entry.member(value)
        points = [None if r is None else r[name] for r in rows]
        fresh_points = [None if r is None else r[name] for r in controls]
        first = next((p for p in points if p is not None), {})
        estimator = {"family": entry.name, entry.parameter: value, "n_probe": int(len(x)),
                     "reference": entry.reference}  # fmt: skip
        if "range" in first:
            estimator["range"] = first["range"]
        if entry.lower_bound:
            estimator["bound"] = "upper"
        record = {
            "values": {key: _stack(points, key, given, n_layers) for key in keys},
            "controls": {key: _stack(fresh_points, key, given, n_layers) for key in keys},
            "epochs": epochs,
            "estimator": estimator,
            "diagnostics": diagnostics,
        }
        if entry.lower_bound:
            lower = [None if p is None else p["lower"] for p in points]
            lower_fresh = [None if p is None else p["lower"] for p in fresh_points]
            record["lower"] = {key: _stack(lower, key, given, n_layers) for key in keys}
            record["lower_controls"] = {
                key: _stack(lower_fresh, key, given, n_layers) for key in keys
            }
        records[name] = record
    return records


def _points(run, readout, x, y, specs: list[Spec], loaders, ticker, diagnose) -> list:
    """Each loader's point under every spec: ``{member: family_point(...), "epoch": e}`` (and
    the layers' diagnostics), or None where the weights could not be read or the activations
    were not finite."""
    seed = tf.constant(int(run.config.get("seed", 0)), tf.int64)
    activations = readout.activations
    rows = []
    for index, load in loaders:
        (weights,), (epoch,) = checkpoints.read_snapshots(readout, [load])
        noise = readout.noise(seed, tf.constant([index], tf.int64), len(x))
        layers, output = readout.forward(x, weights, None if noise is None else noise[0])
        representations = dict(zip(readout.names, layers, strict=True))
        finite = all(bool(tf.reduce_all(tf.math.is_finite(t))) for t in [*layers, output])
        if epoch is None or not finite:
            rows.append(None)
            ticker(1)
            continue
        row = {"epoch": epoch}
        for entry, value in specs:
            row[entry.member(value)] = family_point(
                entry.name, value, representations, output, x, y, activations,
                output_activation=readout.output_activation,
            )  # fmt: skip
        if diagnose:
            row |= layer_diagnostics(representations, activations)
        rows.append(row)
        ticker(1)
    return rows


def _stack(points: list[dict | None], key: str, given, n_layers: int) -> np.ndarray | None:
    """(C, L) values of ``key``, a NaN row where a point is missing; None for a key the family
    does not give (``given``: those it does)."""
    if key not in given:
        return None
    return checkpoints.stack_points([None if p is None else p[key] for p in points], n_layers)
