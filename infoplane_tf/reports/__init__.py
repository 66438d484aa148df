"""Reports on finished runs: a suite's ``REPORT.md`` next to the paper's findings (``suite``),
the tables of findings against kernel width (``widths``) and estimator family
(``families``), whose marks ``marks`` shares, and the classic classifier experiments' claims
under every estimator (``classifiers``). They read runs (``io``), analyse them
(``analysis``) and draw their figures (``plotting``); they never train or measure."""

from infoplane_tf.reports.classifiers import write_classifier_report
from infoplane_tf.reports.families import write_family_report
from infoplane_tf.reports.suite import write_comparison, write_report
from infoplane_tf.reports.widths import write_width_report

__all__ = [
    "write_classifier_report",
    "write_comparison",
    "write_family_report",
    "write_report",
    "write_width_report",
]
