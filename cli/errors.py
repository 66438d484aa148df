"""Turning library errors into one-line CLI errors (exit 2: usage, exit 1: everything else)."""

import contextlib

import click


@contextlib.contextmanager
def user_errors():
    """Re-raises known user-facing errors as Click exceptions, so no traceback is shown.

    ``UsageError`` (a bad option value) exits with 2; a missing dataset, a folder that is not a
    run or a corrupt file exits with 1. Anything else is a bug and keeps its traceback.
    """
    from infoplane_tf.datasets import DatasetFormatError, DatasetUnavailableError
    from infoplane_tf.errors import UsageError
    from infoplane_tf.runs import RunFormatError
    from infoplane_tf.trajectory import TrajectoryFormatError

    try:
        yield
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    except (
        DatasetUnavailableError,
        DatasetFormatError,
        RunFormatError,
        TrajectoryFormatError,
    ) as error:
        raise click.ClickException(" ".join(str(error).split())) from None
