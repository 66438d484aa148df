"""Analyses of trajectories: the fitting/simplifying phases (``phases``) and the paper's findings
as a table of rules (``findings``). NumPy only."""
