"""tishby12: the 12-bit dataset of Shwartz-Ziv & Tishby (2017), shipped with the package.

4,096 inputs (every pattern of 12 binary units) with a binary label, the set on which the
classic information-plane experiments were run. The copy is ``datasets/var_u.mat`` of
artemyk/ibsgd (Saxe et al. 2018, commit 04c1b62), MIT licence, kept beside this module in
``files/`` with that licence (``files/LICENSE-ibsgd``). The file holds ``F`` (uint8 4096×12,
0/1) and ``y`` (1×4096, 0/1).

Both papers trained on a random 80% of the patterns and tested on the rest (ibsgd: 3,277 /
819, a new unseeded permutation per data file). Here the permutation is drawn once from a fixed
seed, so every run, seed and machine sees the same split.

References:
    R. Shwartz-Ziv, N. Tishby, "Opening the Black Box of Deep Neural Networks via
    Information", arXiv:1703.00810, 2017.
    A. M. Saxe et al., "On the Information Bottleneck Theory of Deep Learning", ICLR 2018.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from pathlib import Path

import numpy as np

from infoplane_tf.data.formats import DatasetFormatError

#: The shipped file's SHA-256 (ibsgd's ``datasets/var_u.mat`` at 04c1b62).
TISHBY12_SHA256 = "0ba9551878a855396a8de0cbaae620788ede1e7b1eb2b8373bbe017d5ea02036"
#: Patterns, input units and classes of the set.
N_PATTERNS, N_BITS, N_CLASSES = 4096, 12, 2
#: The training share of both papers (ibsgd rounds it: 3,277 of 4,096).
TRAIN_PERCENT = 80
_SPLIT_SEED = 2017


def tishby12_path() -> Path:
    """The shipped ``var_u.mat``."""
    return Path(str(importlib.resources.files("infoplane_tf.data") / "files" / "var_u.mat"))


def read_var_u(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Reads a ``var_u.mat``: the patterns and labels, checked.

    Args:
        path: The MAT file (version 5, as ibsgd ships it).

    Returns:
        ``(patterns, labels)``: uint8 of shape (4096, 12) with values 0/1, and int64 (4096,)
        with values 0/1.

    Raises:
        DatasetFormatError: not a readable MAT file, or not the 12-bit set (named).
    """
    import scipy.io  # only this dataset needs it

    try:
        content = scipy.io.loadmat(str(path))
    except (
        OSError,
        ValueError,
        TypeError,
        NotImplementedError,
        scipy.io.matlab.MatReadError,
    ) as exc:
        raise DatasetFormatError(f"{path}: not a readable MAT file ({exc})") from exc
    if "F" not in content or "y" not in content:
        raise DatasetFormatError(f"{path}: expected variables F and y, got {sorted(content)}")
    patterns, labels = np.asarray(content["F"]), np.asarray(content["y"]).reshape(-1)
    if patterns.shape != (N_PATTERNS, N_BITS) or labels.shape != (N_PATTERNS,):
        raise DatasetFormatError(
            f"{path}: expected F of shape (4096, 12) and 4096 labels, got F {patterns.shape} "
            f"and {labels.size} labels"
        )
    if not (np.isin(patterns, (0, 1)).all() and np.isin(labels, (0, 1)).all()):
        raise DatasetFormatError(f"{path}: F and y must hold only 0 and 1")
    if len(np.unique(patterns, axis=0)) != N_PATTERNS:
        raise DatasetFormatError(f"{path}: F must hold each 12-bit pattern once")
    return patterns.astype(np.uint8), labels.astype(np.int64)


@functools.lru_cache(maxsize=1)
def _read_shipped() -> tuple[np.ndarray, np.ndarray]:
    path = tishby12_path()
    if hashlib.sha256(path.read_bytes()).hexdigest() != TISHBY12_SHA256:
        raise DatasetFormatError(f"{path}: not the shipped file (SHA-256 differs); reinstall")
    patterns, labels = read_var_u(path)
    patterns.flags.writeable = False  # cached: callers get copies by indexing
    labels.flags.writeable = False
    return patterns, labels


def split(patterns: np.ndarray, labels: np.ndarray, seed: int = _SPLIT_SEED):
    """The papers' 80/20 split by one seeded permutation.

    Args:
        patterns: (N, bits) inputs.
        labels: (N,) labels.
        seed: Seed of the permutation (the package's split: the default).

    Returns:
        ``(x_train, y_train, x_test, y_test)``: float32 inputs in {0, 1} and int64 labels;
        ``round(0.8 N)`` training rows (3,277 of 4,096).
    """
    order = np.random.default_rng(seed).permutation(len(patterns))
    n_train = int(np.rint(TRAIN_PERCENT * len(patterns) / 100))
    train, test = order[:n_train], order[n_train:]
    features = patterns.astype(np.float32)
    return features[train], labels[train], features[test], labels[test]


def load_tishby12() -> tuple[tuple[np.ndarray, ...], str]:
    """The split arrays of the shipped set and where they came from."""
    return split(*_read_shipped()), str(tishby12_path())
