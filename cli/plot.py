"""``infoplane-tf plot``: the paper's figures from one or several run directories."""

import click

from infoplane_tf_cli.errors import user_errors

# Keep in sync with infoplane_tf.plotting.PLOT_KINDS (not imported here: matplotlib is slow).
KINDS = ("ip", "dpi", "loss", "recon", "all")


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Figure file; the format follows the extension (.png, .svg, .pdf).",
)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="all",
    show_default=True,
    help="ip: information plane per layer; dpi: I(X;T) and I(T;X') curves; "
    "loss: log10 train/test loss; recon: inputs over reconstructions.",
)
@click.option("--layers", default=None, help="Comma-separated layers to show, e.g. E1,Z.")
@click.option(
    "--animate",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write a GIF of the information plane building up over training.",
)
def plot(run_dirs, output, kind, layers, animate):
    """Plot the information plane, DPI curves, losses and reconstructions of runs.

    Several runs are overlaid with a legend.
    """
    if output is None and animate is None:
        raise click.UsageError("give -o FILE, --animate FILE.gif, or both")
    with user_errors():
        from infoplane_tf.plotting import animate_information_plane, plot_runs
        from infoplane_tf.runs import load_run

        runs = [load_run(path) for path in run_dirs]
        selected = None if layers is None else [name.strip() for name in layers.split(",")]
        try:
            if output is not None:
                # plot_runs checks every argument, the GIF's too, before drawing anything.
                for path in plot_runs(runs, output, kind=kind, layers=selected, animate=animate):
                    click.echo(str(path))
            else:
                click.echo(str(animate_information_plane(runs, animate, layers=selected)))
        except ValueError as error:  # unknown layer, bad extension, runs without examples
            raise click.UsageError(str(error)) from None
