"""Entry point of the ``infoplane-tf`` command line: a Click group and its subcommands.

TensorFlow is imported inside the commands, never here, so ``--help`` and ``--version`` are
instant.
"""

import click

from infoplane_tf._version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="infoplane-tf")
def cli() -> None:
    """Information-plane analysis of Keras autoencoders (Lee & Jo, Entropy 2021)."""
