"""A run's model rebuilt from its recorded options, with the weights of one of its checkpoints."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import keras
import numpy as np

from infoplane_tf.io.checkpoints import CheckpointFormatError, read_checkpoint
from infoplane_tf.io.options import config_from_json
from infoplane_tf.models.registry import build_model


def build_recorded_model(options: Mapping) -> keras.Model:
    """The architecture a run's ``config.json`` describes, built and freshly initialised.

    Args:
        options: The run's recorded options (``Run.config``); a killed run's work too.

    Returns:
        The model, built for inputs of shape (batch, prod(image_shape)).
    """
    config = config_from_json(dict(options))
    n_classes = options.get("dataset_info", {}).get("n_classes")
    model = build_model(config.model, **config.model_hparams(n_classes))
    model.build((None, int(np.prod(options.get("image_shape", (28, 28))))))
    return model


def assign_weights(model: keras.Model, values: Mapping[str, np.ndarray], where: Path) -> None:
    """Sets every variable of ``model`` from ``values`` (keyed by variable path).

    Raises:
        CheckpointFormatError: ``values`` lacks a variable of the model (``where`` is named).
    """
    missing = [v.path for v in model.variables if v.path not in values]
    if missing:
        raise CheckpointFormatError(f"{where}: checkpoint lacks {', '.join(missing)}")
    for variable in model.variables:
        variable.assign(values[variable.path])


def model_at(run, iteration: int) -> keras.Model:
    """The run's model, built, with the weights of its checkpoint at ``iteration``.

    Args:
        run: An ``infoplane_tf.io.runs.Run``.
        iteration: One of ``run.checkpoints``.

    Raises:
        ValueError: no checkpoint of that iteration (the message lists the ones there), or a
            corrupt checkpoint file (named).
    """
    values, _ = read_checkpoint(run.directory.checkpoints, iteration)
    model = build_recorded_model(run.config)
    assign_weights(model, values, run.path)
    return model
