"""``infoplane-tf reproduce``: a named suite (the paper's seven experiments, or the classic
classifier experiments) as one resumable sweep."""

from pathlib import Path

import click

from infoplane_tf.catalog import DATASET_NAMES, SUITES
from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors
from infoplane_tf_cli.progress import SweepDisplay


@click.command()
@click.argument("folder", metavar="DIR", required=False, type=click.Path(file_okay=False))
@click.option(
    "--suite",
    type=click.Choice(tuple(SUITES)),
    default="autoencoders",
    show_default=True,
    help="autoencoders: Lee & Jo's seven; classifiers: the 12-bit tanh/ReLU networks (5 seeds "
    "each), an MNIST MLP (tanh, ReLU) and a CNN, each with its own training settings.",
)
@click.option(
    "--dataset",
    type=click.Choice(DATASET_NAMES),
    default=None,
    help="The data (required for the autoencoders; for the classifiers the image set of the "
    "MNIST experiments, default mnist).",
)
@click.option("--out", type=click.Path(file_okay=False), hidden=True, help="Old name of DIR.")
@click.option(
    "--epochs-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply every experiment's epochs (50, and 500 for deep-overfit).",
)
@click.option(
    "--epochs", type=int, default=None, help="Base epochs instead of the paper's 50 "
    "(deep-overfit gets 10x)."
)  # fmt: skip
@click.option(
    "--seeds",
    type=int,
    default=None,
    help="Seeds 0..N-1 (default 1; a classifier experiment's own); with N > 1 runs go to "
    "DIR/<experiment>/seed-K.",
)
@options.experiments
@options.train_sigma
@options.record
@options.checkpoints
@options.checkpoint_dtype
@options.init
@options.optimizer
@options.probe_size
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Runs at once, on an embedded Dask cluster of this many workers (default: one per "
    "core, at most one per 2 GiB of memory).",
)
@click.option("--jobs", type=int, default=None, hidden=True, help="Old name of --workers.")
@options.scheduler
@click.option(
    "--overwrite", is_flag=True, help="Replace a suite of other options or experiments in --out."
)
def reproduce(
    folder,
    suite,
    dataset,
    out,
    epochs_scale,
    epochs,
    seeds,
    experiments,
    workers,
    jobs,
    scheduler,
    overwrite,
    **run_options,
):
    """Run a suite into the folder DIR: the paper's experiments (shallow, deep, deep-overfit,
    sparse, tied, vae, label), or with --suite classifiers the classic ones (tishby12-tanh,
    tishby12-relu, mnist-mlp-tanh, mnist-mlp-relu, mnist-cnn).

    Every experiment is a normal run directory, made as `infoplane-tf train` makes one, as a
    sweep over experiments and seeds (see `infoplane-tf sweep`). Finished runs are skipped
    when the command is run again, so an interrupted suite resumes.
    """
    if out is not None:
        click.echo(
            "warning: --out is deprecated (it goes in 0.8); pass the folder as DIR", err=True
        )
        if folder is not None and Path(folder) != Path(out):
            raise click.UsageError(f"two suite folders: DIR {folder!r} and --out {out!r}")
        folder = out
    if folder is None:
        raise click.UsageError("give the suite folder: infoplane-tf reproduce DIR --dataset ...")
    out = folder
    if jobs is not None:
        click.echo("warning: --jobs is deprecated (it goes in 0.8); use --workers", err=True)
        workers = jobs if workers is None else workers
    with user_errors():
        from infoplane_tf.workflows.suite import reproduce as run_reproduction

        with SweepDisplay() as display:
            record = run_reproduction(
                dataset,
                Path(out),
                suite=suite,
                epochs_scale=epochs_scale,
                epochs=epochs,
                seeds=seeds,
                experiments=experiments,
                workers=workers,
                scheduler=scheduler,
                overwrite=overwrite,
                log=display.log,
                progress=display.update,
                **run_options,
            )
    click.echo(f"suite finished in {record['wall_time_s']:.0f} s: {out}")
