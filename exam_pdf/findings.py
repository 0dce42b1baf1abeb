"""Findings: what the checks say about a report, and the outcome per question."""

from __future__ import annotations

import dataclasses

from exam_pdf.rules import Rule, Severity


@dataclasses.dataclass(frozen=True)
class Finding:
    rule: Rule
    severity: Severity
    question: int | None
    line: int | None
    message: str

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule.id,
            "severity": self.severity.value,
            "question": self.question,
            "line": self.line,
            "message": self.message,
        }

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.line or 0, self.question or 0, self.rule.id)


def status(findings: list[Finding]) -> str:
    """``fail`` with an error, ``warn`` with a warning, else ``pass`` (info never counts)."""
    severities = {finding.severity for finding in findings}
    if Severity.ERROR in severities:
        return "fail"
    if Severity.WARNING in severities:
        return "warn"
    return "pass"
