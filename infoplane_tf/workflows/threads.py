"""TensorFlow's thread counts for a training run: a layer's float32 sums are split across
threads and rounded in another order, so a run's weights repeat bit for bit only at the same
count, which a run therefore records (``TrainConfig.threads``)."""

from __future__ import annotations

import os

from infoplane_tf.validation import ParameterError

#: TensorFlow intra-op threads of a sweep's run that sets none: fixed, not derived from how many
#: workers share the cores, so a sweep reproduces itself bit for bit on any number of workers
#: (and one worker per core keeps the cores busy).
SWEEP_THREADS = 1


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def use_threads(threads: int | None) -> int:
    """Sets TensorFlow's intra- and inter-op threads to ``threads`` (None: leave them); the
    intra-op count in effect.

    Raises:
        ValueError (naming ``threads``): TensorFlow already runs in this process with another
            count (it is set once, before TensorFlow's first operation).
    """
    import tensorflow as tf

    current = (
        tf.config.threading.get_intra_op_parallelism_threads()
        or _positive(os.environ.get("TF_NUM_INTRAOP_THREADS"))  # TensorFlow reads it too
        or usable_cores()
    )
    if threads is None or threads == current:
        return current
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        raise ParameterError(
            "threads",
            f"is {threads}, but TensorFlow already runs with {current} intra-op threads in "
            "this process (they are set before its first operation); train in a new process, "
            f"or with threads={current}",
        ) from None
    return threads


def _positive(text: str | None) -> int:
    """``text`` as a count of threads, 0 when it is not one."""
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0
