"""Question books: one question's answers from every group, in one PDF (and one HTML page).

The book is written as a Markdown document (the prompt once, then per group a heading
with the group, its counts and status, and its answer as the group wrote it, figures
included) and built through the reports' own Sphinx and LaTeX path
(:func:`exam_pdf.builders._sphinx`, the same extension, fonts, ``exampdf.sty`` and page
style). Only the page around the body differs: the report template's preamble with a
book's heading instead of a report's title page, the question in the running header,
"Page x of y" in the footer; each group's heading is a PDF bookmark.

With ``anonymise``, each group's README is blinded first (:mod:`exam_pdf.grading.blind`)
and its answer taken from that, under its code.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from pathlib import Path

from exam_pdf.archive import COURSE, Metadata, SourceFile, finish
from exam_pdf.errors import ReportError
from exam_pdf.formats import count
from exam_pdf.grading.blind import Key, blind_sources, identifiers
from exam_pdf.grading.load import Archive, write_sources
from exam_pdf.model import Question, Report
from exam_pdf.pipeline import check_report, model_source
from exam_pdf.source import read_source, source_from_text

BOOK = "book.md"


@dataclasses.dataclass
class Entry:
    """One group's part of a book."""

    label: str
    folder: str
    """The group's sub-folder of the book's sources (its figures are there)."""
    report: Report
    files: list[SourceFile]
    statuses: dict[int, str]
    """Per question, ``pass``/``warn``/``fail`` as check says of the report (the blinded one, when blind)."""


def entries(archive: Archive, work: Path, key: Key | None = None) -> list[Entry]:
    """Each readable group's report (blinded with ``key``), its sources written under ``work``."""
    found: list[Entry] = []
    for index, group in enumerate(archive.groups, start=1):
        if group.result is None:
            continue
        folder = f"g{index:03d}"
        if key is None:
            label, files = f"Group {group.name}", group.files
        else:  # named and ordered by code: nothing in the book follows the groups' order
            code = key.code(group.name)
            label, files, folder = f"Group {code}", blind_sources(group, identifiers(group, code)), code

        write_sources(files, work / folder)
        readme = next(f.name for f in files if f.name.lower().endswith(".md"))
        result = group.result
        if key is not None:
            result = check_report(model_source(read_source(work / folder / readme), archive.edition_option))
        statuses = {q.number: result.status_of(q) for q in result.report.answered_questions}
        found.append(Entry(label, folder, result.report, files, statuses))
    return sorted(found, key=lambda entry: entry.folder) if key is not None else found


def question_status(question: Question | None, statuses: dict[int, str]) -> str:
    if question is None:
        return "no such question"
    if question.unanswered:
        return "unanswered"
    return statuses.get(question.number, "")


def markdown(number: int, parts: list[Entry]) -> str:
    """The book's Markdown: the prompt once, then every group's answer under its heading."""
    prompt = next((q.prompt for e in parts if (q := e.report.question(number)) is not None and q.prompt), "")
    lines = [f"# Question {number}", ""]
    if prompt:
        lines += ["> " + line if line.strip() else ">" for line in _escape(prompt).split("\n")]
        lines.append("")
    for entry in parts:
        question = entry.report.question(number)
        status = question_status(question, entry.statuses)
        heading = entry.label
        if question is not None and not question.unanswered:
            heading += f": {count(question.words, 'word')}, {count(len(question.embedded_images), 'image')}"
        heading += f", {status}" if status else ""
        lines += [f"## {_escape(heading)}", ""]
        if question is None or question.unanswered:
            lines += [f"*({status})*", ""]
            continue
        lines += [_relinked(question, entry.folder), ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Plain text kept plain in Markdown (a prompt's ``*`` or ``#`` is not markup)."""
    return re.sub(r"([\\`*_{}\[\]<>#+!|$])", r"\\\1", text)


def _relinked(question: Question, folder: str) -> str:
    """The answer's Markdown with each local image path made relative to the book's folder."""
    text = question.answer_text.strip("\n")
    for uri in sorted({image.uri for image in question.images}, key=len, reverse=True):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", uri) or uri.startswith("/"):
            continue
        for written in dict.fromkeys((uri, uri.replace(" ", "%20"))):
            text = re.sub(rf"(?<=[(\"'=\s<]){re.escape(written)}", f"{folder}/{written}", text)
    return text


def latex_template(folder: Path) -> Path:
    """The report template with a question book's heading and running header in place of the title page."""
    from exam_pdf.builders import templates_dir

    report = (templates_dir() / "latex.tex.jinja").read_text("utf-8")
    head = report[: report.index("\\title{")]
    tail = r"""\title{<%= title %>}
\author{}
\date{}
\examsetup{}{}
\fancypagestyle{exampage}{%
  \fancyhf{}%
  \fancyhead[L]{\small\sffamily 02476 MLOps question book}%
  \fancyhead[R]{\small\sffamily \examBookHeader}%
  \fancyfoot[C]{\small\sffamily Page \thepage\ of \pageref*{LastPage}}%
  \renewcommand{\headrulewidth}{0.4pt}%
  \renewcommand{\footrulewidth}{0pt}}
\begin{document}
\pagestyle{exampage}
\begin{center}{\sffamily\Large 02476 Machine Learning Operations\par}\vspace{0.4em}
{\sffamily\bfseries\huge <%= title %>\par}\vspace{0.4em}
{\sffamily \examBookSubtitle\par}\end{center}\vspace{1em}
<%= body %>
<%= atendofbody %>
\end{document}
"""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(templates_dir() / "exampdf.sty", folder / "exampdf.sty")
    path = folder / "latex.tex.jinja"
    path.write_text(head + tail, "utf-8")
    return path


def build_book(
    archive: Archive,
    number: int,
    pdf: Path | None,
    html: Path | None,
    key: Key | None = None,
    timeout: float = 300,
) -> tuple[int, int]:
    """Write question ``number``'s book as ``pdf`` and/or ``html``; return (groups, pages)."""
    from sphinx.util.texescape import escape

    from exam_pdf.builders import _atomic_write, _sphinx, build_html, make_folder
    from exam_pdf.builders.engine import compile_pdf, require_tex
    from exam_pdf.dates import source_date

    with tempfile.TemporaryDirectory(prefix="exam-pdf-book-") as temporary:
        root = Path(temporary)
        sources = root / f"question-{number}"
        parts = entries(archive, sources, key)
        if not any(e.report.question(number) is not None for e in parts):
            raise ReportError(f"no group's report has a question {number}")
        text = markdown(number, parts)
        (sources / BOOK).write_text(text, "utf-8")
        source = read_source(sources / BOOK)
        edition = archive.edition_option
        answered = sum(1 for e in parts if (q := e.report.question(number)) is not None and not q.unanswered)
        title = f"Question {number}"
        subtitle = f"{count(len(parts), 'group')}, {answered} answered" + (", blind" if key else "")
        pages = 0
        if html is not None:
            build_html(source, html, root / "work-html", notes=False, edition=edition)
        if pdf is not None:
            require_tex()
            templates = root / "templates"
            latex_template(templates)
            overrides: dict[str, object] = {
                "templates_path": [str(templates)],
                "latex_additional_files": [str(templates / "exampdf.sty")],
                "latex_documents": [("index", "report.tex", title, "", "howto")],
            }
            base = _book_elements(escape(title), escape(f"Question {number}"), escape(subtitle))
            app = _sphinx(source, root / "work", "latex", False, edition, True, overrides={**overrides, **base})
            date, _ = source_date(source.path)
            built = compile_pdf(root / "work" / "latex" / "report.tex", timeout, int(date.timestamp()))
            meta = Metadata(
                title=f"{title}: every group's answer" + (" (blind)" if key else ""),
                author="",
                subject=f"{COURSE}, question book, {subtitle}",
                keywords=f"02476, MLOps, question book, question {number}",
                date=date,
                group="",
                edition=edition,
                check="not included (a question book)",
            )
            files = [SourceFile(BOOK, source.raw)]
            files += [SourceFile(f"{e.folder}/{f.name}", f.data) for e in parts for f in e.files if _used(text, e, f)]
            data = finish(built.read_bytes(), meta, files)
            make_folder(pdf.parent)
            _atomic_write(pdf, data)
            del app
            from pypdf import PdfReader

            pages = len(PdfReader(pdf).pages)
    return len(parts), pages


def _used(text: str, entry: Entry, file: SourceFile) -> bool:
    """Whether the book refers to ``file`` of ``entry`` (the README and other questions' figures are left out)."""
    return f"{entry.folder}/{file.name}" in text


def _book_elements(title: str, header: str, subtitle: str) -> dict[str, object]:
    from exam_pdf.builders import _config

    config = _config(source_from_text("# book\n"), False, "auto")
    elements = dict(config["latex_elements"])  # type: ignore[call-overload]
    # Sphinx passes only its own keys to the template: the book's texts go in as macros.
    elements["preamble"] = (
        f"\\newcommand{{\\examBookHeader}}{{{header}}}\\newcommand{{\\examBookSubtitle}}{{{subtitle}}}"
    )
    return {"latex_elements": elements}


def make_books(
    root: Path,
    questions: tuple[int, ...],
    every: bool,
    out: Path,
    html: bool,
    pdf: bool,
    key_file: Path | None,
    jobs: int = 1,
    timeout: float = 300,
) -> list[str]:
    """Build the books asked for; return a line per book written."""
    from concurrent.futures import ProcessPoolExecutor

    from exam_pdf.batch.outputs import atomic_write
    from exam_pdf.grading.load import load_archive

    archive = load_archive(root)
    numbers = archive.questions if every else sorted(set(questions))
    if not numbers:
        raise ReportError(f"{root}: no group's report has questions")
    single = len(numbers) == 1 and out.suffix.lower() in (".pdf", ".html")
    if not single and out.suffix:
        raise ReportError(f"{out}: several books go into a folder, not a file")
    if not pdf and not html:
        raise ReportError("nothing to write: --no-pdf without --html")
    if key_file is not None:
        key = Key.load(key_file)
        for group in archive.groups:
            key.code(group.name)
        atomic_write(key_file, key.dumps().encode("utf-8"))
    targets = []
    for number in numbers:
        base = out.with_suffix("") if single else out / f"question-{number}"
        targets.append((number, base.with_suffix(".pdf") if pdf else None, base.with_suffix(".html") if html else None))
    lines = []
    if jobs == 1 or len(targets) == 1:
        for number, to_pdf, to_html in targets:
            lines.append(_one(archive, number, to_pdf, to_html, key_file, timeout))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_in_worker, root, *target, key_file, timeout) for target in targets]
            lines = [future.result() for future in futures]
    return lines


#: The archive a worker process read, kept for the next book it builds (reading it is the slow part).
_LOADED: dict[Path, Archive] = {}


def _in_worker(root: Path, number: int, pdf: Path | None, html: Path | None, key: Path | None, timeout: float) -> str:
    from exam_pdf.grading.load import load_archive

    if root not in _LOADED:
        _LOADED.clear()
        _LOADED[root] = load_archive(root)
    return _one(_LOADED[root], number, pdf, html, key, timeout)


def _one(archive: Archive, number: int, pdf: Path | None, html: Path | None, key: Path | None, timeout: float) -> str:
    groups, pages = build_book(archive, number, pdf, html, Key.load(key) if key else None, timeout)
    written = ", ".join(str(path) for path in (pdf, html) if path is not None)
    return (
        f"question {number}: {count(groups, 'group')}" + (f", {count(pages, 'page')}" if pdf else "") + f": {written}"
    )
