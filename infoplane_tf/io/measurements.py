"""Re-measurements of a run on disk: ``RUN/measurements/LABEL/``.

A measurement at one kernel width is a folder::

    trajectory.csv.gz, trajectory.json   the points (with several probes: their median)
    band-low.csv.gz, band-high.csv.gz    the estimator band per point (with several probes or
    (+ .json sidecars)                   resamples): its lower and upper edge
    controls.json                        reference levels: the same measurement of freshly
                                         initialised networks of the same architecture

A width map is a folder of such measurements, one per width scale γ (``gamma-0.25/`` ...), and
``width-map.json``: ``{"format": "infoplane-tf/width-map", "gammas": [...], "members": [...]}``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infoplane_tf.io.trajectory import (
    LABEL_COLUMN,
    TABLE_NAME,
    VALUE_COLUMNS,
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


@dataclass
class Measurement:
    """One measurement at one width.

    Attributes:
        trajectory: the points (the median over probes when there are several).
        band: the (lower, upper) edges of the estimator band, trajectories of the same points,
            or None for a single probe.
        controls: reference levels, ``{"fresh-init": {"seeds": [...], "i_xt": {layer: [bits
            per seed]}, "i_t_out": {...}}}``, or None.
    """

    trajectory: Trajectory
    band: tuple[Trajectory, Trajectory] | None = None
    controls: dict | None = None


def member_name(gamma: float) -> str:
    """The folder of width scale γ in a width map, e.g. ``gamma-0.25``."""
    return f"gamma-{gamma:g}"


def write_measurement(
    folder: str | os.PathLike,
    measurement: Measurement | Mapping[float, Measurement],
    overwrite: bool = False,
) -> Path:
    """Writes a measurement, or a width map (γ → measurement), to ``folder``; returns it.

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
    for name, trajectory in tables:
        _write_table(folder / name, trajectory)
    if measurement.controls is not None:
        (folder / CONTROLS_NAME).write_text(json.dumps(measurement.controls, indent=2) + "\n")


def _write_table(path: Path, trajectory: Trajectory) -> None:
    keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if trajectory.i_t_label is not None else ())
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
    controls = None
    if (folder / CONTROLS_NAME).is_file():
        try:
            controls = json.loads((folder / CONTROLS_NAME).read_text())
        except (OSError, ValueError) as error:
            raise TrajectoryFormatError(
                f"{folder / CONTROLS_NAME}: cannot read ({error})"
            ) from None
    return Measurement(load_trajectory(folder), band, controls)


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
