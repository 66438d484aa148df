"""Where local copies of the datasets live, and what the error says when there is none."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from pathlib import Path

# Keras downloads its datasets from here (named in the offline help).
_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
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


class DatasetUnavailableError(RuntimeError):
    """A dataset was asked for, but no local copy was found and it could not be downloaded."""


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
