"""``infoplane-tf train``: one model trained with the information plane recorded."""

import click

from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors


@click.command()
@options.model
@options.number("--epochs", "Training epochs.", int)
@options.dataset
@options.number("--batch-size", "Batch size.", int)
@options.number("--learning-rate", "Adam's learning rate.")
@options.hidden_units
@options.number("--code-units", "Bottleneck width (latent size of the VAE).", int)
@options.number("--sparsity-target", "Sparse AE: target activity rho.")
@options.number("--sparsity-weight", "Sparse AE: KL penalty weight beta.")
@options.number("--label-weight", "Label AE: weight of the bottleneck cross-entropy.")
@options.number(
    "--train-fraction",
    "Train on the first fraction of the training set (overfitting control: 0.1).",
)
@options.probe_size
@options.record
@options.checkpoints
@options.alpha
@options.sigma_rule
@options.gamma
@options.number("--seed", "Seed of weights, data order and sampled codes.", int)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Run directory (default: runs/<model>-<dataset>-<time>).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@click.option("--name", default=None, help="A label for legends and tables.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def train(quiet, **fields):
    """Train an autoencoder and record its information plane into a run directory."""
    with user_errors(tensorflow=True):
        from infoplane_tf.workflows.config import TrainConfig
        from infoplane_tf.workflows.training import run

        log = None if quiet else (lambda message: click.echo(message, err=True))
        out = run(TrainConfig(**fields), log=log, progress=not quiet)
    click.echo(str(out))
