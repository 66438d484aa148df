"""``infoplane-tf train``: one model trained with the information plane recorded."""

import click

from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors


@click.command()
@options.run_options
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Run directory (default: runs/<model>-<dataset>-<time>).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@click.option("--name", default=None, help="A label for legends and tables.")
@click.option(
    "--resume",
    type=click.Path(file_okay=False),
    default=None,
    help="Continue this interrupted run from its last finished epoch (its own options).",
)
@options.quiet
@click.pass_context
def train(ctx, quiet, resume, **fields):
    """Train an autoencoder or a classifier and record its information plane into a run
    directory.

    SIGINT (Ctrl-C) or SIGTERM stops at the end of the current epoch, keeping everything;
    `--resume RUN` then continues exactly where it stopped (a second signal stops at once,
    and the run continues from the epoch before). Resuming a finished run says so and exits 0.
    """
    with user_errors(tensorflow=True, aliases={"run": "resume"}):
        from infoplane_tf.io.options import TrainConfig
        from infoplane_tf.workflows import training

        log = None if quiet else (lambda message: click.echo(message, err=True))
        if resume is None:
            out = training.run(TrainConfig(**fields), log=log, progress=not quiet)
        else:
            given = {
                key: value
                for key, value in fields.items()
                if ctx.get_parameter_source(key) == click.core.ParameterSource.COMMANDLINE
            }
            try:
                out = training.resume(resume, log=log, progress=not quiet, **given)
            except training.RunFinishedError as finished:
                click.echo(str(finished), err=True)
                return
    click.echo(str(out))
