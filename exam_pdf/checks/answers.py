"""Answer checks: filled in, template markers removed, words and images within limits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from exam_pdf import rules
from exam_pdf.checks import answered, check, finding
from exam_pdf.findings import Finding
from exam_pdf.model import PLACEHOLDER, Limit, Report
from exam_pdf.rules import Severity


def written_images(text: str) -> int:
    """How many ``![..](..)`` are written in ``text``, wherever they are (code, comments).

    Counts the matches of ``!\\[[^\\]]*\\]\\([^)]*\\)`` in one pass. The regular expression
    itself scans from every ``![`` to the next ``]``, which is quadratic when there is none.
    """
    found = start = 0
    close = paren = -1  # the next ']' and ')' found so far
    while (bang := text.find("![", start)) >= 0:
        if close < bang + 2:
            close = text.find("]", bang + 2)
            if close < 0:
                break
        if not text.startswith("(", close + 1):
            start = bang + 1
            continue
        if paren < close + 2:
            paren = text.find(")", close + 2)
            if paren < 0:
                break
        found += 1
        start = paren + 1
    return found


@check
def unanswered(report: Report) -> Iterator[Finding]:
    for question in report.answered_questions:
        if not question.unanswered:
            if question.placeholder_left:
                match = PLACEHOLDER.search(question.answer_text)
                line = question.line_at(match.start() + 1) if match else None
                yield finding(
                    rules.TEMPLATE_MARKER_LEFT,
                    "the '--- question N fill here ---' placeholder is still there beside the answer; remove it",
                    question,
                    line,
                )
            continue
        if question.template_text_left:
            yield finding(
                rules.UNANSWERED, "the blank template's own text is still here: replace it with your answer", question
            )
            continue
        allows_empty = question.constraints.words is not None and question.constraints.words.min == 0
        if allows_empty and not question.placeholder_left:
            yield finding(
                rules.UNANSWERED,
                "no answer; this question allows 0 words, but a short answer (or 'Not applicable') is clearer",
                question,
                severity=Severity.WARNING,
            )
            continue
        yield finding(
            rules.UNANSWERED,
            "not answered yet: replace the '--- question N fill here ---' placeholder with your answer"
            if question.placeholder_left
            else "not answered: write your answer below 'Answer:'",
            question,
        )


@check
def template_markers(report: Report) -> Iterator[Finding]:
    """``--- We used X ---``: the template's dashes left on the answer's own lines.

    A ``---`` alone on its line is a Markdown separator (a thematic break), not a marker.
    """
    for question in answered(report):
        wrapped = [i for i, line in _prose_lines(question.answer_text) if _MARKER.search(line) and "|" not in line]
        if wrapped:
            yield finding(
                rules.TEMPLATE_MARKER_LEFT,
                "the answer is still wrapped in the template's '---' markers; delete them "
                "(the course's checker counts them as words)",
                question,
                question.answer_text_line + wrapped[0],
            )


_MARKER = re.compile(r"^-{3,}[ \t]*[^\s-]|[^\s-][ \t]*-{3,}$")


def _prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """Non-blank lines outside fenced code, with their index, quote marks stripped."""
    fence = ""
    for index, raw in enumerate(PLACEHOLDER.sub("", text).split("\n")):
        line = raw.strip(" \t>")
        opening = re.match(r"^(`{3,}|~{3,})", line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        if line:
            yield index, line


def _range_message(what: str, count: int, limit: Limit, recommended: bool) -> str:
    kind = "recommended " if recommended else ""
    return f"{count} {what}, the {kind}range is {limit}"


@check
def lengths(report: Report) -> Iterator[Finding]:
    for question in answered(report):
        limits = question.constraints
        severity = Severity.WARNING if limits.recommended else None
        words = question.words
        if limits.words and words < limits.words.min:
            yield finding(
                rules.TOO_FEW_WORDS,
                _range_message("words", words, limits.words, limits.recommended)
                + f": add at least {limits.words.min - words}",
                question,
                severity=severity,
            )
        elif limits.words and words > limits.words.max:
            yield finding(
                rules.TOO_MANY_WORDS,
                _range_message("words", words, limits.words, limits.recommended)
                + f": cut at least {words - limits.words.max}",
                question,
                severity=severity,
            )
        count = len(question.embedded_images)
        if limits.images and count < limits.images.min:
            hint = ""
            if any(image.kind != "markdown" for image in question.images):
                hint = " (links and <img> tags are not counted; use ![alt](figures/file.png))"
            elif written_images(question.answer_text) > count:
                hint = (
                    " (an image written inside code or an HTML comment is not shown, so it is not counted;"
                    " the course's checker counts it)"
                )
            yield finding(
                rules.TOO_FEW_IMAGES,
                _range_message("images", count, limits.images, limits.recommended) + hint,
                question,
                severity=severity,
            )
        elif limits.images and count > limits.images.max:
            yield finding(
                rules.TOO_MANY_IMAGES,
                _range_message("images", count, limits.images, limits.recommended)
                + f": remove {count - limits.images.max}",
                question,
                severity=severity,
            )


@check
def limit_differs(report: Report) -> Iterator[Finding]:
    if report.edition is None or report.edition.questions is None:
        return
    for question in report.answered_questions:
        stated, applied = question.prompt_constraints, question.constraints
        for what, said, used in (("words", stated.words, applied.words), ("images", stated.images, applied.images)):
            if said is not None and said != used:
                enforced = f"enforces {used}" if used else "does not check this"
                yield finding(
                    rules.LIMIT_DIFFERS,
                    f"the prompt says {said} {what}; the {report.edition.name} course checker {enforced}, "
                    "which is used",
                    question,
                    question.line,
                )
