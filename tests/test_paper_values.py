"""The paper's MNIST values beside a suite's: the numbers computed, and the report's table."""

import math
from pathlib import Path

import numpy as np
import pytest

from infoplane_tf.analysis.paper_values import MNIST, QUANTITIES, PaperValue, compare
from infoplane_tf.io.measurements import Measurement
from infoplane_tf.io.runs import History, Run
from infoplane_tf.io.trajectory import Trajectory
from infoplane_tf.reports import suite as report


def step_run(name, *, high=4.0, low=2.0, layers=("E1", "Z"), dataset="mnist"):
    """I(X;T) = 0 at iteration 0, ``high`` over the first half, ``low`` over the second: the
    peak and the final value are exact whatever the smoothing; I(T;X') is 0.9 times it."""
    iterations = np.arange(0, 2001)
    i_xz = np.where(iterations <= 1000, high, low).astype(float)
    i_xz[0] = 0.0
    values = np.repeat(i_xz[:, None], len(layers), axis=1)
    trajectory = Trajectory(
        layers=layers, iterations=iterations, epochs=iterations / 100, loss=np.ones(2001),
        i_xt=values, i_t_out=0.9 * values, h_t=values, sigma=np.ones_like(values),
    )  # fmt: skip
    epochs = np.arange(1, 21)
    test_loss = np.abs(epochs - 7.0) + 1.0  # lowest at epoch 7 = iteration 700
    history = History(epochs * 100, epochs, np.full(20, 0.01), test_loss)
    summary = {"complete": True, "final": {"train_loss": 0.01, "test_loss": 0.001}}
    config = {"dataset": dataset, "epochs": 20, "batch_size": 100, "name": name}
    return Run(Path("/suite") / name, config, Measurement(trajectory), history, summary)


def one(values, experiment, layer, quantity):
    return next(
        c for c in values if (c.paper.experiment, c.paper.layer, c.paper.quantity)
        == (experiment, layer, quantity)
    )  # fmt: skip


def test_our_numbers_on_a_run_with_known_answers():
    values = compare({"deep": [step_run("deep")], "deep-overfit": [step_run("deep-overfit")]})
    assert one(values, "deep", "Z", "peak_x").ours == pytest.approx(4.0)
    assert one(values, "deep", "Z", "final_x").ours == pytest.approx(2.0)
    assert one(values, "deep", "Z", "final_x").difference == pytest.approx(2.0 - 2.8)
    assert one(values, "deep", "E1", "peak_x").ours == pytest.approx(4.0)
    assert one(values, "deep", "", "log10_train_loss").ours == pytest.approx(-2.0)
    assert one(values, "deep", "", "log10_test_loss").ours == pytest.approx(-3.0)
    assert one(values, "deep-overfit", "", "test_min_iteration").ours == 700
    # The peak's iteration lies in the first half, where the moving average first reaches 4.
    assert 0 < one(values, "deep", "Z", "peak_iteration").ours <= 1000
    # Layers the run does not have are NaN, never a made-up number.
    assert math.isnan(one(values, "deep", "D1", "peak_x").ours)


def test_i_t_out_values_start_values_and_ranges():
    custom = (
        PaperValue("x", "Z", "peak_y", 3.0, 3.0),
        PaperValue("x", "Z", "start_x", 0.5, 0.5),
        PaperValue("x", "Z", "final_x", 1.5, 2.5),
        PaperValue("x", "Z", "peak_x", 1.0, 1.3),
        PaperValue("y", "Z", "peak_x", 1.0, 1.0),
    )
    values = compare({"x": [step_run("x")]}, custom)
    assert values[0].ours == pytest.approx(3.6) and values[0].difference == pytest.approx(0.6)
    assert values[1].ours == 0.0 and values[1].within is None
    assert values[2].within is True and values[2].difference == pytest.approx(0.0)
    assert values[3].within is False
    assert math.isnan(values[4].ours) and math.isnan(values[4].difference)  # no such run


def test_seeds_are_summarized_by_their_median():
    runs = [step_run("sparse", high=h, low=0.5) for h in (3.0, 4.0, 6.0)]
    values = compare({"sparse": runs})
    assert one(values, "sparse", "Z", "peak_x").ours == pytest.approx(4.0)


def test_every_paper_value_names_a_known_quantity_and_experiment():
    from infoplane_tf.catalog import EXPERIMENT_NAMES

    assert {value.quantity for value in MNIST} <= set(QUANTITIES)
    assert {value.experiment for value in MNIST} == set(EXPERIMENT_NAMES)
    deep_layers = {v.layer for v in MNIST if v.experiment == "deep" and v.layer}
    assert deep_layers == {"E1", "E2", "Z", "D1", "D2"}
    # The headline: the deep AE's bottleneck falls from 4.4 to 2.8 bits.
    assert one(compare({}), "deep", "Z", "peak_x").paper.low == 4.4
    assert one(compare({}), "deep", "Z", "final_x").paper.low == 2.8


def test_the_report_leads_with_the_table_on_mnist_only(tmp_path, monkeypatch):
    runs = {"deep": [step_run("deep")]}
    monkeypatch.setattr(report, "collect", lambda folder, measurement=None: runs)
    text = report.write_report(tmp_path).read_text()
    assert text.index("## Against the paper (MNIST)") < text.index("## Results")
    z_final = next(line for line in text.splitlines() if line.startswith("| deep | Z | final I"))
    assert z_final == "| deep | Z | final I(X;T) (bits) | 2.80 | 2.00 | -0.80 |"
    assert sum(line.startswith("| ") for line in text.splitlines()) > len(MNIST)

    runs["deep"] = [step_run("deep", dataset="fashion-mnist")]
    assert "Against the paper" not in report.write_report(tmp_path).read_text()
