"""Lee & Jo's MNIST results as numbers, and a suite's values beside them.

The paper gives its results as figures of single runs; the values here are read off those
figures (approximate, in bits; ranges where the figure shows one), as listed in the project's
reference notes. Ours are computed with the same rules as the report's findings: the peak is the
maximum of a 2%-of-points moving average, the final value the mean of the last 5% of points
(:func:`infoplane_tf.analysis.phases.analyze_phases`); with several seeds, the median.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping

import numpy as np

from infoplane_tf.analysis.phases import analyze_phases

#: What each quantity means, in the order a table lists them.
QUANTITIES = {
    "start_x": "I(X;T) at iteration 0 (bits)",
    "peak_x": "peak I(X;T) (bits)",
    "peak_iteration": "iteration of the I(X;T) peak",
    "final_x": "final I(X;T) (bits)",
    "start_y": "I(T;X') at iteration 0 (bits)",
    "peak_y": "peak I(T;X') (bits)",
    "final_y": "final I(T;X') (bits)",
    "log10_train_loss": "log10 final train loss",
    "log10_test_loss": "log10 final test loss",
    "train_loss": "final train loss",
    "test_min_iteration": "iteration of the lowest test loss",
}


@dataclasses.dataclass(frozen=True)
class PaperValue:
    """One value of the paper's MNIST results.

    Attributes:
        experiment: The suite's experiment name (``"deep"``, ...).
        layer: The representation (``"Z"``, ``"E1"``, ...), or ``""`` for losses.
        quantity: A key of :data:`QUANTITIES`.
        low, high: The value read off the paper's figure; a range when they differ.
    """

    experiment: str
    layer: str
    quantity: str
    low: float
    high: float

    @property
    def reading(self) -> str:
        """The paper's value as text: ``"4.4"`` or ``"1.0-1.3"``."""
        digits = 0 if self.quantity.endswith("iteration") else 2
        if self.low == self.high:
            return f"{self.low:.{digits}f}"
        return f"{self.low:.{digits}f}-{self.high:.{digits}f}"


def _values(experiment: str, layer: str, **readings) -> list[PaperValue]:
    rows = []
    for quantity, reading in readings.items():
        low, high = reading if isinstance(reading, tuple) else (reading, reading)
        rows.append(PaperValue(experiment, layer, quantity, float(low), float(high)))
    return rows


#: Every value the paper reports for MNIST (read off its figures; PAPER.md's table).
MNIST = (
    *_values("shallow", "Z", peak_x=5.2, peak_y=5.2, peak_iteration=(3000, 5000), final_x=3.6,
             final_y=3.6),
    *_values("shallow", "", log10_train_loss=-2.2, log10_test_loss=-2.2),
    *_values("deep", "E1", peak_x=6.5, final_x=6.5),
    *_values("deep", "E2", peak_x=5.8, final_x=5.0),
    *_values("deep", "Z", peak_x=4.4, peak_iteration=5000, final_x=2.8),
    *_values("deep", "D1", peak_x=5.8, final_x=4.1),
    *_values("deep", "D2", peak_x=6.4, final_x=6.4),
    *_values("deep", "", log10_train_loss=-2.2, log10_test_loss=-2.2),
    *_values("deep-overfit", "Z", peak_x=5.2, final_x=5.2),
    *_values("deep-overfit", "", log10_train_loss=-2.2, test_min_iteration=5000),
    *_values("sparse", "Z", peak_x=4.8, peak_y=4.8, final_x=0.8, final_y=0.8),
    *_values("sparse", "", log10_train_loss=-2.05, log10_test_loss=-2.05),
    *_values("tied", "Z", peak_x=6.35, peak_y=6.35, final_x=6.35, final_y=6.35),
    *_values("tied", "", log10_train_loss=-1.8, log10_test_loss=-1.8),
    *_values("vae", "Z", start_x=6.64, peak_x=6.64, final_x=6.64, start_y=0.0, final_y=6.2),
    *_values("vae", "", train_loss=140.0),
    *_values("label", "Z", peak_x=(1.0, 1.3), final_x=(1.0, 1.3)),
    *_values("label", "E1", final_x=6.6),
    *_values("label", "", log10_train_loss=-1.7, log10_test_loss=-1.7),
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A paper value beside ours.

    Attributes:
        paper: The :class:`PaperValue`.
        ours: Our value (median over seeds), NaN when the suite lacks the run or layer.
        difference: ``ours - paper`` (to the middle of a range), NaN when ``ours`` is.
        within: For a range, whether ours lies in it; None for a single reading.
    """

    paper: PaperValue
    ours: float
    difference: float
    within: bool | None


def compare(found: Mapping[str, list], values=MNIST) -> list[Comparison]:
    """Puts every paper value beside the suite's.

    Args:
        found: Experiment name → its runs (``infoplane_tf.io.runs.Run``), as the report
            collects them.
        values: The paper's values (default: :data:`MNIST`).

    Returns:
        One :class:`Comparison` per value, in the order of ``values``.
    """
    compared = []
    for value in values:
        runs = found.get(value.experiment, [])
        numbers = [n for n in (_ours(run, value) for run in runs) if math.isfinite(n)]
        ours = statistics.median(numbers) if numbers else math.nan
        middle = (value.low + value.high) / 2
        within = None if value.low == value.high else bool(value.low <= ours <= value.high)
        compared.append(Comparison(value, ours, ours - middle, within))
    return compared


def _ours(run, value: PaperValue) -> float:
    """Our number for one paper value on one run (NaN when the run lacks it)."""
    final = run.summary.get("final", {})
    if value.quantity in ("log10_train_loss", "log10_test_loss", "train_loss"):
        key = "test_loss" if "test" in value.quantity else "train_loss"
        loss = final.get(key, math.nan)
        return math.log10(loss) if value.quantity.startswith("log10") and loss > 0 else loss
    if value.quantity == "test_min_iteration":
        history = run.history
        valid = np.isfinite(history.test_loss)
        if not valid.any():
            return math.nan
        return float(history.iterations[valid][np.argmin(history.test_loss[valid])])
    trajectory = run.trajectory
    if value.layer not in trajectory.layers:
        return math.nan
    series = trajectory.layer(value.layer)["i_t_out" if value.quantity.endswith("_y") else "i_xt"]
    if value.quantity.startswith("start"):
        return float(series[0])
    phases = analyze_phases(trajectory.iterations, series)
    return {
        "peak_x": phases.peak_bits,
        "peak_y": phases.peak_bits,
        "final_x": phases.final_bits,
        "final_y": phases.final_bits,
        "peak_iteration": phases.peak_iteration,
    }[value.quantity]
