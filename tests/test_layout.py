"""The architecture's rules, checked on the source: one source for every name, the library free
of the command line, and short functions."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from infoplane_tf import catalog, width_rules

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted((ROOT / "infoplane_tf").rglob("*.py"))
SOURCES = LIBRARY + sorted((ROOT / "cli").rglob("*.py"))


def parsed(path):
    return ast.parse(path.read_text(), filename=str(path))


def test_the_library_never_imports_the_command_line():
    for path in LIBRARY:
        for node in ast.walk(parsed(path)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not re.match(r"(infoplane_tf_cli|cli|click)\b", name), f"{path}: {name}"


def test_library_errors_never_mention_a_flag():
    for path in LIBRARY:
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for text in ast.walk(node.exc):
                    if isinstance(text, ast.Constant) and isinstance(text.value, str):
                        assert not re.search(r"--[a-z]", text.value), f"{path}:{node.lineno}"


def test_functions_are_short_and_the_callback_is_small():
    for path in SOURCES:
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"{path}:{node.lineno} {node.name} has {length} lines"
    tree = parsed(ROOT / "infoplane_tf" / "callbacks" / "info_plane.py")
    (callback,) = [n for n in tree.body if getattr(n, "name", "") == "InfoPlaneCallback"]
    assert callback.end_lineno - callback.lineno + 1 < 250


def test_light_modules_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "import infoplane_tf, infoplane_tf.catalog, infoplane_tf.validation\n"
        "import infoplane_tf.io.options, infoplane_tf.schedule\n"
        "import infoplane_tf.io.trajectory, infoplane_tf.io.runs, infoplane_tf.analysis.phases\n"
        "import infoplane_tf.analysis.findings, infoplane_tf_cli.main\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_command_imports_tensorflow_without_scikit_learn():
    # The package's own processes skip Keras's scikit-learn wrappers; scikit-learn still loads.
    code = (
        "import sys\n"
        "from infoplane_tf._quiet import import_tensorflow\n"
        "import_tensorflow(sklearn_wrappers=False)\n"
        "assert 'keras' in sys.modules and 'sklearn' not in sys.modules, 'sklearn imported'\n"
        "import sklearn.base\n"
        "from infoplane_tf_cli.main import cli\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    code = code.replace("sklearn_wrappers=False", "sklearn_wrappers=True")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "sklearn imported" in run.stderr  # Keras loads it when allowed: the test can fail


def test_old_module_paths_are_the_new_modules():
    import infoplane_tf.callback
    import infoplane_tf.callbacks.info_plane
    import infoplane_tf.io.trajectory
    import infoplane_tf.trajectory

    assert infoplane_tf.trajectory is infoplane_tf.io.trajectory
    assert infoplane_tf.callback is infoplane_tf.callbacks.info_plane
    assert infoplane_tf.callback.InfoPlaneCallback is infoplane_tf.InfoPlaneCallback


def test_importing_an_old_path_leaves_the_module_its_own_spec():
    import importlib

    import infoplane_tf.analysis.phases
    import infoplane_tf.phases  # noqa: F401 - the alias under test

    module = infoplane_tf.analysis.phases
    assert module.__spec__.name == "infoplane_tf.analysis.phases"
    assert importlib.reload(module) is module


def cli_choices(command, option):
    from infoplane_tf_cli.main import cli

    (param,) = [p for p in cli.commands[command].params if p.name == option]
    return param


def test_cli_choices_are_the_library_registries():
    from infoplane_tf.data import datasets
    from infoplane_tf.models import build_model
    from infoplane_tf.plotting import _KIND_FIGURES

    assert tuple(cli_choices("train", "model").type.choices) == catalog.MODEL_NAMES
    for name in catalog.MODEL_NAMES:
        assert build_model(name).name == name  # every listed model can be built
    for command in ("train", "reproduce"):
        assert tuple(cli_choices(command, "dataset").type.choices) == catalog.DATASET_NAMES
    assert set(datasets._N_CLASSES) == set(catalog.DATASET_NAMES)  # every listed set loads
    assert tuple(cli_choices("plot", "kind").type.choices) == tuple(catalog.PLOT_KINDS)
    assert set(_KIND_FIGURES) | {"all"} == set(catalog.PLOT_KINDS)  # every kind is drawn
    assert tuple(cli_choices("reproduce", "suite").type.choices) == tuple(catalog.SUITES)
    experiments = [e for suite in catalog.SUITES.values() for e in suite]
    assert {e.model for e in experiments} <= set(catalog.MODEL_NAMES)
    assert len(catalog.ALL_EXPERIMENTS) == len(experiments)  # no name in two suites


def test_cli_defaults_are_the_papers():
    from infoplane_tf.io.options import TrainConfig

    defaults = TrainConfig()
    for option in ("epochs", "batch_size", "learning_rate", "alpha", "probe_size",
                   "record", "sigma", "code_units", "label_weight"):  # fmt: skip
        assert cli_choices("train", option).default == getattr(defaults, option)
        assert getattr(defaults, option) == getattr(catalog.PAPER, option)
    # γ defaults to the rule's own scale: the paper's 2 for the paper's rule.
    assert cli_choices("train", "gamma").default is None and defaults.gamma is None
    assert width_rules.default_gamma(defaults.sigma) == catalog.PAPER.gamma


@pytest.mark.parametrize("rule", list(width_rules.SIGMA_RULES))
def test_every_width_rule_is_implemented(rule):
    from infoplane_tf import InformationPlane

    x = np.random.default_rng(0).random((12, 4))
    point = InformationPlane(x, np.arange(12) % 3, sigma=rule)([x[:, :2]], x)
    assert np.isfinite(point["i_xt"].numpy()).all()


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph():
    """Module → the package modules it imports (at module level or inside functions), without
    its own ancestors (importing a submodule always imports its packages first)."""
    modules = {_module_name(path): path for path in LIBRARY}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            imported |= {c for c in candidates if c in modules}
        graph[name] = {m for m in imported if not (name == m or name.startswith(m + "."))}
    return graph


def _reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for module in graph[todo.pop()] - seen:
            seen.add(module)
            todo.append(module)
    return seen


def test_the_package_has_no_import_cycle():
    graph = _import_graph()
    assert "infoplane_tf.io.runs" in graph and graph["infoplane_tf.io.runs"]
    cycles = sorted(m for m in graph if m in _reachable(graph, m))
    assert not cycles, f"modules on an import cycle: {cycles}"


def _reaches(graph, prefix: str, packages: tuple[str, ...]) -> dict[str, list[str]]:
    """Modules under ``prefix`` → the modules of ``packages`` they reach, where any."""
    found = {}
    for module in (m for m in graph if m == prefix or m.startswith(prefix + ".")):
        reached = sorted(m for m in _reachable(graph, module) if m.split(".")[1] in packages)
        if reached:
            found[module] = reached
    return found


def test_io_depends_on_nothing_above_it():
    graph = _import_graph()
    assert "infoplane_tf.io.run_dir" in graph
    above = ("workflows", "callbacks", "plotting", "reports")
    assert not _reaches(graph, "infoplane_tf.io", above)
    # the check itself can fail: workflows do reach callbacks
    assert _reaches(graph, "infoplane_tf.workflows", ("callbacks",))


def test_the_reports_read_runs_and_never_train_or_measure():
    graph = _import_graph()
    assert "infoplane_tf.reports.suite" in graph
    assert not _reaches(graph, "infoplane_tf.reports", ("workflows", "callbacks"))


def _run_file_names() -> set[str]:
    from infoplane_tf.io import run_dir, trajectory

    names = {value for key, value in vars(run_dir).items() if key.endswith("_NAME")}
    return names | {trajectory.TABLE_NAME, trajectory.SIDECAR_NAME}


def _docstrings(tree) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
    }


def _names_a_run_file(path: Path, names: set[str]) -> list[str]:
    """Where ``path`` spells a run directory's file (outside docstrings) or imports the
    constant that names one."""
    tree, found = parsed(path), []
    files = {name for name in names if "." in name}
    folders = names - files
    docstrings = _docstrings(tree)
    joined = {  # the right side of ``path / "name"``
        id(node.right)
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if id(node) not in docstrings and (
                any(name in text for name in files) or (text in folders and id(node) in joined)
            ):
                found.append(f"line {node.lineno}: {text!r}")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("infoplane_tf.io"):
            found += [
                f"line {node.lineno}: {a.name}" for a in node.names if a.name.endswith("_NAME")
            ]
    return found


def test_only_io_names_a_run_directorys_files():
    names = _run_file_names()
    assert {"config.json", "summary.json", "resume.npz", "checkpoints", "probe.npz"} <= names
    io = ROOT / "infoplane_tf" / "io"
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in SOURCES
        if io not in path.parents and (found := _names_a_run_file(path, names))
    }
    assert not offenders
    # the check itself finds a spelled name
    assert _names_a_run_file(io / "run_dir.py", names)


def test_the_readme_is_short_and_links_only_to_files_that_exist():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), f"README links to a missing {target}"


def test_no_test_module_imports_another():
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("tests.test_"), f"{path.name}: {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("tests.test_"), f"{path.name}: {alias.name}"


def test_no_module_is_over_450_lines():
    for path in SOURCES:
        length = len(path.read_text().splitlines())
        assert length <= 450, f"{path} has {length} lines"


def test_training_interrupted_at_its_old_path_warns_and_is_the_same_class():
    from infoplane_tf import errors
    from infoplane_tf.io import checkpoints

    with pytest.warns(DeprecationWarning, match="infoplane_tf.errors.TrainingInterrupted"):
        moved = checkpoints.TrainingInterrupted
    assert moved is errors.TrainingInterrupted
    with pytest.raises(AttributeError):
        checkpoints.NotAName  # noqa: B018


def test_model_probe_is_readout_and_its_old_path_still_imports():
    from infoplane_tf.readout import Readout

    with pytest.warns(DeprecationWarning, match="infoplane_tf.readout.Readout"):
        from infoplane_tf.probe import ModelProbe
    assert ModelProbe is Readout
