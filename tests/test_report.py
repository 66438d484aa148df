"""The reproduction report: the finding rules on synthetic numbers, and REPORT.md itself."""

import math
from pathlib import Path

import numpy as np
import pytest

from infoplane_tf.analysis.findings import FIT_RISE_BITS, Row, check_findings
from infoplane_tf.analysis.phases import describe_rule
from infoplane_tf.io.measurements import Measurement
from infoplane_tf.io.runs import History, Run
from infoplane_tf.io.trajectory import Trajectory
from infoplane_tf.reports import suite as report


def row(name, *, peak=5.0, final=5.0, simplifying=False, start=1.0, rise=3.0, test=0.01,
        train=0.01, final_test=0.01, min_test=0.01, seeds=1):  # fmt: skip
    return Row(
        name=name, seeds=seeds, initial_i_xz=start, peak_i_xz=peak, peak_iteration=3000,
        final_i_xz=final, drop=peak - final, simplifying=[simplifying] * seeds, i_zx_rise=rise,
        train_error=train, test_error=test, final_test_loss=final_test, min_test_loss=min_test,
        wall_time_s=60.0, complete=True,
    )  # fmt: skip


def paper_like():
    return {
        "shallow": row("shallow", peak=5.2, final=3.6, simplifying=True),
        "deep": row("deep", peak=4.4, final=2.8, simplifying=True),
        "deep-overfit": row("deep-overfit", peak=5.2, final=5.2, final_test=0.02, min_test=0.01),
        "sparse": row("sparse", peak=4.8, final=0.8, simplifying=True),
        "tied": row("tied", peak=6.35, final=6.35, test=0.016),
        "vae": row("vae", start=6.64, peak=6.64, final=6.64, test=0.03),
        "label": row("label", peak=1.3, final=1.2, test=0.02),
    }


def statuses(rows):
    return [status for _, status, _ in check_findings(rows)]


def test_the_papers_numbers_reproduce_every_finding():
    assert statuses(paper_like()) == ["reproduced"] * 6


@pytest.mark.parametrize(
    "change, finding",
    [
        ({"shallow": row("shallow", peak=5, final=5)}, 1),
        ({"sparse": row("sparse", peak=4.8, final=4.0, simplifying=True)}, 2),
        ({"tied": row("tied", peak=6, final=4, simplifying=True)}, 3),
        ({"deep-overfit": row("deep-overfit", final_test=0.0101, min_test=0.01)}, 4),
        ({"label": row("label", test=0.5)}, 5),
        ({"vae": row("vae", rise=0.1)}, 0),
    ],
)
def test_each_rule_can_fail(change, finding):
    rows = {**paper_like(), **change}
    result = statuses(rows)
    assert result[finding] == "not reproduced"
    assert result.count("not reproduced") == 1


def test_missing_experiments_are_not_tested():
    rows = {"tied": row("tied")}
    result = statuses(rows)
    assert result[1] == result[2] == result[4] == result[5] == "not tested"
    assert result[3] == "reproduced"


def test_seed_majority_decides():
    rows = paper_like()
    rows["shallow"] = row("shallow", peak=5.2, final=3.6, seeds=3)
    rows["shallow"].simplifying = [True, False, True]
    assert statuses(rows)[1] == "reproduced"
    rows["shallow"].simplifying = [True, False, False]
    assert statuses(rows)[1] == "not reproduced"


# --------------------------------------------------------------------------------------------
# REPORT.md of a suite and of a folder of suites (runs in memory; figures really drawn)
# --------------------------------------------------------------------------------------------


def synthetic_run(name, fall):
    """A one-layer (Z) run: I(X;Z) rises to 5 bits by 20% of training, then falls by ``fall``."""
    iterations = np.arange(0, 1001, 10)
    t = iterations / 1000
    i_xz = 5 * (1 - np.exp(-t / 0.04)) - fall * np.clip(t - 0.2, 0, None) / 0.8
    trajectory = Trajectory(
        layers=("Z",), iterations=iterations, epochs=t * 10, loss=0.05 * np.exp(-t),
        i_xt=i_xz[:, None], i_t_out=0.9 * i_xz[:, None], h_t=i_xz[:, None],
        sigma=np.ones((len(t), 1)), settings={"estimator": {"n_probe": 100}},
    )  # fmt: skip
    epochs = np.arange(1, 11)
    history = History(epochs * 100, epochs, 0.02 / epochs, 0.03 / np.sqrt(epochs))
    summary = {
        "complete": True,
        "wall_time_s": 12.0,
        "final": {"train_reconstruction_error": 0.011, "test_reconstruction_error": 0.013},
    }
    config = {"dataset": "mnist-5k", "epochs": 10, "batch_size": 100, "name": name}
    return Run(Path("/suite") / name, config, Measurement(trajectory), history, summary)


@pytest.fixture
def suite_runs(monkeypatch):
    runs = {"shallow": [synthetic_run("shallow", 2.0)], "tied": [synthetic_run("tied", 0.0)]}
    monkeypatch.setattr(
        report, "collect", lambda folder, measurement=None: runs if folder.name != "study" else {}
    )
    return runs


def test_write_report(tmp_path, suite_runs):
    path = report.write_report(tmp_path)
    assert path == tmp_path / "REPORT.md"
    text = path.read_text()
    assert text.startswith("# Reproduction report: mnist-5k\n")
    shallow = next(line for line in text.splitlines() if line.startswith("| shallow |"))
    assert shallow.startswith("| shallow | 10 | 1 | ")
    assert shallow.endswith("| yes | 0.01100 | 0.01300 | 12 s |")
    assert "| tied | 10 | 1 | " in text and "| no | 0.01100" in text
    assert "Sum of the runs' wall times: 24 s (0.4 min)." in text
    assert describe_rule() in text and f"rising ≥ {FIT_RISE_BITS:g} bit" in text
    rows = {name: report.summarize(name, runs) for name, runs in suite_runs.items()}
    findings = check_findings(rows)
    for finding, status, evidence in findings:
        assert f"{finding} **{status}**: {evidence}." in text
    assert [status for _, status, _ in findings] == [
        "reproduced", "not tested", "not tested", "reproduced", "not tested", "reproduced",
    ]  # fmt: skip
    assert (
        text.index("## Results") < text.index("## The paper's findings") < text.index("## Figures")
    )
    for name in suite_runs:
        assert f"![{name}](figures/{name}.png)" in text
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 0


def test_write_comparison(tmp_path, suite_runs):
    study = tmp_path / "study"
    for variant in ("paper", "scaled"):
        (study / variant).mkdir(parents=True)
    path = report.write_report(study)
    text = path.read_text()
    assert path == study / "REPORT.md" and text.startswith("# Comparison: paper, scaled\n")
    assert "| finding | paper | scaled |" in text
    statuses = [line for line in text.splitlines() if line.startswith("| 1. Every")]
    assert len(statuses) == 1 and statuses[0].endswith("| reproduced | reproduced |")
    assert sum(line.startswith("| shallow | ") for line in text.splitlines()) == 2
    assert "| tied | scaled | 1 | " in text and "| 0/1 | 0.01300 |" in text
    assert "![shallow](figures/shallow.png)" in text and (study / "figures" / "tied.png").is_file()
    for variant in ("paper", "scaled"):
        assert (study / variant / "REPORT.md").is_file()
        assert f"[{variant}]({variant}/REPORT.md)" in text


def test_write_report_without_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "collect", lambda folder, measurement=None: {})
    with pytest.raises(ValueError, match="no experiment runs found"):
        report.write_report(tmp_path)
    assert not (tmp_path / "REPORT.md").exists()


def test_summarize_takes_medians_over_seeds():
    runs = [synthetic_run("shallow", fall) for fall in (0.0, 2.0, 3.0)]
    row = report.summarize("shallow", runs)
    assert row.seeds == 3 and row.simplifying == [False, True, True]
    single = [report.summarize("shallow", [run]) for run in runs]
    assert row.final_i_xz == pytest.approx(single[1].final_i_xz)
    assert row.drop == pytest.approx(single[1].drop) and not math.isnan(row.drop)
    assert row.wall_time_s == pytest.approx(36.0)
