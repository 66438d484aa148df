"""One summary row per run: the bottleneck's peak and final I(X;Z) and the final errors."""

from __future__ import annotations

from infoplane_tf.analysis.phases import analyze_trajectory


def summarize(run) -> dict:
    """The summary row of a loaded run (bottleneck Z, or the last layer of other models)."""
    trajectory = run.trajectory
    layer = "Z" if "Z" in trajectory.layers else trajectory.layers[-1]
    phases = None if run.measurement else run.summary.get("phases", {}).get(layer)
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
        "train_error": final.get("train_reconstruction_error"),
        "test_error": final.get("test_reconstruction_error"),
    }
