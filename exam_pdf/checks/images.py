"""Image checks: every image an answer shows is a PNG/JPEG inside the report's folder."""

from __future__ import annotations

from collections.abc import Iterator

from exam_pdf import rules
from exam_pdf.checks import answered, check, finding
from exam_pdf.findings import Finding
from exam_pdf.images import ImageFile, look_at
from exam_pdf.model import Report


@check
def images(report: Report) -> Iterator[Finding]:
    seen: dict[str, ImageFile] = {}  # a figure referenced 8,000 times is looked at once
    for question in answered(report):
        for image in question.images:
            if image.kind == "link":
                yield finding(
                    rules.IMAGE_NOT_EMBEDDED,
                    f"'{image.uri}' is linked, not shown: write ![alt]({image.uri})",
                    question,
                    image.line,
                )
            elif image.kind == "html":
                yield finding(
                    rules.IMAGE_HTML,
                    f'<img src="{image.uri}"> is not counted by the course\'s checker: write ![alt]({image.uri})',
                    question,
                    image.line,
                )
            if image.uri not in seen:
                seen[image.uri] = look_at(image.uri, report.source.folder)
            result = seen[image.uri]
            if result.problem:
                rule = rules.RULES[result.problem]
                yield finding(rule, f"'{image.uri}': {result.detail}", question, image.line)
