"""The paper's suite (``infoplane_tf.workflows.suite``): planning, resuming, failures."""

import dataclasses
import json
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from infoplane_tf.catalog import EXPERIMENT_NAMES
from infoplane_tf.io.sweep_record import SWEEP_NAME
from infoplane_tf.validation import ParameterError
from infoplane_tf.workflows import suite


def test_plan_lists_every_experiment_with_its_own_settings(tmp_path):
    runs = suite.plan("mnist-5k", tmp_path, sigma="median", probe_size=50)
    assert [r.experiment.name for r in runs] == list(EXPERIMENT_NAMES)
    by_name = {r.experiment.name: r.config for r in runs}
    assert by_name["deep-overfit"].epochs == 500 and by_name["deep-overfit"].train_fraction == 0.1
    assert by_name["shallow"].model == "vanilla" and by_name["shallow"].epochs == 50
    assert all(c.sigma == "median" and c.probe_size == 50 for c in by_name.values())
    assert by_name["vae"].out == str(tmp_path / "vae") and by_name["vae"].overwrite


def test_plan_scales_epochs_and_spreads_seeds(tmp_path):
    runs = suite.plan(
        "mnist-5k", tmp_path, epochs=4, epochs_scale=0.5, seeds=2, experiments=("deep-overfit",)
    )
    assert [(r.seed, r.config.epochs) for r in runs] == [(0, 20), (1, 20)]  # 4 * 10 * 0.5
    assert [Path(r.config.out).name for r in runs] == ["seed-0", "seed-1"]
    assert runs[1].config.name == "deep-overfit seed 1" and runs[1].config.seed == 1


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        ({"experiments": ("deep", "huge")}, "experiments"),
        ({"epochs_scale": 0}, "epochs_scale"),
        ({"seeds": 0}, "seeds"),
        ({"epochs": 0}, "epochs"),
        ({"record": "hourly"}, "record"),
        ({"model": "deep"}, "options"),
        ({"learning_rate": -1.0}, "learning_rate"),
    ],
)
def test_plan_names_the_bad_parameter(kwargs, parameter, tmp_path):
    with pytest.raises(ParameterError) as error:
        suite.plan("mnist-5k", tmp_path, **kwargs)
    assert error.value.parameter == parameter


class DyingWorkers(ThreadPoolExecutor):
    """Runs the task, except that the worker of the 'vae' run dies."""

    def submit(self, fn, config, partial=None):
        if config.model == "vae":
            future = Future()
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
            return future
        return super().submit(fn, config, partial)


def test_a_dead_worker_is_recorded_and_the_rest_finish(tmp_path, fake_training):
    runs = suite.plan("mnist-5k", tmp_path, experiments=("shallow", "vae", "deep"))
    with DyingWorkers(1) as pool, pytest.raises(RuntimeError, match="1 run.*: vae"):
        suite.run_suite(runs, tmp_path, executor=pool, log=lambda line: None)
    record = json.loads((tmp_path / SWEEP_NAME).read_text())
    assert record["runs"]["vae"]["seconds"] is None
    assert record["runs"]["vae"]["error"].startswith("no result from the workers (BrokenProcess")
    assert record["runs"]["deep"]["state"] == "done" and record["runs"]["deep"]["seconds"] == 1.2
    assert json.loads((tmp_path / "deep" / "config.json").read_text())["model"] == "deep"


def test_run_suite_records_failures_and_resumes(tmp_path, fake_training):
    runs = suite.plan("mnist-5k", tmp_path, experiments=("shallow", "tied", "vae"))
    lines = []
    with ThreadPoolExecutor(2) as pool, pytest.raises(RuntimeError, match="1 run.*: tied"):
        suite.run_suite(runs, tmp_path, executor=pool, log=lines.append)
    record = json.loads((tmp_path / SWEEP_NAME).read_text())
    tied, shallow = record["runs"]["tied"], record["runs"]["shallow"]
    assert (tied["state"], tied["seconds"], tied["error"]) == (
        "failed",
        0.5,
        "ValueError: diverged",
    )
    assert (shallow["state"], shallow["seconds"], shallow["error"]) == ("done", 1.2, None)
    assert [r.done for r in runs] == [True, False, True]
    lines.clear()
    with ThreadPoolExecutor(2) as pool, pytest.raises(RuntimeError):
        suite.run_suite(runs, tmp_path, executor=pool, log=lines.append)
    assert f"skip {tmp_path / 'shallow'} (finished earlier)" in lines
    assert not any(line.startswith("queued") and "shallow" in line for line in lines)
    assert any(line.startswith("queued") and "tied" in line for line in lines)


def test_an_unfinished_run_with_a_resume_state_and_the_same_options_is_resumed(
    tmp_path, fake_training
):
    shallow, tied = suite.plan("mnist-5k", tmp_path, experiments=("shallow", "tied"))
    for planned in (shallow, tied):
        planned.out.mkdir(parents=True)
        (planned.out / "config.json").write_text(json.dumps(dataclasses.asdict(planned.config)))
    (tied.out / "resume.npz").write_bytes(b"state")
    assert tied.resumable and not shallow.resumable  # shallow has no state: trained again
    other = suite.plan("mnist-5k", tmp_path, experiments=("tied",), epochs=3)[0]
    assert not other.resumable  # other options: trained again
    lines = []
    with ThreadPoolExecutor(1) as pool, pytest.raises(RuntimeError, match="tied"):
        suite.run_suite([shallow, tied], tmp_path, executor=pool, log=lines.append)
    assert f"resuming {tied.out}" in lines and f"queued {shallow.out}" in lines
    assert fake_training == ["tied"]
