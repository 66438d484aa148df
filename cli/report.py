"""``infoplane-tf report``: REPORT.md and figures for a reproduction suite."""

import click

from infoplane_tf_cli.errors import user_errors


@click.command()
@click.argument("suite_dir", type=click.Path(file_okay=False, exists=True))
def report(suite_dir):
    """Write SUITE_DIR/REPORT.md: results next to the paper's findings, with figures."""
    with user_errors():
        from infoplane_tf.report import write_report

        path = write_report(suite_dir)
    click.echo(str(path))
