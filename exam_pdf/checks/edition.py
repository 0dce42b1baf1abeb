"""Say when the edition, and so every limit, is a guess."""

from __future__ import annotations

from collections.abc import Iterator

from exam_pdf import rules
from exam_pdf.checks import check, finding
from exam_pdf.findings import Finding
from exam_pdf.model import Report


@check
def edition_guessed(report: Report) -> Iterator[Finding]:
    if report.edition is not None and report.edition.guessed:
        yield finding(rules.EDITION_GUESSED, f"edition {report.edition.name} is {report.edition.detected_by}", line=1)
