"""Old module paths, kept importable: ``infoplane_tf.trajectory`` is ``infoplane_tf.io.trajectory``.

An import of an old path loads the module at its new home and returns that same module object
(its private names included), so code written against 0.1 keeps working.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: Old module path → where it lives now.
MOVED = {
    "infoplane_tf.callback": "infoplane_tf.callbacks.info_plane",
    "infoplane_tf.trajectory": "infoplane_tf.io.trajectory",
    "infoplane_tf.runs": "infoplane_tf.io.runs",
    "infoplane_tf.datasets": "infoplane_tf.data.datasets",
    "infoplane_tf.phases": "infoplane_tf.analysis.phases",
    "infoplane_tf.training": "infoplane_tf.workflows.training",
    "infoplane_tf.experiments": "infoplane_tf.workflows.suite",
    # 0.7: the run's options and schedules sit below io and callbacks, which both use them.
    "infoplane_tf.callbacks.schedule": "infoplane_tf.schedule",
    "infoplane_tf.workflows.config": "infoplane_tf.io.options",
    # 0.7: statistics of a probe's activations belong to the estimator.
    "infoplane_tf.workflows.diagnostics": "infoplane_tf.estimator.diagnostics",
    # 0.7: the reports have their own package (they read runs; they never train).
    "infoplane_tf.report": "infoplane_tf.reports.suite",
    "infoplane_tf.width_report": "infoplane_tf.reports.widths",
    # 0.7: "probe" is the samples; a model's forward pass to its representations is its readout.
    "infoplane_tf.probe": "infoplane_tf.readout",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        self._specs = {**getattr(self, "_specs", {}), module.__name__: module.__spec__}
        return module

    def exec_module(self, module):
        # Already executed at its new home; the import system has just set the alias's spec on
        # it, so give the module its own back (importlib.reload and tools rely on it).
        module.__spec__ = self._specs[module.__name__]


def install() -> None:
    """Makes the old paths importable (idempotent)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())


def moved_names(module: str, moved: dict[str, str]):
    """A module ``__getattr__`` for names that moved in 0.7: old name → ``"new.module:Name"``.
    The old name still gives the object, with a DeprecationWarning naming its new home."""

    def __getattr__(name):
        if name not in moved:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        home, _, new = moved[name].partition(":")
        warnings.warn(
            f"{module}.{name} is {home}.{new} since 0.7; the old name goes in 0.8",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(home), new)

    return __getattr__
