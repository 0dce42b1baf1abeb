"""The batch's own fallback, made by the parent process when a worker left no PDF.

A worker that is killed (its deadline passed, the kernel's out-of-memory killer, a
signal), that crashes, that cannot even be started, or whose build stopped on its
timeout or on an internal error, leaves no PDF. The group must not be missing from
the archive, so the parent makes one itself: the fallback PDF of
:mod:`exam_pdf.builders.fallback` (the cover, the reason, the README's text as plain
lines, at most :data:`PDF_LINES`), sealed with the README embedded, and a plain HTML
page of the whole README. A collected report's group (the roster's) and commit are on
the cover and in the metadata, as on every PDF of a collected report.

The parent does not parse or check the report (whatever stopped the worker may be
in the parser): the README is read within the size cap and set as it is written,
nothing is run but the fallback's own short TeX run (with its timeout; fpdf2 when it
fails). The cover says "not checked" and the manifest entry has ``status: fallback``.
Figures are not embedded (which ones the README uses is only known by parsing it).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from exam_pdf.batch.worker import Task, base_record, describe_pdf, timed_out

#: What the cover and the metadata say instead of a check result.
NOT_CHECKED = "not checked: the build process stopped before the check was recorded"
#: Lines of the README set in the batch's fallback PDF (about 300 pages; the whole README is
#: embedded): the batch waits while it is made, and 2 MB of text took 80 s.
PDF_LINES = 20_000
#: The start of the reason of a worker's record that the parent replaces with a fallback.
INTERNAL = "internal error:"


def needs_rescue(task: Task, record: dict[str, Any] | None, failure: str | None) -> bool:
    """Whether the parent must make the PDF: the worker left none (killed, crashed, no
    record, stopped on its timeout, an internal error)."""
    if failure is not None or record is None or record.get("cache_key") != task.key:
        return True
    text = str(record.get("reason") or "")
    return record.get("status") == "failed" and (text == timed_out(task) or INTERNAL in text)


def rescue(task: Task, why: str, fallback_timeout: float) -> dict[str, Any] | None:
    """Write ``report.pdf`` and ``report.html`` into ``task.staging`` and return the record
    (``status: fallback``); None when even that is impossible (the README is unreadable)."""
    from exam_pdf.archive import SourceFile, finish
    from exam_pdf.builders.fallback import Cover, make
    from exam_pdf.dates import source_date
    from exam_pdf.errors import BuildError, ReportError
    from exam_pdf.provenance import Submission
    from exam_pdf.source import read_source

    try:
        source = read_source(task.readme)
        submission = Submission.from_config(task.submission)
        collected = submission if submission is not None and submission.commit else None
        date, _ = source_date(source.path, collected.commit_date if collected else "")
    except (ReportError, BuildError, OSError, ValueError):
        return None
    text = source.raw.decode("utf-8", "replace")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "") or "Exam report"
    reason = f"{why}; exam-pdf made this PDF without checking or typesetting the report"
    cover = Cover(
        title=title,
        course="02476 Machine Learning Operations, DTU",
        group=submission.group if submission else "?",
        students="(not read)",
        edition="unknown",
        date=date.strftime("%Y-%m-%d"),
        check=NOT_CHECKED,
        reason=reason,
        source=collected.source_line() if collected else "",
    )
    task.staging.mkdir(parents=True, exist_ok=True)
    pdf = make(cover, [], shortened(text), task.work / "rescue", fallback_timeout, int(date.timestamp()))
    meta = _metadata(title, submission.group if submission else "?", date, reason, collected)
    final = finish(pdf, meta, [SourceFile(source.path.name, source.raw)])
    _write(task.staging / "report.pdf", final)
    _write(task.staging / "report.html", page(title, reason, text).encode("utf-8"))
    record = base_record(task)
    record["status"] = "fallback"
    record["reason"] = reason
    describe_pdf(record, task.staging)
    return record


def shortened(text: str, limit: int | None = None) -> str:
    """The first :data:`PDF_LINES` lines of ``text``, and how many more the embedded README has."""
    limit = PDF_LINES if limit is None else limit
    lines = text.split("\n")
    if len(lines) <= limit:
        return text
    rest = len(lines) - limit
    return "\n".join([*lines[:limit], "", f"[... {rest} more lines: the whole README is embedded in this PDF]"])


def _metadata(title: str, group: str, date: dt.datetime, reason: str, collected: Any) -> Any:
    """The archive metadata; ``group``: the roster's, or "?"; ``collected``: the commit a
    collected report was taken from, or None."""
    from exam_pdf.archive import COURSE, Metadata

    return Metadata(
        title=f"{title} (group {group})",
        author="",
        subject=f"{COURSE}, exam report, template edition unknown",
        keywords=f"02476, MLOps, exam report, group {group}, edition unknown"
        + (f", commit {collected.commit}" if collected else "")
        + ", fallback",
        date=date,
        group=group,
        edition="unknown",
        check=NOT_CHECKED,
        fallback=reason,
        repository=collected.repo_url if collected else "",
        branch=collected.branch if collected else "",
        commit=collected.commit if collected else "",
        commit_date=collected.commit_date if collected else "",
        source=collected.source_line() if collected else "",
    )


def page(title: str, reason: str, text: str) -> str:
    """A self-contained HTML page: the reason, then the README as written (escaped, each
    control character written as its code point, as in the PDF)."""
    from exam_pdf.builders.fallback import printable

    title, reason, text = printable(title), printable(reason), printable(text)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        # As on every page exam-pdf writes: no script, nothing loaded from elsewhere.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(title)} (fallback)</title>\n"
        "<style>body{font-family:sans-serif;margin:2em;max-width:60em}"
        ".exam-fallback{border:2px solid #b00;padding:.5em 1em}"
        "pre{white-space:pre-wrap;overflow-wrap:anywhere}</style>\n</head>\n<body>\n"
        '<p class="exam-fallback"><strong>Fallback page.</strong> '
        f"{html.escape(reason)}. The report's README follows as it is written.</p>\n"
        f"<pre>{html.escape(text)}</pre>\n</body>\n</html>\n"
    )


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.write_bytes(data)
    tmp.replace(path)
