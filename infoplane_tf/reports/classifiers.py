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
from infoplane_tf.io.runs import Run
from infoplane_tf.reports.families import set_members
from infoplane_tf.reports.suite import FIGURES, REPORT_NAME, collect

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


#: The run folders of a classifier suite.
EXPERIMENT_FOLDERS = tuple(experiment.name for experiment in CLASSIFIER_EXPERIMENTS)


def is_classifier_suite(suite: str | Path) -> bool:
    """Whether ``suite`` holds a folder of a classic classifier experiment (nothing is read)."""
    return any((Path(suite) / name).is_dir() for name in EXPERIMENT_FOLDERS)


def network_groups(found: dict[str, list[Run]]) -> dict[str, dict[str, list[Run]]]:
    """The experiments grouped by network and data (tanh beside ReLU): ``"mlp on tishby12"``
    → experiment → runs."""
    groups: dict[str, dict[str, list[Run]]] = {}
    for name, runs in found.items():
        config = runs[0].config
        key = f"{config['model']} on {config['dataset']}"
        groups.setdefault(key, {})[name] = runs
    return groups


def write_classifier_report(suite: str | Path, labels: str | Sequence[str] = "families") -> Path:
    """Writes ``SUITE/REPORT.md`` and ``SUITE/figures/`` for a measured classifier suite.

    Args:
        suite: the suite folder (``reproduce --suite classifiers``).
        labels: the family set (or sets, their members side by side) every run was measured
            into.

    Returns:
        The report's path.

    Raises:
        ValueError: no classifier runs in ``suite``, or a run without a label (named), or
            members that differ between runs.
    """
    suite = Path(suite)
    labels = [labels] if isinstance(labels, str) else list(labels)
    sets = {label: collect(suite, label, EXPERIMENT_FOLDERS) for label in labels}
    found = sets[labels[0]]
    if not found:
        names = ", ".join(EXPERIMENT_FOLDERS)
        raise ValueError(f"{suite}: no classifier runs found (expected folders {names})")
    columns = [(label, member) for label in labels for member in _members(sets[label], label)]
    groups = {label: network_groups(runs) for label, runs in sets.items()}
    lines = ["# The classic information-plane experiments under every estimator", ""]
    lines += _introduction(labels, [member for _, member in columns])
    for group in groups[labels[0]]:
        lines += _claims_table(group, groups, columns)
    lines += _papers_table() + _runs_table(found) + _figures(suite, groups)
    path = suite / REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def _members(found: dict[str, list[Run]], label: str) -> list[str]:
    members = set_members(found, label)
    if members == [None]:
        raise ValueError(f"measurement {label!r} must be a family set (several families)")
    return members


def _introduction(labels: Sequence[str], members: Sequence[str]) -> list[str]:
    sets = ", ".join(f"`{label}`" for label in labels)
    return [
        f"Every run was measured from its checkpoints as the family set(s) {sets} "
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


def _claims_table(group: str, groups: dict, columns: list[tuple[str, str]]) -> list[str]:
    """The claims × estimator table of one network (``group``), its experiments side by side;
    ``groups``: label → ``network_groups`` of the runs loaded from that label."""
    evidence = {column: [] for column in columns}
    for label, member in columns:
        for runs in groups[label][group].values():
            evidence[label, member] += [_evidence(run, member) for run in runs]
    experiments = next(iter(groups.values()))[group]
    first = next(iter(experiments.values()))[0]
    layers = last_hidden(first.trajectory.layers)
    seeds = ", ".join(f"{name} × {len(runs)}" for name, runs in experiments.items())
    titles = [_member_title(groups[label][group], member) for label, member in columns]
    lines = [f"## {group} ({seeds}; last hidden layers {', '.join(layers)})", ""]
    lines += ["| claim | " + " | ".join(titles) + " |", "|---" * (len(columns) + 1) + "|"]
    for claim, title in CLAIMS.items():
        cells = []
        for column in columns:
            verdict = judge(claim, evidence[column])
            cells.append(f"{_MARK[verdict.holds]} " + "; ".join(verdict.details))
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return lines + [""]


def _member_title(experiments, member: str) -> str:
    """The member's estimator in a few words, its bins' ranges over every experiment (tanh's
    activation range beside ReLU's observed one)."""
    settings = [runs[0].families[member].trajectory.settings.get("estimator") or {}
                for runs in experiments.values()]  # fmt: skip
    ranges = {
        f"{i}/{layer}": kind
        for i, estimator in enumerate(settings)
        for layer, kind in (estimator.get("range") or {}).items()
        if layer != "output"
    }
    return describe({**settings[0], "range": ranges} if ranges else settings[0])


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


def _figures(suite: Path, groups_by_label: dict[str, dict]) -> list[str]:
    """The seeds' curves of every network under every label's members, then each
    experiment's planes (the first label's members) beside its saturation diagnostic."""
    from infoplane_tf.plotting import plot_diagnostics, plot_families, plot_seed_curves
    from infoplane_tf.plotting.canvas import save_figure

    folder, first = suite / FIGURES, next(iter(groups_by_label))
    lines = ["## Figures", ""]
    for label, groups in groups_by_label.items():
        for group, experiments in groups.items():
            runs = next(iter(experiments.values()))
            layer = last_hidden(runs[0].trajectory.layers)[-1]
            suffix = "" if label == first else f"-{label}"
            path = folder / f"{group.replace(' ', '-')}-seeds{suffix}.png"
            save_figure(plot_seed_curves(experiments, layer), path)
            lines.append(f"![{group} ({label}): I(X;{layer}) over training, every seed]"
                         f"({path.relative_to(suite).as_posix()})")  # fmt: skip
    lines += ["", "Each experiment (its first seed): the supervised plane under each estimator, "
              "and beside it the saturation diagnostic.", ""]  # fmt: skip
    for experiments in groups_by_label[first].values():
        for name, runs in experiments.items():
            images = []
            for kind, draw in (("planes", plot_families), ("saturation", plot_diagnostics)):
                path = folder / f"{name}-{kind}.png"
                save_figure(draw(runs[0]), path)
                images.append(f"![{name} ({runs[0].path.name}): {kind}]"
                              f"({path.relative_to(suite).as_posix()})")  # fmt: skip
            lines.append(" ".join(images))
    return lines
