"""``infoplane-tf plot``: the paper's figures from one or several run directories."""

import click

from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Figure file; the format follows the extension (.png, .svg, .pdf).",
)
@options.kind
@options.layers
@options.measurement
@click.option(
    "--animate",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write a GIF of the information plane building up over training.",
)
def plot(run_dirs, output, kind, layers, measurements, animate):
    """Plot the information plane, DPI curves, losses and reconstructions of runs.

    Several runs are overlaid with a legend.
    """
    if output is None and animate is None:
        raise click.UsageError("give -o FILE, --animate FILE.gif, or both")
    with user_errors():
        from infoplane_tf.io.runs import load_run
        from infoplane_tf.plotting import animate_information_plane, plot_runs

        runs = [load_run(path, m) for path in run_dirs for m in measurements or [None]]
        try:
            if output is not None:
                # plot_runs checks every argument, the GIF's too, before drawing anything.
                for path in plot_runs(runs, output, kind=kind, layers=layers, animate=animate):
                    click.echo(str(path))
            else:
                click.echo(str(animate_information_plane(runs, animate, layers=layers)))
        except ValueError as error:  # unknown layer, bad extension, runs without examples
            raise click.UsageError(str(error)) from None
