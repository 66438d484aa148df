"""The one progress display (``infoplane_tf.progress``) and what feeds it: the training callback,
the sweep's adapter and ``measure``."""

import io
import re

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.progress import Task, TaskID

from infoplane_tf.callbacks.loggers import ProgressLine
from infoplane_tf.progress import ProgressDisplay, _seconds_left
from infoplane_tf.workflows.sweep import Progress
from infoplane_tf_cli.main import cli
from infoplane_tf_cli.progress import SweepDisplay

FULL_BAR = "[" + "#" * 24 + "]"
#: A plain line's counts, "12/100".
COUNTS = re.compile(r"\] (\d+)/(\d+)")


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch):
    """rich treats these variables as "this is a terminal": a test of plain output needs them
    unset (CI systems set FORCE_COLOR)."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


def terminal():
    """A rich console that believes it is a 120-column terminal, writing into a string."""
    return Console(file=io.StringIO(), force_terminal=True, width=120)


def test_off_a_terminal_a_plain_line_per_tenth_and_the_final_state(capsys):
    with ProgressDisplay("runs/deep") as display:  # standard error, captured: not a terminal
        display.log("queued [sweep] runs/deep :x:")
        for step in range(1, 101):
            display.update(step, 100, info=f"loss {1 / step:.5f}")
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0] == "queued [sweep] runs/deep :x:"  # a log line as written, no markup
    progress = lines[1:]
    assert len(progress) <= 11
    assert [int(COUNTS.search(line)[1]) for line in progress] == list(range(10, 101, 10))
    assert progress[-1].startswith(f"runs/deep {FULL_BAR} 100/100  loss 0.01000  ")
    assert progress[4].startswith("runs/deep [" + "#" * 12 + " " * 12 + "] 50/100  loss 0.02000")
    assert progress[4].endswith(" left") and not progress[-1].endswith(" left")
    assert "\x1b" not in err and "\r" not in err


def test_the_final_state_is_written_once_when_it_adds_something():
    stream = io.StringIO()
    display = ProgressDisplay(stream=stream)
    for step in range(1, 21):
        display.update(step, 20, info="loss 0.50000")
    display.update(20, 20, info="loss 0.50000  test 0.40000")  # what the epoch's end adds
    display.close()
    display.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-2].endswith("20/20  loss 0.50000  0:00:00 elapsed")
    assert lines[-1].startswith(f"{FULL_BAR} 20/20  loss 0.50000  test 0.40000  ")
    # Nothing new at the end: no repeated last line; a task ending early is shown where it stopped.
    stream = io.StringIO()
    with ProgressDisplay(stream=stream) as display:
        for step in range(11):  # the first update is the start, not a step
            display.update(step, 10)
    assert len(stream.getvalue().splitlines()) == 10
    stream = io.StringIO()
    with ProgressDisplay(stream=stream) as display:
        display.update(0, 40)
        display.update(3, 40, info="loss 1.00000")
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("[#" + " " * 23 + "] 3/40  loss 1.00000  ")


def test_a_task_that_never_moved_writes_nothing_off_a_terminal():
    stream = io.StringIO()
    with ProgressDisplay("runs/deep", stream=stream) as display:
        display.update(0)  # started, total unknown, then (say) an error
    assert stream.getvalue() == ""


def test_on_a_terminal_redrawn_in_place_with_the_extra_fields():
    console = terminal()
    with ProgressDisplay("runs/deep", console=console) as display:
        assert display.live
        display.log("a log line")
        for step in range(1, 41):
            display.update(step, 40, info=f"loss {1 / step:.5f}  I(X;Z) 3.21 bits")
    out = console.file.getvalue()
    assert "\x1b[2K" in out  # the line was erased and drawn again, not appended
    final = out.rsplit("\r", 1)[-1]
    assert "runs/deep" in final and "40/40" in final and "loss 0.02500" in final
    assert "I(X;Z) 3.21 bits" in final
    assert out.index("a log line") < out.index("40/40")
    assert out.count("\n") == 2  # the log line, and the final bar left in place


def test_quiet_shows_nothing():
    stream, console = io.StringIO(), terminal()
    displays = (
        ProgressDisplay(stream=stream, quiet=True),
        ProgressDisplay(console=console, quiet=True),
    )
    for display in displays:
        with display:
            display.log("a log line")
            for step in range(1, 11):
                display.update(step, 10, info="loss 1.0")
    assert stream.getvalue() == "" and console.file.getvalue() == ""


def test_bad_arguments():
    with pytest.raises(ValueError, match="stream or console, not both"):
        ProgressDisplay(stream=io.StringIO(), console=terminal())
    with pytest.raises(ValueError, match="bar_width must be at least 1, got 0"):
        ProgressDisplay(bar_width=0)


def started_task(total, completed, first):
    """A rich task started at time 0, now 10 s later, whose first update had ``first``."""
    task = Task(TaskID(0), "", total, completed, lambda: 10.0, fields={"first": first})
    task.start_time = 0.0
    return task


def test_time_left_counts_the_pace_since_the_first_update():
    # A resumed task: 50 steps were done before, 10 more in 10 s here: 40 left take 40 s.
    assert _seconds_left(started_task(100, 60, 50)) == pytest.approx(40.0)
    assert _seconds_left(started_task(100, 60, 0)) == pytest.approx(10.0 * 40 / 60)
    assert _seconds_left(started_task(100, 50, 50)) is None  # no step made here yet
    assert _seconds_left(started_task(None, 60, 0)) is None  # total unknown


def fit_with(progress_line):
    """Two epochs of 20 steps with a stand-in for the InfoPlaneCallback's ``i_xt_z`` log."""

    class FakeInformation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["i_xt_z"] = 3.25 + epoch

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((200, 3)).astype("float32")
    callbacks = [FakeInformation(), progress_line]
    model.fit(x, x, epochs=2, batch_size=10, validation_data=(x, x), verbose=0, callbacks=callbacks)


def test_the_training_line_shows_loss_test_loss_and_information():
    stream = io.StringIO()
    fit_with(ProgressLine(stream))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # a line per tenth, then the final state with the last epoch's end
    # A line per tenth: 24/40 comes after the first epoch's end and shows what it logged.
    assert lines[5].startswith("[" + "#" * 14 + " " * 10 + "] 24/40  loss ")
    assert re.fullmatch(
        r".* loss \d\.\d{5}  test \d\.\d{5}  I\(X;z\) 3\.25 bits  .* left", lines[5]
    )
    final = rf"{re.escape(FULL_BAR)} 40/40  loss [\d.]+  test [\d.]+  I\(X;z\) 4\.25 bits  "
    assert re.match(final, lines[-1])


class TerminalStream(io.StringIO):
    def isatty(self):
        return True


def test_the_training_line_on_a_terminal():
    stream = TerminalStream()
    fit_with(ProgressLine(stream))
    out = stream.getvalue()
    assert "\x1b[2K" in out
    final = out.rsplit("\r", 1)[-1]
    assert "40/40" in final and re.search(r"loss \d\.\d{5}", final) and "I(X;z) 4.25 bits" in final


def test_the_sweep_display_counts_runs_that_ended(capsys):
    with SweepDisplay() as display:
        display.log("queued runs/a")
        for done, failed, running in ((0, 0, 2), (1, 0, 1), (1, 0, 1), (1, 1, 0)):
            display.update(Progress(2, done, failed, running, elapsed_s=1.0))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "queued runs/a"
    half = "sweep [" + "#" * 12 + " " * 12 + "] 1/2  1 done, 0 failed, 1 running  "
    assert lines[1].startswith(half)
    assert lines[2].startswith(f"sweep {FULL_BAR} 2/2  1 done, 1 failed, 0 running")
    assert len(lines) == 3
    with SweepDisplay(quiet=True) as display:
        display.log("queued runs/a")
        display.update(Progress(1, 1, 0, 0, elapsed_s=1.0))
    assert capsys.readouterr().err == ""


@pytest.mark.slow  # a real measure through the CLI; the display itself is tested fast above
def test_measure_shows_its_progress_off_a_terminal_and_nothing_when_quiet(tiny_run, tmp_path):
    run = tiny_run(tmp_path / "deep")
    runner = CliRunner()
    result = runner.invoke(cli, ["measure", str(run.path), "--name", "g1", "--gamma", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(run.path / "measurements" / "g1")
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 11 and all(line.startswith(f"{run.path} [") for line in lines)
    done, total = COUNTS.search(lines[-1]).groups()
    assert done == total and FULL_BAR in lines[-1] and "\x1b" not in result.stderr
    quiet = runner.invoke(cli, ["measure", str(run.path), "--name", "g2", "--gamma", "1", "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == "" and quiet.stdout.strip() == str(run.path / "measurements" / "g2")


def fake_sweep(grid, out, log, progress, **options):
    """Stands in for ``sweep.sweep`` and ``suite.reproduce``: two runs, logged and counted."""
    for seed in (0, 1):
        log(f"queued {out / f'seed-{seed}'}")
    for done in range(3):
        progress(Progress(2, done, 0, 2 - done, elapsed_s=float(done)))
    return {"runs": {"seed-0": {}, "seed-1": {}}, "wall_time_s": 2.0}


@pytest.mark.parametrize("command", ["sweep", "reproduce"])
def test_sweep_and_reproduce_show_logs_and_progress(command, tmp_path, monkeypatch):
    from infoplane_tf.workflows import suite, sweep

    monkeypatch.setattr(sweep, "sweep", fake_sweep)
    monkeypatch.setattr(suite, "reproduce", lambda dataset, out, **kw: fake_sweep(None, out, **kw))
    out = tmp_path / "s"
    arguments = [command, str(out), "--dataset", "mnist-5k"]
    if command == "sweep":
        arguments += ["--vary", "seed=0,1"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[:2] == [f"queued {out / 'seed-0'}", f"queued {out / 'seed-1'}"]
    assert lines[2].startswith(
        "sweep [" + "#" * 12 + " " * 12 + "] 1/2  1 done, 0 failed, 1 running"
    )
    assert lines[3].startswith(f"sweep {FULL_BAR} 2/2  2 done, 0 failed, 0 running  ")
    assert len(lines) == 4 and "\x1b" not in result.stderr
    assert result.stdout.endswith(f"finished in 2 s: {out}\n")
    if command == "sweep":
        quiet = CliRunner().invoke(cli, [*arguments, "-q"])
        assert quiet.exit_code == 0 and quiet.stderr == "", quiet.output
