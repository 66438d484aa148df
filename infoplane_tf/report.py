"""The reproduction report: a suite's results next to Lee & Jo's findings, with figures.

``write_report(DIR)`` reads every run of a suite made by ``infoplane-tf reproduce`` (one run per
experiment, or ``<experiment>/seed-K`` runs) and writes ``DIR/REPORT.md`` and ``DIR/figures/``.
Each of the paper's findings is checked by an explicit rule on the numbers, stated in the
report, and marked reproduced / not reproduced / not tested. Numbers are never adjusted.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infoplane_tf.experiments import EXPERIMENT_NAMES, EXPERIMENTS, SUITE_NAME
from infoplane_tf.phases import analyze_phases
from infoplane_tf.runs import Run, is_run_dir, load_run

REPORT_NAME = "REPORT.md"
FIGURES = "figures"
LAYER = "Z"
#: A fitting phase: the bottleneck's I(Z;X') rises by at least this much from the first point.
FIT_RISE_BITS = 0.5
#: Overfitting: the final test loss exceeds its minimum over training by this fraction.
OVERFIT_RISE = 0.05
#: "Similar errors": all full-data test reconstruction errors within this many decades.
SIMILAR_DECADES = 0.5


@dataclass
class Row:
    """Numbers of one experiment (the median over seeds when there are several)."""

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
        return sum(self.simplifying) * 2 > len(self.simplifying)


def collect(suite: Path) -> dict[str, list[Run]]:
    """Experiment name → its runs (one, or one per seed) found in the suite folder."""
    found = {}
    for name in EXPERIMENT_NAMES:
        folder = suite / name
        if is_run_dir(folder):
            found[name] = [load_run(folder)]
        elif folder.is_dir():
            seeds = sorted(p for p in folder.glob("seed-*") if is_run_dir(p))
            if seeds:
                found[name] = [load_run(p) for p in seeds]
    return found


def _run_numbers(run: Run) -> dict:
    t = run.trajectory
    z = t.layer(LAYER)
    phases = analyze_phases(t.iterations, z["i_xt"])
    valid = np.isfinite(z["i_ty"])
    i_zx = z["i_ty"][valid]
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


def check_findings(rows: dict[str, Row]) -> list[tuple[str, str, str]]:
    """Each paper finding with its status (reproduced / not reproduced / not tested) and evidence.

    The rules (thresholds are module constants, stated in the report):
      1. fitting phase: in every experiment I(Z;X') rises by ≥ FIT_RISE_BITS from the first point
         and I(X;Z) peaks no lower than where it started;
      2. shallow and deep have a simplifying phase (``analyze_phases`` on I(X;Z));
      3. sparse has a simplifying phase with a larger drop than shallow;
      4. tied, vae and label have none;
      5. deep-overfit has none and its test loss ends ≥ OVERFIT_RISE above its minimum;
      6. full-data experiments (all but deep-overfit and the VAE, whose objective differs) end
         with test reconstruction errors within SIMILAR_DECADES decades of each other.
    """

    def has(*names):
        return all(name in rows for name in names)

    def simp(row):
        votes = f"{sum(row.simplifying)}/{len(row.simplifying)} seeds" if row.seeds > 1 else ""
        word = "yes" if row.simplifying_majority else "no"
        return f"{word}{' (' + votes + ')' if votes else ''}"

    findings = []
    text = "1. Every autoencoder shows a fitting phase: I(X;T) and I(T;X') rise together."
    if rows:
        ok = all(
            r.i_zx_rise >= FIT_RISE_BITS and r.peak_i_xz >= r.initial_i_xz - 1e-6
            for r in rows.values()
        )
        evidence = "; ".join(
            f"{r.name}: I(Z;X') +{r.i_zx_rise:.2f}, I(X;Z) {r.initial_i_xz:.2f}→{r.peak_i_xz:.2f}"
            for r in rows.values()
        )
        findings.append((text, _status(ok), evidence))
    else:
        findings.append((text, "not tested", "no runs"))

    text = "2. Vanilla AEs (shallow and deep) then show a simplifying phase."
    if has("shallow", "deep"):
        ok = rows["shallow"].simplifying_majority and rows["deep"].simplifying_majority
        evidence = ", ".join(
            f"{n}: peak {rows[n].peak_i_xz:.2f} → final {rows[n].final_i_xz:.2f} bits, "
            f"simplifying {simp(rows[n])}"
            for n in ("shallow", "deep")
        )
        findings.append((text, _status(ok), evidence))
    else:
        findings.append((text, "not tested", "shallow or deep missing"))

    text = "3. Sparsity amplifies the simplifying phase."
    if has("sparse", "shallow"):
        ok = rows["sparse"].simplifying_majority and rows["sparse"].drop > rows["shallow"].drop
        evidence = (
            f"drop sparse {rows['sparse'].drop:.2f} vs shallow {rows['shallow'].drop:.2f} bits; "
            f"sparse simplifying {simp(rows['sparse'])}"
        )
        findings.append((text, _status(ok), evidence))
    else:
        findings.append((text, "not tested", "sparse or shallow missing"))

    text = "4. Tied, variational and label AEs show no simplifying phase."
    present = [n for n in ("tied", "vae", "label") if n in rows]
    if present:
        ok = not any(rows[n].simplifying_majority for n in present)
        evidence = ", ".join(
            f"{n}: drop {rows[n].drop:.2f} bits, simplifying {simp(rows[n])}" for n in present
        )
        findings.append((text + ("" if len(present) == 3 else " (partly tested)"), _status(ok),
                         evidence))  # fmt: skip
    else:
        findings.append((text, "not tested", "none of tied, vae, label present"))

    text = "5. A deep AE on 10% of the data shows no simplifying phase and overfits."
    if has("deep-overfit"):
        r = rows["deep-overfit"]
        rise = r.final_test_loss / r.min_test_loss - 1 if r.min_test_loss > 0 else math.nan
        ok = not r.simplifying_majority and rise >= OVERFIT_RISE
        evidence = (
            f"simplifying {simp(r)} (drop {r.drop:.2f} bits); test loss final "
            f"{r.final_test_loss:.4g} vs minimum {r.min_test_loss:.4g} (+{100 * rise:.0f}%)"
        )
        findings.append((text, _status(ok), evidence))
    else:
        findings.append((text, "not tested", "deep-overfit missing"))

    text = "6. All AEs on full data reach similar train and test errors."
    full = [n for n in ("shallow", "deep", "sparse", "tied", "label") if n in rows]
    if len(full) >= 2:
        errors = [rows[n].test_error for n in full]
        spread = math.log10(max(errors)) - math.log10(min(errors))
        ok = spread <= SIMILAR_DECADES
        evidence = (
            ", ".join(
                f"{n}: train {rows[n].train_error:.4f} / test {rows[n].test_error:.4f}"
                for n in full
            )
            + f" (spread {spread:.2f} decades)"
        )
        findings.append((text, _status(ok), evidence))
    else:
        findings.append((text, "not tested", "fewer than two full-data experiments"))
    return findings


def _status(ok: bool) -> str:
    return "reproduced" if ok else "not reproduced"


def write_report(suite: str | Path) -> Path:
    """Writes ``REPORT.md`` and ``figures/`` for a suite folder; returns the report's path.

    A folder whose subfolders are suites (e.g. ``paper/`` and ``scaled/`` of a robustness
    study) gets a report per subfolder plus a comparison report (``write_comparison``).

    Raises:
        ValueError: the folder holds no run of any experiment.
    """
    from infoplane_tf import plotting  # matplotlib only when a report is written

    suite = Path(suite)
    found = collect(suite)
    if not found:
        variants = sorted(p for p in suite.iterdir() if p.is_dir() and collect(p))
        if variants:
            return write_comparison(suite, variants)
        raise ValueError(
            f"{suite}: no experiment runs found (expected folders {', '.join(EXPERIMENT_NAMES)})"
        )
    rows = {name: summarize(name, runs) for name, runs in found.items()}
    figures = suite / FIGURES
    figures.mkdir(exist_ok=True)
    links = {}
    for name, runs in found.items():
        path = figures / f"{name}.png"
        if len(runs) == 1:
            fig = plotting.plot_all(runs)
        else:
            fig = plotting.plot_seed_bands({name: runs})
        plotting.save_figure(fig, path, dpi=90)
        links[name] = path.relative_to(suite).as_posix()

    first = next(iter(found.values()))[0].config
    suite_record = {}
    if (suite / SUITE_NAME).exists():
        suite_record = json.loads((suite / SUITE_NAME).read_text())
    lines = [
        f"# Reproduction report: {first.get('dataset')}",
        "",
        "Lee & Jo, *Information Flows of Diverse Autoencoders* (Entropy 2021), reproduced with "
        "`infoplane-tf reproduce`. Settings of these runs: batch "
        f"{first.get('batch_size')}, Adam {first.get('learning_rate')}, recording "
        f"`{first.get('record')}`, α = {first.get('alpha')}, σ rule `{first.get('sigma_rule')}` "
        f"(γ = {first.get('gamma')}), probe = first {first.get('probe_size')} test images. "
        "Numbers are for the bottleneck Z; with several seeds they are medians.",
        "",
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
    total = sum(row.wall_time_s for row in rows.values())
    lines += [
        "",
        f"Sum of the runs' wall times: {total:.0f} s ({total / 60:.1f} min)"
        + (
            f"; the suite's own wall time ({suite_record.get('jobs', 1)} run(s) at once, last "
            f"invocation): {suite_record['wall_time_s']:.0f} s."
            if "wall_time_s" in suite_record
            else "."
        ),
        "",
        "## The paper's findings",
        "",
        "Rules: a simplifying phase is `infoplane_tf.phases.analyze_phases` on I(X;Z) (peak of a "
        "lightly smoothed series minus the final level ≥ 0.5 bit and ≥ 10% of the peak, peak "
        f"before 90% of training); a fitting phase is I(Z;X') rising ≥ {FIT_RISE_BITS} bit; "
        f"overfitting is a final test loss ≥ {100 * OVERFIT_RISE:.0f}% above its minimum; "
        f"similar errors are test errors within {SIMILAR_DECADES} decades.",
        "",
    ]
    for text, status, evidence in check_findings(rows):
        lines.append(f"{text} **{status}**: {evidence}.")
    lines += ["", "## Figures", ""]
    for experiment in EXPERIMENTS:
        if experiment.name in links:
            lines.append(f"### {experiment.name}: {experiment.description}")
            lines.append("")
            lines.append(f"![{experiment.name}]({links[experiment.name]})")
            lines.append("")
    path = suite / REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def write_comparison(folder: Path, variants: list[Path]) -> Path:
    """Reports on several suites of the same experiments (e.g. two σ rules, several seeds).

    Writes each variant's own report, then ``folder/REPORT.md`` with one table of the findings'
    status per variant, the experiments' numbers per variant, and one seed-band figure per
    experiment comparing the variants.
    """
    from infoplane_tf import plotting

    rows, statuses, found = {}, {}, {}
    for variant in variants:
        write_report(variant)
        found[variant.name] = collect(variant)
        rows[variant.name] = {n: summarize(n, r) for n, r in found[variant.name].items()}
        statuses[variant.name] = check_findings(rows[variant.name])
    names = [v.name for v in variants]
    figures = folder / FIGURES
    figures.mkdir(exist_ok=True)
    lines = [
        f"# Comparison: {', '.join(names)}",
        "",
        "Each variant is a suite of its own (see its REPORT.md); numbers are medians over seeds "
        "for the bottleneck Z, and 'simplifying' counts the seeds with a simplifying phase.",
        "",
        "## The paper's findings per variant",
        "",
        "| finding | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for k, (text, _, _) in enumerate(statuses[names[0]]):
        cells = [statuses[name][k][1] for name in names]
        lines.append(f"| {text} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Numbers per variant",
        "",
        "| experiment | variant | seeds | peak I(X;Z) | final I(X;Z) | drop (bits) | simplifying "
        "| test error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    experiments = [e.name for e in EXPERIMENTS if any(e.name in rows[n] for n in names)]
    for experiment in experiments:
        for name in names:
            row = rows[name].get(experiment)
            if row is None:
                continue
            lines.append(
                f"| {experiment} | {name} | {row.seeds} | {row.peak_i_xz:.2f} | "
                f"{row.final_i_xz:.2f} | {row.drop:.2f} | {sum(row.simplifying)}/{row.seeds} | "
                f"{row.test_error:.5f} |"
            )
    lines += ["", "## Figures", ""]
    for experiment in experiments:
        groups = {
            f"{experiment}, {name}": found[name][experiment]
            for name in names
            if experiment in found[name]
        }
        path = figures / f"{experiment}.png"
        plotting.save_figure(plotting.plot_seed_bands(groups), path, dpi=90)
        lines += [f"![{experiment}]({path.relative_to(folder).as_posix()})", ""]
    lines += ["Variant reports: " + ", ".join(f"[{n}]({n}/{REPORT_NAME})" for n in names), ""]
    path = folder / REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path
