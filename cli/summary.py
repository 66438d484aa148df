"""``infoplane-tf summary``: one table row per run (or JSON for machines)."""

import json

import click

from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors


def _format(value, spec):
    return "-" if value is None else format(value, spec)


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@options.measurement
def summary(run_dirs, as_json, measurements):
    """Summarize runs: peak and final I(X;Z), the simplifying drop, train/test error."""
    with user_errors():
        from infoplane_tf.analysis.summary import summarize
        from infoplane_tf.io.runs import load_run

        runs = [load_run(path, m) for path in run_dirs for m in measurements or [None]]
        rows = [summarize(run) for run in runs]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    header = (
        f"{'run':<28} {'model':<8} {'dataset':<14} {'peak I(X;Z)':>11} {'@iter':>7} "
        f"{'final':>6} {'drop':>6} {'simplifying':>11} {'train err':>10} {'test err':>10}"
    )
    click.echo(header)
    for row in rows:
        name = row["name"][:28]
        note = "" if row["complete"] else "  (incomplete)"
        click.echo(
            f"{name:<28} {row['model']:<8} {row['dataset']:<14} {row['peak_i_xt']:>11.2f} "
            f"{row['peak_iteration']:>7} {row['final_i_xt']:>6.2f} {row['drop_bits']:>6.2f} "
            f"{'yes' if row['simplifying'] else 'no':>11} {_format(row['train_error'], '10.5f')} "
            f"{_format(row['test_error'], '10.5f')}{note}"
        )
        for width in row.get("widths", []):
            click.echo(
                f"{'  gamma = ' + format(width['gamma'], 'g'):<52} {width['peak_bits']:>11.2f} "
                f"{'':>7} {width['final_bits']:>6.2f} {width['drop_bits']:>6.2f} "
                f"{'yes' if width['simplifying'] else 'no':>11}"
            )
