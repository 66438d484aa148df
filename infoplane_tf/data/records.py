"""What a loaded dataset is: its arrays, where it came from, and its probe set."""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np


class Probe(NamedTuple):
    """The probe set on which information-plane points are measured.

    Attributes:
        x: Inputs, float32 of shape ``(probe_size, features)``: 784 pixels in [0, 1] for the
            image sets, 12 bits in {0, 1} for tishby12.
        y: Integer labels of shape ``(probe_size,)``.
    """

    x: np.ndarray
    y: np.ndarray


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Where a loaded dataset came from and what it holds.

    Attributes:
        name: One of ``DATASET_NAMES``.
        source: The local file or folder read, or ``"download:keras"`` / ``"download:tfds"``.
        n_train: Training images kept (after ``train_fraction``).
        n_test: Test images.
        n_classes: Number of classes of the dataset (not of the kept subset).
        image_shape: Shape of one sample before flattening: ``(28, 28)``, or ``(12,)``.
        downloaded: Whether this call downloaded the data.
        train_fraction: The fraction of the training set kept (its first part).
        probe_size: Number of test images in the probe set.
    """

    name: str
    source: str
    n_train: int
    n_test: int
    n_classes: int
    image_shape: tuple[int, ...]
    downloaded: bool
    train_fraction: float
    probe_size: int

    def to_dict(self) -> dict[str, Any]:
        """Returns the record as JSON-ready plain types (``image_shape`` as a list)."""
        record = dataclasses.asdict(self)
        record["image_shape"] = list(self.image_shape)
        return record


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: flat inputs (images in [0, 1], or tishby12's bits) and integer labels.

    Attributes:
        x_train: float32 of shape ``(n_train, features)`` (784, or 12 for tishby12).
        y_train: int64 of shape ``(n_train,)``, values in ``[0, n_classes)``.
        x_test: float32 of shape ``(n_test, features)``.
        y_test: int64 of shape ``(n_test,)``.
        info: A :class:`DatasetInfo`.
    """

    x_train: np.ndarray = dataclasses.field(repr=False)
    y_train: np.ndarray = dataclasses.field(repr=False)
    x_test: np.ndarray = dataclasses.field(repr=False)
    y_test: np.ndarray = dataclasses.field(repr=False)
    info: DatasetInfo

    @property
    def probe(self) -> Probe:
        """The first ``info.probe_size`` test images and labels (views, not copies)."""
        n = self.info.probe_size
        return Probe(self.x_test[:n], self.y_test[:n])
