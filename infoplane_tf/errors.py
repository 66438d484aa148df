"""Exceptions shared by the library and the command line (no heavy imports here)."""


class UsageError(ValueError):
    """A bad option value: the message names the option and what was expected.

    The command line reports it as a usage error (exit code 2).
    """
