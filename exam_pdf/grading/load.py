"""Read a batch archive back: its manifest, and each group's report from the sources its PDF carries.

Every grading command starts here, so that it needs no source tree and gives the same
result on the same archive. A group's report is modelled and checked by the pipeline
(:func:`exam_pdf.pipeline.model_source`, :func:`~exam_pdf.pipeline.check_report`) from the
README embedded in its PDF, with the edition option the batch was run with: the counts and
statuses are the ones ``exam-pdf check`` gives for that README.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from exam_pdf.archive import SourceFile
from exam_pdf.batch.outputs import MANIFEST
from exam_pdf.errors import ReportError
from exam_pdf.model import Question
from exam_pdf.pipeline import CheckResult, check_report, model_source
from exam_pdf.source import read_source


@dataclasses.dataclass
class Group:
    """One row of the manifest and, when its PDF was built, the report it carries."""

    entry: dict[str, Any]
    result: CheckResult | None = None
    files: list[SourceFile] = dataclasses.field(default_factory=list)
    readme: str = ""
    """The embedded README's name (as the report's folder had it)."""
    problem: str = ""
    """Why the report could not be read back ("" when it was)."""

    @property
    def name(self) -> str:
        """The group as the archive names it: its number, else its folder; when two reports claim
        one number, the archive's folder of each (``10`` and ``10-<folder>``), so that names stay distinct."""
        if self.entry.get("clash_with") and self.entry.get("dir"):
            return str(self.entry["dir"])
        return str(self.entry.get("group") or self.entry.get("folder") or self.entry.get("dir") or "?")

    @property
    def members(self) -> list[str]:
        return [str(member) for member in self.entry.get("members") or []]

    @property
    def status(self) -> str:
        return str(self.entry.get("status") or "")

    @property
    def edition(self) -> str:
        if self.result is not None and self.result.report.edition is not None:
            return self.result.report.edition.name
        return str(self.entry.get("edition") or "")

    @property
    def pdf(self) -> str | None:
        """The PDF's path inside the archive, or None."""
        return self.entry.get("pdf") or None

    def question(self, number: int) -> Question | None:
        return self.result.report.question(number) if self.result is not None else None

    def question_status(self, number: int) -> str:
        """``pass``, ``warn``, ``fail`` as ``check`` says; ``unanswered``; ``missing`` (no such question)."""
        question = self.question(number)
        if question is None or self.result is None:
            return "missing"
        if question.unanswered:
            return "unanswered"
        return self.result.status_of(question)


@dataclasses.dataclass
class Archive:
    root: Path
    manifest: dict[str, Any]
    groups: list[Group]

    @property
    def questions(self) -> list[int]:
        """Every question number some group's report has, in order."""
        numbers = {q.number for g in self.groups if g.result for q in g.result.report.answered_questions}
        return sorted(numbers)

    @property
    def edition_option(self) -> str:
        """The batch's ``--edition`` (``auto`` when it is not one exam-pdf knows)."""
        from exam_pdf.editions import EDITION_CHOICES

        options = self.manifest.get("options")
        edition = str(options.get("edition") or "auto") if isinstance(options, dict) else "auto"
        return edition if edition in EDITION_CHOICES else "auto"


def read_manifest(root: Path) -> dict[str, Any]:
    """The archive's manifest, checked for the fields the grading commands read."""
    path = root / MANIFEST
    if not root.is_dir():
        raise ReportError(f"{root}: not a folder (give the output folder of exam-pdf batch)")
    try:
        data = json.loads(path.read_text("utf-8"))
        reports = data["reports"]
        if not isinstance(reports, list) or not all(isinstance(entry, dict) for entry in reports):
            raise TypeError("'reports' is not a list of objects")
    except FileNotFoundError:
        raise ReportError(f"{root}: no {MANIFEST} here (give the output folder of exam-pdf batch)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{path}: not a batch manifest ({type(exc).__name__}: {exc})") from None
    return data


def load_archive(root: Path, check: bool = True) -> Archive:
    """Read the manifest and every built group's report; a PDF that cannot be read is a group's problem."""
    archive = Archive(root, read_manifest(root), [])
    edition = archive.edition_option
    archive.groups = [load_group(root, entry, edition, check) for entry in archive.manifest["reports"]]
    archive.groups.sort(key=lambda g: group_order(g.name))
    return archive


def group_order(name: str) -> tuple[int, int, str]:
    """Groups by number (``2`` before ``10``), then the others by name."""
    return (0, int(name), "") if name.isascii() and name.isdigit() else (1, 0, name)


def load_group(root: Path, entry: dict[str, Any], edition: str = "auto", check: bool = True) -> Group:
    group = Group(entry)
    pdf = entry.get("pdf")
    if not pdf:
        group.problem = str(entry.get("reason") or "no PDF in the archive")
        return group
    try:
        path = pdf_path(root, str(pdf))
        group.files = embedded_sources(path)
        readme = _readme(group.files, str(entry.get("source") or ""))
        if readme is None:
            raise ReportError(f"{pdf}: carries no Markdown report")
        group.readme = readme.name
        # The checks look for figures beside the report: the embedded ones are put there.
        with tempfile.TemporaryDirectory(prefix="exam-pdf-grading-") as folder:
            write_sources(group.files, Path(folder))
            report = model_source(read_source(Path(folder) / readme.name), edition)
            group.result = check_report(report) if check else CheckResult(report, [])
    except ReportError as exc:
        group.problem = str(exc)
    return group


def write_sources(files: list[SourceFile], folder: Path) -> None:
    """Write embedded files into ``folder``; one whose path would leave it is left out."""
    from exam_pdf.verify import inside

    for item in files:
        try:
            target = Path(inside(folder, item.name))
        except ValueError:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)


def pdf_path(root: Path, name: str) -> Path:
    """``root/name``, refused when the manifest's path leaves the archive."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts or "\\" in name:
        raise ReportError(f"manifest names the PDF '{name}', which is not a path inside the archive")
    path = root / name
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
        raise ReportError(f"{name}: leads outside the archive")
    return path


def embedded_sources(path: Path) -> list[SourceFile]:
    """The files an archived PDF carries (README and figures), without checking its seal."""
    from pypdf import PdfReader

    from exam_pdf.seal import embedded_files

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        root = reader.trailer["/Root"].get_object()
        files = []
        for name, reference in embedded_files(root):
            files.append(SourceFile(name, reference.get_object()["/EF"]["/F"].get_object().get_data()))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except Exception as exc:  # (pypdf raises many kinds on a damaged PDF)
        raise ReportError(f"{path.name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    return files


def _readme(files: list[SourceFile], source: str) -> SourceFile | None:
    """The embedded report: the file named as the manifest's source, else the first ``.md``."""
    wanted = PurePosixPath(source).name
    markdown = [f for f in files if f.name.lower().endswith(".md")]
    return next((f for f in markdown if f.name == wanted), markdown[0] if markdown else None)
