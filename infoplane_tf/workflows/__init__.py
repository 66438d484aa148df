"""Workflows: one training run (``training``, options in ``config``) and the paper's suite of
runs (``suite``)."""
