"""XLA's persistent compilation cache (``infoplane_tf._xla_cache``): where it goes, when it is
off, and that a process loading a cached point function gets the compiled one's values."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infoplane_tf import _xla_cache
from infoplane_tf._xla_cache import CACHE_ENV, enable_xla_cache, xla_cache_folder


def test_the_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, "off")
    assert xla_cache_folder() is None
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert xla_cache_folder().parent == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    default = xla_cache_folder()
    assert default.parent == tmp_path / "infoplane-tf" / "xla"
    assert default.name.startswith("tf")
    # Other XLA flags compile other code: another folder.
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=true")
    assert xla_cache_folder() != default


def test_the_flag_is_added_once_and_a_users_own_folder_kept(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
    enable_xla_cache()
    enable_xla_cache()
    flag = f"--tf_xla_persistent_cache_directory={xla_cache_folder()}"
    assert os.environ["TF_XLA_FLAGS"] == f"--tf_xla_auto_jit=0 {flag}"
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_persistent_cache_directory=/elsewhere")
    enable_xla_cache()
    assert os.environ["TF_XLA_FLAGS"] == "--tf_xla_persistent_cache_directory=/elsewhere"
    monkeypatch.setenv(CACHE_ENV, "OFF")
    monkeypatch.delenv("TF_XLA_FLAGS")
    enable_xla_cache()
    assert "TF_XLA_FLAGS" not in os.environ


def test_a_folder_xla_could_not_use_is_never_handed_to_it(monkeypatch, tmp_path):
    # XLA fails every compilation it cannot save: an unwritable folder must not reach it.
    monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        monkeypatch.setenv(CACHE_ENV, str(locked))
        if os.access(locked, os.W_OK):  # root ignores the mode: a file where a folder goes
            monkeypatch.setenv(CACHE_ENV, str(tmp_path / "file"))
            (tmp_path / "file").write_text("not a folder")
        enable_xla_cache()
        assert "TF_XLA_FLAGS" not in os.environ
    finally:
        locked.chmod(0o700)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "with space"))  # XLA's parser splits there
    enable_xla_cache()
    assert "TF_XLA_FLAGS" not in os.environ
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "fine"))
    monkeypatch.setenv("TF_XLA_FLAGS", str(tmp_path / "flags.txt"))  # a file of flags
    enable_xla_cache()
    assert os.environ["TF_XLA_FLAGS"] == str(tmp_path / "flags.txt")
    monkeypatch.delenv("TF_XLA_FLAGS")
    enable_xla_cache()
    assert os.environ["TF_XLA_FLAGS"].endswith(str(xla_cache_folder()))
    assert xla_cache_folder().is_dir()


def test_cpu_features_name_the_instruction_set():
    features = _xla_cache._cpu_features()
    assert features
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and "\nflags" in cpuinfo.read_text():
        assert "flags" in features


SCRIPT = """
import json, sys
import numpy as np
import infoplane_tf as ip
x = np.random.default_rng(0).random((60, 20), dtype=np.float32)
t = np.tanh(x @ np.random.default_rng(1).random((20, 8), dtype=np.float32))
values = ip.InformationPlane(x, estimator="exact")([t], t)
print(json.dumps({k: np.asarray(v).tolist() for k, v in values.items() if k != "finite"}))
"""


@pytest.mark.slow
def test_a_new_process_loads_what_an_earlier_one_compiled_with_the_same_values(tmp_path):
    environment = {**os.environ, CACHE_ENV: str(tmp_path / "xla")}
    environment.pop("TF_XLA_FLAGS", None)

    def values():
        command = [sys.executable, "-c", SCRIPT]
        result = subprocess.run(command, env=environment, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
        files = sorted((tmp_path / "xla").glob("*/*"))
        written = [(p.name, p.stat().st_mtime_ns) for p in files]
        return json.loads(result.stdout.splitlines()[-1]), written

    first, written = values()
    assert written and all(name.startswith("xla_compile_cache") for name, _ in written)
    second, kept = values()
    assert kept == written  # loaded: no file written again
    assert second == first  # bit for bit
