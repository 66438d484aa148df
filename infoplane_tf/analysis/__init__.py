"""Analyses of trajectories: the fitting/simplifying phases (``phases``), the paper's findings
as a table of rules (``findings``), its MNIST values (``paper_values``) and one summary row per
run (``summary``). NumPy only."""
