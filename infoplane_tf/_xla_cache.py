"""XLA's persistent compilation cache: a new process loads the point functions that earlier
processes compiled instead of compiling them again (``benchmarks/README.md``, part 0).

The folder is one per TensorFlow version, CPU instruction set and ``XLA_FLAGS``, since the
compiled code is specific to each (a home folder shared by a cluster's machines must not hand
one CPU another's code, nor a process code compiled under other flags).
``INFOPLANE_TF_XLA_CACHE`` moves these folders elsewhere, or is ``off``; a cache folder already
in ``TF_XLA_FLAGS`` is left as it is.
"""

from __future__ import annotations

import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path

#: The environment variable that moves the cache (a folder for the per-compiler folders) or
#: turns it off (``off``).
CACHE_ENV = "INFOPLANE_TF_XLA_CACHE"
_FLAG = "--tf_xla_persistent_cache_directory"


def xla_cache_folder() -> Path | None:
    """The folder of the compiled functions, or None when ``INFOPLANE_TF_XLA_CACHE=off`` or
    no home folder is known."""
    chosen = os.environ.get(CACHE_ENV, "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen) / _compiler_key()
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home folder
        return None
    return base / "infoplane-tf" / "xla" / _compiler_key()


def enable_xla_cache() -> None:
    """Adds the cache folder to ``TF_XLA_FLAGS``. TensorFlow reads them when it sets up its
    devices, so this acts only before (importing TensorFlow does not yet do it).

    Nothing is added when the folder cannot be used: XLA fails every compilation whose result
    it cannot save, so an unwritable folder must never reach it; nor can its flag parser take a
    path with white space; and ``TF_XLA_FLAGS`` may name a file of flags instead of holding them.
    """
    flags = os.environ.get("TF_XLA_FLAGS", "")
    folder = xla_cache_folder()
    if folder is None or _FLAG in flags or (flags and not flags.lstrip().startswith("-")):
        return
    if not folder.is_absolute() or any(character.isspace() for character in str(folder)):
        return
    if _writable(folder):
        os.environ["TF_XLA_FLAGS"] = f"{flags} {_FLAG}={folder}".strip()


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def _compiler_key() -> str:
    try:
        build = metadata.version("tensorflow")
    except metadata.PackageNotFoundError:
        build = "unknown"
    what = f"{_cpu_features()}\n{os.environ.get('XLA_FLAGS', '')}"
    return f"tf{build}-{hashlib.sha256(what.encode()).hexdigest()[:12]}"


def _cpu_features() -> str:
    """The CPU's model and instruction-set flags (Linux), else what the platform says."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return f"{platform.machine()} {platform.processor()}"
    wanted = ("model name", "flags", "Features", "CPU part")
    return "\n".join(sorted({line for line in lines if line.startswith(wanted)}))
