"""Library errors as one-line CLI errors (exit 2: usage, exit 1: everything else), in one place."""

import contextlib
import signal

import click


def _usage_error(error, aliases: dict[str, str]) -> click.UsageError:
    """The Click error for a ``ParameterError``: naming the command's ``--flag`` when it has one
    for that parameter (or its alias), else the library's own message."""
    flags = {
        param.name: max(param.opts, key=len)
        if isinstance(param, click.Option)
        else param.human_readable_name  # an argument: its metavar, e.g. DIR
        for param in click.get_current_context().command.params
    }
    parameter = aliases.get(error.parameter, error.parameter)
    if parameter not in flags:
        return click.UsageError(str(error))
    message = error.requirement
    if error.remedy in flags:
        message += f"; pass {flags[error.remedy]} to replace it"
    return click.BadParameter(message, param_hint=f"'{flags[parameter]}'")


@contextlib.contextmanager
def user_errors(tensorflow: bool = False, aliases: dict[str, str] | None = None):
    """Turns known user-facing errors into Click exceptions, so no traceback is shown.

    A ``ParameterError`` (a bad option value) exits with 2 and names the ``--flag``; any other
    ``ValueError`` of the library (a folder that is not a run, a corrupt file), a missing
    dataset or a failed sweep exits with 1. Anything else is a bug and keeps its traceback.

    Args:
        tensorflow: import TensorFlow first, quietly unless the group's ``-v`` was given.
        aliases: library parameter → the command's option that sets it, where names differ.
    """
    from infoplane_tf._quiet import import_tensorflow
    from infoplane_tf.data.datasets import DatasetUnavailableError
    from infoplane_tf.errors import TrainingInterrupted
    from infoplane_tf.validation import ParameterError
    from infoplane_tf.workflows.sweep import SweepFailedError

    if tensorflow:
        root = click.get_current_context().find_root()
        import_tensorflow(verbose=bool(root.params.get("verbose")), sklearn_wrappers=False)
    try:
        yield
    except TrainingInterrupted as stop:
        where = f" {stop.run}" if stop.run else ""
        click.echo(f"{stop}; continue with: infoplane-tf train --resume{where}", err=True)
        signal_number = getattr(signal, stop.reason, signal.SIGINT)
        click.get_current_context().exit(128 + int(signal_number))
    except ParameterError as error:
        raise _usage_error(error, aliases or {}) from None
    except (ValueError, DatasetUnavailableError, SweepFailedError) as error:
        raise click.ClickException(" ".join(str(error).split())) from None
