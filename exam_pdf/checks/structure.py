"""Structure checks: every question of the edition, once, in order, with ``Answer:``."""

from __future__ import annotations

from collections.abc import Iterator

from exam_pdf import rules
from exam_pdf.checks import check, finding
from exam_pdf.findings import Finding
from exam_pdf.model import Report


@check
def duplicates(report: Report) -> Iterator[Finding]:
    for question in report.questions:
        if question.duplicate_of is not None:
            yield finding(
                rules.DUPLICATE_QUESTION,
                f"'{question.title}' appears again (first at line {question.duplicate_of}); "
                "the first copy is checked, remove the other",
                question.number,
                question.line,
            )


#: Largest question number up to which a report without a known edition is checked for gaps.
MAX_CUSTOM_QUESTIONS = 100


@check
def count(report: Report) -> Iterator[Finding]:
    numbers = {question.number for question in report.questions}
    expected = report.edition.questions if report.edition else None
    # Without an edition the report's own numbering decides, within reason: a heading such as
    # "Question 99999999999" must not make a finding (or a set) per number below it.
    top = expected or max((n for n in numbers if n <= MAX_CUSTOM_QUESTIONS), default=0)
    for number in sorted(set(range(1, top + 1)) - numbers):
        yield finding(rules.MISSING_QUESTION, f"Question {number} is missing: add its section back", number)
    extra = sorted(n for n in numbers if expected is not None and not 1 <= n <= expected)
    if extra:
        assert report.edition is not None
        yield finding(
            rules.UNEXPECTED_QUESTION_COUNT,
            f"the {report.edition.name} edition has {expected} questions, but the report also has "
            + ", ".join(f"Question {n}" for n in extra),
            line=report.question(extra[0]).line if report.question(extra[0]) else None,  # type: ignore[union-attr]
        )


@check
def order(report: Report) -> Iterator[Finding]:
    previous = 0
    for question in report.answered_questions:
        if question.number < previous:
            yield finding(
                rules.QUESTION_ORDER,
                f"Question {question.number} comes after Question {previous}; the course's checker "
                "reads answers by position, so keep the template's order",
                question,
                question.line,
            )
        previous = max(previous, question.number)


@check
def answer_marker(report: Report) -> Iterator[Finding]:
    for question in report.answered_questions:
        if question.answer_marker_line is None:
            yield finding(
                rules.ANSWER_MARKER_MISSING,
                "no 'Answer:' line: put it back at the end of the prompt, before your answer",
                question,
                question.line,
            )


@check
def cut(report: Report) -> Iterator[Finding]:
    """What the parser did not read because the report is beyond a cap (:mod:`exam_pdf.caps`)."""
    for where in report.cuts:
        yield finding(rules.REPORT_TOO_LARGE, where.message, line=where.line or None)
