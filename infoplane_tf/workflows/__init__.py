"""Workflows: one training run (``training``), re-measuring a run (``measure``), a sweep of runs
(``sweep``, planned by ``grid``, run by ``executors`` and ``task``) and the paper's suite
(``suite``)."""
