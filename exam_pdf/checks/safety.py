"""Safety checks: report what exam-pdf will not run or pass on."""

from __future__ import annotations

import re
from collections.abc import Iterator

from docutils import nodes

from exam_pdf import rules
from exam_pdf.checks import check, finding
from exam_pdf.findings import Finding
from exam_pdf.model import Report
from exam_pdf.parse import NOT_EXECUTED, REPORT_HTML

_ACTIVE_HTML = re.compile(
    r"<\s*(script|iframe|object|embed|style|link|meta|base|form)\b|\son\w+\s*=|javascript\s*:", re.I
)


@check
def directives(report: Report) -> Iterator[Finding]:
    for node in report.not_executed:
        yield finding(
            rules.UNSAFE_CONTENT,
            f"```{node[NOT_EXECUTED]}``` is a MyST directive; it is not run, the block is shown as code",
            line=node.line,
        )


@check
def active_html(report: Report) -> Iterator[Finding]:
    for node in report.document.findall(nodes.raw):
        if node.get(REPORT_HTML):
            match = _ACTIVE_HTML.search(node.astext())
            if match:
                yield finding(
                    rules.UNSAFE_CONTENT,
                    f"HTML with '{match.group(0).strip()}' is removed from the HTML and PDF output",
                    line=node.line,
                )
    for node in report.document.findall(nodes.reference):
        if node.get("refuri", "").strip().lower().startswith(("javascript:", "vbscript:", "data:text/html")):
            yield finding(rules.UNSAFE_CONTENT, "a script link is removed from the output", line=node.line)
