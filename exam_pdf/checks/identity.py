"""Identity checks: the group number (question 1) and study numbers (question 2)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from exam_pdf import rules
from exam_pdf.checks import answered, check, finding
from exam_pdf.findings import Finding
from exam_pdf.model import Report

STUDY_NUMBER = re.compile(r"^[sS]\d{6}$")
_CANDIDATE = re.compile(r"(?<![\w/.-])(?:[sS][0-9Xx]{2,9}|\d{5,8})(?![\w/-])")


def study_number_candidates(text: str) -> list[str]:
    """Everything in ``text`` that is meant as a study number, well-formed or not."""
    return _CANDIDATE.findall(text)


@check
def group_number(report: Report) -> Iterator[Finding]:
    for question in answered(report):
        if question.number == 1 and not re.search(r"\d", question.answer_text):
            yield finding(rules.GROUP_NUMBER, "give your group number, e.g. 42", question)


@check
def student_ids(report: Report) -> Iterator[Finding]:
    for question in answered(report):
        if question.number != 2:
            continue
        candidates = study_number_candidates(question.answer_text)
        valid = [c for c in candidates if STUDY_NUMBER.match(c)]
        for wrong in (c for c in candidates if not STUDY_NUMBER.match(c)):
            offset = question.answer_text.find(wrong)
            yield finding(
                rules.STUDENT_ID,
                f"'{wrong}' is not a study number: write s followed by six digits",
                question,
                question.line_at(offset),
            )
        if not valid and not candidates:
            yield finding(rules.STUDENT_ID, "no study number found: list each member as s123456", question)
