"""Reports: Markdown and HTML pages, with plots, for studies, evaluations, comparisons, invariants and
proofs. Each is built as a ``Document`` (``reports.document``) and written beside the run's results."""

from .document import Document
from .invariants import write_invariants_report, write_specs_report
from .search import write_report

__all__ = ["Document", "write_invariants_report", "write_report", "write_specs_report"]
