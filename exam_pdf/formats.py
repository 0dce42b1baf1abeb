"""Print a check result: text for people, JSON for programs, GitHub annotations for CI."""

from __future__ import annotations

import json
import os
from pathlib import Path

from exam_pdf.findings import Finding
from exam_pdf.model import Question
from exam_pdf.pipeline import CheckResult

#: Bump only with a documented, backwards-compatible change of the JSON output.
JSON_SCHEMA_VERSION = 1

_STATUS_MARK = {"pass": "ok", "warn": "warn", "fail": "FAIL"}


def display_path(path: Path) -> str:
    """The report's path as the user would type it: relative to the current folder when inside it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def count(number: int, noun: str) -> str:
    """``1 word``, ``2 words``: a number with its noun."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def limit_text(question: Question) -> str:
    limits = question.constraints
    parts = []
    if limits.words:
        parts.append(f"{limits.words} words")
    if limits.images:
        parts.append(f"{limits.images} img")
    text = " + ".join(parts) or "-"
    return f"{text} (rec.)" if limits.recommended and parts else text


def finding_line(result: CheckResult, finding: Finding, path: str | None = None) -> str:
    """One finding as ``file:line: severity rule Question N: message`` (``path``: the file as shown)."""
    where = f"{path or display_path(result.report.path)}:{finding.line or 1}"
    about = f" Question {finding.question}:" if finding.question is not None else ""
    return f"{where}: {finding.severity.value} {finding.rule.id}{about} {finding.message}"


def summary_line(result: CheckResult) -> str:
    total = len(result.report.answered_questions)
    return (
        f"{result.passed}/{total} questions pass; {result.errors} error(s), {result.warnings} warning(s) "
        f"[edition {result.report.edition.name if result.report.edition else '?'}]"
    )


def as_text(result: CheckResult, table: bool = True) -> str:
    path = display_path(result.report.path)  # once, not per finding
    lines = [finding_line(result, f, path) for f in result.findings]
    if table:
        if lines:
            lines.append("")
        questions = result.report.answered_questions
        width = max([len("limit"), *(len(limit_text(q)) for q in questions)])
        lines.append(f"{'Q':>3}  {'words':>5}  {'images':>6}  {'limit':<{width}}  status")
        for question in questions:
            lines.append(
                f"{question.number:>3}  {question.words:>5}  {len(question.embedded_images):>6}  "
                f"{limit_text(question):<{width}}  {_STATUS_MARK[result.status_of(question)]}"
            )
        lines.append("")
        edition = result.report.edition
        if edition:
            lines.append(f"edition: {edition.name} ({edition.detected_by})")
    lines.append(summary_line(result))
    return "\n".join(lines)


def as_json_data(result: CheckResult) -> dict[str, object]:
    report = result.report
    edition = report.edition
    return {
        "schema": JSON_SCHEMA_VERSION,
        "source": str(report.path),
        "edition": {
            "name": edition.name if edition else None,
            "questions": edition.questions if edition else None,
            "detected_by": edition.detected_by if edition else None,
        },
        "questions": [
            {
                "number": q.number,
                "line": q.line,
                "words": q.words,
                "images": len(q.embedded_images),
                "constraints": q.constraints.to_json(),
                "status": result.status_of(q),
            }
            for q in report.answered_questions
        ],
        "findings": [f.to_json() for f in result.findings],
        "summary": {
            "questions": len(report.answered_questions),
            "passed": result.passed,
            "errors": result.errors,
            "warnings": result.warnings,
        },
    }


def as_json(result: CheckResult) -> str:
    return json.dumps(as_json_data(result), indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(result: CheckResult) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    command = {"error": "error", "warning": "warning", "info": "notice"}
    path = display_path(result.report.path)
    lines = []
    for f in result.findings:
        about = f"Question {f.question}: " if f.question is not None else ""
        properties = f"file={_escape_property(path)},line={f.line or 1},title={_escape_property(f.rule.id)}"
        lines.append(f"::{command[f.severity.value]} {properties}::{_escape_data(about + f.message)}")
    lines.append(summary_line(result))
    return "\n".join(lines)


FORMATTERS = {"text": as_text, "json": as_json, "github": as_github}
