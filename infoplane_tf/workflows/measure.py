"""Measuring a finished (or killed) run again from its checkpoints, with other settings.

``measure(run, gamma=1.0)`` rebuilds the run's model, loads each checkpoint's weights as a
snapshot and sends them, a few at a time, through the same compiled point function as
``InfoPlaneCallback``; the probe's Gram matrix is computed once. It also measures width maps
(many γ in one pass), several probes (an estimator band) and fresh initialisations (controls).
``write_measurement`` (``infoplane_tf.io.runs``) stores the result as
``RUN/measurements/LABEL/`` (see ``infoplane_tf.io.measurements``), loadable like any
trajectory.

- Width map: every γ from the same distances, in one pass (``estimator.gaussian_grams``).
- Reference rules ('median-initial', 'median-final'): each layer's σ₁ is its median pairwise
  distance at the first or last checkpoint, then held fixed over training.
- 'alignment': each point's widths are averaged over ``ALIGNMENT_SMOOTHING`` checkpoints (a
  centered moving average) before measuring, as Wickstrøm et al. smooth theirs.
- ``probes=K``: K disjoint probes (test images ``probe_offset + k·n ..``); each point is their
  median and the band their range. ``bootstrap=B``: B resamples (with replacement, seeded by
  the run's seed) of one probe; the band is their 2.5-97.5 percentile range. Duplicated
  images lower the entropy, so a bootstrap band shows the spread, not an unbiased interval.
- ``controls=F``: F freshly initialised networks of the same architecture (seeds 1..F after
  the run's), measured the same way: what an untrained network gives.
- Diagnostics: each checkpoint's median pairwise distance and fraction of saturated units
  per layer, on the first probe (``infoplane_tf.estimator.diagnostics``).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.analysis.phases import moving_average
from infoplane_tf.catalog import MATRIX_BUDGET_BYTES
from infoplane_tf.data.datasets import load_dataset
from infoplane_tf.estimator import InformationPlane
from infoplane_tf.estimator.checks import check_gammas, check_sigma
from infoplane_tf.estimator.diagnostics import DIAGNOSTICS, probe_diagnostics
from infoplane_tf.io.checkpoints import CheckpointFormatError, read_checkpoint
from infoplane_tf.io.measurements import Diagnostics, Measurement
from infoplane_tf.io.runs import (  # noqa: F401 (write_measurement: re-exported)
    Run,
    load_run,
    write_measurement,
)
from infoplane_tf.io.trajectory import Trajectory, recorded_keys
from infoplane_tf.models import restore
from infoplane_tf.readout import Readout
from infoplane_tf.validation import ParameterError, positive_int, renamed
from infoplane_tf.width_rules import RULES

#: Points over which the 'alignment' rule's widths are averaged (Wickstrøm et al. smooth theirs).
ALIGNMENT_SMOOTHING = 5
#: Checkpoints per compiled call, at most (fewer for large probes: ``MATRIX_BUDGET_BYTES``).
POINTS_PER_CALL = 4


def model_at(run: Run | str | os.PathLike, iteration: int) -> keras.Model:
    """The run's model, built, with the weights of its checkpoint at ``iteration``
    (``infoplane_tf.models.restore.model_at`` on a ``Run`` or its folder)."""
    return restore.model_at(run if isinstance(run, Run) else load_run(run), iteration)


def measure(
    run: Run | str | os.PathLike,
    *,
    alpha: float | None = None,
    sigma: str | float | None = None,
    gamma: float | Sequence[float] | None = None,
    probe_size: int | None = None,
    probe_offset: int = 0,
    probes: int = 1,
    bootstrap: int = 0,
    controls: int = 0,
    layers: Sequence[str] | None = None,
    dtype: str = "float32",
    estimator: str = "exact",
    progress: Callable[[int, int], None] | None = None,
    sigma_rule: str | float | None = None,
    family: str | Sequence[str] = "renyi",
    bins: int | Sequence[int] | None = None,
    noise_variance: float | Sequence[float] | None = None,
    k: int | Sequence[int] | None = None,
) -> Measurement | dict[float, Measurement] | dict[str, Measurement]:
    """The information plane of ``run`` at every checkpoint, measured with these settings.

    Args:
        run: a ``Run`` or its folder.
        alpha, sigma, probe_size: the estimator's settings (None: the run's); ``sigma`` is a
            rule of ``width_rules.RULES`` or a width (``sigma_rule=``: its old name).
        gamma: the width scale γ, or a sequence of them for a width map. None: the run's γ
            for the run's rule, else the rule's default.
        probe_offset: the (first) probe is test images ``probe_offset .. + probe_size``.
        probes, bootstrap: K disjoint probes, or B resamples of one (see the module docstring).
        controls: F fresh initialisations to measure as reference levels.
        layers: the layers to measure (default: as during training).
        dtype, estimator: precision and entropy method (errors per point if not "exact"), see
            ``InformationPlane``.
        progress: called with (points done, total) after each compiled call.
        family: an estimator family of ``infoplane_tf.families`` or a sequence of them:
            anything but ``"renyi"`` alone measures a family set in one pass
            (``workflows.families``).
        bins, noise_variance, k: the parameters of ``binning``, ``kde`` and ``knn``: a value
            or a sequence (a member each); None: the family's default.

    Returns:
        A ``Measurement`` (a dict γ → ``Measurement`` for a sequence of γ; a dict member name
        → ``Measurement`` for families, e.g. ``"binning-30"``): a point per checkpoint, in
        bits, loss NaN; an unreadable checkpoint is a missing point (warned).

    Raises:
        ValueError: no checkpoints, a probe beyond the test set, or a bad setting (named).
    """
    run = run if isinstance(run, Run) else load_run(run)
    parameters = {"bins": bins, "noise_variance": noise_variance, "k": k}
    if family != "renyi" or any(value is not None for value in parameters.values()):
        from infoplane_tf.workflows.families import measure_families

        sigma = renamed("measure", "sigma_rule", "sigma", sigma_rule, sigma)
        renyi = {"alpha": alpha, "sigma": sigma, "gamma": gamma, "dtype": dtype,
                 "estimator": estimator}  # fmt: skip
        return measure_families(run, family, parameters, renyi, probe_size, probe_offset,
                                probes, bootstrap, controls, layers, progress)  # fmt: skip
    iterations = _checkpointed(run)
    rule, gammas, grid = _widths(run.config, sigma, gamma, sigma_rule)
    sets = _probe_sets(run, probe_size or run.config.get("probe_size"), probe_offset, probes,
                       bootstrap)  # fmt: skip
    settings = {"alpha": run.config.get("alpha") if alpha is None else alpha, "dtype": dtype,
                "estimator": estimator}  # fmt: skip
    readout = Readout.for_model(restore.build_recorded_model(run.config), layers, sets[0][0])
    seeds, fresh = _fresh_weights(run, positive_int("controls", controls, minimum=0))
    ticker = _Ticker(progress, len(sets) * (_passes(rule, iterations) + len(fresh)))
    measured = [
        _measure_probe(run, readout, x, y, rule, gammas, settings, iterations, fresh, ticker, not k)
        for k, (x, y) in enumerate(sets)
    ]
    metadata = _metadata(run, probe_offset, seeds, len(sets), probes, bootstrap)
    result = {
        gamma: _combine([m[g] for m in measured], readout.names, iterations, metadata, bootstrap)
        for g, gamma in enumerate(gammas)
    }
    return result if grid else result[gammas[0]]


def _metadata(run: Run, probe_offset: int, seeds, sets: int, probes: int, bootstrap: int):
    """What a measurement records besides the estimator: probe, run, controls and band."""
    metadata = {"probe_offset": probe_offset, "run": str(run.path)}
    metadata |= {"controls": {"fresh-init seeds": seeds}} if seeds else {}
    if sets > 1:
        metadata["band"] = {"probes": probes} if bootstrap == 0 else {"bootstrap": bootstrap}
    return metadata


def _checkpointed(run: Run) -> list[int]:
    """The run's checkpoint iterations; ParameterError if it has none."""
    if not run.checkpoints:
        raise ParameterError(
            "run", f"{run.path} has no checkpoints; train with checkpoints (e.g. 'log:64')"
        )
    return run.checkpoints


def _widths(config: dict, sigma, gamma, sigma_rule=None):
    """The width rule, its scales γ and whether they form a map: the run's γ when the rule is
    the run's, else the rule's default."""
    sigma = renamed("measure", "sigma_rule", "sigma", sigma_rule, sigma, depth=2)
    rule = config.get("sigma") if sigma is None else sigma
    rule = rule if _at_checkpoint(rule) else check_sigma(rule)
    if gamma is None and rule == config.get("sigma"):
        gamma = config.get("gamma")
    return (rule, *check_gammas(gamma, rule))


def _at_checkpoint(rule) -> str | None:
    """``"first"`` or ``"last"`` for a rule whose width is fixed at one checkpoint, else None."""
    entry = RULES.get(rule) if isinstance(rule, str) else None
    return None if entry is None else entry.at_checkpoint


def _passes(rule, iterations) -> int:
    """Points measured per probe: the checkpoints, plus a first pass for data-chosen widths."""
    entry = RULES.get(rule) if isinstance(rule, str) else None
    if entry is None:
        return len(iterations)
    first_pass = (
        len(iterations) if entry.per_checkpoint_smoothed else int(bool(entry.at_checkpoint))
    )
    return len(iterations) + first_pass


class _Ticker:
    """Counts measured points and reports them to a ``progress(done, total)`` callable."""

    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


def _probe_sets(run: Run, probe_size, probe_offset: int, probes, bootstrap):
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


def _fresh_weights(run: Run, count: int) -> tuple[list[int], list[dict[str, np.ndarray]]]:
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


def _measure_probe(run, readout, x, y, rule, gammas, settings, iterations, fresh, ticker, diagnose):
    """One probe's points: per γ, arrays (C, L) of every key, epochs (C,), the estimator
    settings, the controls' arrays (F, L) and (if ``diagnose``) the layers' diagnostics."""
    entry = RULES.get(rule) if isinstance(rule, str) else None
    at_checkpoint = _at_checkpoint(rule)
    base = "median" if at_checkpoint else rule
    widths = None
    if at_checkpoint or (entry is not None and entry.per_checkpoint_smoothed):
        first = InformationPlane(x, y, sigma=base, gamma=(1.0,), **settings)
        if not at_checkpoint:
            chosen = _points(run, readout, first, x, _checkpoint_loaders(run, iterations), ticker)
            widths = _smoothed_widths(_base_widths(chosen, len(readout.names)))
        else:
            reference = iterations[0] if at_checkpoint == "first" else iterations[-1]
            loaded = _points(run, readout, first, x, _checkpoint_loaders(run, [reference]), ticker)
            widths = np.tile(_base_widths(loaded, len(readout.names)), (len(iterations), 1))
    plane = InformationPlane(x, y, sigma=base, gamma=gammas, **settings)
    loaders = _checkpoint_loaders(run, iterations)
    rows = _points(run, readout, plane, x, loaders, ticker, widths, diagnose)
    fresh_loaders = [(0, lambda weights=weights: (weights, 0.0)) for weights in fresh]
    first_widths = None if widths is None else widths[:1].repeat(len(fresh), 0)
    controls = _points(run, readout, plane, x, fresh_loaders, ticker, first_widths)
    keys = recorded_keys(True, True)  # those the plane does not give are None
    per_gamma = []
    for g in range(len(gammas)):
        estimator = plane.settings() | {"gamma": gammas[g], "sigma": rule}
        estimator |= {"sigma_x": plane.sigma_x[g], "h_x": plane.h_x[g]}
        if at_checkpoint:  # σ₁ per layer, from the reference checkpoint
            names = [*readout.names, "output"]
            estimator["base_widths"] = dict(zip(names, widths[0].tolist(), strict=True))
        per_gamma.append(
            {
                "values": {key: _stack(rows, key, g, len(readout.names)) for key in keys},
                "epochs": np.array([np.nan if r is None else r["epoch"] for r in rows]),
                "controls": {key: _stack(controls, key, g, len(readout.names)) for key in keys},
                "estimator": estimator,
                "diagnostics": _diagnostics(rows, readout, iterations) if diagnose else None,
            }
        )
    return per_gamma


def _checkpoint_loaders(run: Run, iterations: Sequence[int]) -> list:
    """(index, load) per checkpoint: ``load()`` returns its variable values and its epoch."""
    return [(it, functools.partial(read_checkpoint, _checkpoints(run), it)) for it in iterations]


def _points(run, readout, plane, x, loaders, ticker, widths=None, diagnose=False) -> list:
    """Measures the weights of ``loaders`` with ``plane``, a batch per compiled call.

    Returns one dict per loader (every value key → (G, L) or (G,) array, and "epoch"), or None
    where the weights could not be read or their activations were not finite. ``widths``
    (len(loaders), L + 1) gives each point's base widths instead of the plane's rule;
    ``diagnose`` adds the ``diagnostics.DIAGNOSTICS`` (L,) of each point.
    """
    size = _points_per_call(plane, len(readout.names))
    function = readout.point_function(plane, size, one_core=False)
    seed = tf.constant(int(run.config.get("seed", 0)), tf.int64)
    x = tf.constant(x)
    rows = []
    for start in range(0, len(loaders), size):
        batch = loaders[start : start + size]
        snapshots, epochs = _snapshots(readout, [load for _, load in batch])
        pad = size - len(batch)
        indices = [index for index, _ in batch]
        kernels = plane.probe
        if widths is not None:
            chosen = widths[start : start + len(batch)]
            kernels = plane.with_widths(np.concatenate([chosen, chosen[-1:].repeat(pad, 0)]))
        result = function(
            kernels,
            x,
            snapshots + snapshots[-1:] * pad,
            tf.constant(indices + indices[-1:] * pad, tf.int64),
            seed,
        )
        result = {key: value.numpy() for key, value in result.items()}
        extra = [{}] * len(batch)
        if diagnose:
            extra = probe_diagnostics(readout, x, snapshots[: len(batch)], indices, seed)
        for j, epoch in enumerate(epochs):
            ok = epoch is not None and bool(result["finite"][j])
            row = {key: value[j] for key, value in result.items()} | {"epoch": epoch} | extra[j]
            rows.append(row if ok else None)
        ticker(len(batch))
    return rows


def _diagnostics(rows: list[dict | None], readout, iterations) -> Diagnostics:
    """The layers' ``Diagnostics`` from measured rows (NaN where a point is missing)."""
    missing = np.full(len(readout.names), np.nan)
    values = {
        key: np.array([missing if row is None else row[key] for row in rows]) for key in DIAGNOSTICS
    }
    return Diagnostics(
        readout.names, np.asarray(iterations, np.int64), **values, activations=readout.activations
    )


def _points_per_call(plane: InformationPlane, n_layers: int) -> int:
    """``POINTS_PER_CALL``, fewer when their matrices would exceed ``MATRIX_BUDGET_BYTES``."""
    return max(1, min(POINTS_PER_CALL, MATRIX_BUDGET_BYTES // plane.point_bytes(n_layers)))


def _base_widths(rows: list[dict | None], n_layers: int) -> np.ndarray:
    """The widths (C, L + 1) at γ = 1 of measured rows (NaN where a row is missing)."""
    return np.array(
        [
            np.full(n_layers + 1, np.nan)
            if row is None
            else np.append(row["sigma"][0], row["sigma_output"][0])
            for row in rows
        ]
    )


def _smoothed_widths(raw: np.ndarray) -> np.ndarray:
    """Each column of (C, L + 1) widths averaged over ``ALIGNMENT_SMOOTHING`` points (missing
    points skipped; a width no point gives falls back to the column's median)."""
    valid = np.isfinite(raw)
    sums = np.apply_along_axis(moving_average, 0, np.where(valid, raw, 0.0), ALIGNMENT_SMOOTHING)
    counts = np.apply_along_axis(moving_average, 0, valid.astype(float), ALIGNMENT_SMOOTHING)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        smoothed = sums / counts
        fallback = np.broadcast_to(np.nanmedian(raw, axis=0), raw.shape)
    return np.where(np.isfinite(smoothed), smoothed, np.nan_to_num(fallback, nan=1.0))


def _stack(rows: list[dict | None], key: str, g: int, n_layers: int) -> np.ndarray | None:
    """(C, L) values of ``key`` at scale ``g``; NaN rows where a point is missing."""
    present = [row for row in rows if row is not None]
    if present and key not in present[0]:
        return None
    return np.array([np.full(n_layers, np.nan) if r is None else r[key][g] for r in rows])


def _across(key: str, values: np.ndarray, statistic) -> np.ndarray:
    """``statistic`` over the probe axis of (K, C, L) values; a method code is not a number to
    average, so ``method`` keeps the first probe's."""
    return values[0] if key == "method" else statistic(values, axis=0)


def _combine(per_probe: list[dict], layers, iterations, metadata, bootstrap) -> Measurement:
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


def _checkpoints(run: Run) -> Path:
    return run.directory.checkpoints


def _probe(run: Run, probe_size, probe_offset: int):
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


def _snapshots(readout: Readout, loads: list):
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
