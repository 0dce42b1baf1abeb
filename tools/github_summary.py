"""The GitHub Action's job summary: ``exam-pdf check --format json`` as Markdown.

Usage (action.yml): python tools/github_summary.py CHECK_JSON EXIT_CODE >> "$GITHUB_STEP_SUMMARY"

A reader of the JSON format (docs/json-schema.md, schema 1), not a second checker: the
counts, limits and statuses are exam-pdf's. Everything a student wrote (finding messages
quote the report) is escaped, so that it cannot add Markdown or HTML to the summary page.
When the JSON is missing or unreadable (exit code 2: not a readable report), the summary
says so in one line.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

STATUS = {"pass": "✅ pass", "warn": "⚠️ warning", "fail": "❌ error"}


#: Characters that would make Markdown of a student's text (links, images, emphasis, code, cells).
MARKDOWN = re.compile(r"([\\`*_\[\]()!|~#+<>])")


def cell(text: object) -> str:
    """Table-cell text shown as written: HTML-escaped, Markdown punctuation and line breaks neutralised."""
    return MARKDOWN.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


def limit(constraints: dict) -> str:
    parts = []
    if constraints.get("words"):
        low, high = constraints["words"]
        parts.append(f"{low}-{high} words")
    if constraints.get("images"):
        low, high = constraints["images"]
        parts.append(f"{low}-{high} images" if low != high else f"{low} image{'s' * (low != 1)}")
    text = " + ".join(parts) or "-"
    return f"{text} (recommended)" if parts and constraints.get("recommended") else text


def summary(data: dict, exit_code: int) -> str:
    counts = data["summary"]
    edition = data["edition"]
    verdict = {0: "no rule broken", 1: "the report breaks rules"}.get(exit_code, f"exit code {exit_code}")
    lines = [
        "## exam-pdf: exam report",
        "",
        f"**{counts['passed']} of {counts['questions']} questions pass**; "
        f"{counts['errors']} error(s), {counts['warnings']} warning(s): {verdict}. "
        f"Edition {cell(edition['name'])} ({cell(edition.get('detected_by') or '')}).",
        "",
        "| Question | Words | Images | Limit | Status |",
        "| ---: | ---: | ---: | --- | --- |",
    ]
    for question in data["questions"]:
        lines.append(
            f"| {question['number']} | {question['words']} | {question['images']} "
            f"| {limit(question['constraints'])} | {STATUS.get(question['status'], cell(question['status']))} |"
        )
    if data["findings"]:
        lines += ["", "| Line | Severity | Rule | Question | Finding |", "| ---: | --- | --- | ---: | --- |"]
        for finding in data["findings"]:
            question = finding.get("question")
            lines.append(
                f"| {finding.get('line') or ''} | {cell(finding['severity'])} | {cell(finding['rule'])} "
                f"| {question if question is not None else ''} | {cell(finding['message'])} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path, exit_code = Path(argv[1]), int(argv[2])
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        sys.stdout.write(
            f"## exam-pdf: exam report\n\nThe report could not be read (exit code {exit_code}): see the log.\n"
        )
        return 0
    sys.stdout.write(summary(data, exit_code))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
