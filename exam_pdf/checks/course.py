"""Warn where the course's own checker reads the report otherwise than exam-pdf.

Students are graded with the course's ``report.py check``; where it would stop with
an error, or reach another verdict on a question's limits than exam-pdf, a warning
puts its number beside exam-pdf's and says why (see :mod:`exam_pdf.course`).
"""

from __future__ import annotations

from collections.abc import Iterator

from exam_pdf import course, rules
from exam_pdf.checks import check, finding
from exam_pdf.findings import Finding
from exam_pdf.formats import count
from exam_pdf.model import Limit, Question, Report


@check
def course_checker(report: Report) -> Iterator[Finding]:
    expected = report.edition.questions if report.edition else None
    if expected is None or not report.questions:
        return  # no edition, no course checker to compare with
    text = report.source.text
    found = course.pieces(text)
    if len(found) != expected:
        yield _stops(text, found, expected)
        return
    for position, piece in enumerate(found, start=1):
        question = report.question(position)
        if question is None:
            continue  # reported by the structure checks (missing-question)
        yield from _compare(question, piece, text)


def _stops(text: str, found: list[course.Piece], expected: int) -> Finding:
    why, line = "", None
    heading = text.find("###", found[-1].start) if found else -1
    if len(found) == expected + 1 and heading >= 0:
        line = course.line_of(text, heading)
        why = (
            f"; the '###' heading on line {line} after the last answer makes it count that answer "
            "twice; make that heading '##' or remove it"
        )
    elif len(found) < expected:
        why = "; an 'Answer:' is missing or reworded (it splits the text at 'Answer:')"
    return finding(
        rules.COURSE_CHECKER_STOPS,
        f"the course's checker would stop with 'Number of answers are different from the expected {expected}': "
        f"it finds {count(len(found), 'answer')}{why}",
        None,
        line,
    )


def _compare(question: Question, piece: course.Piece, text: str) -> Iterator[Finding]:
    limits = question.constraints
    ours_words = 0 if question.unanswered else question.words
    ours_images = len(question.embedded_images)
    checks = (
        ("word", limits.words, ours_words, piece.words),
        ("image", limits.images, ours_images, piece.images),
    )
    for noun, limit, ours, theirs in checks:
        if limit is None or ours == theirs:
            continue
        exam_pdf_passes = _within(limit, ours) and not question.unanswered
        course_passes = _within(limit, theirs)
        if exam_pdf_passes == course_passes:
            continue
        verdict = "passes it" if course_passes else "fails it"
        yield finding(
            rules.COURSE_CHECKER_COUNTS,
            f"the course's checker counts {count(theirs, noun)} here and {verdict} (exam-pdf: {ours}; "
            f"limit {limit}) because {_reason(question, piece, text, noun)}",
            question,
        )


def _within(limit: Limit, value: int) -> bool:
    return limit.min <= value <= limit.max


def _reason(question: Question, piece: course.Piece, text: str, noun: str) -> str:
    if question.unanswered and question.placeholder_left:
        return "it counts the '--- question N fill here ---' placeholder as words"
    if piece.cut_by is not None and piece.end < _answer_end_offset(question, text):
        return (
            f"it ends the answer at the '{piece.cut_by}' on line {course.line_of(text, piece.end)}; "
            "avoid '#' runs inside an answer (write the sub-heading in bold)"
        )
    if piece.cut_by is None:
        return "it reads on to the end of the file after the last answer"
    if noun == "image":
        return "it counts image syntax inside code and comments, which is not shown"
    return "it splits the text at every 'Answer:', also one inside an answer"


def _answer_end_offset(question: Question, text: str) -> int:
    """The character offset just past exam-pdf's last line of the answer."""
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: question.answer_end])
