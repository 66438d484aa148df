"""``infoplane-tf train``: one model trained with the information plane recorded."""

import click

from infoplane_tf_cli.errors import user_errors

MODELS = ("vanilla", "deep", "sparse", "tied", "vae", "label")
DATASETS = ("mnist", "mnist-5k", "fashion-mnist", "emnist-letters")


def parse_units(ctx, param, value):
    """``--hidden-units 256,128`` → (256, 128); ``""`` or ``none`` → () (a shallow model)."""
    if value is None:
        return None
    if value.strip().lower() in ("", "none"):
        return ()
    try:
        units = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None
    if any(unit <= 0 for unit in units):
        raise click.BadParameter(f"widths must be positive, got {value!r}")
    return units


@click.command()
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="deep",
    show_default=True,
    help="Autoencoder species (vanilla = shallow 784-50-784, deep = 256-128-50-...).",
)
@click.option("--epochs", type=int, default=50, show_default=True)
@click.option(
    "--dataset",
    type=click.Choice(DATASETS),
    default=None,
    help="Default: full MNIST when available locally or downloadable, else the "
    "embedded mnist-5k (with a notice). An explicit choice never falls back.",
)
@click.option("--batch-size", type=int, default=100, show_default=True)
@click.option("--learning-rate", type=float, default=0.005, show_default=True, help="Adam.")
@click.option(
    "--hidden-units",
    callback=parse_units,
    default=None,
    help="Encoder widths, e.g. 256,128 (default: the model's own; 'none' = shallow).",
)
@click.option(
    "--code-units",
    type=int,
    default=50,
    show_default=True,
    help="Bottleneck width (latent size of the VAE).",
)
@click.option(
    "--sparsity-target",
    type=float,
    default=0.05,
    show_default=True,
    help="Sparse AE: target activity rho.",
)
@click.option(
    "--sparsity-weight",
    type=float,
    default=0.001,
    show_default=True,
    help="Sparse AE: KL penalty weight beta.",
)
@click.option(
    "--label-weight",
    type=float,
    default=0.01,
    show_default=True,
    help="Label AE: weight of the bottleneck cross-entropy.",
)
@click.option(
    "--train-fraction",
    type=float,
    default=1.0,
    show_default=True,
    help="Train on the first fraction of the training set (overfitting control: 0.1).",
)
@click.option(
    "--probe-size",
    type=int,
    default=100,
    show_default=True,
    help="Probe set = the first N test images.",
)
@click.option(
    "--record",
    default="iteration",
    show_default=True,
    help="When to record a point: epoch, iteration (every step: the paper), every:K, or log:N.",
)
@click.option("--alpha", type=float, default=1.01, show_default=True, help="Renyi order.")
@click.option(
    "--sigma-rule",
    default="paper",
    show_default=True,
    help="Kernel width: paper, scaled, median, or a fixed number.",
)
@click.option(
    "--gamma",
    type=float,
    default=2.0,
    show_default=True,
    help="Scale of the paper/scaled width rules.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Run directory (default: runs/<model>-<dataset>-<time>).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@click.option("--name", default=None, help="A label for legends and tables.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def train(quiet, **options):
    """Train an autoencoder and record its information plane into a run directory."""
    with user_errors():
        from infoplane_tf.training import TrainConfig, run

        log = None if quiet else (lambda message: click.echo(message, err=True))
        out = run(TrainConfig(**options), log=log)
    click.echo(str(out))
