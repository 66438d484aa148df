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
def report(suite_dir, measurement):
    """Write SUITE_DIR/REPORT.md: results next to the paper's findings, with figures."""
    with user_errors():
        from infoplane_tf.report import write_report

        path = write_report(suite_dir, measurement)
    click.echo(str(path))
