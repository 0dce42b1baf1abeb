"""What a batch leaves in its output folder: group folders, manifest, summary, overview.

Nothing else: the batch's state lives elsewhere (see :mod:`exam_pdf.batch`).
Every file is written atomically (a temporary file or folder, then a rename), so
an interrupted batch never leaves a half-written PDF, manifest or page behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from exam_pdf import __version__
from exam_pdf.batch.worker import outputs_match
from exam_pdf.provenance import Submission

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"
INDEX = "index.html"
MANIFEST_SCHEMA = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_RESERVED = {MANIFEST, SUMMARY, INDEX}
#: A report's status: built without errors, built with rule errors, built as a fallback
#: PDF (LaTeX failed: plain text, see the reason), not built.
STATUSES = ("ok", "findings", "fallback", "failed")


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _safe(name: str) -> str:
    cleaned = _UNSAFE.sub("-", name).strip("-.")[:80]
    return cleaned or "group"


def assign_dirs(entries: list[dict[str, Any]]) -> list[str]:
    """Give each report a folder name from its group, resolving clashes; return messages.

    Entries are taken in source order, so the result does not depend on which
    machine or shard built what: the first report claiming a group keeps the
    plain name, later ones get the group folder's name appended.
    """
    messages = []
    claimed: dict[str, dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: e["source"]):
        group = entry.get("group") or entry["folder"]
        name = _safe(str(group))
        if name in _RESERVED:
            name = f"group-{name}"
        entry["clash_with"] = []
        if name in claimed:
            first = claimed[name]
            first["clash_with"].append(entry["source"])
            entry["clash_with"].append(first["source"])
            name = _unique(f"{name}-{_safe(entry['folder'])}", claimed)
            messages.append(
                f"group {group}: claimed by {first['source']} and {entry['source']}; the second goes to {name}/"
            )
        claimed[name] = entry
        entry["dir"] = name
        entry["pdf"] = f"{name}/report.pdf" if entry.get("pdf_sha256") else None
        entry["html"] = f"{name}/report.html" if entry.get("html_sha256") else None
    return messages


def _unique(name: str, taken: dict[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def place(out: Path, entry: dict[str, Any], staging: Path) -> None:
    """Put a report's staged outputs in ``out/<dir>/`` (replacing older ones atomically)."""
    target = out / entry["dir"]
    if entry.get("status") == "failed" or not (staging / "report.pdf").is_file():
        return
    if outputs_match(target, entry):
        return
    # Hidden names beside the target (the same file system, so the renames are atomic);
    # a group folder's name never starts with a dot (see _safe).
    tmp, old = out / f".{entry['dir']}.placing", out / f".{entry['dir']}.replaced"
    for leftover in (tmp, old):  # from an interrupted run
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.copytree(staging, tmp, ignore=shutil.ignore_patterns("record.json", "build.log", ".*"))
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def clear_leftovers(out: Path) -> None:
    """Remove what a run killed half-way through :func:`place` left in ``out``."""
    for pattern in (".*.placing", ".*.replaced"):
        for leftover in out.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)


#: What a collected group's entry says of its commit (None outside a collected tree).
SUBMISSION_FIELDS = ("repo_url", "branch", "commit", "commit_date", "late_commits")


def with_submission(entry: dict[str, Any], submission: Submission | None) -> dict[str, Any]:
    """``entry`` with the commit it was built from; in a collected tree the group is the roster's
    (the report's own number, if another, is a ``roster-group`` finding)."""
    for field in SUBMISSION_FIELDS:
        entry[field] = None
    if submission is None:
        return entry
    entry["group"], entry["group_from"] = submission.group, "roster"
    for field in SUBMISSION_FIELDS:
        entry[field] = getattr(submission, field) or None
    return entry


def totals(entries: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> dict[str, int]:
    count = {status: sum(e["status"] == status for e in entries) for status in STATUSES}
    return {"reports": len(entries), **count, "skipped": len(skipped)}


def manifest(entries: list[dict[str, Any]], skipped: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    fields = (
        "group dir group_from members edition source folder bundle_sha256 pdf pdf_sha256 html html_sha256 pages "
        "status reason questions passed errors warnings failing_questions findings_by_rule clash_with "
        "build_seconds exam_pdf_version cache_key"
    ).split()
    fields[fields.index("source") : fields.index("source")] = SUBMISSION_FIELDS
    reports = [{field: entry.get(field) for field in fields} for entry in sorted(entries, key=lambda e: e["source"])]
    return {
        "schema": MANIFEST_SCHEMA,
        "tool": f"exam-pdf {__version__}",
        "options": options,
        "totals": totals(entries, skipped),
        "reports": reports,
        "skipped": sorted(skipped, key=lambda s: s["folder"]),
    }


def summary_csv(data: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        "group status edition members questions passed errors warnings failing_questions pages pdf html "
        "pdf_sha256 source reason repo_url branch commit commit_date late_commits".split()
    )
    for e in data["reports"]:
        writer.writerow(
            [
                e["group"] or "",
                e["status"],
                e["edition"] or "",
                " ".join(e["members"]),
                e["questions"],
                e["passed"],
                e["errors"],
                e["warnings"],
                " ".join(str(q) for q in e["failing_questions"]),
                e["pages"] if e["pages"] is not None else "",
                e["pdf"] or "",
                e["html"] or "",
                e["pdf_sha256"] or "",
                e["source"],
                e["reason"] or "",
                e.get("repo_url") or "",
                e.get("branch") or "",
                e.get("commit") or "",
                e.get("commit_date") or "",
                _late(e.get("late_commits")),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _late(late: Any) -> str:
    """``2 (last 2026-01-26T10:00:00+01:00 abc123def456)``: the commits after the deadline, in one cell."""
    if not isinstance(late, dict) or not late.get("count"):
        return ""
    return f"{late['count']} (last {late.get('last_date', '')} {str(late.get('last_sha', ''))[:12]})"


def index_html(data: dict[str, Any], similarity: str = "") -> bytes:
    """The overview page: a table of groups, sortable by a small inline script.

    ``similarity``: the section on answers shared between groups, as HTML already escaped
    (:mod:`exam_pdf.grading.report`), which ``exam-pdf similarity`` adds to the page."""
    import base64

    import jinja2

    from exam_pdf.builders import PACKAGE

    script = (PACKAGE / "theme" / "batch-sort.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "theme"), autoescape=True, keep_trailing_newline=True
    )
    page = environment.get_template("batch-index.html.jinja").render(
        data=data,
        css=(PACKAGE / "theme" / "batch.css").read_text("utf-8"),
        script=script,
        script_hash=f"sha256-{digest}",
        ranges=ranges,
        late=_late,
        similarity=similarity,
    )
    return page.encode("utf-8")


def ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``: failing questions, short enough for a table cell."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def write_all(out: Path, data: dict[str, Any]) -> None:
    atomic_write(out / SUMMARY, summary_csv(data))
    atomic_write(out / INDEX, index_html(data))
    atomic_write(out / MANIFEST, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
