"""One training run as a self-contained task, for whichever machine runs it.

``train_task`` runs on a worker (a Dask worker, or a local thread): it trains the run in a
fresh Python process inside the worker's own temporary folder and returns the finished run
directory as tar bytes, which the client writes under the sweep's folder with
``unpack``. So workers need no filesystem shared with the client, and every run starts from a
clean process: TensorFlow's thread pools set to the run's own ``threads``, no global state (Python's
``random``, which Keras draws its default seeds from, is used by a Dask worker's own threads)
left by another run or by the worker, and the memory of a run returned when it ends. A run
that stopped early (SIGINT/SIGTERM, at an epoch end) comes back with its resume state, so a
rerun continues it; a run failing for a reason of its own comes back as a one-line error.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

from infoplane_tf.io.options import TrainConfig, config_from_json
from infoplane_tf.io.run_dir import RunDirectory, is_run_dir, write_json
from infoplane_tf.validation import ParameterError
from infoplane_tf.workflows.threads import use_threads

#: Files the worker and its training process exchange in the scratch folder.
TASK_NAME, RESULT_NAME, LOG_NAME = "task.json", "result.json", "log.txt"
#: Marks a run that stopped at an epoch end; its partial directory is returned for resuming.
INTERRUPTED = "interrupted"


def train_task(config: TrainConfig, partial: bytes | None = None) -> dict:
    """Trains ``config`` here, in a new process in a temporary folder; the outcome as a dict.

    Args:
        config: the run's options; ``config.out`` is where the client will put it (it is
            recorded in the returned ``config.json``), the training happens elsewhere.
        partial: an unfinished run directory (from ``pack``) to resume instead of starting.

    Returns:
        ``{"seconds", "error" (one line or None), "threads" (TensorFlow's intra-op threads),
        "worker" (where it ran), "run" (the run directory as ``pack`` bytes, or None)}``:
        the run comes back when it finished or stopped at an epoch end, never when it failed.
    """
    where = _whereabouts()
    with tempfile.TemporaryDirectory(prefix="infoplane-tf-") as scratch:
        scratch = Path(scratch)
        run = scratch / "run"
        if partial is not None:
            unpack(partial, run)
        task = {
            "config": dataclasses.asdict(dataclasses.replace(config, out=str(run))),
            "resume": partial is not None,
        }
        write_json(scratch / TASK_NAME, task)
        outcome = _train_in_child(scratch)
        returned = outcome["error"] is None or outcome.pop(INTERRUPTED, False)
        if returned and is_run_dir(run):
            RunDirectory(run).update_config(out=config.out)
            outcome["run"] = pack(run)
    return {"run": None, **outcome, "worker": where}


def _train_in_child(scratch: Path) -> dict:
    """Runs ``child_main`` on ``scratch`` in a new Python process; its result, or why it gave
    none (it crashed or was killed)."""
    code = "from infoplane_tf.workflows.task import child_main; child_main()"
    begin = time.time()
    with open(scratch / LOG_NAME, "wb") as log:
        process = subprocess.run(
            [sys.executable, "-c", code, str(scratch)], stdout=log, stderr=log, check=False
        )
    try:
        return json.loads((scratch / RESULT_NAME).read_text())
    except (OSError, ValueError):
        lines = (scratch / LOG_NAME).read_text(errors="replace").strip().splitlines()
        last = lines[-1] if lines else "no output"
        error = f"the training process exited with code {process.returncode}: {last}"
        return {"seconds": time.time() - begin, "error": error, "threads": None}


def child_main() -> None:
    """The training process: reads ``task.json`` in the folder given as its argument, trains,
    writes ``result.json``. It exits at once if the worker that started it dies."""
    scratch = Path(sys.argv[1])
    task = json.loads((scratch / TASK_NAME).read_text())
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    from infoplane_tf._quiet import import_tensorflow

    # Its start-up logs silenced before anything else imports it.
    import_tensorflow(sklearn_wrappers=False)
    from infoplane_tf.errors import TrainingInterrupted

    config = config_from_json(task["config"])
    result = {"error": None}
    begin = time.time()
    try:
        _train_here(config, task["resume"])
    except TrainingInterrupted as stop:
        result.update(error=f"{stop}; run the sweep again to resume it", **{INTERRUPTED: True})
    except Exception as error:  # noqa: BLE001 - reported as the run's one-line failure
        result["error"] = one_line(error)
    result["threads"] = use_threads(None)  # the count the run trained on
    result["seconds"] = time.time() - begin
    write_json(scratch / RESULT_NAME, result)


def _train_here(config: TrainConfig, resume: bool) -> None:
    from infoplane_tf.workflows import training

    if resume:
        training.resume(config.out)
    else:
        training.run(config)


def _exit_with_parent(parent: int) -> None:
    """Ends this process when its parent is gone (a killed worker must not leave its run
    training on, unseen, beside the retry)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def one_line(error: BaseException) -> str:
    """``"TypeName: message"`` on one line."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def _whereabouts() -> str:
    """This worker's address (a Dask worker's), else this machine's name."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()} (local)"


def pack(folder: Path) -> bytes:
    """The contents of ``folder`` as tar bytes.

    Not compressed again: a run's tables are gzipped already and its weights do not compress
    (gzip at its fastest level saves 8 % of a deep AE's run and costs 2 s a run).
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(folder.iterdir()):
            archive.add(path, arcname=path.name)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> None:
    """Writes ``pack`` bytes to ``folder``, replacing the run directory there, if any.

    The files are first extracted next to it, then renamed into place, so a reader never
    sees half a run.

    Raises:
        ValueError (naming ``out``): ``folder`` exists and is neither empty nor a run directory.
    """
    if folder.exists() and any(folder.iterdir()) and not is_run_dir(folder):
        raise ParameterError("out", f"{folder} exists and is not a run directory")
    staging = folder.with_name(folder.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: no links or paths outside
            archive.extractall(staging, filter="data")
        else:
            archive.extractall(staging)  # noqa: S202 - our own archive
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
