"""Package discovery, which setup.cfg cannot express with the cli/ folder mapped.

Every package under ``infoplane_tf/`` is found automatically (a new subpackage cannot be left
out of the wheel), and the command line's ``cli/`` folder installs as ``infoplane_tf_cli``.
Everything else is in setup.cfg.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["infoplane_tf", "infoplane_tf.*"]), "infoplane_tf_cli"])
