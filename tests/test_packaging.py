"""What users install: the wheel built from this checkout holds every package and the command."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, check=False, cwd=build,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("infoplane_tf-*.whl")
    return path


def names(path):
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


@pytest.mark.slow
def test_the_wheel_holds_every_package_directory(wheel):
    shipped_names = names(wheel)
    packages = {
        path.parent.relative_to(ROOT).as_posix()
        for path in (ROOT / "infoplane_tf").rglob("__init__.py")
    }
    assert "infoplane_tf/plotting" in packages  # the one a hand-written list once left out
    for package in packages:
        modules = {p.name for p in (ROOT / package).glob("*.py")}
        shipped = {Path(n).name for n in shipped_names if Path(n).parent.as_posix() == package}
        assert modules <= shipped, f"{package}: missing {sorted(modules - shipped)}"
    cli_modules = {p.name for p in (ROOT / "cli").glob("*.py")}
    shipped_cli = {
        Path(n).name for n in shipped_names if Path(n).parent.as_posix() == "infoplane_tf_cli"
    }
    assert cli_modules == shipped_cli
    assert not any(n.startswith(("cli/", "tests/", "benchmarks/")) for n in shipped_names)
    # Package data: the 12-bit dataset and its licence, byte for byte.
    for data in ("var_u.mat", "LICENSE-ibsgd"):
        name = f"infoplane_tf/data/files/{data}"
        assert name in shipped_names, f"the wheel lacks {name}"
        with zipfile.ZipFile(wheel) as archive:
            assert archive.read(name) == (ROOT / name).read_bytes()


@pytest.mark.slow
def test_the_wheel_declares_the_console_script(wheel):
    (entry_points,) = [n for n in names(wheel) if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "infoplane-tf = infoplane_tf_cli.main:cli" in text
