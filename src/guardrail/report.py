"""Deprecated: study reports live in ``guardrail.reports`` (this path works for one more release)."""

import warnings

from .reports.search import PLOT_FILE, html_report, markdown_report, plot_accuracies, write_report

__all__ = ["PLOT_FILE", "html_report", "markdown_report", "plot_accuracies", "write_report"]

warnings.warn(
    "guardrail.report is deprecated; import from guardrail.reports instead", DeprecationWarning, stacklevel=2
)
