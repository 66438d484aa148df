"""The options of one training run, checked before anything is loaded (no TensorFlow here)."""

from __future__ import annotations

import dataclasses

from infoplane_tf.catalog import (
    ACTIVATIONS,
    CHECKPOINT_DTYPES,
    DATASET_NAMES,
    INITS,
    MODEL_NAMES,
    MODELS,
    OPTIMIZERS,
    PAPER,
)
from infoplane_tf.entropy_methods import ESTIMATORS, check_tolerance
from infoplane_tf.schedule import Schedule
from infoplane_tf.validation import (
    ParameterError,
    fraction,
    kernel_width,
    non_negative_float,
    one_of,
    positive_float,
    positive_int,
    positive_ints,
    renamed,
)

#: Options renamed in 0.7: old name → new name (a run's ``config.json`` may use the old one).
RENAMED_OPTIONS = {"sigma_rule": "sigma"}


@dataclasses.dataclass
class TrainConfig:
    """Every option of a training run (the CLI's ``train`` options; defaults = the paper's).

    ``hidden_units=None`` keeps the model's own default (``deep``/``vae``/``label``: 256,128;
    ``mlp``: 10,7,5,4,3; the others: none); ``activation=None`` a classifier's own (``mlp``:
    tanh, ``cnn``: relu; the autoencoders refuse another). ``dataset=None`` picks full MNIST
    when available, else ``mnist-5k``.
    ``record`` is a schedule of ``InfoPlaneCallback`` (``catalog.SCHEDULE_FORMS``);
    ``checkpoints`` one for the weight checkpoints (``"none"``: none; always with the first and
    last weights otherwise). The default, 64 log-spaced iterations, keeps the early changes
    dense where the information plane moves fastest, at a disk cost that does not grow with
    the length of training; ``checkpoint_dtype="float16"`` halves that cost.
    ``init="torch"`` and ``optimizer="torch-adam"`` train as the authors' PyTorch code did
    (``infoplane_tf.models.parity``). ``sigma`` is a kernel-width rule
    (``width_rules.SIGMA_RULES``) or a fixed width; ``sigma_rule=`` is its name before 0.7
    (it still works, with a DeprecationWarning, until 0.8).
    ``threads`` is TensorFlow's intra-op thread count while training: float32 sums split across
    threads round differently, so runs equal bit for bit only at equal counts (``None``: the
    process's own count, which the run records).
    """

    model: str = "deep"
    epochs: int = PAPER.epochs
    dataset: str | None = None
    batch_size: int = PAPER.batch_size
    learning_rate: float = PAPER.learning_rate
    hidden_units: tuple[int, ...] | None = None
    activation: str | None = None  # a classifier's hidden activation; None: the model's own
    code_units: int = PAPER.code_units
    sparsity_target: float = PAPER.sparsity_target
    sparsity_weight: float = PAPER.sparsity_weight
    label_weight: float = PAPER.label_weight
    init: str = "keras"
    optimizer: str = "adam"
    train_fraction: float = 1.0
    probe_size: int = PAPER.probe_size
    record: str | int = PAPER.record
    checkpoints: str | int = "log:64"
    checkpoint_dtype: str = "float32"
    alpha: float = PAPER.alpha
    sigma: str | float = PAPER.sigma
    gamma: float | None = None  # None: the rule's default (width_rules.default_gamma)
    estimator: str = "exact"
    tolerance: float | None = None  # bits of every information value ("slq", "auto")
    seed: int = 0
    threads: int | None = None  # TensorFlow intra-op threads; None: the process's own
    out: str | None = None
    overwrite: bool = False
    name: str | None = None
    sigma_rule: dataclasses.InitVar[str | float | None] = None

    def __post_init__(self, sigma_rule):
        # depth 2: the generated __init__ calls this
        self.sigma = renamed("TrainConfig", "sigma_rule", "sigma", sigma_rule, self.sigma, depth=2)

    def validate(self) -> None:
        """Checks every option that needs no data; ParameterError names the field."""
        one_of("model", self.model, MODEL_NAMES)
        if self.dataset is not None:
            one_of("dataset", self.dataset, DATASET_NAMES)
        for field in ("epochs", "batch_size", "code_units"):
            positive_int(field, getattr(self, field))
        positive_int("probe_size", self.probe_size, minimum=2)
        positive_int("seed", self.seed, minimum=0)
        fraction("train_fraction", self.train_fraction, include_one=True)
        fraction("sparsity_target", self.sparsity_target)
        for field in ("learning_rate", "alpha"):
            positive_float(field, getattr(self, field))
        if self.gamma is not None:
            positive_float("gamma", self.gamma)
        if self.threads is not None:
            positive_int("threads", self.threads)
        for field in ("sparsity_weight", "label_weight"):
            non_negative_float(field, getattr(self, field))
        if self.hidden_units is not None:
            positive_ints("hidden_units", self.hidden_units)
        if self.activation is not None:
            one_of("activation", self.activation, ACTIVATIONS)
            if "activation" not in MODELS[self.model].hparams:
                raise ParameterError(
                    "activation",
                    f"is a classifier's option; model {self.model!r} has its own activations",
                )
        Schedule(self.record, parameter="record")
        if self.checkpoints != "none":
            Schedule(self.checkpoints, parameter="checkpoints")
        one_of("checkpoint_dtype", self.checkpoint_dtype, CHECKPOINT_DTYPES)
        one_of("estimator", self.estimator, ESTIMATORS)
        check_tolerance(self.tolerance, self.estimator)
        one_of("init", self.init, INITS)
        one_of("optimizer", self.optimizer, OPTIMIZERS)
        kernel_width("sigma", self.sigma)

    def model_hparams(self, n_classes: int | None = None) -> dict:
        """The constructor arguments of the chosen model that these options set; a classifier
        also takes the dataset's ``n_classes``."""
        hparams = {
            key: getattr(self, key)
            for key in MODELS[self.model].hparams
            if getattr(self, key) is not None
        }
        hparams["init"] = self.init
        if self.model == "vae":
            hparams["seed"] = self.seed
        if MODELS[self.model].classifier:
            hparams["n_classes"] = positive_int("n_classes", n_classes, minimum=2)
        return hparams


def config_from_json(recorded: dict) -> TrainConfig:
    """The ``TrainConfig`` of a run from its ``config.json`` (provenance keys ignored)."""
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    recorded = current_names(recorded)
    options = {key: value for key, value in recorded.items() if key in fields}
    if options.get("hidden_units") is not None:
        options["hidden_units"] = tuple(options["hidden_units"])  # a list in JSON
    return TrainConfig(**options)


def current_names(options: dict) -> dict:
    """``options`` (a run's ``config.json``) with the names of 0.7 for renamed options."""
    return {RENAMED_OPTIONS.get(key, key): value for key, value in options.items()}
