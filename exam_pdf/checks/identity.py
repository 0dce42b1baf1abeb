"""Identity checks: the group number (question 1), study numbers (question 2) and the title.

Only the ASCII digits 0-9 count in a group or study number (Python's ``\\d`` also
matches other scripts' digits, so the patterns say ``[0-9]``), and none of these
may hold a character that does not show as itself (:mod:`exam_pdf.hidden`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from exam_pdf import rules
from exam_pdf.checks import answered, check, finding
from exam_pdf.findings import Finding
from exam_pdf.hidden import describe, hidden_characters
from exam_pdf.model import Report

STUDY_NUMBER = re.compile(r"^[sS][0-9]{6}$")
#: Anything meant as a study number, well-formed or not: ``\d`` on purpose, so that
#: ``s٢٤٥٦٧٨`` is reported instead of passing unseen.
_CANDIDATE = re.compile(r"(?<![\w/.-])(?:[sS][\dXx]{2,9}|\d{5,8})(?![\w/-])")


def study_number_candidates(text: str) -> list[str]:
    """Everything in ``text`` that is meant as a study number, well-formed or not."""
    return _CANDIDATE.findall(text)


def _foreign_digits(text: str) -> list[str]:
    """The digits in ``text`` that are not 0-9 (Arabic-Indic, Devanagari, full-width ...)."""
    return [c for c in text if unicodedata.category(c) == "Nd" and not "0" <= c <= "9"]


@check
def group_number(report: Report) -> Iterator[Finding]:
    for question in answered(report):
        if question.number != 1 or re.search(r"[0-9]", question.answer_text):
            continue
        foreign = _foreign_digits(question.answer_text)
        if foreign:
            yield finding(
                rules.GROUP_NUMBER,
                f"the group number is written with {describe(foreign[0])}: write it with the digits 0-9",
                question,
            )
        else:
            yield finding(rules.GROUP_NUMBER, "give your group number, e.g. 42", question)


@check
def student_ids(report: Report) -> Iterator[Finding]:
    for question in answered(report):
        if question.number != 2:
            continue
        # Each malformed number is placed where it was matched: one pass over the answer
        # (searching the answer again from its start for each was quadratic in their number).
        matches = list(_CANDIDATE.finditer(question.answer_text))
        for match in (m for m in matches if not STUDY_NUMBER.match(m.group())):
            wrong, offset = match.group(), match.start()
            foreign = _foreign_digits(wrong)
            why = (
                f"only the digits 0-9 count, not {describe(foreign[0])}"
                if foreign
                else "write s followed by six digits"
            )
            yield finding(
                rules.STUDENT_ID,
                f"'{wrong}' is not a study number: {why}",
                question,
                question.line_at(offset),
            )
        if not matches:
            yield finding(rules.STUDENT_ID, "no study number found: list each member as s123456", question)


@check
def hidden_in_identity(report: Report) -> Iterator[Finding]:
    """Control, bidi and zero-width characters in question 1, question 2 and the title."""
    for question in answered(report):
        if question.number not in (1, 2):
            continue
        what = "the group number contains" if question.number == 1 else "the study numbers contain"
        for offset, char in _first_of_each(question.answer_text):
            yield finding(
                rules.HIDDEN_CHARACTER,
                f"{what} {describe(char)}, which does not show as itself: delete it",
                question,
                question.line_at(offset),
            )
    for _, char in _first_of_each(report.title):
        line = next((n for n, text in enumerate(report.source.lines, 1) if char in text), None)
        yield finding(
            rules.HIDDEN_CHARACTER,
            f"the report's title contains {describe(char)}, which does not show as itself: delete it",
            None,
            line,
        )


def _first_of_each(text: str) -> list[tuple[int, str]]:
    """The first occurrence of each distinct hidden character: one finding per character, not per use."""
    seen: dict[str, int] = {}
    for offset, char in hidden_characters(text):
        seen.setdefault(char, offset)
    return [(offset, char) for char, offset in seen.items()]
