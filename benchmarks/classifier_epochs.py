"""What an epoch of the classic 12-bit experiment costs, and where it goes.

The 12-bit network (12-10-7-5-4-3-2, batch 256: 13 steps an epoch) trains for 10,000 epochs,
so the fixed cost of an epoch decides the run's wall time, not the arithmetic. Timed here, in
one process, each the marginal cost of an epoch (a fit of ``--long`` epochs minus one of
``--short``, so tracing and start-up cancel):

- ``train`` as the command line runs it (``workflows.training.run``: the model, the
  information-plane callback at ``log:200``, n = 256, the loss history, checkpoints at
  ``log:40``, the resume state), with the per-epoch test loss from ``LossRecorder`` (what
  ``train`` does) and, for comparison, from Keras's ``fit(validation_data=...)`` (what it did
  before 0.7, here on top of the new test loss, which costs about a millisecond), which
  builds a new dataset iterator every epoch;
- the inner pieces: a plain ``model.fit`` on NumPy arrays, the same with
  ``validation_data``, and a ``fit`` on an endlessly repeated ``tf.data`` pipeline (Keras's
  floor for 13 steps).

Prints only; asserts nothing. Run: ``python benchmarks/classifier_epochs.py [--short 20]
[--long 220]``. The machine should be idle.
"""

import argparse
import os
import tempfile
import time
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from infoplane_tf import build_model, load_dataset  # noqa: E402
from infoplane_tf.catalog import ALL_EXPERIMENTS  # noqa: E402
from infoplane_tf.io.options import TrainConfig  # noqa: E402
from infoplane_tf.workflows import training  # noqa: E402

EXPERIMENT = ALL_EXPERIMENTS["tishby12-tanh"]


def per_epoch(fit, short: int, long: int) -> float:
    """Milliseconds per epoch: (time of ``long`` epochs − time of ``short``) / the difference."""
    times = {}
    for epochs in (short, long):
        started = time.perf_counter()
        fit(epochs)
        times[epochs] = time.perf_counter() - started
    return 1000 * (times[long] - times[short]) / (long - short)


def train_command(folder: str, keras_validation: bool):
    """``training.run`` with the experiment's options; optionally with Keras's validation."""

    def fit(epochs):
        config = TrainConfig(model="mlp", dataset="tishby12", epochs=epochs,
                             out=os.path.join(folder, str(epochs)), overwrite=True,
                             **dict(EXPERIMENT.options))  # fmt: skip
        if not keras_validation:
            training.run(config)
            return
        data = load_dataset("tishby12")
        original = keras.Model.fit

        def with_validation(model, *args, **kwargs):
            kwargs.update(validation_data=(data.x_test, data.y_test), validation_batch_size=256)
            return original(model, *args, **kwargs)

        with mock.patch.object(keras.Model, "fit", with_validation):
            training.run(config)

    return fit


def plain(kind: str):
    data = load_dataset("tishby12")
    options = dict(EXPERIMENT.options)
    model = build_model("mlp", learning_rate=options["learning_rate"], n_classes=2,
                        hidden_units=options["hidden_units"], activation="tanh")  # fmt: skip
    repeated = tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
    repeated = repeated.batch(256).repeat()

    def fit(epochs):
        if kind == "repeat":
            model.fit(repeated, epochs=epochs, steps_per_epoch=13, verbose=0)
            return
        extra = {"validation_data": (data.x_test, data.y_test)} if kind == "val" else {}
        model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=256, verbose=0, **extra)

    fit(2)  # trace
    return fit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=20)
    parser.add_argument("--long", type=int, default=220)
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        rows["train (LossRecorder's test loss, 0.7)"] = per_epoch(
            train_command(folder, False), args.short, args.long
        )
        rows["train with fit(validation_data=...) (before)"] = per_epoch(
            train_command(folder, True), args.short, args.long
        )
    rows["model.fit on arrays"] = per_epoch(plain("arrays"), args.short, args.long)
    rows["model.fit on arrays + validation_data"] = per_epoch(plain("val"), args.short, args.long)
    rows["model.fit on a repeated tf.data pipeline"] = per_epoch(
        plain("repeat"), args.short, args.long
    )
    base = rows["train (LossRecorder's test loss, 0.7)"]
    print(f"12-bit network, 13 steps an epoch; marginal cost of an epoch "
          f"({args.long} - {args.short} epochs)")  # fmt: skip
    for label, ms in rows.items():
        print(f"  {label:<48} {ms:7.1f} ms/epoch  {ms / base:5.2f}x train")
    print(f"  10,000 epochs at train's rate: {base * 10:.0f} s")


if __name__ == "__main__":
    main()
