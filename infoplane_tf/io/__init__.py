"""Files: information-plane trajectories (``trajectory``), run directories (``runs``) and the
one number format of their tables (``cells``). NumPy only."""
