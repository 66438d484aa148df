"""Entry point of the ``infoplane-tf`` command line: a Click group and its subcommands.

TensorFlow is imported inside the commands, never at module level here, so ``--help`` and
``--version`` are instant.
"""

import click

from infoplane_tf._version import __version__
from infoplane_tf_cli.measure import measure
from infoplane_tf_cli.plot import plot
from infoplane_tf_cli.report import report
from infoplane_tf_cli.reproduce import reproduce
from infoplane_tf_cli.summary import summary
from infoplane_tf_cli.sweep import sweep
from infoplane_tf_cli.train import train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="infoplane-tf")
@click.option("-v", "--verbose", is_flag=True, help="Show TensorFlow's own log messages.")
def cli(verbose) -> None:
    """Information-plane analysis of Keras autoencoders (Lee & Jo, Entropy 2021).

    \b
    Train with the information plane recorded at every step, then look at it:
      infoplane-tf train --model label --epochs 200
      infoplane-tf plot runs/label-* -o label.png
      infoplane-tf summary runs/*
    """


cli.add_command(train)
cli.add_command(measure)
cli.add_command(plot)
cli.add_command(summary)
cli.add_command(reproduce)
cli.add_command(sweep)
cli.add_command(report)
