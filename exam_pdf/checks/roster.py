"""The roster against the report: the group number (question 1) and study numbers (question 2).

Only when the roster's row for the group is known (:attr:`exam_pdf.model.Report.submission`:
a collected tree's ``submission.json``, or ``check --roster``). The report's own
numbers are read as the identity checks read them (:mod:`exam_pdf.checks.identity`):
a malformed one is that check's finding, not this one's.
"""

from __future__ import annotations

from collections.abc import Iterator

from exam_pdf import rules
from exam_pdf.checks import check, finding
from exam_pdf.findings import Finding
from exam_pdf.model import Report


@check
def roster_identity(report: Report) -> Iterator[Finding]:
    submission = report.submission
    if submission is None:
        return
    first, second = report.question(1), report.question(2)
    stated = report.group
    if stated is not None and int(stated) != int(submission.group):
        yield finding(
            rules.ROSTER_GROUP,
            f"the report says group {stated}; the roster has this repository as group {submission.group}",
            first,
        )
    listed = submission.study_numbers
    if not listed:
        return
    named = [number.lower() for number in report.student_ids]
    for number in dict.fromkeys(named):
        if number not in listed:
            offset = second.answer_text.lower().find(number) if second is not None else -1
            line = second.line_at(offset) if second is not None and offset >= 0 else None
            yield finding(
                rules.ROSTER_STUDENT_UNKNOWN,
                f"{number} is not on the roster for group {submission.group} ({', '.join(listed)})",
                second or 2,
                line,
            )
    for number in listed:
        if number not in named:
            yield finding(
                rules.ROSTER_STUDENT_MISSING,
                f"{number} is on the roster for group {submission.group} but not named here",
                second or 2,
            )
