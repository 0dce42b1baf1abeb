"""The checks: functions that read the report model and yield findings.

Each check module registers its functions with :func:`check`; :func:`run_checks`
runs them all. The ``check`` command, the status notes and the batch manifest
all take their findings from here: one engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from exam_pdf.findings import Finding
from exam_pdf.model import Question, Report
from exam_pdf.rules import Rule, Severity

Check = Callable[[Report], Iterable[Finding]]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    """Register a check."""
    CHECKS.append(function)
    return function


def finding(
    rule: Rule,
    message: str,
    question: Question | int | None = None,
    line: int | None = None,
    severity: Severity | None = None,
) -> Finding:
    """Make a finding; the line defaults to the question's answer (or heading)."""
    number = question.number if isinstance(question, Question) else question
    if line is None and isinstance(question, Question):
        line = question.answer_start or question.line
    return Finding(rule, severity or rule.severity, number, line, message)


def run_checks(report: Report) -> list[Finding]:
    """All findings for a report, in source order."""
    from exam_pdf.checks import answers, course, edition, identity, images, links, roster, safety, structure  # noqa: F401

    found: list[Finding] = []
    for function in CHECKS:
        found.extend(function(report))
    return sorted(found, key=lambda f: f.sort_key)


def answered(report: Report) -> Iterator[Question]:
    """Questions whose answer the follow-on checks should look at."""
    for question in report.answered_questions:
        if not question.unanswered:
            yield question
