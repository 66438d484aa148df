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
@click.option(
    "--families",
    default=None,
    help="Family sets to compare, e.g. families,families-n1000 (labels from `measure "
    "--family F1,F2,...`): writes REPORT-families.md, findings x estimator family, and "
    "figures/families/; for a classifier suite (reproduce --suite classifiers) they give "
    "REPORT.md, the claims x estimator tables, and figures/.",
)
def report(suite_dir, measurement, widths, families):
    """Write SUITE_DIR/REPORT.md: results next to the paper's findings, with figures."""
    if widths is not None and families is not None:
        raise click.UsageError("give --widths or --families, not both")
    with user_errors(aliases={"labels": "widths" if widths is not None else "families"}):
        if families is not None:
            from infoplane_tf.reports import write_classifier_report, write_family_report
            from infoplane_tf.reports.classifiers import is_classifier_suite

            labels = [label.strip() for label in families.split(",") if label.strip()]
            if labels and is_classifier_suite(suite_dir):
                click.echo(str(write_classifier_report(suite_dir, labels)))
                return
            click.echo(str(write_family_report(suite_dir, labels)))
            return
        if widths is not None:
            from infoplane_tf.reports import write_width_report

            labels = [label.strip() for label in widths.split(",") if label.strip()]
            click.echo(str(write_width_report(suite_dir, labels)))
            return
        from infoplane_tf.reports import write_report

        path = write_report(suite_dir, measurement)
    click.echo(str(path))
