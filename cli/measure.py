"""``infoplane-tf measure``: re-estimate the information plane of runs from their checkpoints."""

import click

from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--name", "label", required=True, help="Label: writes RUN/measurements/LABEL/.")
@click.option("--sigma-rule", default=None, help="Kernel width rule (default: the run's).")
@click.option("--gamma", type=float, default=None, help="Width scale (default: the run's).")
@click.option("--alpha", type=float, default=None, help="Renyi order (default: the run's).")
@click.option("--probe-size", type=int, default=None, help="Probe images (default: the run's).")
@click.option(
    "--probe-offset", type=int, default=0, show_default=True, help="First test image of the probe."
)
@options.layers
@click.option("--overwrite", is_flag=True, help="Replace an existing measurement LABEL.")
def measure(run_dirs, label, overwrite, **settings):
    """Measure runs again at every checkpoint with other estimator settings.

    \b
    Example: infoplane-tf measure runs/deep --name gamma1 --gamma 1
    """
    with user_errors(tensorflow=True):
        from infoplane_tf.io.runs import load_run
        from infoplane_tf.workflows.measure import measure as measure_run
        from infoplane_tf.workflows.measure import write_measurement

        for run in [load_run(path) for path in run_dirs]:
            with click.progressbar(length=len(run.checkpoints), label=str(run.path)) as bar:
                trajectory = measure_run(
                    run, progress=lambda done, total: bar.update(done - bar.pos), **settings
                )
            click.echo(str(write_measurement(run, label, trajectory, overwrite=overwrite)))
