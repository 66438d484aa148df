"""Lee & Jo's findings as a table of rules on the numbers of a reproduction suite.

Each finding of the paper is one ``Finding``: its text, the experiments it needs and a rule
``check(rows) -> (ok, evidence)`` on their ``Row`` numbers (bottleneck Z, medians over seeds).
``check_findings`` runs the table and marks each finding reproduced / not reproduced / not
tested (an experiment it needs is missing). The thresholds are the module constants below and
the phase rule of ``infoplane_tf.analysis.phases``; ``describe_rules`` states them in words for
the report. Numbers are never adjusted. It imports only the standard library,
``analysis.phases`` and ``catalog``: no matplotlib, no TensorFlow.

References:
    Lee, S. & Jo, J. (2021). Information Flows of Diverse Autoencoders. Entropy 23(7), 862.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from infoplane_tf.analysis.phases import describe_rule
from infoplane_tf.catalog import EXPERIMENT_NAMES

#: A fitting phase: the bottleneck's I(Z;X') rises by at least this much from the first point.
FIT_RISE_BITS = 0.5
#: Two points closer than this are equal: float32 points lie within 2e-5 bits of float64 ones
#: (benchmarks/README.md), and a code pinned at S(X) jitters by about 3e-5 bits.
ESTIMATOR_NOISE_BITS = 1e-4
#: Overfitting: the final test loss exceeds its minimum over training by this fraction.
OVERFIT_RISE = 0.05
#: "Similar errors": all full-data test reconstruction errors within this many decades.
SIMILAR_DECADES = 0.5

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTED = "not tested"


@dataclass
class Row:
    """Numbers of one experiment (the median over seeds when there are several).

    I(X;Z) values are in bits; ``simplifying`` holds one phase-rule verdict per seed.
    """

    name: str
    seeds: int
    initial_i_xz: float
    peak_i_xz: float
    peak_iteration: float
    final_i_xz: float
    drop: float
    simplifying: list[bool]
    i_zx_rise: float
    train_error: float
    test_error: float
    final_test_loss: float
    min_test_loss: float
    wall_time_s: float
    complete: bool

    @property
    def simplifying_majority(self) -> bool:
        """Whether more than half of the seeds have a simplifying phase."""
        return sum(self.simplifying) * 2 > len(self.simplifying)


#: A rule: the rows of the experiments a finding needs (those present, in ``needs`` order) →
#: (whether the finding holds, the numbers behind the verdict in words).
Check = Callable[[Mapping[str, Row]], tuple[bool, str]]


@dataclass(frozen=True)
class Finding:
    """One finding of the paper and the rule that checks it.

    Attributes:
        text: the finding as the report states it (without its number).
        needs: the experiments the rule looks at.
        check: the rule, called with the rows of the ``needs`` that are present.
        at_least: how many of ``needs`` must be present for a verdict (None: all of them);
            with fewer the finding is not tested.
        mark_partial: whether the text says "(partly tested)" when some ``needs`` are missing.
        measures_information: whether the rule reads the estimator's numbers (False: errors
            only), i.e. whether a kernel width can decide it.
    """

    text: str
    needs: tuple[str, ...]
    check: Check
    at_least: int | None = None
    mark_partial: bool = False
    measures_information: bool = True

    def evaluate(self, rows: Mapping[str, Row]) -> tuple[str, str, str]:
        """(text, status, evidence) of this finding on the rows of a suite."""
        present = {name: rows[name] for name in self.needs if name in rows}
        required = len(self.needs) if self.at_least is None else self.at_least
        if len(present) < required:
            return self.text, NOT_TESTED, _missing(self.needs, present, required)
        ok, evidence = self.check(present)
        partly = self.mark_partial and len(present) < len(self.needs)
        text = self.text + (" (partly tested)" if partly else "")
        return text, REPRODUCED if ok else NOT_REPRODUCED, evidence


def check_findings(rows: Mapping[str, Row]) -> list[tuple[str, str, str]]:
    """Each paper finding with its status (reproduced / not reproduced / not tested) and evidence.

    Args:
        rows: experiment name → its numbers; missing experiments leave findings untested.

    Returns:
        One (numbered text, status, evidence) per entry of ``FINDINGS``, in order.
    """
    results = []
    for number, finding in enumerate(FINDINGS, start=1):
        text, status, evidence = finding.evaluate(rows)
        results.append((f"{number}. {text}", status, evidence))
    return results


def describe_rules() -> str:
    """The rules and their thresholds as one paragraph (the report states it)."""
    return (
        "Rules: on I(X;Z), `infoplane_tf.analysis.phases.analyze_phases` finds a "
        f"{describe_rule()}; a fitting phase is I(Z;X') rising ≥ {FIT_RISE_BITS:g} bit while "
        f"I(X;Z) peaks no lower than it starts (within {ESTIMATOR_NOISE_BITS:g} bit, the "
        "float32 estimator's noise); "
        f"overfitting is a final test loss ≥ {OVERFIT_RISE:.0%} above its minimum; similar "
        f"errors are test errors within {SIMILAR_DECADES:g} decades."
    )


# --------------------------------------------------------------------------------------------
# The rules, one per finding
# --------------------------------------------------------------------------------------------


def _fitting_phase(rows: Mapping[str, Row]) -> tuple[bool, str]:
    """I(Z;X') rises by ≥ FIT_RISE_BITS and I(X;Z) peaks no lower than it started, everywhere."""
    ok = all(
        r.i_zx_rise >= FIT_RISE_BITS and r.peak_i_xz >= r.initial_i_xz - ESTIMATOR_NOISE_BITS
        for r in rows.values()
    )
    evidence = "; ".join(
        f"{r.name}: I(Z;X') +{r.i_zx_rise:.2f}, I(X;Z) {r.initial_i_xz:.2f}→{r.peak_i_xz:.2f}"
        for r in rows.values()
    )
    return ok, evidence


def _vanilla_simplify(rows: Mapping[str, Row]) -> tuple[bool, str]:
    """Shallow and deep both have a simplifying phase (majority of seeds)."""
    ok = all(r.simplifying_majority for r in rows.values())
    evidence = ", ".join(
        f"{r.name}: peak {r.peak_i_xz:.2f} → final {r.final_i_xz:.2f} bits, "
        f"simplifying {_simplifying(r)}"
        for r in rows.values()
    )
    return ok, evidence


def _sparsity_amplifies(rows: Mapping[str, Row]) -> tuple[bool, str]:
    """Sparse has a simplifying phase with a larger drop than shallow."""
    sparse, shallow = rows["sparse"], rows["shallow"]
    ok = sparse.simplifying_majority and sparse.drop > shallow.drop
    evidence = (
        f"drop sparse {sparse.drop:.2f} vs shallow {shallow.drop:.2f} bits; "
        f"sparse simplifying {_simplifying(sparse)}"
    )
    return ok, evidence


def _no_simplifying(rows: Mapping[str, Row]) -> tuple[bool, str]:
    """None of the experiments has a simplifying phase (majority of seeds)."""
    ok = not any(r.simplifying_majority for r in rows.values())
    evidence = ", ".join(
        f"{r.name}: drop {r.drop:.2f} bits, simplifying {_simplifying(r)}" for r in rows.values()
    )
    return ok, evidence


def _overfits(rows: Mapping[str, Row]) -> tuple[bool, str]:
    """No simplifying phase, and the final test loss ≥ OVERFIT_RISE above its minimum."""
    r = rows["deep-overfit"]
    rise = r.final_test_loss / r.min_test_loss - 1 if r.min_test_loss > 0 else math.nan
    ok = not r.simplifying_majority and rise >= OVERFIT_RISE
    evidence = (
        f"simplifying {_simplifying(r)} (drop {r.drop:.2f} bits); test loss final "
        f"{r.final_test_loss:.4g} vs minimum {r.min_test_loss:.4g} (+{100 * rise:.0f}%)"
    )
    return ok, evidence


def _similar_errors(rows: Mapping[str, Row]) -> tuple[bool, str]:
    """The test reconstruction errors lie within SIMILAR_DECADES decades of each other."""
    errors = [r.test_error for r in rows.values()]
    spread = math.log10(max(errors)) - math.log10(min(errors))
    details = ", ".join(
        f"{r.name}: train {r.train_error:.4f} / test {r.test_error:.4f}" for r in rows.values()
    )
    return spread <= SIMILAR_DECADES, f"{details} (spread {spread:.2f} decades)"


#: The paper's findings, in the paper's order (the report numbers them from 1).
FINDINGS: tuple[Finding, ...] = (
    Finding(
        "Every autoencoder shows a fitting phase: I(X;T) and I(T;X') rise together.",
        EXPERIMENT_NAMES,
        _fitting_phase,
        at_least=1,
    ),
    Finding(
        "Vanilla AEs (shallow and deep) then show a simplifying phase.",
        ("shallow", "deep"),
        _vanilla_simplify,
    ),
    Finding(
        "Sparsity amplifies the simplifying phase.", ("sparse", "shallow"), _sparsity_amplifies
    ),
    Finding(
        "Tied, variational and label AEs show no simplifying phase.",
        ("tied", "vae", "label"),
        _no_simplifying,
        at_least=1,
        mark_partial=True,
    ),
    Finding(
        "A deep AE on 10% of the data shows no simplifying phase and overfits.",
        ("deep-overfit",),
        _overfits,
    ),
    Finding(
        # The VAE's objective differs (a KL term), so its error is not compared.
        "All AEs on full data reach similar train and test errors.",
        ("shallow", "deep", "sparse", "tied", "label"),
        _similar_errors,
        at_least=2,
        measures_information=False,
    ),
)


# --------------------------------------------------------------------------------------------
# Evidence text
# --------------------------------------------------------------------------------------------


def _simplifying(row: Row) -> str:
    """``yes`` / ``no`` by seed majority, with the vote count when there are several seeds."""
    word = "yes" if row.simplifying_majority else "no"
    if row.seeds > 1:
        return f"{word} ({sum(row.simplifying)}/{len(row.simplifying)} seeds)"
    return word


def _missing(needs: tuple[str, ...], present: Mapping[str, Row], required: int) -> str:
    """Why a finding is not tested: which of the experiments it needs are missing."""
    if required == len(needs):
        return " and ".join(name for name in needs if name not in present) + " missing"
    if not present:
        return f"none of {', '.join(needs)} present"
    return f"only {len(present)} of {', '.join(needs)} present (needs {required})"
