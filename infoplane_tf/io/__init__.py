"""Files, NumPy only: a run directory's files (``run_dir``, the only code that names them),
loaded runs (``runs``), trajectories, re-measurements, weight checkpoints and the resume state,
a run's options (``options``), sweep records and the one number format of the tables
(``cells``)."""
