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
- ``family=``: other estimator families, measured in one pass by ``workflows.families``,
  which shares this module's pass over the checkpoints (``checkpointed``, ``probe_sets``,
  ``fresh_weights``, ``checkpoint_loaders``, ``read_snapshots``, ``combine_probes`` ...).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.analysis.phases import moving_average
from infoplane_tf.catalog import MATRIX_BUDGET_BYTES
from infoplane_tf.estimator import InformationPlane
from infoplane_tf.estimator.checks import check_gammas, check_sigma
from infoplane_tf.estimator.diagnostics import probe_diagnostics
from infoplane_tf.io.measurements import Measurement
from infoplane_tf.io.runs import (  # noqa: F401 (write_measurement: re-exported)
    Run,
    RunFiles,
    load_run,
    open_run,
    write_measurement,
)
from infoplane_tf.io.trajectory import recorded_keys
from infoplane_tf.models import restore
from infoplane_tf.readout import Readout
from infoplane_tf.validation import ParameterError, positive_int, renamed
from infoplane_tf.width_rules import RULES
from infoplane_tf.workflows.checkpoint_pass import (
    PointTicker,
    checkpoint_loaders,
    checkpointed,
    combine_probes,
    diagnostics_of,
    fresh_loaders,
    fresh_weights,
    measurement_metadata,
    probe_sets,
    read_snapshots,
    stack_points,
)

#: Points over which the 'alignment' rule's widths are averaged (Wickstrøm et al. smooth theirs).
ALIGNMENT_SMOOTHING = 5
#: Checkpoints per compiled call, at most (fewer for large probes: ``MATRIX_BUDGET_BYTES``).
POINTS_PER_CALL = 4


def model_at(run: RunFiles | str | os.PathLike, iteration: int) -> keras.Model:
    """The run's model, built, with the weights of its checkpoint at ``iteration``
    (``infoplane_tf.models.restore.model_at`` on a ``Run`` or its folder)."""
    return restore.model_at(run if isinstance(run, RunFiles) else open_run(run), iteration)


def measure(
    run: RunFiles | str | os.PathLike,
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
    tolerance: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    sigma_rule: str | float | None = None,
    family: str | Sequence[str] = "renyi",
    bins: int | Sequence[int] | None = None,
    bin_width: float | Sequence[float] | None = None,
    noise_variance: float | Sequence[float] | None = None,
    k: int | Sequence[int] | None = None,
) -> Measurement | dict[float, Measurement] | dict[str, Measurement]:
    """The information plane of ``run`` at every checkpoint, measured with these settings.

    Args:
        run: a ``Run`` (or ``RunFiles``, ``open_run``) or its folder.
        alpha, sigma, probe_size: the estimator's settings (None: the run's); ``sigma`` is a
            rule of ``width_rules.RULES`` or a width (``sigma_rule=``: its old name).
        gamma: the width scale γ, or a sequence of them for a width map. None: the run's γ
            for the run's rule, else the rule's default.
        probe_offset: the (first) probe is test images ``probe_offset .. + probe_size``.
        probes, bootstrap: K disjoint probes, or B resamples of one (see the module docstring).
        controls: F fresh initialisations to measure as reference levels.
        layers: the layers to measure (default: as during training).
        dtype, estimator, tolerance: precision, method and error aim, see ``InformationPlane``.
        progress: called with (points done, total) after each compiled call.
        family: an estimator family of ``infoplane_tf.families`` or a sequence of them: any
            but ``"renyi"`` alone measures a family set in one pass (``workflows.families``).
        bins, bin_width, noise_variance, k: the parameters of ``binning``, ``binwidth``,
            ``kde``, ``knn``: a value or a sequence (a member each); None: the default.

    Returns:
        A ``Measurement`` (a dict γ → ``Measurement`` for a sequence of γ; a dict member name
        → ``Measurement`` for families, e.g. ``"binning-30"``): a point per checkpoint, in
        bits, loss NaN; an unreadable checkpoint is a missing point (warned).

    Raises:
        ValueError: no checkpoints, a probe beyond the test set, or a bad setting (named).
    """
    run = run if isinstance(run, RunFiles) else open_run(run)
    sigma = renamed("measure", "sigma_rule", "sigma", sigma_rule, sigma)
    renyi = dict(alpha=alpha, sigma=sigma, gamma=gamma, dtype=dtype, estimator=estimator)
    renyi["tolerance"] = tolerance
    common = dict(probe_size=probe_size, probe_offset=probe_offset, probes=probes,
                  bootstrap=bootstrap, controls=controls, layers=layers)  # fmt: skip
    parameters = {"bins": bins, "bin_width": bin_width, "noise_variance": noise_variance, "k": k}
    if family != "renyi" or any(value is not None for value in parameters.values()):
        return _families(run, family, parameters, renyi, common, progress)
    return _renyi(run, progress=progress, **renyi, **common)


def _renyi(run: RunFiles, *, alpha, sigma, gamma, probe_size, probe_offset, probes, bootstrap,
           controls, layers, dtype, estimator, tolerance, progress):  # fmt: skip
    """``measure`` with the matrix-based Rényi estimator: a ``Measurement``, or a width map."""
    iterations = checkpointed(run)
    rule, gammas, grid = width_settings(run.config, sigma, gamma)
    sets = probe_sets(run, probe_size or run.config.get("probe_size"), probe_offset, probes,
                      bootstrap)  # fmt: skip
    settings = {"alpha": run.config.get("alpha") if alpha is None else alpha, "dtype": dtype,
                "estimator": estimator, "tolerance": tolerance}  # fmt: skip
    readout = Readout.for_model(restore.build_recorded_model(run.config), layers, sets[0][0])
    seeds, fresh = fresh_weights(run, positive_int("controls", controls, minimum=0))
    ticker = PointTicker(progress, len(sets) * (passes(rule, iterations) + len(fresh)))
    measured = [
        _measure_probe(
            run, readout, x, y, rule, gammas, settings, iterations, fresh, ticker, not index
        )  # fmt: skip
        for index, (x, y) in enumerate(sets)
    ]
    metadata = measurement_metadata(run, probe_offset, seeds, len(sets), probes, bootstrap)
    result = {
        gamma: combine_probes(
            [m[g] for m in measured], readout.names, iterations, metadata, bootstrap
        )
        for g, gamma in enumerate(gammas)
    }
    return result if grid else result[gammas[0]]


def _families(run: RunFiles, family, parameters: dict, renyi: dict, common: dict, progress):
    """A family set (``workflows.families``); its ``renyi`` member is this module's
    measurement with the ``renyi`` settings."""
    from infoplane_tf.workflows.families import measure_families

    if isinstance(renyi["gamma"], (list, tuple)):
        raise ParameterError("gamma", "must be one value when families are measured")
    measured = [family] if isinstance(family, str) else list(family)
    defaults = {"alpha": None, "sigma": None, "gamma": None, "dtype": "float32",
                "estimator": "exact", "tolerance": None}  # fmt: skip
    changed = [name for name, value in defaults.items() if renyi[name] != value]
    if changed and "renyi" not in measured:
        raise ParameterError(changed[0], "is a setting of family 'renyi', not measured")
    rule = width_settings(run.config, renyi["sigma"], renyi["gamma"])[0]
    sets = common["bootstrap"] or common["probes"]
    points = sets * (passes(rule, checkpointed(run)) + common["controls"])

    def measure_renyi(report):
        return _renyi(run, progress=report, **renyi, **common)

    return measure_families(run, family, parameters, (measure_renyi, points), progress=progress,
                            **common)  # fmt: skip


def width_settings(config: dict, sigma, gamma):
    """The width rule, its scales γ and whether they form a map: the run's γ when the rule is
    the run's, else the rule's default."""
    rule = config.get("sigma") if sigma is None else sigma
    rule = rule if _at_checkpoint(rule) else check_sigma(rule)
    if gamma is None and rule == config.get("sigma"):
        gamma = config.get("gamma")
    return (rule, *check_gammas(gamma, rule))


def _at_checkpoint(rule) -> str | None:
    """``"first"`` or ``"last"`` for a rule whose width is fixed at one checkpoint, else None."""
    entry = RULES.get(rule) if isinstance(rule, str) else None
    return None if entry is None else entry.at_checkpoint


def passes(rule, iterations) -> int:
    """Points measured per probe: the checkpoints, plus a first pass for data-chosen widths."""
    entry = RULES.get(rule) if isinstance(rule, str) else None
    if entry is None:
        return len(iterations)
    first_pass = (
        len(iterations) if entry.per_checkpoint_smoothed else int(bool(entry.at_checkpoint))
    )
    return len(iterations) + first_pass


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
            chosen = _points(run, readout, first, x, checkpoint_loaders(run, iterations), ticker)
            widths = _smoothed_widths(_base_widths(chosen, len(readout.names)))
        else:
            reference = iterations[0] if at_checkpoint == "first" else iterations[-1]
            loaded = _points(run, readout, first, x, checkpoint_loaders(run, [reference]), ticker)
            widths = np.tile(_base_widths(loaded, len(readout.names)), (len(iterations), 1))
    plane = InformationPlane(x, y, sigma=base, gamma=gammas, **settings)
    loaders = checkpoint_loaders(run, iterations)
    rows = _points(run, readout, plane, x, loaders, ticker, widths, diagnose)
    first_widths = None if widths is None else widths[:1].repeat(len(fresh), 0)
    controls = _points(run, readout, plane, x, fresh_loaders(fresh), ticker, first_widths)
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
                "diagnostics": diagnostics_of(rows, readout, iterations) if diagnose else None,
            }
        )
    return per_gamma


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
        snapshots, epochs = read_snapshots(readout, [load for _, load in batch])
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
    return stack_points([None if r is None else r[key][g] for r in rows], n_layers)
