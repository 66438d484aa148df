"""Reading the datasets' files: IDX (MNIST's format), Keras's .npz, prepared TFDS folders, and
the checks every loaded array passes."""

from __future__ import annotations

import gzip
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from infoplane_tf.data.local import _Copy

_N_CLASSES = {"mnist": 10, "mnist-5k": 10, "fashion-mnist": 10, "emnist-letters": 26, "tishby12": 2}

# EMNIST letters are labelled 1..26 by NIST and TFDS; everything else starts at 0.
_LABEL_OFFSET = {"emnist-letters": 1}

_IMAGE_SHAPE = (28, 28)


class DatasetFormatError(ValueError):
    """A dataset file is corrupt, truncated or not what its name says."""


# IDX element types: the third byte of the magic number.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Reads an IDX file (the MNIST format), gzip-compressed or not.

    The header is the magic number ``0x0000TTDD`` (TT: element type, DD: number of dimensions),
    then DD big-endian uint32 sizes, then the elements, big-endian. A file is decompressed when
    its name ends in ``.gz`` or its content starts with the gzip magic bytes.

    Args:
        path: The file.

    Returns:
        A writable array of the stored shape in native byte order, e.g. uint8 ``(N, 28, 28)``
        for images and uint8 ``(N,)`` for labels.

    Raises:
        FileNotFoundError: The file does not exist.
        DatasetFormatError: Bad gzip data, a bad magic number, or a truncated or overlong file;
            the message names the file.
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetFormatError(f"{path}: bad gzip data ({exc})") from exc
    if len(raw) < 4:
        raise DatasetFormatError(
            f"{path}: truncated: expected a 4-byte IDX magic number, got {len(raw)} bytes"
        )
    type_code, ndim = raw[2], raw[3]
    if raw[:2] != b"\x00\x00" or type_code not in _IDX_DTYPES or ndim == 0:
        magic = int.from_bytes(raw[:4], "big")
        raise DatasetFormatError(
            f"{path}: bad magic number 0x{magic:08X}; an IDX file starts with 0x0000TTDD "
            "(TT: element type 08-0E, DD: number of dimensions ≥ 1), e.g. 0x00000803 for images"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetFormatError(
            f"{path}: truncated: expected a {header}-byte header for {ndim} dimensions, "
            f"got {len(raw)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _IDX_DTYPES[type_code]
    count = math.prod(shape)
    expected, got = count * dtype.itemsize, len(raw) - header
    if got < expected:
        raise DatasetFormatError(
            f"{path}: truncated: expected {expected} bytes of data for shape {shape}, got {got}"
        )
    if got > expected:
        raise DatasetFormatError(
            f"{path}: {got - expected} unexpected bytes after the {expected} bytes of data "
            f"for shape {shape}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _read_npz(path: Path) -> list[np.ndarray]:
    try:
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(archive.files)
            if missing:
                raise DatasetFormatError(f"{path}: missing arrays {', '.join(sorted(missing))}")
            return [archive[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DatasetFormatError):
            raise
        raise DatasetFormatError(
            f"{path}: not a readable .npz archive ({exc}); delete it to download it again"
        ) from exc


def _read_tfds(version_dir: Path) -> list[np.ndarray]:
    import tensorflow_datasets as tfds  # heavy: imported only for TFDS copies

    arrays = []
    try:
        builder = tfds.builder_from_directory(str(version_dir))
        for split in ("train", "test"):
            batch = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
            arrays += [np.asarray(batch["image"]), np.asarray(batch["label"])]
    # TFDS and tf.data raise many unrelated types for a damaged folder.
    except Exception as exc:
        raise DatasetFormatError(
            f"{version_dir}: cannot read the prepared TFDS dataset ({exc})"
        ) from exc
    for i in (0, 2):
        if arrays[i].ndim == 4 and arrays[i].shape[-1] == 1:
            arrays[i] = arrays[i][..., 0]
    return arrays


def _check_arrays(name: str, arrays: list[np.ndarray], where: list[str]) -> list[np.ndarray]:
    """Checks shapes, dtypes and label range; returns [uint8 images, int64 labels] × 2."""
    low = _LABEL_OFFSET.get(name, 0)
    high = low + _N_CLASSES[name] - 1
    checked = []
    for i, (array, place) in enumerate(zip(arrays, where, strict=True)):
        if i % 2 == 0:
            if array.ndim != 3 or array.shape[1:] != _IMAGE_SHAPE:
                raise DatasetFormatError(
                    f"{place}: expected images of shape (N, 28, 28), got {array.shape}"
                )
            if array.dtype != np.uint8:
                raise DatasetFormatError(f"{place}: expected uint8 pixels, got {array.dtype}")
            checked.append(array)
        else:
            if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
                raise DatasetFormatError(
                    f"{place}: expected integer labels of shape (N,), got {array.dtype} "
                    f"{array.shape}"
                )
            if len(array) != len(arrays[i - 1]):
                raise DatasetFormatError(
                    f"{place}: {len(array)} labels for {len(arrays[i - 1])} images"
                )
            if len(array) and (array.min() < low or array.max() > high):
                raise DatasetFormatError(
                    f"{place}: labels span {array.min()}..{array.max()}, expected {low}..{high}"
                )
            checked.append(array.astype(np.int64))
    if len(checked[2]) < 2:
        raise DatasetFormatError(f"{where[2]}: {len(checked[2])} test images, need at least 2")
    return checked


def _to_features(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 784) in [0, 1]."""
    features = images.reshape(len(images), -1).astype(np.float32)
    features /= 255.0
    return features


def _read_copy(name: str, copy: _Copy) -> tuple[np.ndarray, ...]:
    if copy.kind == "idx":
        arrays = [read_idx(path) for path in copy.files]
        for images_at, labels_at in ((0, 1), (2, 3)):
            n_images, n_labels = len(arrays[images_at]), len(arrays[labels_at])
            if n_images != n_labels:
                raise DatasetFormatError(
                    f"{copy.files[labels_at]} has {n_labels} labels but "
                    f"{copy.files[images_at]} has {n_images} images"
                )
        where = [str(path) for path in copy.files]
    elif copy.kind == "npz":
        arrays = _read_npz(copy.path)
        where = [f"{copy.path}[{key}]" for key in ("x_train", "y_train", "x_test", "y_test")]
    else:
        arrays = _read_tfds(copy.path)
        where = [
            f"{copy.path} ({split} {part})"
            for split in ("train", "test")
            for part in ("image", "label")
        ]
    return _read_copy_arrays(name, arrays, where)


def _read_copy_arrays(
    name: str, arrays: list[np.ndarray], where: list[str] | str
) -> tuple[np.ndarray, ...]:
    """Checks the four arrays and puts them in MNIST's orientation and label range."""
    if isinstance(where, str):
        where = [f"{where} ({part})" for part in ("x_train", "y_train", "x_test", "y_test")]
    arrays = _check_arrays(name, arrays, where)
    if name == "emnist-letters":
        # NIST (and so TFDS) store EMNIST transposed; transpose back to the MNIST orientation.
        arrays[0] = np.ascontiguousarray(arrays[0].transpose(0, 2, 1))
        arrays[2] = np.ascontiguousarray(arrays[2].transpose(0, 2, 1))
    offset = _LABEL_OFFSET.get(name, 0)
    arrays[1] = arrays[1] - offset
    arrays[3] = arrays[3] - offset
    return tuple(arrays)
