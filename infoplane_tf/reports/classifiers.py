"""The classic experiments' report: which claims of the information-bottleneck debate survive
which estimator.

``write_classifier_report(SUITE, "families")`` reads the runs of a classifier suite
(``reproduce --suite classifiers``), each measured from its checkpoints as the family set
``LABEL`` (``measure --family renyi,binning,kde,knn --name LABEL``), judges the claims of
``analysis.claims`` for each network (tanh beside ReLU, every seed) under every member, and
writes ``SUITE/REPORT.md`` and ``SUITE/figures/``: the claims × estimator tables with their
numbers, what the two papers state, the runs' accuracies, and for every experiment the
supervised plane under each estimator, the saturation diagnostic and the seeds' curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from infoplane_tf.analysis.claims import (
    ACCURACY_SLACK,
    CLAIMS,
    FIT_BITS,
    SATURATION_RISE,
    judge,
    last_hidden,
    run_evidence,
)
from infoplane_tf.catalog import CLASSIFIER_EXPERIMENTS
from infoplane_tf.families import describe
from infoplane_tf.io.runs import Run, is_run_dir, load_run
from infoplane_tf.reports.suite import FIGURES, REPORT_NAME

#: What the two papers state about each claim (for the tanh / ReLU networks they trained).
PAPERS = {
    "fitting": ("yes, every layer (tanh, binning)", "yes, tanh and ReLU (binning, KDE)"),
    "compression": (
        "yes: the deeper layers compress after fitting (tanh, binning)",
        "tanh yes; ReLU no (binning, KDE)",
    ),
    "saturation": (
        "not the cause: compression is SGD's diffusion phase",
        "yes: double-sided saturation of tanh; ReLU does not compress",
    ),
    "generalisation": (
        "no: compression is what makes the network generalise",
        "yes: ReLU networks generalise without compressing",
    ),
}
_MARK = {True: "✓", False: "✗", None: "–"}


def classifier_runs(suite: Path, label: str) -> dict[str, list[Run]]:
    """Experiment name → its runs (one, or one per seed) in ``suite``, loaded from ``label``."""
    found = {}
    for experiment in CLASSIFIER_EXPERIMENTS:
        folder = suite / experiment.name
        if is_run_dir(folder):
            found[experiment.name] = [load_run(folder, label)]
        elif folder.is_dir():
            seeds = sorted(p for p in folder.glob("seed-*") if is_run_dir(p))
            if seeds:
                found[experiment.name] = [load_run(p, label) for p in seeds]
    return found


def network_groups(found: dict[str, list[Run]]) -> dict[str, dict[str, list[Run]]]:
    """The experiments grouped by network and data (tanh beside ReLU): ``"mlp on tishby12"``
    → experiment → runs."""
    groups: dict[str, dict[str, list[Run]]] = {}
    for name, runs in found.items():
        config = runs[0].config
        key = f"{config['model']} on {config['dataset']}"
        groups.setdefault(key, {})[name] = runs
    return groups


def write_classifier_report(suite: str | Path, label: str = "families") -> Path:
    """Writes ``SUITE/REPORT.md`` and ``SUITE/figures/`` for a measured classifier suite.

    Args:
        suite: the suite folder (``reproduce --suite classifiers``).
        label: the family set every run was measured into.

    Returns:
        The report's path.

    Raises:
        ValueError: no classifier runs in ``suite``, or a run without ``label`` (named), or
            members that differ between runs.
    """
    suite = Path(suite)
    found = classifier_runs(suite, label)
    if not found:
        names = ", ".join(e.name for e in CLASSIFIER_EXPERIMENTS)
        raise ValueError(f"{suite}: no classifier runs found (expected folders {names})")
    members = _members(found, label)
    lines = ["# The classic information-plane experiments under every estimator", ""]
    lines += _introduction(label, members)
    for group, experiments in network_groups(found).items():
        lines += _claims_table(group, experiments, members)
    lines += _papers_table() + _runs_table(found) + _figures(suite, found)
    path = suite / REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def _members(found: dict[str, list[Run]], label: str) -> list[str]:
    names = {tuple(run.families or ()) for runs in found.values() for run in runs}
    if len(names) != 1 or not next(iter(names)):
        raise ValueError(f"measurement {label!r} must be the same family set in every run")
    return list(names.pop())


def _introduction(label: str, members: Sequence[str]) -> list[str]:
    return [
        f"Every run was measured from its checkpoints as the family set `{label}` "
        f"(members: {', '.join(members)}), on the run's probe of test samples. Each claim is "
        "judged by an explicit rule (`infoplane_tf.analysis.claims`) on the *last hidden "
        "layers* (the last two before the softmax), per seed:",
        "",
        f"- fitting: I(T;Y) of the last hidden layer ends ≥ {FIT_BITS} bit above its start;",
        "- compression: a simplifying phase in I(X;T) (a fall from the peak ≥ 0.5 bit and "
        "≥ 10 % of the peak, the peak before 90 % of training: `analysis.phases`);",
        f"- saturation: the saturated share of that layer grows by ≥ {SATURATION_RISE} from the "
        "peak to the end; the claim holds if most tanh seeds compress while saturating and at "
        "most a minority of ReLU seeds compress;",
        "- generalisation without compression: a run compressing in no hidden layer "
        "generalises (test accuracy at least halfway from chance to perfect) and comes within "
        f"{ACCURACY_SLACK:.0%} of the best run's test accuracy.",
        "",
        "✓ holds, ✗ does not, – not testable on this network. Each cell gives, per activation, "
        "how many seeds meet the rule and the range of the numbers over seeds.",
        "",
    ]


def _claims_table(group: str, experiments: dict[str, list[Run]], members) -> list[str]:
    evidence = {member: [] for member in members}
    for runs in experiments.values():
        for run in runs:
            for member in members:
                evidence[member].append(_evidence(run, member))
    layers = last_hidden(next(iter(experiments.values()))[0].families[members[0]]
                         .trajectory.layers)  # fmt: skip
    seeds = ", ".join(f"{name} × {len(runs)}" for name, runs in experiments.items())
    lines = [f"## {group} ({seeds}; last hidden layers {', '.join(layers)})", ""]
    lines += ["| claim | " + " | ".join(_member_title(experiments, m) for m in members) + " |"]
    lines += ["|---" * (len(members) + 1) + "|"]
    for claim, title in CLAIMS.items():
        cells = []
        for member in members:
            verdict = judge(claim, evidence[member])
            cells.append(f"{_MARK[verdict.holds]} " + "; ".join(verdict.details))
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return lines + [""]


def _member_title(experiments, member: str) -> str:
    run = next(iter(experiments.values()))[0]
    return describe(run.families[member].trajectory.settings.get("estimator") or {})


def _evidence(run: Run, member: str):
    measured = run.families[member]
    trajectory = measured.trajectory
    saturated = None
    if measured.diagnostics is not None:
        saturated = np.asarray(measured.diagnostics.saturated_fraction, float)
    return run_evidence(
        run.config.get("activation") or "tanh",
        trajectory.layers,
        np.asarray(trajectory.iterations, float),
        trajectory.i_xt,
        trajectory.i_t_label,
        saturated,
        run.summary["final"]["test_accuracy"],
        run.config["dataset_info"]["n_classes"],
    )


def _papers_table() -> list[str]:
    lines = ["## What the papers state", ""]
    lines += ["| claim | Shwartz-Ziv & Tishby (2017) | Saxe et al. (2018) |", "|---|---|---|"]
    lines += [f"| {CLAIMS[claim]} | {tishby} | {saxe} |"
              for claim, (tishby, saxe) in PAPERS.items()]  # fmt: skip
    return lines + [""]


def _runs_table(found: dict[str, list[Run]]) -> list[str]:
    lines = ["## The runs", ""]
    lines += ["| experiment | seeds | epochs | train accuracy | test accuracy | train time (s) |"]
    lines += ["|---|---|---|---|---|---|"]
    for name, runs in found.items():
        final = [run.summary["final"] for run in runs]
        cells = [
            str(len(runs)),
            f"{runs[0].config['epochs']:,}",
            _spread([f["train_accuracy"] for f in final]),
            _spread([f["test_accuracy"] for f in final]),
            _spread([run.summary["train_time_s"] for run in runs], "{:.0f}"),
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""]


def _spread(values: Sequence[float], form: str = "{:.3f}") -> str:
    low, high = min(values), max(values)
    text = form.format(float(np.mean(values)))
    return text if len(values) == 1 else f"{text} ({form.format(low)} to {form.format(high)})"


def _figures(suite: Path, found: dict[str, list[Run]]) -> list[str]:
    from infoplane_tf.plotting import plot_diagnostics, plot_families, plot_seed_curves
    from infoplane_tf.plotting.canvas import save_figure

    folder = suite / FIGURES
    lines = ["## Figures", ""]
    for group, experiments in network_groups(found).items():
        runs = next(iter(experiments.values()))
        layer = last_hidden(runs[0].trajectory.layers)[-1]
        path = folder / f"{group.replace(' ', '-')}-seeds.png"
        save_figure(plot_seed_curves(experiments, layer), path)
        lines.append(f"![{group}: I(X;{layer}) over training, every seed]"
                     f"({path.relative_to(suite).as_posix()})")  # fmt: skip
    lines += ["", "Each experiment (its first seed): the supervised plane under each estimator, "
              "and beside it the saturation diagnostic.", ""]  # fmt: skip
    for name, runs in found.items():
        images = []
        for kind, draw in (("planes", plot_families), ("saturation", plot_diagnostics)):
            path = folder / f"{name}-{kind}.png"
            save_figure(draw(runs[0]), path)
            images.append(f"![{name} ({runs[0].path.name}): {kind}]"
                          f"({path.relative_to(suite).as_posix()})")  # fmt: skip
        lines.append(" ".join(images))
    return lines
