"""Which findings hold at which kernel widths: a suite's width maps as one report.

``write_width_report(SUITE, ["widths-paper", "widths-scaled", ...])`` reads the width maps
that ``infoplane-tf measure --gamma G1,G2,… --name LABEL`` stored in every run of a suite and
writes ``SUITE/REPORT-widths.md`` and ``SUITE/figures/widths/``:

- the paper's findings (``analysis.findings``, the same rules as ``REPORT.md``) checked at every
  (rule, γ): a table finding × rule × γ → reproduced / not reproduced / not tested;
- the bottleneck's numbers at every (experiment, rule, γ): I(X;Z) at iteration 0, its peak, its
  final value and drop, the simplifying verdict, and the fresh-initialisation level;
- one sensitivity figure per experiment (a row per rule).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from infoplane_tf.analysis.findings import check_findings
from infoplane_tf.analysis.summary import width_verdicts
from infoplane_tf.catalog import EXPERIMENTS
from infoplane_tf.io.runs import Run
from infoplane_tf.reports.marks import LEGEND, finding_marks, verdict_cells
from infoplane_tf.reports.suite import FIGURES, LAYER, collect, summarize
from infoplane_tf.validation import ParameterError

WIDTH_REPORT_NAME = "REPORT-widths.md"


def write_width_report(suite: str | Path, labels: Sequence[str]) -> Path:
    """Writes ``REPORT-widths.md`` and ``figures/widths/`` for a suite's width maps.

    Args:
        suite: a suite folder (one run, or ``seed-K`` runs, per experiment).
        labels: the width-map measurements to compare (one per width rule), each present in
            every run.

    Raises:
        ValueError: no labels, no runs, or a label that is not a width map of every run.
    """
    suite = Path(suite)
    if not labels:
        raise ParameterError("labels", "needs at least one width-map measurement")
    maps = {label: collect(suite, label) for label in labels}
    for label, found in maps.items():
        if not found:
            raise ValueError(f"{suite}: no experiment runs found")
        for runs in found.values():
            if any(run.width_map is None for run in runs):
                raise ValueError(f"{runs[0].path}: measurement {label!r} is not a width map")
    # The bottleneck's verdicts per label, experiment and seed, γ → verdict: analysed once.
    verdicts = {
        label: {name: [width_verdicts(run, LAYER) for run in runs] for name, runs in found.items()}
        for label, found in maps.items()
    }
    lines = ["# Kernel-width sensitivity", "", _explanation(maps), ""]
    lines += _findings_table(maps, verdicts)
    lines += _numbers_table(maps, verdicts)
    lines += ["", "## Figures", ""] + _figures(suite, maps)
    path = suite / WIDTH_REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def _explanation(maps: dict[str, dict[str, list[Run]]]) -> str:
    first = next(iter(next(iter(maps.values())).values()))[0]
    estimator = first.trajectory.settings.get("estimator", {})
    return (
        f"Every run of the suite measured again from its checkpoints at σ = γ·σ₁ for each rule "
        f"({', '.join(f'`{label}`' for label in maps)}), α = {estimator.get('alpha')}, "
        f"n = {estimator.get('n_probe')} test images. Findings are checked with the rules of "
        "REPORT.md at every (rule, γ): ✓ reproduced, ✗ not reproduced, · not tested. "
        "Numbers are the bottleneck Z (medians over seeds)."
    )


def _rows_at(found: dict[str, list[Run]], gamma: float) -> dict:
    """The findings rows of a suite with every run's trajectory at width scale ``gamma``."""
    rows = {}
    for name, runs in found.items():
        at = [_at(run, gamma) for run in runs]
        if all(run is not None for run in at):
            rows[name] = summarize(name, at)
    return rows


def _at(run: Run, gamma: float) -> Run | None:
    """The run with the trajectory of one member of its width map (None if not measured)."""
    member = run.width_map.get(gamma)
    if member is None:
        return None
    return dataclasses.replace(run, measurement=member)


def _gammas(maps: dict[str, dict[str, list[Run]]], label: str) -> list[float]:
    found = maps[label]
    return sorted({g for runs in found.values() for run in runs for g in run.width_map})


def _findings_table(maps: dict[str, dict[str, list[Run]]], verdicts: dict) -> list[str]:
    """One row per (rule, γ), one column per finding."""
    settings = [(label, g) for label in maps for g in _gammas(maps, label)]
    texts = [text for text, _, _ in check_findings({})]
    lines = ["## Findings × width", ""] + [f"- {text}" for text in texts]
    lines += [
        "",
        LEGEND,
        "",
        "| rule | γ | " + " | ".join(text.split(".")[0] for text in texts) + " |",
        "|---|---|" + "---|" * len(texts),
    ]
    for label, g in settings:
        at_gamma = {name: [v[g] for v in seeds] for name, seeds in verdicts[label].items()}
        marks = finding_marks(_rows_at(maps[label], g), at_gamma)
        lines.append(f"| {label} | {g:g} | " + " | ".join(marks) + " |")
    return lines


def _numbers_table(maps: dict[str, dict[str, list[Run]]], verdicts: dict) -> list[str]:
    lines = [
        "",
        "## Bottleneck numbers × width",
        "",
        "I(X;Z) in bits: at iteration 0, peak, final, drop; 'fresh' is the median over freshly "
        "initialised networks (the untrained level); 'simplifying' counts seeds.",
        "",
        "| experiment | rule | γ | iteration 0 | fresh | peak | final | drop | simplifying |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for experiment in (e.name for e in EXPERIMENTS):
        for label in maps:
            seeds = verdicts[label].get(experiment)
            if not seeds:
                continue
            for gamma in _gammas(maps, label):
                at = [v[gamma] for v in seeds if gamma in v]
                lines.append(f"| {experiment} | {label} | {gamma:g} | {verdict_cells(at)} |")
    return lines


def _figures(suite: Path, maps: dict[str, dict[str, list[Run]]]) -> list[str]:
    from infoplane_tf import plotting  # matplotlib only when a report is written

    folder = suite / FIGURES / "widths"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    experiments = [e.name for e in EXPERIMENTS if any(e.name in f for f in maps.values())]
    for experiment in experiments:
        runs = [found[experiment][0] for found in maps.values() if experiment in found]
        path = folder / f"{experiment}.png"
        plotting.save_figure(plotting.plot_sensitivity(runs, [LAYER]), path, dpi=150)
        lines += [f"![{experiment}]({path.relative_to(suite).as_posix()})", ""]
    return lines
