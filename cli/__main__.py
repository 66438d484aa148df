"""``python -m infoplane_tf_cli``: the same command line as ``infoplane-tf``."""

from infoplane_tf_cli.main import cli

cli()
