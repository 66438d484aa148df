"""``infoplane-tf reproduce``: the paper's seven experiments as one resumable suite."""

from pathlib import Path

import click

from infoplane_tf.catalog import DATASET_NAMES
from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors
from infoplane_tf_cli.progress import SweepDisplay


@click.command()
@click.option("--dataset", type=click.Choice(DATASET_NAMES), required=True)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Suite folder.")
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
    default=1,
    show_default=True,
    help="Seeds 0..N-1; with N > 1 runs go to DIR/<experiment>/seed-K.",
)
@options.experiments
@options.sigma_rule
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
    help="Runs at once, on an embedded Dask cluster of this many workers (default 1).",
)
@click.option("--jobs", type=int, default=None, hidden=True, help="Old name of --workers.")
@options.scheduler
@click.option(
    "--overwrite", is_flag=True, help="Replace a suite of other options or experiments in --out."
)
def reproduce(
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
    """Run the paper's experiments (shallow, deep, deep-overfit, sparse, tied, vae, label).

    Every experiment is a normal run directory, made as `infoplane-tf train` makes one, as a
    sweep over experiments and seeds (see `infoplane-tf sweep`). Finished runs are skipped
    when the command is run again, so an interrupted suite resumes.
    """
    if jobs is not None:
        click.echo("warning: --jobs is deprecated (it goes in 0.8); use --workers", err=True)
        workers = jobs if workers is None else workers
    with user_errors():
        from infoplane_tf.workflows.suite import reproduce as run_reproduction

        display = SweepDisplay()
        record = run_reproduction(
            dataset,
            Path(out),
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
