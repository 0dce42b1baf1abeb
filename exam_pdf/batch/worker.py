"""Build one report of a batch. Runs in its own (forked) process; the result is a record.

The record is a plain dict, written as ``record.json`` beside the staged outputs.
It holds what the manifest needs and the cache key it was built with, so a later
run knows whether the report must be built again.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import math
import os
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exam_pdf import __version__
from exam_pdf.errors import BuildError, BuildTimeout, ReportError

RECORD = "record.json"
LOG = "build.log"
OUTPUTS = ("report.pdf", "report.html")


@dataclasses.dataclass(frozen=True)
class Task:
    relpath: str
    folder: str
    readme: Path
    key: str
    staging: Path
    work: Path
    notes: bool
    edition: str
    timeout: float
    submission: dict[str, Any] | None = None
    """The commit and roster row (:meth:`exam_pdf.provenance.Submission.config`), in a collected tree."""


def base_record(task: Task) -> dict[str, Any]:
    return {
        "source": task.relpath,
        "folder": task.folder,
        "cache_key": task.key,
        "group": None,
        "group_from": "folder",
        "members": [],
        "edition": None,
        "status": "failed",
        "reason": None,
        "questions": 0,
        "passed": 0,
        "errors": 0,
        "warnings": 0,
        "failing_questions": [],
        "findings_by_rule": {},
        "bundle_sha256": None,
        "pdf_sha256": None,
        "html_sha256": None,
        "pages": None,
        "build_seconds": 0.0,
        "exam_pdf_version": __version__,
    }


def timed_out(task: Task) -> str:
    """Why a report that ran past its timeout failed, in the same words whoever stopped it.

    The TeX engine stops itself within the time the build has left, or the pool
    kills the worker a little later: which one comes first depends on the load,
    and the manifest must not.
    """
    return f"did not finish within its timeout of {task.timeout:g} s and was stopped"


def build(task: Task) -> dict[str, Any]:
    """Check and build one report into ``task.staging``; never raises."""
    from exam_pdf.builders import LOG_NOTE, build_html, build_pdf
    from exam_pdf.builders.fallback import FALLBACK_TIMEOUT
    from exam_pdf.pipeline import check_report, model_source
    from exam_pdf.provenance import Submission
    from exam_pdf.rules import PDF_FALLBACK
    from exam_pdf.source import read_source

    started = time.monotonic()
    record = base_record(task)
    submission = Submission.from_config(task.submission)
    try:
        source = read_source(task.readme)
        report = model_source(source, task.edition, submission)
        if not report.questions:
            raise ReportError(f"{task.readme}: no '### Question N' sections found; is this the exam report?")
        _describe(record, check_report(report))
        _, result = build_html(
            source, task.staging / "report.html", task.work, task.notes, task.edition, submission=submission
        )
        remaining = max(5, math.ceil(task.timeout - (time.monotonic() - started)))
        # What is left is shared: a quarter (at most FALLBACK_TIMEOUT) is kept for the
        # fallback PDF, so that it is made before the pool's deadline when LaTeX fails.
        reserve = min(FALLBACK_TIMEOUT, remaining / 4)
        _, result, extra = build_pdf(
            source,
            task.staging / "report.pdf",
            task.work,
            task.notes,
            task.edition,
            timeout=max(5, remaining - reserve),
            fresh=False,
            fallback_timeout=max(5, reserve),
            submission=submission,
        )
        _describe(record, result, extra)
        describe_pdf(record, task.staging)
        fallback = next((f for f in extra if f.rule is PDF_FALLBACK), None)
        if fallback is not None:
            # Built, but not typeset: counted apart from ok, findings and failed. The log's
            # path is left out: a batch removes the work folder of a report it built.
            record["status"] = "fallback"
            record["reason"] = LOG_NOTE.sub("", fallback.message)
        else:
            record["status"] = "findings" if record["errors"] else "ok"
        shutil.rmtree(task.work, ignore_errors=True)
    except BuildTimeout:
        record["reason"] = timed_out(task)
    except (ReportError, BuildError) as exc:
        record["reason"] = reason(task, str(exc))
    except Exception as exc:  # one report's surprise must not stop the batch
        from exam_pdf.terminal import os_error_in, os_problem

        found = os_error_in(exc)
        text = os_problem(found) if found is not None else f"internal error: {type(exc).__name__}: {exc}"
        record["reason"] = reason(task, text)
    record["build_seconds"] = round(time.monotonic() - started, 3)
    return record


def reason(task: Task, text: str) -> str:
    """A failure's reason for the manifest: one line, its paths independent of the machine.

    The report is named by its path under the batch's root, a file of the batch's
    state folder by its path inside it, so that a manifest does not depend on where
    (or on which machine, for shards) it was built.
    """
    state = task.work.parents[1]
    text = text.replace(str(task.readme), task.relpath).replace(f"{state}{os.sep}", "")
    return " ".join(text.split())


def _describe(record: dict[str, Any], result: Any, extra: Sequence[Any] = ()) -> None:
    from exam_pdf.rules import Severity

    report = result.report
    findings = list(result.findings) + list(extra)
    record["group"] = report.group
    record["group_from"] = "question 1" if report.group else "folder"
    record["members"] = report.student_ids
    record["edition"] = report.edition.name if report.edition else None
    record["questions"] = len(report.answered_questions)
    record["passed"] = result.passed
    record["errors"] = sum(f.severity is Severity.ERROR for f in findings)
    record["warnings"] = sum(f.severity is Severity.WARNING for f in findings)
    record["failing_questions"] = sorted(
        {f.question for f in findings if f.question is not None and f.severity is Severity.ERROR}
    )
    record["findings_by_rule"] = dict(sorted(collections.Counter(f.rule.id for f in findings).items()))


def describe_pdf(record: dict[str, Any], staging: Path) -> None:
    from pypdf import PdfReader

    from exam_pdf.archive import KEY_BUNDLE

    pdf = staging / "report.pdf"
    data = pdf.read_bytes()
    reader = PdfReader(pdf)
    record["pages"] = len(reader.pages)
    info: dict[str, Any] = dict(reader.metadata or {})
    record["bundle_sha256"] = str(info.get(KEY_BUNDLE) or "") or None
    record["pdf_sha256"] = hashlib.sha256(data).hexdigest()
    record["html_sha256"] = hashlib.sha256((staging / "report.html").read_bytes()).hexdigest()


def _stop(signum: int, frame: object) -> None:
    # An exception, not an exit from inside the handler: the TeX engine's process group
    # is killed on the way out (see exam_pdf.builders.engine), and nothing is printed.
    raise SystemExit(128 + signum)


def run_in_child(task: Task) -> None:
    """The body of a worker process: own process group, output to a log, record on disk.

    Nothing reaches the operator's terminal: the worker's output (a traceback
    included) goes to ``build.log``, and the record's reason is one line. SIGTERM
    (how the pool stops a worker) ends the build and the TeX engine it runs.
    """
    parent = os.getppid()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    os.setpgid(0, 0)
    _stop_with(parent)
    try:
        if task.staging.exists():
            shutil.rmtree(task.staging)
        task.staging.mkdir(parents=True)
        log = os.open(task.staging / LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:  # the parent finds no record and says so
        log = os.open(os.devnull, os.O_WRONLY)
        os.dup2(log, 2)
        sys.exit(2)
    os.dup2(log, 1)
    os.dup2(log, 2)
    write_record(task.staging, build(task))


def _stop_with(parent: int) -> None:
    """Ask Linux for SIGTERM when the batch that forked this worker dies (PR_SET_PDEATHSIG).

    The worker has a process group of its own, so a batch killed outright (SIGKILL, a
    closed terminal) would leave it building, and a rerun's worker for the same report
    would find its work folder changing under it. Elsewhere the pool's own stop is all.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the batch died before the request was made
        _stop(signal.SIGTERM, None)


def write_record(staging: Path, record: dict[str, Any]) -> None:
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f".{RECORD}.tmp"
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True), "utf-8")
    tmp.replace(staging / RECORD)


def read_record(staging: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((staging / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def still_valid(record: dict[str, Any] | None, key: str, staging: Path) -> bool:
    """Whether a stored record is for this key and its outputs are on disk unchanged."""
    if record is None or record.get("cache_key") != key or record.get("exam_pdf_version") != __version__:
        return False
    return record.get("status") == "failed" or outputs_match(staging, record)


def outputs_match(folder: Path, record: dict[str, Any]) -> bool:
    """Whether ``folder`` holds the PDF and HTML page the record names, byte for byte."""
    for name, field in zip(OUTPUTS, ("pdf_sha256", "html_sha256"), strict=True):
        path = folder / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != record.get(field):
            return False
    return True


def slot(relpath: str) -> str:
    """The folder name of a report's build state: stable for its path under the root."""
    return hashlib.sha256(relpath.encode()).hexdigest()[:20]
