"""Which findings hold under which estimator family: a suite's family sets as one report.

``write_family_report(SUITE, ["families", ...])`` reads the family sets that ``infoplane-tf
measure --family ... --name LABEL`` stored in every run of a suite (a label holding one
family's plain measurement counts as one member) and writes ``SUITE/REPORT-families.md`` and
``SUITE/figures/families/``:

- the paper's findings (``analysis.findings``, the rules of ``REPORT.md``) checked under every
  (label, member): a table finding × family → reproduced / not reproduced / not tested /
  undecidable (``reports.marks``), beside the width table of ``REPORT-widths.md``;
- the bottleneck's numbers under every family: I(X;Z) at iteration 0, the untrained level,
  peak, final, drop and the simplifying verdict;
- one figure per experiment, the plane and bottleneck curve under each family side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from infoplane_tf.analysis.findings import check_findings
from infoplane_tf.analysis.summary import measurement_verdict
from infoplane_tf.catalog import EXPERIMENTS
from infoplane_tf.families import describe
from infoplane_tf.io.runs import Run
from infoplane_tf.reports.marks import LEGEND, finding_marks, verdict_cells
from infoplane_tf.reports.suite import FIGURES, LAYER, collect, summarize
from infoplane_tf.reports.widths import WIDTH_REPORT_NAME
from infoplane_tf.validation import ParameterError

FAMILY_REPORT_NAME = "REPORT-families.md"


def write_family_report(suite: str | Path, labels: Sequence[str]) -> Path:
    """Writes ``REPORT-families.md`` and ``figures/families/`` for a suite's family sets.

    Args:
        suite: a suite folder (one run, or ``seed-K`` runs, per experiment).
        labels: measurements to compare, each a family set (or one measurement) of every run.

    Returns:
        The report's path.

    Raises:
        ValueError: no labels, no runs, a label some run lacks (named), or members that differ
            between the runs of a label.
    """
    suite = Path(suite)
    if not labels:
        raise ParameterError("labels", "needs at least one family-set measurement")
    columns = []  # (label, member name, experiment → runs measured by that member)
    sets = {label: collect(suite, label) for label in labels}
    for label, found in sets.items():
        if not found:
            raise ValueError(f"{suite}: no experiment runs found")
        for member in set_members(found, label):
            columns.append((label, member, {n: [_at(r, member) for r in runs]
                                            for n, runs in found.items()}))  # fmt: skip
    lines = ["# Estimator families", "", _explanation(suite, columns), ""]
    lines += _findings_table(columns)
    lines += _numbers_table(columns)
    lines += ["", "## Figures", ""] + _figures(suite, sets)
    path = suite / FAMILY_REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def set_members(found: dict[str, list[Run]], label: str) -> list[str | None]:
    """The member names of ``label`` (the same in every run), or [None] for a plain one."""
    names = {tuple(run.families or ()) for runs in found.values() for run in runs}
    if len(names) != 1:
        raise ValueError(f"measurement {label!r} holds different families in different runs")
    members = list(names.pop())
    return members or [None]


def _at(run: Run, member: str | None) -> Run:
    """The run with one member's measurement in use."""
    if member is None:
        return run
    label = f"{run.measurement_label}/{member}"
    return dataclasses.replace(run, measurement=run.families[member], measurement_label=label,
                               families=None)  # fmt: skip


def _describe(runs: dict[str, list[Run]]) -> str:
    return describe(next(iter(runs.values()))[0].trajectory.settings.get("estimator") or {})


def _explanation(suite: Path, columns) -> str:
    first = next(iter(columns[0][2].values()))[0]
    controls = (first.controls or {}).get("fresh-init", {}).get("seeds")
    sizes = {}
    for label, _, runs in columns:
        estimator = next(iter(runs.values()))[0].trajectory.settings.get("estimator", {})
        sizes.setdefault(label, estimator.get("n_probe"))
    widths = (
        f" The kernel-width table of the Rényi estimator is in [{WIDTH_REPORT_NAME}]"
        f"({WIDTH_REPORT_NAME})."
        if (suite / WIDTH_REPORT_NAME).is_file()
        else ""
    )
    return (
        "Every run of the suite measured again from its checkpoints under each estimator "
        "family, every family reading the same forward pass of the same probe ("
        + ", ".join(f"`{label}`: n = {n} test images" for label, n in sizes.items())
        + ")"
        + (
            f", with {len(controls)} fresh initialisations as the untrained level"
            if controls
            else ""
        )
        + ". Findings are checked with the rules of REPORT.md under every family; numbers are "
        "the bottleneck Z (medians over seeds)." + widths
    )


def _findings_table(columns) -> list[str]:
    """One row per (label, member), one column per finding."""
    texts = [text for text, _, _ in check_findings({})]
    lines = ["## Findings × estimator family", ""] + [f"- {text}" for text in texts]
    lines += [
        "",
        LEGEND,
        "",
        "| measurement | estimator | " + " | ".join(t.split(".")[0] for t in texts) + " |",
        "|---|---|" + "---|" * len(texts),
    ]
    for label, member, runs in columns:
        rows = {name: summarize(name, measured) for name, measured in runs.items()}
        verdicts = {
            name: [measurement_verdict(run.measurement, LAYER) for run in measured]
            for name, measured in runs.items()
        }
        name = label if member is None else f"{label}/{member}"
        marks = finding_marks(rows, verdicts)
        lines.append(f"| {name} | {_describe(runs)} | " + " | ".join(marks) + " |")
    return lines


def _numbers_table(columns) -> list[str]:
    lines = [
        "",
        "## Bottleneck numbers × estimator family",
        "",
        "I(X;Z) in bits: at iteration 0, peak, final, drop; 'fresh' is the median over freshly "
        "initialised networks (the untrained level); 'simplifying' counts seeds.",
        "",
        "| experiment | measurement | estimator | iteration 0 | fresh | peak | final | drop "
        "| simplifying |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for experiment in (e.name for e in EXPERIMENTS):
        for label, _, runs in columns:
            if experiment not in runs:
                continue
            at = [measurement_verdict(run.measurement, LAYER) for run in runs[experiment]]
            lines.append(f"| {experiment} | {label} | {_describe(runs)} | {verdict_cells(at)} |")
    return lines


def _figures(suite: Path, found: dict[str, dict[str, list[Run]]]) -> list[str]:
    from infoplane_tf import plotting  # matplotlib only when a report is written

    folder = suite / FIGURES / "families"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for experiment in (e.name for e in EXPERIMENTS):
        runs = [f[experiment][0] for f in found.values() if experiment in f]
        if not runs:
            continue
        path = folder / f"{experiment}.png"
        plotting.save_figure(plotting.plot_families(runs), path, dpi=150)
        lines += [
            f"### {experiment}",
            "",
            f"![{experiment}]({path.relative_to(suite).as_posix()})",
            "",
        ]
    return lines
