"""``infoplane-tf report``: REPORT.md and figures for a reproduction suite."""

import click

from infoplane_tf_cli.errors import user_errors


@click.command()
@click.argument("suite_dir", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--measurement",
    default=None,
    help="Report on every run's RUN/measurements/LABEL (from `measure`), written to "
    "REPORT-LABEL.md and figures/LABEL/; default: the trajectories recorded in training.",
)
@click.option(
    "--widths",
    default=None,
    help="Width maps to compare, e.g. widths-paper,widths-scaled (labels from `measure "
    "--gamma G1,G2,...`): writes REPORT-widths.md, findings x rule x gamma, and "
    "figures/widths/.",
)
def report(suite_dir, measurement, widths):
    """Write SUITE_DIR/REPORT.md: results next to the paper's findings, with figures."""
    with user_errors(aliases={"labels": "widths"}):
        if widths is not None:
            from infoplane_tf.reports import write_width_report

            labels = [label.strip() for label in widths.split(",") if label.strip()]
            click.echo(str(write_width_report(suite_dir, labels)))
            return
        from infoplane_tf.reports import write_report

        path = write_report(suite_dir, measurement)
    click.echo(str(path))
