"""The check pipeline: read -> parse -> model -> edition and limits -> findings.

Everything that reports on a report (``check``, the status notes in HTML and
PDF, the batch manifest) starts from :func:`check_report`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator
from pathlib import Path

from exam_pdf import constraints
from exam_pdf._fingerprints import TEMPLATE_ANSWERS
from exam_pdf.checks import run_checks
from exam_pdf.editions import EditionProfile, detect, fingerprint
from exam_pdf.extract import build_report
from exam_pdf.findings import Finding, status
from exam_pdf.model import Constraints, Question, Report
from exam_pdf.parse import parse
from exam_pdf.provenance import Submission
from exam_pdf.rules import Severity
from exam_pdf.source import Source, locate_report, read_source


@dataclasses.dataclass
class CheckResult:
    report: Report
    findings: list[Finding]
    _by_question: dict[int | None, list[Finding]] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _indexed: int = dataclasses.field(default=-1, init=False, repr=False, compare=False)

    def for_question(self, question: Question) -> list[Finding]:
        # Indexed once (scanning the findings per question is quadratic for big reports);
        # indexed again if the list was changed since.
        if self._indexed != len(self.findings):
            self._by_question = {}
            for finding in self.findings:
                self._by_question.setdefault(finding.question, []).append(finding)
            self._indexed = len(self.findings)
        return list(self._by_question.get(question.number, []))

    def status_of(self, question: Question) -> str:
        return status(self.for_question(question))

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity is Severity.WARNING for f in self.findings)

    @property
    def passed(self) -> int:
        return sum(self.status_of(q) == "pass" for q in self.report.answered_questions)

    def exit_code(self, strict: bool = False) -> int:
        return 1 if self.errors or (strict and self.warnings) else 0


def load_report(path: Path | str | None = None, edition: str = "auto", submission: Submission | None = None) -> Report:
    """Read, parse and model a report; decide its edition and limits."""
    return model_source(read_source(locate_report(path)), edition, submission)


def model_source(source: Source, edition: str = "auto", submission: Submission | None = None) -> Report:
    """The report model of ``source``; ``submission`` (the roster's row, the commit) is checked against it."""
    with _cyclic_gc_paused():
        report = build_report(source, parse(source))
    report.submission = submission
    apply_edition(report, edition)
    return report


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Parse without Python's cycle collector: a doctree is a web of parent links that the
    collector would scan again and again while it grows (half the time of a 1 MB report);
    the tree is kept anyway, and the collector runs as usual afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def apply_edition(report: Report, edition: str = "auto") -> None:
    report.edition, profile = detect(report, edition)
    for question in report.questions:
        question.template_text_left = fingerprint(question.answer_text)[1] in TEMPLATE_ANSWERS.get(question.number, ())
        question.prompt_constraints = constraints.from_prompt(question.prompt)
        question.constraints = _applied(question, profile)


def _applied(question: Question, profile: EditionProfile | None) -> Constraints:
    stated = question.prompt_constraints
    if profile is None or question.number not in profile.limits:
        return stated
    words, images = profile.limits[question.number]
    return Constraints(words=words, images=images, recommended=stated.recommended)


def check_report(report: Report) -> CheckResult:
    return CheckResult(report, run_checks(report))


def check_path(
    path: Path | str | None = None, edition: str = "auto", submission: Submission | None = None
) -> CheckResult:
    return check_report(load_report(path, edition, submission))
