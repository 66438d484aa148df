"""The information-bottleneck debate as rules: which claims hold for a set of classifier runs?

Shwartz-Ziv & Tishby (2017) saw two phases in the tanh network on their 12-bit set: *fitting*
(I(T;Y) rises) and then *compression* (I(X;T) falls), which they tied to generalisation. Saxe
et al. (2018) answered that the compression comes from the saturating nonlinearity: the same
network with ReLU does not compress (under binning and KDE), and networks generalise without
compressing. This module turns four of those claims into explicit rules on one estimator's
measurements of a group of runs (seeds, and tanh beside ReLU); it imports only NumPy.

Per run (one seed, one estimator member), on the *last hidden layers* (the last two before the
softmax; the one if there is one):

- ``fits``: I(T;Y) of the last hidden layer ends at least ``FIT_BITS`` above its value before
  training (final = mean of the last 5 % of points, as ``analysis.phases``).
- ``compresses``: a simplifying phase (``analysis.phases``: a fall from the peak of at least
  0.5 bit and 10 % of the peak, the peak before 90 % of training) in I(X;T) of any of them.
- ``saturates``: for a bounded activation, the saturated fraction of the compressing layer
  grew by at least ``SATURATION_RISE`` from the peak of I(X;T) to the end (NaN-free only for
  tanh/sigmoid layers; ReLU is unbounded and has none).

Then per claim and estimator (``judge``):

1. *Fitting*: every run fits.
2. *Compression in the last hidden layers*: most runs of the saturating activation compress.
3. *Compression follows saturation*: most tanh runs compress while saturating, and at most a
   minority of ReLU runs compress.
4. *Generalisation without compression*: some run that compresses in no hidden layer
   generalises (a test accuracy at least halfway from chance to perfect) and comes within
   ``ACCURACY_SLACK`` of the best run's test accuracy.

References:
    R. Shwartz-Ziv, N. Tishby, "Opening the Black Box of Deep Neural Networks via
    Information", arXiv:1703.00810, 2017.
    A. M. Saxe et al., "On the Information Bottleneck Theory of Deep Learning", ICLR 2018.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from infoplane_tf.analysis.phases import TAIL, analyze_phases
from infoplane_tf.catalog import CLASSIFIER_OUTPUT

#: The smallest rise of I(T;Y) of the last hidden layer that counts as fitting, in bits.
FIT_BITS = 0.1
#: The smallest rise of the saturated fraction, from the peak of I(X;T) to the end.
SATURATION_RISE = 0.1
#: How far below the best test accuracy a non-compressing run may be and still generalise.
ACCURACY_SLACK = 0.01
#: The claims, in the report's order: key → how the report names it.
CLAIMS = {
    "fitting": "Fitting: I(T;Y) of the last hidden layer rises",
    "compression": "Compression of I(X;T) in the last hidden layers",
    "saturation": "Compression follows saturation (tanh compresses while saturating, ReLU not)",
    "generalisation": "Generalisation without compression",
}


@dataclasses.dataclass(frozen=True)
class RunEvidence:
    """One run under one estimator: the numbers the claims are judged on.

    Attributes:
        activation: the hidden activation (``"tanh"``, ``"relu"``, ...).
        fit_bits: I(T;Y) of the last hidden layer, final minus initial (bits).
        drop_bits: the largest fall of I(X;T) from its peak among the last hidden layers (bits).
        compresses: a simplifying phase in any of the last hidden layers.
        compresses_anywhere: a simplifying phase in any hidden layer.
        saturation_rise: the largest rise of the saturated fraction, from the layer's peak of
            I(X;T) to the end, among the compressing last hidden layers (all of them if none
            compresses); NaN for an unbounded activation or without diagnostics.
        test_accuracy: the run's final test accuracy.
        chance: the accuracy of guessing, 1 / classes.
    """

    activation: str
    fit_bits: float
    drop_bits: float
    compresses: bool
    compresses_anywhere: bool
    saturation_rise: float
    test_accuracy: float
    chance: float

    @property
    def saturates(self) -> bool:
        return self.saturation_rise >= SATURATION_RISE

    @property
    def generalises(self) -> bool:
        """A test accuracy at least halfway from chance to perfect."""
        return self.test_accuracy >= (1 + self.chance) / 2


def hidden_layers(layers: Sequence[str]) -> list[str]:
    """The measured layers but a classifier's output (``catalog.CLASSIFIER_OUTPUT``)."""
    return [name for name in layers if name != CLASSIFIER_OUTPUT]


def last_hidden(layers: Sequence[str]) -> list[str]:
    """The last two hidden layers (one if there is one), the softmax left out."""
    return hidden_layers(layers)[-2:]


def run_evidence(
    activation: str,
    layers: Sequence[str],
    iterations: np.ndarray,
    i_xt: np.ndarray,
    i_t_label: np.ndarray,
    saturated: np.ndarray | None,
    test_accuracy: float,
    n_classes: int,
) -> RunEvidence:
    """The evidence of one run under one estimator.

    Args:
        activation: the run's hidden activation.
        layers: the L measured layer names, the softmax last.
        iterations: (P,) the points' training iterations.
        i_xt, i_t_label: (P, L) I(X;T) and I(T;Y) in bits (NaN: a missing point).
        saturated: (P, L) saturated fractions at the same points, or None.
        test_accuracy: the run's final test accuracy, in [0, 1].
        n_classes: the number of classes (for the accuracy of guessing).
    """
    names = list(layers)
    hidden = hidden_layers(names)
    phases = {name: analyze_phases(iterations, i_xt[:, names.index(name)]) for name in hidden}
    last = last_hidden(names)
    worst = max(last, key=lambda name: _finite(phases[name].drop_bits))
    series = i_t_label[:, names.index(last[-1])]
    finite = series[np.isfinite(series)]
    tail = max(1, math.ceil(TAIL * len(finite)))
    fit = float(np.mean(finite[-tail:]) - finite[0]) if len(finite) else math.nan
    compressing = [name for name in last if phases[name].has_simplifying_phase] or last
    rises = [
        _rise(saturated[:, names.index(name)], iterations, phases[name].peak_iteration, tail)
        for name in compressing
        if saturated is not None
    ]
    return RunEvidence(
        activation=activation,
        fit_bits=fit,
        drop_bits=float(phases[worst].drop_bits),
        compresses=any(phases[name].has_simplifying_phase for name in last),
        compresses_anywhere=any(p.has_simplifying_phase for p in phases.values()),
        saturation_rise=max(rises, key=_finite, default=math.nan),
        test_accuracy=float(test_accuracy),
        chance=1.0 / n_classes,
    )


def _rise(saturated: np.ndarray, iterations, peak, tail: int) -> float:
    """The saturated share's rise from the peak iteration to the end (NaN: unbounded)."""
    if peak is None or not np.all(np.isfinite(saturated)):
        return math.nan
    at_peak = saturated[int(np.argmin(np.abs(np.asarray(iterations) - peak)))]
    return float(np.mean(saturated[-tail:]) - at_peak)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A claim under one estimator: ``holds`` (True, False, or None: not testable here) and the
    numbers behind it, one text per activation (``"tanh: 5/5 …"``)."""

    holds: bool | None
    details: tuple[str, ...]


def judge(claim: str, evidence: Sequence[RunEvidence]) -> Verdict:
    """Judges ``claim`` (a key of ``CLAIMS``) on the runs of one estimator.

    Args:
        claim: one of ``CLAIMS``.
        evidence: every run (all seeds, all activations) under that estimator.

    Returns:
        The ``Verdict``; its details give, per activation, the count of runs that meet the
        rule and the range of the numbers over seeds.

    Raises:
        ValueError: an unknown claim, or no evidence.
    """
    if claim not in CLAIMS:
        raise ValueError(f"claim must be one of {', '.join(CLAIMS)}, got {claim!r}")
    if not evidence:
        raise ValueError("judge needs the evidence of at least one run")
    groups: dict[str, list[RunEvidence]] = {}
    for run in evidence:
        groups.setdefault(run.activation, []).append(run)
    return {
        "fitting": _fitting,
        "compression": _compression,
        "saturation": _saturation,
        "generalisation": _generalisation,
    }[claim](groups)


def _range(values) -> str:
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return "n/a"
    low, high = min(values), max(values)
    return f"{low:.2f}" if len(values) == 1 or low == high else f"{low:.2f} to {high:.2f}"


def _fitting(groups) -> Verdict:
    details = tuple(
        f"{name}: {sum(r.fit_bits >= FIT_BITS for r in runs)}/{len(runs)} "
        f"(ΔI(T;Y) {_range(r.fit_bits for r in runs)} bit)"
        for name, runs in groups.items()
    )
    every = all(r.fit_bits >= FIT_BITS for runs in groups.values() for r in runs)
    return Verdict(every, details)


def _compression(groups) -> Verdict:
    details = tuple(
        f"{name}: {sum(r.compresses for r in runs)}/{len(runs)} "
        f"(fall {_range(r.drop_bits for r in runs)} bit)"
        for name, runs in groups.items()
    )
    bounded = [runs for name, runs in groups.items() if name != "relu"]
    if not bounded:
        return Verdict(None, details)
    return Verdict(all(_most(r.compresses for r in runs) for runs in bounded), details)


def _saturation(groups) -> Verdict:
    details = []
    for name, runs in groups.items():
        compressing = [r for r in runs if r.compresses]
        both = sum(r.compresses and r.saturates for r in runs)
        if name == "relu":
            details.append(f"relu: {len(compressing)}/{len(runs)} compress (no saturation)")
            continue
        text = f"{name}: {both}/{len(runs)} compress while saturating"
        if compressing:
            text += f" (saturated share {_range(r.saturation_rise for r in compressing)})"
        details.append(text)
    if "relu" not in groups or len(groups) < 2:
        return Verdict(None, tuple(details))
    saturating = [runs for name, runs in groups.items() if name != "relu"]
    holds = all(_most(r.compresses and r.saturates for r in runs) for runs in saturating)
    holds = holds and not _most(r.compresses for r in groups["relu"])
    return Verdict(holds, tuple(details))


def _generalisation(groups) -> Verdict:
    runs = [r for group in groups.values() for r in group]
    best = max(r.test_accuracy for r in runs)
    plain = [r for r in runs if not r.compresses_anywhere]
    details = tuple(
        f"{name}: {sum(not r.compresses_anywhere for r in group)}/{len(group)} never compress, "
        f"test accuracy {_range(r.test_accuracy for r in group)}"
        for name, group in groups.items()
    )
    good = [r for r in plain if r.generalises and r.test_accuracy >= best - ACCURACY_SLACK]
    return Verdict(bool(good), details)


def _most(flags) -> bool:
    flags = list(flags)
    return sum(flags) * 2 > len(flags)
