"""A sweep's grid: option → values, parsed from the command line or a file, checked, and
expanded into one planned run per combination (its options, folder and name)."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from infoplane_tf.catalog import ALL_EXPERIMENTS, PAPER, Experiment
from infoplane_tf.io.options import RENAMED_OPTIONS, TrainConfig, config_from_json
from infoplane_tf.io.run_dir import RunDirectory, RunFormatError
from infoplane_tf.validation import ParameterError, positive_float, renamed
from infoplane_tf.workflows.task import one_line
from infoplane_tf.workflows.threads import SWEEP_THREADS

#: The grid's name for a named experiment (sets model, train_fraction, epochs, and a classic
#: experiment's dataset and training options).
EXPERIMENT = "experiment"
#: Options a sweep sets itself for every run.
OWN_OPTIONS = ("out", "overwrite", "name")
#: Options that name a run's folder instead of its setting folder.
NAMING_OPTIONS = (EXPERIMENT, "model", "seed")


@dataclasses.dataclass
class PlannedRun:
    """One run of a sweep: its folder below the sweep's, options and grid values."""

    key: str
    config: TrainConfig
    values: dict = dataclasses.field(default_factory=dict)
    experiment: Experiment | None = None

    @property
    def out(self) -> Path:
        return Path(self.config.out)

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def cost(self) -> float:
        """The run's relative training time (its experiment's ``cost``; 1 without one)."""
        return 1.0 if self.experiment is None else self.experiment.cost

    @property
    def directory(self) -> RunDirectory:
        return RunDirectory(self.config.out)

    @property
    def done(self) -> bool:
        """Whether an earlier invocation finished this run, with these options."""
        return self.directory.complete and self._same_options()

    @property
    def resumable(self) -> bool:
        """Whether an earlier invocation left this run unfinished, with a resume state and
        the same options (anything else starts again)."""
        return self.directory.resumable and self._same_options()

    def _same_options(self) -> bool:
        try:
            recorded = config_from_json(self.directory.read_config())
        except (RunFormatError, TypeError, ValueError):
            return False
        # A run of 0.7 or before recorded no thread count: its results stand.
        threads = self.config.threads if recorded.threads is None else recorded.threads
        own = dataclasses.replace(recorded, out=self.config.out, overwrite=True, threads=threads)
        return own == self.config


def options() -> tuple[str, ...]:
    """The options a grid may vary."""
    fields = (f.name for f in dataclasses.fields(TrainConfig) if f.name not in OWN_OPTIONS)
    return (EXPERIMENT, *fields)


def parse_grid(texts: Sequence[str]) -> dict[str, list]:
    """``["model=deep,tied", "seed=0,1"]`` → ``{"model": ["deep", "tied"], "seed": [0, 1]}``.

    Values are typed as the option's ``TrainConfig`` field (``none`` for an unset optional
    one); ``hidden_units`` widths are joined by ``-`` (``256-128``; ``none``: shallow).

    Raises:
        ValueError (naming ``grid``): a text without ``=``, or an option given twice.
    """
    grid = {}
    for text in texts:
        option, equals, values = text.partition("=")
        option = option.strip().replace("-", "_")
        if not equals or not option:
            raise ParameterError("grid", f"needs OPTION=V1,V2,..., got {text!r}")
        if option in grid:
            raise ParameterError("grid", f"gives {option} twice")
        grid[option] = [value.strip() for value in values.split(",")]
    return grid


def read_grid(path: str | Path) -> dict[str, list]:
    """The grid in a JSON file, ``{"option": [values], ...}``.

    Raises:
        ValueError (naming ``grid_file``): unreadable, not JSON, or not such a mapping.
    """
    try:
        grid = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ParameterError("grid_file", f"cannot be read: {one_line(error)}") from None
    if not isinstance(grid, dict) or not all(isinstance(v, list) for v in grid.values()):
        raise ParameterError("grid_file", f"must hold {{option: [values]}}, got {grid!r}")
    return grid


def check_grid(grid: Mapping[str, Sequence]) -> dict[str, list]:
    """The grid with typed values, each checked alone against its option.

    Raises:
        ValueError (naming ``grid``): empty, an unknown option, an option without values, a
            value twice, or a value its option refuses (the message says which).
    """
    if not grid:
        raise ParameterError("grid", "is empty: vary at least one option")
    checked = {}
    for option, values in grid.items():
        if option in RENAMED_OPTIONS:  # warns, naming the new name
            option = RENAMED_OPTIONS[renamed("grid", option, RENAMED_OPTIONS[option], option, "")]
        if option not in options():
            raise ParameterError(
                "grid", f"names an unknown option {option!r}; choose from {', '.join(options())}"
            )
        typed = [_typed(option, value) for value in values]
        if not typed:
            raise ParameterError("grid", f"gives no values for {option}")
        for value in typed:
            _check_value(option, value)
            if typed.count(value) > 1:
                raise ParameterError("grid", f"gives {option} = {value!r} twice")
        checked[option] = typed
    if EXPERIMENT in checked and {"model", "train_fraction"} & set(checked):
        raise ParameterError("grid", "varies experiment, which sets model and train_fraction")
    return checked


def _typed(option: str, value):
    """A grid value as its option's type (texts from the command line are parsed)."""
    if not isinstance(value, str):
        return tuple(value) if isinstance(value, list) else value
    field_type = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)}.get(option, "str")
    text = value.strip()
    if "None" in field_type and text.lower() in ("none", "default"):
        return () if option == "hidden_units" else None
    try:
        if field_type.startswith("tuple"):
            return tuple(int(width) for width in text.split("-"))
        if field_type.startswith("int") or (field_type == "str | int" and text.isdigit()):
            return int(text)
        if field_type.startswith("float"):
            return float(text)
        if field_type.startswith("str | float"):
            return _number_or_text(text)
    except ValueError:
        kind = "widths such as 256-128" if field_type.startswith("tuple") else "a number"
        raise ParameterError("grid", f"gives {option} = {text!r}, expected {kind}") from None
    return text


def _number_or_text(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _check_value(option: str, value) -> None:
    """Checks one value of ``option`` alone, as ``TrainConfig`` would."""
    if option == EXPERIMENT:
        if value not in ALL_EXPERIMENTS:
            raise ParameterError(
                "grid",
                f"gives experiment = {value!r}; choose from {', '.join(ALL_EXPERIMENTS)}",
            )
        return
    try:
        dataclasses.replace(TrainConfig(), **{option: value}).validate()
    except ParameterError as error:
        raise ParameterError("grid", f"gives {option} = {value!r}: {error}") from None


def expand(
    grid: Mapping[str, Sequence], out: str | Path, *, epochs_scale: float = 1.0, **fixed
) -> list[PlannedRun]:
    """The runs of a grid, every one checked, in order (the first option varies slowest).

    Args:
        grid: option → values (see ``check_grid``).
        out: the sweep's folder.
        epochs_scale: multiplies every run's epochs (at least 1), after an experiment's own
            factor (``deep-overfit``: 10×).
        **fixed: ``TrainConfig`` fields the grid does not vary, the same for every run;
            ``dataset`` is required, here or in the grid.

    Raises:
        ValueError (naming the parameter): a bad grid (``grid``), an unknown or conflicting
            fixed option, no dataset, or a combination ``TrainConfig`` refuses.
    """
    grid = check_grid(grid)
    epochs_scale = positive_float("epochs_scale", epochs_scale)
    _check_fixed(grid, fixed)
    runs = [
        _planned(dict(zip(grid, combination, strict=True)), grid, Path(out), fixed, epochs_scale)
        for combination in itertools.product(*grid.values())
    ]
    _check_distinct(runs)
    return runs


def _check_distinct(runs: list[PlannedRun]) -> None:
    """Refuses two runs of one training (e.g. ``threads`` None and 1: a sweep's None is 1)."""
    seen = {}
    for planned in runs:
        same = dataclasses.replace(planned.config, out="", name="")
        for other, config in seen.items():
            if config == same:
                raise ParameterError(
                    "grid", f"{other} and {planned.key} would be the same run (as a sweep runs it)"
                )
        seen[planned.key] = same


def _check_fixed(grid: dict, fixed: dict) -> None:
    allowed = [option for option in options() if option != EXPERIMENT]
    unknown = sorted(set(fixed) - set(allowed))
    if unknown:
        raise ParameterError("options", f"must be among {', '.join(allowed)}, got {unknown}")
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ParameterError("grid", f"varies {', '.join(both)}, also given as a fixed option")
    for option in sorted({"model", "train_fraction"} & set(fixed)):
        if EXPERIMENT in grid:
            raise ParameterError(option, "is set by each experiment the grid varies")
    own = [ALL_EXPERIMENTS[name].dataset for name in grid.get(EXPERIMENT, ())]
    if "dataset" not in grid and fixed.get("dataset") is None and (not own or None in own):
        raise ParameterError("dataset", "must be given for a sweep (workers would each choose)")
    dataclasses.replace(TrainConfig(), **fixed).validate()  # before an experiment scales epochs


def _planned(values: dict, grid: dict, out: Path, fixed: dict, epochs_scale: float):
    """One run: its options (an experiment's own settings applied), folder and name."""
    settings = {**fixed, **values}
    chosen = settings.pop(EXPERIMENT, None)
    experiment = ALL_EXPERIMENTS.get(chosen)
    epochs = settings.pop("epochs", PAPER.epochs)
    if experiment is not None:
        settings.update(model=experiment.model, train_fraction=experiment.train_fraction)
        settings.update(experiment.options)
        if experiment.dataset is not None:
            settings["dataset"] = experiment.dataset
        epochs = epochs * experiment.epochs // PAPER.epochs
    label = experiment.name if experiment else settings.get("model", TrainConfig.model)
    setting = [
        f"{option}={_text(values[option])}"
        for option in grid
        if option not in NAMING_OPTIONS and len(grid[option]) > 1
    ]
    seeds = [values["seed"]] if len(grid.get("seed", ())) > 1 else []
    key = "/".join([",".join(setting)] * bool(setting) + [label] + [f"seed-{s}" for s in seeds])
    if settings.get("threads") is None:
        settings["threads"] = SWEEP_THREADS
    config = TrainConfig(
        **settings,
        epochs=max(1, round(epochs * epochs_scale)),
        name=" ".join([label, *setting, *(f"seed {s}" for s in seeds)]),
        out=str(out / key),
        overwrite=True,
    )
    config.validate()
    return PlannedRun(key, config, values, experiment)


def _text(value) -> str:
    """A grid value in a folder name."""
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value) or "none"
    return "none" if value is None else str(value).replace("/", "_")
