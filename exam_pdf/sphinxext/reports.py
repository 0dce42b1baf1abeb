"""Which pages of a Sphinx project are reports.

A page is a report when it is a Markdown page and
- ``exam_pdf_reports`` (a list of globs over document names, such as ``"reports/**"``)
  is set and its name matches one of them; or
- ``exam_pdf_reports`` is empty (the default) and the page has a heading
  ``Question N`` (any level: ``### Question 3``, ``## Question 3 (M5)``).

Only report pages are parsed with exam-pdf's safe parser and checked; every other
page keeps the project's parser (MyST) and is left as it is.
"""

from __future__ import annotations

from typing import Any

from sphinx.util.matching import patmatch

from exam_pdf.extract import QUESTION_TITLE

#: Set on a document that exam-pdf's safe parser read as a report.
REPORT_FLAG = "exam_pdf_report"
#: Set on every document exam-pdf's safe parser read (a report or not).
SAFE_FLAG = "exam_pdf_safe"


def matches(patterns: list[str], docname: str) -> bool:
    return any(patmatch(docname, pattern) for pattern in patterns)


def chosen(config: Any, docname: str) -> bool | None:
    """True/False when ``exam_pdf_reports`` decides; None when detection decides."""
    patterns = list(config.exam_pdf_reports or ())
    return matches(patterns, docname) if patterns else None


def has_question_heading(tokens: list[Any]) -> bool:
    """Whether markdown-it ``tokens`` hold a heading ``Question N`` (as :func:`exam_pdf.extract.build_report` finds)."""
    for index, token in enumerate(tokens[:-1]):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            text = "".join(child.content for child in inline.children or () if child.type in ("text", "code_inline"))
            if QUESTION_TITLE.match(text):
                return True
    return False
