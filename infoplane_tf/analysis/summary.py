"""One summary row per run: the bottleneck's peak and final I(X;Z), the final errors, and the
verdict at every kernel width of a width map and under every member of a family set."""

from __future__ import annotations

import numpy as np

from infoplane_tf.analysis.claims import hidden_layers
from infoplane_tf.analysis.phases import analyze_trajectory


def summarize(run) -> dict:
    """The summary row of a loaded run: the bottleneck Z (the last layer of other models, the
    last hidden layer of a classifier); the errors are reconstruction errors (mean squared)
    or a classifier's (1 − accuracy)."""
    trajectory = run.trajectory
    hidden = hidden_layers(trajectory.layers) or trajectory.layers
    layer = "Z" if "Z" in trajectory.layers else hidden[-1]
    phases = None if run.remeasured else run.summary.get("phases", {}).get(layer)
    if phases is None:  # a measurement, or an incomplete run: analyze what is there
        phases = analyze_trajectory(trajectory, [layer])[layer].to_dict()
    final = run.summary.get("final", {})
    return {
        "run": str(run.path),
        "name": run.label,
        "model": run.config.get("model"),
        "dataset": run.config.get("dataset"),
        "layer": layer,
        "complete": run.complete,
        "iterations": int(trajectory.iterations[-1]) if len(trajectory) else 0,
        "peak_i_xt": phases["peak_bits"],
        "peak_iteration": phases["peak_iteration"],
        "final_i_xt": phases["final_bits"],
        "drop_bits": phases["drop_bits"],
        "simplifying": phases["has_simplifying_phase"],
        "train_error": _error(final, "train"),
        "test_error": _error(final, "test"),
        **({"widths": _per_width(run, layer)} if run.width_map else {}),
        **({"families": _per_family(run, layer)} if run.families else {}),
    }


def _error(final: dict, part: str) -> float | None:
    if f"{part}_accuracy" in final:
        return 1.0 - final[f"{part}_accuracy"]
    return final.get(f"{part}_reconstruction_error")


def _per_width(run, layer: str) -> list[dict]:
    """The verdict at every γ of a width map, plain values for JSON."""
    keys = ("peak_bits", "final_bits", "drop_bits", "start_bits", "fresh_init_bits")
    return [
        {"gamma": gamma, "simplifying": verdict["has_simplifying_phase"]}
        | {key: verdict[key] for key in keys}
        for gamma, verdict in width_verdicts(run, layer).items()
    ]


def _per_family(run, layer: str) -> list[dict]:
    """The verdict under every member of a family set, plain values for JSON."""
    keys = ("peak_bits", "final_bits", "drop_bits", "start_bits", "fresh_init_bits")
    rows = []
    for member, measured in run.families.items():
        verdict = measurement_verdict(measured, layer)
        rows.append({"member": member, "simplifying": verdict["has_simplifying_phase"]}
                    | {key: verdict[key] for key in keys})  # fmt: skip
    return rows


def width_verdicts(run, layer: str) -> dict[float, dict]:
    """The phase analysis of ``layer`` at every γ of a run's width map.

    Returns:
        γ → the ``PhaseAnalysis`` dict (``peak_bits``, ``final_bits``, ``drop_bits``,
        ``has_simplifying_phase``, ...) plus ``start_bits`` (I(X;T) at the first point) and
        ``fresh_init_bits`` (median over the fresh initialisations, None without controls).

    Raises:
        ValueError: the run was not loaded from a width map, or has no such layer.
    """
    if run.width_map is None:
        raise ValueError(
            f"{run.label} is not a width map: measure one with a list of gamma values and "
            "load it with its label"
        )
    return {gamma: measurement_verdict(m, layer) for gamma, m in run.width_map.items()}


def measurement_verdict(measured, layer: str) -> dict:
    """The phase analysis of ``layer`` in one ``Measurement``: the ``PhaseAnalysis`` dict plus
    ``start_bits`` (I(X;T) at the first point) and ``fresh_init_bits`` (median over the fresh
    initialisations, None without controls), in bits.

    Raises:
        KeyError: no such layer.
    """
    trajectory = measured.trajectory
    verdict = analyze_trajectory(trajectory, [layer])[layer].to_dict()
    start = trajectory.layer(layer)["i_xt"]
    verdict["start_bits"] = float(start[0]) if len(start) else None
    fresh = (measured.controls or {}).get("fresh-init", {}).get("i_xt", {}).get(layer)
    verdict["fresh_init_bits"] = None if not fresh else float(np.median(fresh))
    return verdict
