"""``infoplane-tf sweep``: a grid of training runs on a Dask cluster, embedded or existing."""

from pathlib import Path

import click

from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors
from infoplane_tf_cli.progress import SweepDisplay


@click.command()
@click.argument("out", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "--vary",
    multiple=True,
    metavar="OPTION=V1,V2,...",
    help="A train option and its values, e.g. seed=0,1,2 or model=deep,tied (widths as "
    "256-128); experiment=shallow,deep,sparse takes the paper's experiments, "
    "experiment=tishby12-tanh,tishby12-relu the classic classifier ones (with their own data "
    "and settings). Repeat it: every combination is one run.",
)
@click.option(
    "--grid",
    "grid_file",
    type=click.Path(dir_okay=False),
    default=None,
    help='A JSON file {"option": [values], ...}, with or instead of --vary.',
)
@options.workers
@options.scheduler
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace a sweep of another grid in DIR (its runs this grid does not make again "
    "are deleted).",
)
@options.run_options
@options.quiet
@click.pass_context
def sweep(ctx, out, vary, grid_file, workers, scheduler, overwrite, quiet, **fields):
    """Train every combination of the varied options, the other options fixed.

    Runs go to DIR/[SETTING/]NAME/[seed-K], NAME the experiment or model, SETTING the other
    varied options; DIR/sweep.json records each run's state, time and worker. Run it again
    to finish what is missing: finished runs are skipped, interrupted ones resumed.

    \b
    Examples:
      infoplane-tf sweep sweeps/seeds --dataset fashion-mnist \\
          --vary experiment=shallow,deep,sparse --vary seed=0,1,2,3,4 --record every:10
      infoplane-tf sweep sweeps/lr --dataset mnist-5k --model deep \\
          --vary learning_rate=0.001,0.005 --vary seed=0,1 --scheduler tcp://head:8786
    """
    with user_errors(aliases={"grid": "vary"}):
        from infoplane_tf.workflows import sweep as sweeps

        grid = sweeps.parse_grid(vary)
        if grid_file is not None:
            in_file = sweeps.read_grid(grid_file)
            both = sorted(set(grid) & set(in_file))
            if both:
                raise click.UsageError(f"--vary and --grid both vary {', '.join(both)}")
            grid = {**in_file, **grid}
        source = ctx.get_parameter_source
        fixed = {
            k: v for k, v in fields.items() if source(k) == click.core.ParameterSource.COMMANDLINE
        }
        with SweepDisplay(quiet) as display:
            record = sweeps.sweep(
                grid,
                Path(out),
                workers=workers,
                scheduler=scheduler,
                overwrite=overwrite,
                log=display.log,
                progress=display.update,
                **fixed,
            )
    click.echo(
        f"sweep of {len(record['runs'])} runs finished in {record['wall_time_s']:.0f} s: {out}"
    )
