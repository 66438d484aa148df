"""Findings marked on one measurement of a suite, shared by the width and family reports.

A measurement that cannot tell a trained bottleneck from an untrained one (its I(X;Z) stays
within ``UNTRAINED_BITS`` of the fresh-initialisation level at its peak and at its end) says
nothing about the findings that read the estimator: such experiments are left out of them, and
a finding left with too few experiments is undecidable.
"""

from __future__ import annotations

import statistics

from infoplane_tf.analysis.findings import FINDINGS, NOT_TESTED, REPRODUCED, Row

#: A trained bottleneck within this many bits of the untrained level (fresh initialisations, or
#: iteration 0 without controls) at its peak and at its end: the estimator cannot tell them apart.
UNTRAINED_BITS = 0.1
UNDECIDABLE = "undecidable"
MARKS = {REPRODUCED: "✓", NOT_TESTED: "·", UNDECIDABLE: "?"}
#: The legend of ``finding_marks``'s table cells.
LEGEND = (
    "✓ reproduced, ✗ not reproduced, · not tested. An experiment whose bottleneck stays "
    f"within {UNTRAINED_BITS:g} bit of its untrained level (fresh initialisations) at its "
    "peak and at its end is one this measurement cannot tell from an untrained network: it is "
    "left out of the findings that read I (* marks a verdict reached without it; ? a finding "
    "left with too few experiments: undecidable)."
)


def finding_marks(rows: dict[str, Row], verdicts: dict[str, list[dict]]) -> list[str]:
    """Each finding's mark (``MARKS``, ``✗``, a ``*`` suffix) on one measurement.

    Args:
        rows: experiment → its ``Row`` under this measurement.
        verdicts: experiment → one bottleneck verdict per seed (``analysis.summary``'s
            ``measurement_verdict``), for the untrained test.
    """
    unseen = {
        name
        for name, seeds in verdicts.items()
        if seeds and statistics.median(distance_from_untrained(v) for v in seeds) < UNTRAINED_BITS
    }
    marks = []
    for finding in FINDINGS:
        dropped = unseen & set(finding.needs) & set(rows) if finding.measures_information else set()
        status = finding.evaluate({k: v for k, v in rows.items() if k not in dropped})[1]
        if status == NOT_TESTED and dropped:
            marks.append(MARKS[UNDECIDABLE])
        else:
            marks.append(MARKS.get(status, "✗") + ("*" if dropped else ""))
    return marks


def distance_from_untrained(verdict: dict) -> float:
    """max(|peak − untrained|, |final − untrained|) of one verdict's I(X;Z), in bits."""
    untrained = verdict["fresh_init_bits"]
    untrained = verdict["start_bits"] if untrained is None else untrained
    return max(abs(verdict["peak_bits"] - untrained), abs(verdict["final_bits"] - untrained))


def median_cell(verdicts: list[dict], key: str) -> str:
    """The median of ``key`` over verdicts as a table cell (2 decimals), ``-`` when absent."""
    values = [v[key] for v in verdicts if v.get(key) is not None]
    return f"{statistics.median(values):.2f}" if values else "-"


def verdict_cells(verdicts: list[dict]) -> str:
    """The bottleneck-numbers cells of one row: iteration 0, fresh, peak, final, drop (medians
    over seeds, bits) and the seeds with a simplifying phase."""
    keys = ("start_bits", "fresh_init_bits", "peak_bits", "final_bits", "drop_bits")
    simplifying = sum(v["has_simplifying_phase"] for v in verdicts)
    return " | ".join([*(median_cell(verdicts, key) for key in keys),
                       f"{simplifying}/{len(verdicts)}"])  # fmt: skip
