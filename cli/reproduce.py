"""``infoplane-tf reproduce``: the paper's seven experiments as one resumable suite."""

from pathlib import Path

import click

from infoplane_tf_cli.errors import user_errors
from infoplane_tf_cli.train import DATASETS

EXPERIMENTS = ("shallow", "deep", "deep-overfit", "sparse", "tied", "vae", "label")


@click.command()
@click.option("--dataset", type=click.Choice(DATASETS), required=True)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Suite folder.")
@click.option(
    "--epochs-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply every experiment's epochs (50, and 500 for deep-overfit).",
)
@click.option(
    "--epochs",
    type=int,
    default=None,
    help="Base epochs instead of the paper's 50 (deep-overfit gets 10x).",
)
@click.option(
    "--seeds",
    type=int,
    default=1,
    show_default=True,
    help="Seeds 0..N-1; with N > 1 runs go to DIR/<experiment>/seed-K.",
)
@click.option(
    "--experiments",
    default=",".join(EXPERIMENTS),
    show_default=True,
    help="Comma-separated subset of the experiments.",
)
@click.option(
    "--sigma-rule",
    default="paper",
    show_default=True,
    help="Kernel width rule for every run (paper, scaled, median or a number).",
)
@click.option(
    "--record",
    default="iteration",
    show_default=True,
    help="Recording schedule for every run (the paper: every iteration).",
)
@click.option("--probe-size", type=int, default=100, show_default=True)
@click.option("--jobs", type=int, default=1, show_default=True, help="Runs at once.")
def reproduce(
    dataset, out, epochs_scale, epochs, seeds, experiments, sigma_rule, record, probe_size, jobs
):
    """Run the paper's experiments (shallow, deep, deep-overfit, sparse, tied, vae, label).

    Every experiment is a normal run directory made by `infoplane-tf train`. Finished runs are
    skipped when the command is run again, so an interrupted suite resumes.
    """
    with user_errors():
        from infoplane_tf.experiments import plan, run_suite

        names = tuple(name.strip() for name in experiments.split(",") if name.strip())
        runs = plan(
            dataset,
            Path(out),
            epochs_scale=epochs_scale,
            epochs=epochs,
            seeds=seeds,
            experiments=names,
            sigma_rule=sigma_rule,
            record=record,
            probe_size=probe_size,
        )
        options = {
            "dataset": dataset,
            "epochs_scale": epochs_scale,
            "epochs": epochs,
            "seeds": seeds,
            "experiments": list(names),
            "sigma_rule": sigma_rule,
            "record": record,
            "probe_size": probe_size,
        }
        try:
            record_ = run_suite(
                runs,
                Path(out),
                jobs=jobs,
                suite_options=options,
                log=lambda line: click.echo(line, err=True),
            )
        except RuntimeError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"suite finished in {record_['wall_time_s']:.0f} s: {out}")
