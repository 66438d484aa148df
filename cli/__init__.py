"""The ``infoplane-tf`` command line, installed as the package ``infoplane_tf_cli``."""
