"""Sweeps (``infoplane_tf.workflows.sweep``, ``infoplane-tf sweep``): the grid, the record,
and real runs on an embedded Dask cluster and on a scheduler with two workers."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from infoplane_tf.catalog import EXPERIMENTS
from infoplane_tf.io.runs import load_run
from infoplane_tf.io.sweep_record import SWEEP_NAME, read_sweep_record
from infoplane_tf.validation import ParameterError
from infoplane_tf.workflows import executors, sweep, task
from infoplane_tf.workflows.threads import SWEEP_THREADS
from infoplane_tf_cli.main import cli

# The deep AE's own widths: sums over 256 inputs split across threads, so a run's bits would
# show a thread count that followed the number of workers.
TINY = dict(dataset="mnist-5k", probe_size=20, hidden_units=(256, 128), code_units=4,
            train_fraction=0.1, epochs=2)  # fmt: skip
TINY_ARGS = ["--dataset", "mnist-5k", "--probe-size", "20", "--hidden-units", "256,128",
             "--code-units", "4", "--train-fraction", "0.1", "--epochs", "2"]  # fmt: skip
SEEDS = {"seed": [0, 1, 2, 3]}


def test_grid_values_take_their_options_types():
    grid = sweep.parse_grid(
        ["seed=0,1", "learning-rate=0.001,0.01", "hidden_units=16-8,none", "gamma=none,2",
         "sigma=median,0.5", "record=every:10,5", "experiment=shallow,deep"]
    )  # fmt: skip
    assert sweep.check_grid(grid) == {
        "seed": [0, 1],
        "learning_rate": [0.001, 0.01],
        "hidden_units": [(16, 8), ()],
        "gamma": [None, 2.0],
        "sigma": ["median", 0.5],
        "record": ["every:10", 5],
        "experiment": ["shallow", "deep"],
    }
    assert sweep.check_grid({"hidden_units": [[16, 8]], "seed": [3]}) == {
        "hidden_units": [(16, 8)],
        "seed": [3],
    }


@pytest.mark.parametrize(
    "grid, message",
    [
        ({}, "is empty"),
        ({"colour": ["red"]}, "names an unknown option 'colour'"),
        ({"seed": [0, -1]}, "gives seed = -1: seed must be an integer >= 0"),
        ({"learning_rate": ["fast"]}, "gives learning_rate = 'fast', expected a number"),
        ({"model": ["deep", "giant"]}, "gives model = 'giant'"),
        ({"experiment": ["shallow", "huge"]}, "gives experiment = 'huge'; choose from shallow"),
        ({"seed": [1, 1]}, "gives seed = 1 twice"),
        ({"seed": []}, "gives no values for seed"),
        ({"experiment": ["deep"], "model": ["deep"]}, "varies experiment, which sets model"),
        ({"threads": [None, 1]}, "threads=none/deep and threads=1/deep would be the same run"),
    ],
)
def test_grid_mistakes_are_named(grid, message, tmp_path):
    with pytest.raises(ParameterError, match=message) as error:
        sweep.expand(grid, tmp_path, dataset="mnist-5k")
    assert error.value.parameter == "grid"


def test_the_command_line_grid_needs_option_equals_values():
    with pytest.raises(ParameterError, match="needs OPTION=V1,V2"):
        sweep.parse_grid(["seed"])
    with pytest.raises(ParameterError, match="gives seed twice"):
        sweep.parse_grid(["seed=1", "seed=2"])


def test_runs_are_named_by_setting_experiment_and_seed(tmp_path):
    grid = {"learning_rate": [0.001, 0.005], "experiment": ["deep-overfit"], "seed": [0, 1]}
    runs = sweep.expand(grid, tmp_path, dataset="mnist-5k", epochs=4, probe_size=50)
    assert [r.key for r in runs] == [
        "learning_rate=0.001/deep-overfit/seed-0",
        "learning_rate=0.001/deep-overfit/seed-1",
        "learning_rate=0.005/deep-overfit/seed-0",
        "learning_rate=0.005/deep-overfit/seed-1",
    ]
    config = runs[3].config
    assert (config.model, config.train_fraction, config.epochs) == ("deep", 0.1, 40)
    assert (config.learning_rate, config.seed, config.probe_size) == (0.005, 1, 50)
    assert config.name == "deep-overfit learning_rate=0.005 seed 1"
    assert config.out == str(tmp_path / runs[3].key)
    (single,) = sweep.expand({"model": ["tied"]}, tmp_path, dataset="mnist-5k")
    assert single.key == "tied" and single.config.name == "tied"


@pytest.mark.parametrize(
    "grid, fixed, parameter",
    [
        ({"seed": [0, 1]}, {"dataset": "mnist-5k", "seed": 3}, "grid"),
        ({"seed": [0, 1]}, {}, "dataset"),
        ({"experiment": ["deep"]}, {"dataset": "mnist-5k", "model": "tied"}, "model"),
        ({"seed": [0]}, {"dataset": "mnist-5k", "name": "x"}, "options"),
        ({"seed": [0]}, {"dataset": "mnist-5k", "epochs": 0}, "epochs"),
    ],
)
def test_fixed_options_are_checked_with_the_grid(grid, fixed, parameter, tmp_path):
    with pytest.raises(ParameterError) as error:
        sweep.expand(grid, tmp_path, **fixed)
    assert error.value.parameter == parameter


def test_a_bad_grid_value_fails_before_anything_starts(tmp_path, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was opened")

    monkeypatch.setattr(executors, "open_pool", no_pool)
    with pytest.raises(ParameterError, match="learning_rate = -1"):
        sweep.sweep({"seed": [0, 1], "learning_rate": [0.01, -1]}, tmp_path / "s", **TINY)
    assert not (tmp_path / "s").exists()


def fake_sweep(grid, out, **kwargs):
    """``sweep.sweep`` with the ``fake_training`` task on local threads."""
    with ThreadPoolExecutor(2) as pool:
        return sweep.sweep(grid, out, executor=pool, log=lambda line: None, **kwargs)


def test_a_folder_with_another_grid_is_refused_unless_overwrite(tmp_path, fake_training):
    out = tmp_path / "s"
    record = fake_sweep({"seed": [0, 1]}, out, dataset="mnist-5k")
    assert [run["state"] for run in record["runs"].values()] == ["done", "done"]
    assert record["grid"] == {"seed": [0, 1]} and record["options"] == {"dataset": "mnist-5k"}
    with pytest.raises(ParameterError, match="holds a sweep of another grid") as error:
        fake_sweep({"seed": [0, 2]}, out, dataset="mnist-5k")
    assert error.value.parameter == "out" and error.value.remedy == "overwrite"
    with pytest.raises(ParameterError, match="options dataset=mnist-5k"):
        fake_sweep({"seed": [0, 1]}, out, dataset="fashion-mnist")
    assert sorted(p.name for p in (out / "deep").iterdir()) == ["seed-0", "seed-1"]
    record = fake_sweep({"seed": [0, 2]}, out, dataset="mnist-5k", overwrite=True)
    assert sorted(p.name for p in (out / "deep").iterdir()) == ["seed-0", "seed-2"]
    assert list(record["runs"]) == ["deep/seed-0", "deep/seed-2"]


def test_finished_runs_of_before_the_thread_count_stay_done(tmp_path, fake_training):
    out = tmp_path / "s"
    fake_sweep({"seed": [0, 1]}, out, dataset="mnist-5k")
    old = out / "deep" / "seed-0" / "config.json"
    recorded = json.loads(old.read_text())
    assert recorded["threads"] == 1
    old.write_text(json.dumps({k: v for k, v in recorded.items() if k != "threads"}))  # 0.7
    (out / "deep" / "seed-0" / "measurements").mkdir()  # what a rerun must not delete
    lines = []
    with ThreadPoolExecutor(2) as pool:
        sweep.sweep({"seed": [0, 1]}, out, executor=pool, log=lines.append, dataset="mnist-5k")
    assert lines == [f"skip {out / 'deep' / f'seed-{s}'} (finished earlier)" for s in (0, 1)]
    assert (out / "deep" / "seed-0" / "measurements").is_dir()
    # Another recorded count is another run.
    old.write_text(json.dumps({**recorded, "threads": 2}))
    fake_sweep({"seed": [0, 1]}, out, dataset="mnist-5k")
    assert json.loads(old.read_text())["threads"] == 1


class CountingExecutor(ThreadPoolExecutor):
    """Local threads that note, at each submission, the task and how many were unfinished."""

    def __init__(self, workers):
        super().__init__(workers)
        self.submitted, self.names, self.unfinished, self.futures = [], [], [], []

    def submit(self, fn, *args):
        self.unfinished.append(sum(not future.done() for future in self.futures))
        self.submitted.append(args[0].seed)
        self.names.append(args[0].name)
        self.futures.append(super().submit(fn, *args))
        return self.futures[-1]


def test_runs_go_out_in_order_one_per_free_slot(tmp_path, fake_training, monkeypatch):
    instant = task.train_task
    monkeypatch.setattr(task, "train_task", lambda *args: time.sleep(0.2) or instant(*args))
    with CountingExecutor(2) as pool:
        record = sweep.sweep(
            {"seed": [0, 1, 2, 3, 4]}, tmp_path, executor=pool, workers=2,
            log=lambda line: None, dataset="mnist-5k",
        )  # fmt: skip
    assert pool.submitted == [0, 1, 2, 3, 4]
    assert pool.unfinished[:2] == [0, 1] and max(pool.unfinished) == 1
    for run in record["runs"].values():
        assert run["state"] == "done" and run["started"] <= run["ended"]
    with CountingExecutor(3) as pool:  # no workers given: as many as the executor runs
        sweep.sweep({"seed": [0, 1, 2, 3]}, tmp_path / "b", executor=pool,
                    log=lambda line: None, dataset="mnist-5k")  # fmt: skip
    assert pool.unfinished[:3] == [0, 1, 2] and max(pool.unfinished) == 2


def test_the_costliest_runs_go_out_first(tmp_path, fake_training):
    names = ["shallow", "deep", "sparse", "deep-overfit", "vae"]
    with CountingExecutor(1) as pool:
        sweep.sweep({"experiment": names}, tmp_path, executor=pool, workers=1,
                    log=lambda line: None, dataset="mnist-5k")  # fmt: skip
    costs = {e.name: e.cost for e in EXPERIMENTS}
    assert pool.names == sorted(names, key=lambda name: -costs[name])
    assert pool.names[:2] == ["deep-overfit", "vae"]  # the catalog's measured order
    assert pool.names[-1] == "shallow"


def test_a_failed_run_is_recorded_and_the_others_finish(tmp_path, fake_training):
    with pytest.raises(sweep.SweepFailedError, match="1 run.*: tied"):
        fake_sweep({"model": ["deep", "tied", "vanilla"]}, tmp_path, dataset="mnist-5k")
    record = read_sweep_record(tmp_path)
    assert record["runs"]["tied"]["state"] == "failed"
    assert record["runs"]["tied"]["error"] == "ValueError: diverged"
    assert record["runs"]["vanilla"]["state"] == "done" and (tmp_path / "vanilla").is_dir()


def test_packed_runs_unpack_in_place_of_a_run_only(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    (run / "checkpoints" / "iteration-0.npz").write_bytes(b"\x00weights")
    target = tmp_path / "sweep" / "deep"
    (target / "old").mkdir(parents=True)
    (target / "config.json").write_text('{"old": true}')  # an earlier run: replaced
    task.unpack(task.pack(run), target)
    assert (target / "checkpoints" / "iteration-0.npz").read_bytes() == b"\x00weights"
    assert (target / "config.json").read_text() == "{}" and not (target / "old").exists()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep")
    with pytest.raises(ParameterError, match="not a run directory"):
        task.unpack(task.pack(run), other)
    assert (other / "todo.txt").read_text() == "keep"


def test_progress_counts_and_time_left():
    progress = sweep.Progress(total=8, done=3, failed=1, running=2, elapsed_s=40.0)
    assert progress.eta_s == 40.0
    assert progress.line() == "3/8 runs done, 2 running, 2 queued, 1 failed, about 40 s left"
    assert sweep.Progress(2, 1, 1, 0, 5.0).line() == "1/2 runs done, 1 failed"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--vary", "colour=red"], "Invalid value for '--vary': names an unknown option 'colour'"),
        (["--vary", "learning_rate=0.01,-1"], "'--vary': gives learning_rate = -1.0"),
        (["--vary", "seed"], "'--vary': needs OPTION=V1,V2,..., got 'seed'"),
        ([], "Invalid value for '--vary': is empty"),
        (["--vary", "seed=0,1", "--seed", "3"], "varies seed, also given as a fixed option"),
        (["--vary", "seed=0", "--workers", "0"], "'--workers': must be a positive integer"),
    ],
)
def test_command_line_mistakes_are_one_line(arguments, message, tmp_path):
    result = CliRunner().invoke(cli, ["sweep", str(tmp_path / "s"), *TINY_ARGS, *arguments])
    assert result.exit_code == 2, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert message in error and "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_a_grid_file_joins_the_varied_options(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"seed": [0, 1], "learning_rate": [0.01, -1]}))
    arguments = ["sweep", str(tmp_path / "s"), *TINY_ARGS, "--grid", str(grid)]
    result = CliRunner().invoke(cli, [*arguments, "--vary", "code_units=4,8"])
    assert result.exit_code == 2 and "'--vary': gives learning_rate = -1" in result.output
    result = CliRunner().invoke(cli, [*arguments, "--vary", "seed=3"])
    assert result.exit_code == 2 and "--vary and --grid both vary seed" in result.output
    grid.write_text("{seed: [0]}")
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2 and "'--grid': cannot be read: JSONDecodeError" in result.output
    assert not (tmp_path / "s").exists()


def test_an_unreachable_scheduler_says_how_to_start_one(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1)
    address = f"tcp://127.0.0.1:{free_port()}"
    arguments = ["sweep", str(tmp_path / "s"), *TINY_ARGS, "--vary", "seed=0,1"]
    result = CliRunner().invoke(cli, [*arguments, "--scheduler", address])
    assert result.exit_code == 2, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert f"'--scheduler': cannot reach a Dask scheduler at {address}" in error
    assert "`dask scheduler`" in error and f"`dask worker {address}`" in error
    assert not (tmp_path / "s").exists()


def test_a_folder_with_another_grid_needs_overwrite_on_the_command_line(tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    recorded = {"grid": {"seed": [5]}, "options": {"dataset": "mnist-5k"}, "epochs_scale": 1.0}
    (out / SWEEP_NAME).write_text(json.dumps({**recorded, "runs": {}}))
    result = CliRunner().invoke(cli, ["sweep", str(out), *TINY_ARGS, "--vary", "seed=0,1"])
    assert result.exit_code == 2, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert "Invalid value for 'DIR'" in error and "holds a sweep of another grid" in error
    assert error.endswith("; pass --overwrite to replace it")
    assert sorted(p.name for p in out.iterdir()) == [SWEEP_NAME]


# --------------------------------------------------------------------------------------------
# Real runs
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """The four runs of the ``SEEDS`` grid, made one after another by one worker."""
    folder = tmp_path_factory.mktemp("references")
    record = sweep.sweep(SEEDS, folder, workers=1, **TINY)
    assert record["workers"] == 1
    return folder


def assert_same_runs(made: Path, references: Path, keys) -> None:
    """Every run under ``made`` is complete and has the trajectory and history of its twin."""
    for key in keys:
        run, twin = load_run(made / key), load_run(references / key)
        assert run.complete and run.config["out"] == str(made / key)
        for name in ("i_xt", "i_t_out", "h_t", "sigma", "i_t_label"):
            np.testing.assert_array_equal(
                getattr(run.trajectory, name), getattr(twin.trajectory, name)
            )
        np.testing.assert_array_equal(run.history.train_loss, twin.history.train_loss)
        np.testing.assert_array_equal(
            run.history.iteration_test_loss, twin.history.iteration_test_loss
        )
        assert sorted(p.name for p in (made / key).rglob("*")) == sorted(
            p.name for p in (references / key).rglob("*")
        )


@pytest.mark.slow
def test_an_embedded_cluster_makes_the_runs_of_one_at_a_time(tmp_path, references, monkeypatch):
    out, lines, shown = tmp_path / "sweep", [], []
    record = sweep.sweep(SEEDS, out, workers=2, log=lines.append, progress=shown.append, **TINY)
    keys = [f"deep/seed-{seed}" for seed in SEEDS["seed"]]
    assert list(record["runs"]) == keys and record["workers"] == 2
    assert_same_runs(out, references, keys)
    assert {run["threads"] for run in record["runs"].values()} == {SWEEP_THREADS}
    assert all(run["worker"].startswith("tcp://127.0.0.1:") for run in record["runs"].values())
    assert shown[-1].line() == "4/4 runs done, 0 failed"
    assert "2 Dask worker(s) on an embedded cluster" in lines
    # A rerun of the finished sweep starts nothing, not even a cluster.
    monkeypatch.setattr(executors, "open_pool", None)
    lines.clear()
    sweep.sweep(SEEDS, out, workers=2, log=lines.append, **TINY)
    assert lines == [f"skip {out / key} (finished earlier)" for key in keys]
    # The report reads a sweep: one row for the four seeds of the deep AE; and with a varied
    # setting, one suite per setting, side by side.
    from infoplane_tf.reports import write_report

    assert "| deep | 2 | 4 |" in write_report(out).read_text()
    settings = tmp_path / "settings"
    for seed in SEEDS["seed"]:
        rate = "learning_rate=0.001" if seed < 2 else "learning_rate=0.005"
        shutil.copytree(out / f"deep/seed-{seed}", settings / rate / f"deep/seed-{seed}")
    text = write_report(settings).read_text()
    assert "| finding | learning_rate=0.001 | learning_rate=0.005 |" in text
    assert (settings / "figures" / "deep.png").is_file()


@contextlib.contextmanager
def dask_processes(folder: Path, workers: int):
    """A ``dask scheduler`` and ``workers`` one-thread ``dask worker`` processes on 127.0.0.1,
    each in its own folder (its working and temporary directory); yields the scheduler's
    address and ``(process, folder, address)`` of each worker. All are stopped on leaving."""
    address = f"tcp://127.0.0.1:{free_port()}"
    dask = [sys.executable, "-m", "dask"]
    started = []
    try:
        started.append(subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
             "--no-dashboard"], cwd=folder, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        pool = []
        for number in range(workers):
            home = folder / f"worker-{number}"
            home.mkdir()
            process = subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--host",
                 "127.0.0.1", "--no-dashboard", "--local-directory", str(home)],
                cwd=home, env={**os.environ, "TMPDIR": str(home)}, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            started.append(process)
            pool.append((process, home))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
            info = client.scheduler_info(n_workers=-1)["workers"]
        where = {w["local_directory"]: worker for worker, w in info.items()}
        yield (
            address,
            [
                (process, home, next(a for d, a in where.items() if d.startswith(str(home))))
                for process, home in pool
            ],
        )
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()  # reaped, so no ResourceWarning for a running child


def wait_for_a_run(home: Path, timeout: float = 180) -> None:
    """Waits until a worker living in ``home`` trains a run (its ``config.json`` exists)."""
    deadline = time.time() + timeout
    while not list(home.glob("infoplane-tf-*/run/config.json")):
        assert time.time() < deadline, f"no run started in {home}"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_scheduler_and_two_workers_finish_a_sweep_when_one_is_killed(tmp_path, references):
    out = tmp_path / "sweep"
    with dask_processes(tmp_path, 2) as (address, [victim, survivor]):
        victim, victim_home, _ = victim
        _, survivor_home, survivor = survivor
        command = [sys.executable, "-m", "infoplane_tf_cli", "sweep", str(out), *TINY_ARGS,
                   "--vary", "seed=0,1,2,3", "--scheduler", address]  # fmt: skip
        sweeping = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            wait_for_a_run(victim_home)
            victim.send_signal(signal.SIGKILL)
            _, stderr = sweeping.communicate(timeout=600)
        finally:
            sweeping.kill()
            sweeping.wait()
    assert sweeping.returncode == 0, stderr[-3000:]
    keys = [f"deep/seed-{seed}" for seed in SEEDS["seed"]]
    assert_same_runs(out, references, keys)
    record = read_sweep_record(out)
    assert record["scheduler"] == address and record["workers"] == 2
    assert {run["state"] for run in record["runs"].values()} == {"done"}
    (killed,) = victim_home.glob("infoplane-tf-*/task.json")  # its one unfinished run
    assert not (killed.parent / "result.json").exists()
    seed = json.loads(killed.read_text())["config"]["seed"]
    assert record["runs"][f"deep/seed-{seed}"]["worker"] == survivor  # retried there
    assert not list(survivor_home.glob("infoplane-tf-*"))  # its scratch folders are gone
