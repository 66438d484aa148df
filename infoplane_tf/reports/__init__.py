"""Reports on finished runs: a suite's ``REPORT.md`` next to the paper's findings (``suite``),
and the tables of findings against kernel width (``widths``) and estimator family
(``families``), whose marks ``marks`` shares. They read runs (``io``), analyse them
(``analysis``) and draw their figures (``plotting``); they never train or measure."""

from infoplane_tf.reports.families import write_family_report
from infoplane_tf.reports.suite import write_comparison, write_report
from infoplane_tf.reports.widths import write_width_report

__all__ = ["write_comparison", "write_family_report", "write_report", "write_width_report"]
