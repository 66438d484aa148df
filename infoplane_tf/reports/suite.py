"""The reproduction report: a suite's results next to Lee & Jo's findings, with figures.

``write_report(DIR)`` reads every run of a suite made by ``infoplane-tf reproduce`` or ``sweep``
(one run per experiment or model, or ``<experiment>/seed-K`` runs) and writes ``DIR/REPORT.md``
and ``DIR/figures/``; a sweep that varies other settings holds one such suite per setting
(``DIR/<setting>/``), reported each on its own and side by side.
Each of the paper's findings is checked by an explicit rule on the numbers, stated in the
report, and marked reproduced / not reproduced / not tested. Numbers are never adjusted.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from infoplane_tf.analysis.findings import Row, check_findings, describe_rules
from infoplane_tf.analysis.paper_values import QUANTITIES
from infoplane_tf.analysis.paper_values import compare as compare_with_paper
from infoplane_tf.analysis.phases import analyze_phases
from infoplane_tf.catalog import EXPERIMENT_NAMES, EXPERIMENTS, MODEL_NAMES
from infoplane_tf.families import describe
from infoplane_tf.io.runs import RECORDED, Run, is_run_dir, load_run
from infoplane_tf.io.sweep_record import read_sweep_record
from infoplane_tf.width_rules import default_gamma

REPORT_NAME = "REPORT.md"
FIGURES = "figures"
LAYER = "Z"


#: The run folders of a suite: the paper's experiments, then the models a sweep varies.
RUN_NAMES = EXPERIMENT_NAMES + tuple(m for m in MODEL_NAMES if m not in EXPERIMENT_NAMES)


def collect(
    suite: Path, measurement: str | None = None, names: Sequence[str] = RUN_NAMES
) -> dict[str, list[Run]]:
    """Experiment (or model) name → its runs (one, or one per seed) found in the suite folder,
    each with the trajectory of ``measurement`` (None or "recorded": the one recorded in
    training); ``names``: the run folders to look for (default: the paper's experiments, then
    the models)."""
    found = {}
    for name in names:
        folder = suite / name
        if is_run_dir(folder):
            found[name] = [load_run(folder, measurement)]
        elif folder.is_dir():
            seeds = sorted(p for p in folder.glob("seed-*") if is_run_dir(p))
            if seeds:
                found[name] = [load_run(p, measurement) for p in seeds]
    return found


def report_names(measurement: str | None) -> tuple[str, str]:
    """``(report file, figures folder)`` of a suite's report on ``measurement``."""
    if measurement in (None, RECORDED):
        return REPORT_NAME, FIGURES
    flat = measurement.replace("/", "-")  # a member of a family set or width map: LABEL/MEMBER
    return f"REPORT-{flat}.md", f"{FIGURES}/{flat}"


def _run_numbers(run: Run) -> dict:
    t = run.trajectory
    z = t.layer(LAYER)
    phases = analyze_phases(t.iterations, z["i_xt"])
    valid = np.isfinite(z["i_t_out"])
    i_zx = z["i_t_out"][valid]
    epoch_test = run.history.test_loss[np.isfinite(run.history.test_loss)]
    final = run.summary.get("final", {})
    return {
        "initial_i_xz": float(z["i_xt"][valid][0]) if valid.any() else math.nan,
        "peak_i_xz": phases.peak_bits,
        "peak_iteration": phases.peak_iteration if phases.peak_iteration is not None else math.nan,
        "final_i_xz": phases.final_bits,
        "drop": phases.drop_bits,
        "simplifying": phases.has_simplifying_phase,
        "i_zx_rise": float(np.max(i_zx) - i_zx[0]) if len(i_zx) else math.nan,
        "train_error": final.get("train_reconstruction_error", math.nan),
        "test_error": final.get("test_reconstruction_error", math.nan),
        "final_test_loss": float(epoch_test[-1]) if len(epoch_test) else math.nan,
        "min_test_loss": float(epoch_test.min()) if len(epoch_test) else math.nan,
        "wall_time_s": run.summary.get("wall_time_s", math.nan),
        "complete": run.complete,
    }


def summarize(name: str, runs: list[Run]) -> Row:
    """The row of one experiment; medians over seeds."""
    numbers = [_run_numbers(run) for run in runs]

    def median(key):
        values = [n[key] for n in numbers if n[key] is not None and not _isnan(n[key])]
        return statistics.median(values) if values else math.nan

    return Row(
        name=name,
        seeds=len(runs),
        initial_i_xz=median("initial_i_xz"),
        peak_i_xz=median("peak_i_xz"),
        peak_iteration=median("peak_iteration"),
        final_i_xz=median("final_i_xz"),
        drop=median("drop"),
        simplifying=[n["simplifying"] for n in numbers],
        i_zx_rise=median("i_zx_rise"),
        train_error=median("train_error"),
        test_error=median("test_error"),
        final_test_loss=median("final_test_loss"),
        min_test_loss=median("min_test_loss"),
        wall_time_s=sum(n["wall_time_s"] for n in numbers if not _isnan(n["wall_time_s"])),
        complete=all(n["complete"] for n in numbers),
    )


def _isnan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def write_report(suite: str | Path, measurement: str | None = None) -> Path:
    """Writes ``REPORT.md`` and ``figures/`` for a suite folder; returns the report's path.

    A folder whose subfolders are suites (e.g. ``paper/`` and ``scaled/`` of a robustness
    study) gets a report per subfolder plus a comparison report (``write_comparison``).

    Args:
        suite: the suite folder.
        measurement: report on every run's ``measurements/<label>`` (``infoplane-tf measure``)
            instead of the trajectory recorded in training; written to ``REPORT-<label>.md``
            and ``figures/<label>/``, next to the recorded report.

    Raises:
        ValueError: the folder holds no run of any experiment, or a run lacks the measurement.
    """
    suite = Path(suite)
    found = collect(suite, measurement)
    if not found:
        variants = sorted(p for p in suite.iterdir() if p.is_dir() and collect(p))
        if variants:
            return write_comparison(suite, variants, measurement)
        raise ValueError(
            f"{suite}: no experiment runs found (expected folders {', '.join(EXPERIMENT_NAMES)})"
        )
    report_name, figures = report_names(measurement)
    rows = {name: summarize(name, runs) for name, runs in found.items()}
    links = _experiment_figures(suite, found, figures)
    suite_record = read_sweep_record(suite, legacy=True)
    first = next(iter(found.values()))[0]
    lines = _header(first.config, first.trajectory.settings if first.remeasured else None)
    if first.config.get("dataset") == "mnist" and not first.remeasured:
        lines += _paper_table(found)
    lines += _results_table(rows, found)
    lines += ["", _wall_times(rows, suite_record), ""]
    lines += _findings_section(rows)
    lines += _figures_section(links)
    path = suite / report_name
    path.write_text("\n".join(lines) + "\n")
    return path


def write_comparison(folder: Path, variants: list[Path], measurement: str | None = None) -> Path:
    """Reports on several suites of the same experiments (e.g. two σ rules, several seeds).

    Writes each variant's own report, then ``folder/REPORT.md`` with one table of the findings'
    status per variant, the experiments' numbers per variant, and one seed-band figure per
    experiment comparing the variants.
    """
    rows, found = {}, {}
    report_name, figures = report_names(measurement)
    for variant in variants:
        write_report(variant, measurement)
        found[variant.name] = collect(variant, measurement)
        rows[variant.name] = {n: summarize(n, r) for n, r in found[variant.name].items()}
    names = [v.name for v in variants]
    experiments = [e.name for e in EXPERIMENTS if any(e.name in rows[n] for n in names)]
    lines = [
        f"# Comparison: {', '.join(names)}",
        "",
        "Each variant is a suite of its own (see its REPORT.md); numbers are medians over seeds "
        "for the bottleneck Z, and 'simplifying' counts the seeds with a simplifying phase.",
        "",
    ]
    lines += _findings_per_variant(rows)
    lines += _numbers_per_variant(rows, experiments)
    lines += ["", "## Figures", ""]
    lines += _comparison_figures(folder / figures, folder, found, experiments)
    lines += ["Variant reports: " + ", ".join(f"[{n}]({n}/{report_name})" for n in names), ""]
    path = folder / report_name
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------------------------
# Sections of a suite's report
# --------------------------------------------------------------------------------------------


def _experiment_figures(suite: Path, found: dict[str, list[Run]], folder: str) -> dict[str, str]:
    """Draws ``<folder>/<experiment>.png`` (all panels, or seed bands); name → relative link."""
    from infoplane_tf import plotting  # matplotlib only when a report is written

    figures = suite / folder
    figures.mkdir(parents=True, exist_ok=True)
    links = {}
    for name, runs in found.items():
        path = figures / f"{name}.png"
        if len(runs) == 1:
            fig = plotting.plot_all(runs)
        else:
            fig = plotting.plot_seed_bands({name: runs})
        plotting.save_figure(fig, path, dpi=150)
        links[name] = path.relative_to(suite).as_posix()
    return links


def _header(config: dict, measured: dict | None = None) -> list[str]:
    """The title and the settings of the runs (taken from the first run's configuration, and
    from its measurement's settings when the report is on a measurement)."""
    alpha, rule, gamma = config.get("alpha"), config.get("sigma"), config.get("gamma")
    gamma = default_gamma(rule) if gamma is None else gamma  # None: the rule's own
    estimated = f"α = {alpha}, σ rule `{rule}` (γ = {gamma})"
    probe = f"first {config.get('probe_size')} test images"
    source = f"recording `{config.get('record')}`"
    if measured is not None:
        estimator = measured["estimator"]
        if "family" in estimator:  # a member of a family set
            estimated = f"estimator {describe(estimator)}"
        else:
            estimated = (f"α = {estimator['alpha']}, σ rule `{estimator['sigma']}` "
                         f"(γ = {estimator['gamma']})")  # fmt: skip
        offset = measured.get("probe_offset", 0)
        probe = f"test images {offset}..{offset + estimator['n_probe'] - 1}"
        source = "re-measured at every weight checkpoint (`infoplane-tf measure`)"
    adam = "PyTorch's Adam" if config.get("optimizer") == "torch-adam" else "Adam"
    return [
        f"# Reproduction report: {config.get('dataset')}",
        "",
        "Lee & Jo, *Information Flows of Diverse Autoencoders* (Entropy 2021), reproduced with "
        "`infoplane-tf reproduce`. Settings of these runs: batch "
        f"{config.get('batch_size')}, {adam} {config.get('learning_rate')}, "
        f"init `{config.get('init', 'keras')}`, {source}, "
        f"{estimated}, probe = {probe}. "
        "Numbers are for the bottleneck Z; with several seeds they are medians.",
        "",
    ]


def _paper_table(found: dict[str, list[Run]]) -> list[str]:
    """Every value of the paper's MNIST results beside ours, with the difference."""
    lines = [
        "## Against the paper (MNIST)",
        "",
        "The paper's values are read off its figures (single runs, approximate); ours use the "
        "rules of the findings below (peak: maximum of a 2%-of-points moving average; final: "
        "mean of the last 5% of points), medians over seeds. Losses are the training objective "
        "(MSE per pixel, plus the sparsity or label term; the VAE's BCE + KL per image).",
        "",
        "| experiment | layer | quantity | paper | ours | ours - paper |",
        "|---|---|---|---|---|---|",
    ]
    for c in compare_with_paper(found):
        value = c.paper
        digits = 0 if value.quantity.endswith("iteration") else 2
        within = "" if c.within is None else (" (inside)" if c.within else " (outside)")
        lines.append(
            f"| {value.experiment} | {value.layer or '-'} | {QUANTITIES[value.quantity]} "
            f"| {value.reading} | {c.ours:.{digits}f} | {c.difference:+.{digits}f}{within} |"
        )
    return [*lines, ""]


def _results_table(rows: dict[str, Row], found: dict[str, list[Run]]) -> list[str]:
    """The results section: one table row per experiment."""
    lines = [
        "## Results",
        "",
        "| experiment | epochs | seeds | I(X;Z) start | peak I(X;Z) | at iteration | final I(X;Z) "
        "| drop (bits) | simplifying | train error | test error | wall time |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        epochs = found[name][0].config.get("epochs")
        votes = sum(row.simplifying)
        simplifying = ("yes" if row.simplifying_majority else "no") + (
            f" ({votes}/{row.seeds})" if row.seeds > 1 else ""
        )
        lines.append(
            f"| {name} | {epochs} | {row.seeds} | {row.initial_i_xz:.2f} | {row.peak_i_xz:.2f} "
            f"| {row.peak_iteration:.0f} | {row.final_i_xz:.2f} | {row.drop:.2f} | {simplifying} "
            f"| {row.train_error:.5f} | {row.test_error:.5f} | {row.wall_time_s:.0f} s"
            f"{'' if row.complete else ' (incomplete)'} |"
        )
    return lines


def _wall_times(rows: dict[str, Row], suite_record: dict) -> str:
    """The sum of the runs' wall times, and the suite's own when its record has it."""
    total = sum(row.wall_time_s for row in rows.values())
    line = f"Sum of the runs' wall times: {total:.0f} s ({total / 60:.1f} min)"
    if "wall_time_s" not in suite_record:
        return line + "."
    return line + (
        f"; the suite's own wall time ({_workers(suite_record)} run(s) at once, last "
        f"invocation): {suite_record['wall_time_s']:.0f} s."
    )


def _workers(suite_record: dict) -> int:
    return suite_record.get("workers", suite_record.get("jobs", 1))


def _findings_section(rows: dict[str, Row]) -> list[str]:
    """The rules in words, then each finding with its status and evidence."""
    lines = ["## The paper's findings", "", describe_rules(), ""]
    for text, status, evidence in check_findings(rows):
        lines.append(f"{text} **{status}**: {evidence}.")
    return lines


def _figures_section(links: dict[str, str]) -> list[str]:
    """One heading and image per experiment, in the paper's order."""
    lines = ["", "## Figures", ""]
    for experiment in EXPERIMENTS:
        if experiment.name in links:
            lines.append(f"### {experiment.name}: {experiment.description}")
            lines.append("")
            lines.append(f"![{experiment.name}]({links[experiment.name]})")
            lines.append("")
    return lines


# --------------------------------------------------------------------------------------------
# Sections of a comparison report
# --------------------------------------------------------------------------------------------


def _findings_per_variant(rows: dict[str, dict[str, Row]]) -> list[str]:
    """A table: one line per finding, one status column per variant."""
    names = list(rows)
    statuses = {name: check_findings(rows[name]) for name in names}
    lines = [
        "## The paper's findings per variant",
        "",
        "| finding | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for k, (text, _, _) in enumerate(statuses[names[0]]):
        cells = [statuses[name][k][1] for name in names]
        lines.append(f"| {text} | " + " | ".join(cells) + " |")
    return lines


def _numbers_per_variant(rows: dict[str, dict[str, Row]], experiments: list[str]) -> list[str]:
    """A table: each experiment's bottleneck numbers in each variant that ran it."""
    lines = [
        "",
        "## Numbers per variant",
        "",
        "| experiment | variant | seeds | peak I(X;Z) | final I(X;Z) | drop (bits) | simplifying "
        "| test error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for experiment in experiments:
        for name, variant_rows in rows.items():
            row = variant_rows.get(experiment)
            if row is None:
                continue
            lines.append(
                f"| {experiment} | {name} | {row.seeds} | {row.peak_i_xz:.2f} | "
                f"{row.final_i_xz:.2f} | {row.drop:.2f} | {sum(row.simplifying)}/{row.seeds} | "
                f"{row.test_error:.5f} |"
            )
    return lines


def _comparison_figures(
    figures: Path, folder: Path, found: dict[str, dict[str, list[Run]]], experiments: list[str]
) -> list[str]:
    """Draws one seed-band figure per experiment across the variants into ``figures``; the
    image lines (links relative to ``folder``)."""
    from infoplane_tf import plotting  # matplotlib only when a report is written

    figures.mkdir(parents=True, exist_ok=True)
    lines = []
    for experiment in experiments:
        groups = {
            f"{experiment}, {name}": variant[experiment]
            for name, variant in found.items()
            if experiment in variant
        }
        path = figures / f"{experiment}.png"
        plotting.save_figure(plotting.plot_seed_bands(groups), path, dpi=150)
        lines += [f"![{experiment}]({path.relative_to(folder).as_posix()})", ""]
    return lines
