"""Re-measurements of a run on disk: ``RUN/measurements/LABEL/``.

A measurement at one kernel width is a folder::

    trajectory.csv.gz, trajectory.json   the points (with several probes: their median)
    band-low.csv.gz, band-high.csv.gz    the estimator band per point (with several probes or
    (+ .json sidecars)                   resamples): its lower and upper edge
    controls.json                        reference levels: the same measurement of freshly
                                         initialised networks of the same architecture
    diagnostics.json                     per checkpoint and layer: the median pairwise distance
                                         and the fraction of saturated units (see
                                         ``infoplane_tf.estimator.diagnostics``)

    lower-bound.csv.gz (+ .json)         for estimators that give one (``kde``): the same points
                                         from the lower bound (I(X;T) and S(T) are lower
                                         bounds; I(T;X') and I(T;Y) the same differences
                                         taken on lower bounds, not bounds)

A width map is a folder of such measurements, one per width scale γ (``gamma-0.25/`` ...), and
``width-map.json``: ``{"format": "infoplane-tf/width-map", "gammas": [...], "members": [...]}``.
A family set is a folder of such measurements, one per estimator family and parameter
(``binning-30/``, ``kde-0.1/``, ``knn-3/``, ``renyi/``; see ``infoplane_tf.families``), and
``families.json``: ``{"format": "infoplane-tf/families", "members": [...]}``. A member of
either is itself a measurement, addressed as ``LABEL/MEMBER``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infoplane_tf.io.trajectory import (
    TABLE_NAME,
    Trajectory,
    TrajectoryFormatError,
    TrajectoryWriter,
    compress_table,
    load_trajectory,
)
from infoplane_tf.validation import ParameterError

MAP_NAME = "width-map.json"
MAP_FORMAT = "infoplane-tf/width-map"
BAND_NAMES = ("band-low.csv", "band-high.csv")
CONTROLS_NAME = "controls.json"
DIAGNOSTICS_NAME = "diagnostics.json"
DIAGNOSTICS_FORMAT = "infoplane-tf/diagnostics"
LOWER_NAME = "lower-bound.csv"
FAMILIES_NAME = "families.json"
FAMILIES_FORMAT = "infoplane-tf/families"


@dataclass
class Diagnostics:
    """Per checkpoint and layer, what the activations do (see
    ``infoplane_tf.estimator.diagnostics``).

    Attributes:
        layers: the L layer names; iterations: (C,) int.
        median_distance: (C, L) median pairwise distance of the probe's activations.
        saturated_fraction: (C, L) fraction of saturated activations, NaN for unbounded layers.
        activations: layer → activation name (or None).
    """

    layers: tuple[str, ...]
    iterations: np.ndarray
    median_distance: np.ndarray
    saturated_fraction: np.ndarray
    activations: dict

    def to_json(self) -> dict:
        """The JSON form of ``diagnostics.json`` (NaN as null)."""

        def columns(values):
            return {
                name: [None if math.isnan(v) else float(v) for v in values[:, j]]
                for j, name in enumerate(self.layers)
            }

        return {
            "format": DIAGNOSTICS_FORMAT,
            "iterations": [int(i) for i in self.iterations],
            "activations": self.activations,
            "median_distance": columns(self.median_distance),
            "saturated_fraction": columns(self.saturated_fraction),
        }

    @classmethod
    def from_json(cls, value: dict) -> Diagnostics:
        """The inverse of ``to_json``; KeyError/TypeError/ValueError on a malformed value."""
        if value.get("format") != DIAGNOSTICS_FORMAT:
            raise ValueError(f"format is {value.get('format')!r}, not {DIAGNOSTICS_FORMAT!r}")
        layers = tuple(value["median_distance"])

        def array(key):
            rows = [value[key][name] for name in layers]
            return np.array(rows, dtype=float).reshape(len(layers), -1).T

        return cls(
            layers,
            np.asarray(value["iterations"], np.int64),
            array("median_distance"),
            array("saturated_fraction"),
            dict(value["activations"]),
        )


@dataclass
class Measurement:
    """One measurement at one width.

    Attributes:
        trajectory: the points (the median over probes when there are several).
        band: the (lower, upper) edges of the estimator band, trajectories of the same points,
            or None for a single probe.
        controls: reference levels, ``{"fresh-init": {"seeds": [...], "i_xt": {layer: [bits
            per seed]}, "i_t_out": {...}}}``, or None.
        diagnostics: the layers' ``Diagnostics`` (on the first probe), or None.
        lower: a lower bound on the same points (the ``kde`` family's), or None.
    """

    trajectory: Trajectory
    band: tuple[Trajectory, Trajectory] | None = None
    controls: dict | None = None
    diagnostics: Diagnostics | None = None
    lower: Trajectory | None = None


def member_name(gamma: float) -> str:
    """The folder of width scale γ in a width map, e.g. ``gamma-0.25``."""
    return f"gamma-{gamma:g}"


def write_measurement_folder(
    folder: str | os.PathLike,
    measurement: Measurement | Mapping[float, Measurement],
    overwrite: bool = False,
) -> Path:
    """Writes a measurement, a width map (γ → measurement) or a family set (member name →
    measurement) to ``folder``; returns it.

    Raises:
        ValueError: ``folder`` exists and ``overwrite`` is False.
    """
    folder = Path(folder)
    if folder.exists():
        if not overwrite:
            raise ParameterError("label", f"{folder} already exists", remedy="overwrite")
        shutil.rmtree(folder)
    if isinstance(measurement, Measurement):
        _write_one(folder, measurement)
        return folder
    if not measurement:
        raise ParameterError("measurement", "holds no member to write")
    if all(isinstance(name, str) for name in measurement):
        for name, member in measurement.items():
            _write_one(folder / name, member)
        index = {"format": FAMILIES_FORMAT, "members": list(measurement)}
        (folder / FAMILIES_NAME).write_text(json.dumps(index, indent=2) + "\n")
        return folder
    gammas = sorted(measurement)
    for gamma in gammas:
        _write_one(folder / member_name(gamma), measurement[gamma])
    index = {"format": MAP_FORMAT, "gammas": gammas, "members": [member_name(g) for g in gammas]}
    (folder / MAP_NAME).write_text(json.dumps(index, indent=2) + "\n")
    return folder


def _write_one(folder: Path, measurement: Measurement) -> None:
    folder.mkdir(parents=True)
    tables = [(TABLE_NAME, measurement.trajectory)]
    if measurement.band is not None:
        tables += list(zip(BAND_NAMES, measurement.band, strict=True))
    if measurement.lower is not None:
        tables.append((LOWER_NAME, measurement.lower))
    for name, trajectory in tables:
        _write_table(folder / name, trajectory)
    if measurement.controls is not None:
        (folder / CONTROLS_NAME).write_text(json.dumps(measurement.controls, indent=2) + "\n")
    if measurement.diagnostics is not None:
        text = json.dumps(measurement.diagnostics.to_json(), indent=1)
        (folder / DIAGNOSTICS_NAME).write_text(text + "\n")


def _write_table(path: Path, trajectory: Trajectory) -> None:
    keys = trajectory.keys
    writer = TrajectoryWriter(path, trajectory.layers, keys, trajectory.settings)
    for k in range(len(trajectory)):
        values = None
        if trajectory.valid[k]:
            values = {key: getattr(trajectory, key)[k] for key in keys}
        writer.append(trajectory.iterations[k], trajectory.epochs[k], trajectory.loss[k], values)
    writer.close()
    compress_table(path)


def is_width_map(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a width map (``width-map.json``)."""
    return (Path(folder) / MAP_NAME).is_file()


def read_measurement(folder: str | os.PathLike) -> Measurement:
    """The measurement in ``folder`` (see the module docstring).

    Raises:
        TrajectoryFormatError: a missing or corrupt table or controls file (named).
    """
    folder = Path(folder)
    band = None
    if (folder / (BAND_NAMES[0] + ".gz")).is_file():
        band = tuple(load_trajectory(folder / (name + ".gz")) for name in BAND_NAMES)
    lower = None
    if (folder / (LOWER_NAME + ".gz")).is_file():
        lower = load_trajectory(folder / (LOWER_NAME + ".gz"))
    controls = _read_json(folder / CONTROLS_NAME)
    diagnostics = _read_json(folder / DIAGNOSTICS_NAME)
    if diagnostics is not None:
        try:
            diagnostics = Diagnostics.from_json(diagnostics)
        except (KeyError, TypeError, ValueError) as error:
            raise TrajectoryFormatError(
                f"{folder / DIAGNOSTICS_NAME}: not diagnostics ({error!r})"
            ) from None
    return Measurement(load_trajectory(folder), band, controls, diagnostics, lower)


def _read_json(path: Path) -> dict | None:
    """The JSON in ``path``, None if there is no such file."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise TrajectoryFormatError(f"{path}: cannot read ({error})") from None


def read_width_map(folder: str | os.PathLike) -> dict[float, Measurement]:
    """The width map in ``folder``: γ → ``Measurement``, γ ascending.

    Raises:
        TrajectoryFormatError: not a width map, or a member that cannot be read (named).
    """
    folder = Path(folder)
    try:
        index = json.loads((folder / MAP_NAME).read_text())
        members = dict(zip(index["gammas"], index["members"], strict=True))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TrajectoryFormatError(f"{folder / MAP_NAME}: not a width map ({error})") from None
    return {float(g): read_measurement(folder / members[g]) for g in sorted(members)}


def is_family_set(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a family set (``families.json``)."""
    return (Path(folder) / FAMILIES_NAME).is_file()


def read_family_set(folder: str | os.PathLike) -> dict[str, Measurement]:
    """The family set in ``folder``: member name → ``Measurement``, in measuring order.

    Raises:
        TrajectoryFormatError: not a family set, or a member that cannot be read (named).
    """
    folder = Path(folder)
    index = _read_json(folder / FAMILIES_NAME)
    if not isinstance(index, dict) or index.get("format") != FAMILIES_FORMAT:
        raise TrajectoryFormatError(f"{folder / FAMILIES_NAME}: not a family set")
    try:
        members = [str(name) for name in index["members"]]
    except (KeyError, TypeError) as error:
        raise TrajectoryFormatError(f"{folder / FAMILIES_NAME}: no members ({error!r})") from None
    return {name: read_measurement(folder / name) for name in members}
