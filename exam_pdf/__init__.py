"""exam-pdf: check, render and archive the exam report of DTU 02476 MLOps."""

__version__ = "0.2.0"
