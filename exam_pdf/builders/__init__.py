"""Build a report's HTML page and PDF with Sphinx (and the TeX engine for the PDF).

One Sphinx project per report lives in a work folder: ``src/index.md`` (a copy
of the report), ``src/_exam_img/`` (normalised figures), ``doctrees/`` (shared
by the HTML and LaTeX builders, so the report is parsed and checked once),
``html/`` and ``latex/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.resources
import io
import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

from exam_pdf import __version__
from exam_pdf.archive import COURSE, Metadata, SourceFile, finish
from exam_pdf.builders.fallback import FALLBACK_TIMEOUT
from exam_pdf.dates import source_date
from exam_pdf.errors import BuildError, BuildTimeout
from exam_pdf.findings import Finding
from exam_pdf.images import MAX_IMAGE_BYTES
from exam_pdf.pipeline import CheckResult
from exam_pdf.provenance import Submission
from exam_pdf.rules import GLYPH_MISSING, PDF_FALLBACK
from exam_pdf.sandbox import sphinx_sandbox
from exam_pdf.source import Source

PACKAGE = Path(__file__).resolve().parent.parent
IMAGE_DIR = "_exam_img"


def templates_dir() -> Path:
    """The LaTeX templates: package ``exam_pdf.latex_templates`` (``latex_templates/`` in the repository)."""
    return Path(str(importlib.resources.files("exam_pdf.latex_templates"))).resolve()


def default_work_dir(report: Path) -> Path:
    """``.exam-pdf-cache/`` beside the report when it can be, else a folder in the user's cache.

    A symlink under that name (committed with the report) would point the build at any
    folder, and a file under it (committed by mistake) would stop it: with either, or
    where the report's folder is read-only, the work goes to the user's cache instead.
    The folder beside the report gets a ``.gitignore`` of ``*`` (as pytest's and ruff's
    caches do), so that it never shows in ``git status``.
    """
    beside = report.parent / ".exam-pdf-cache"
    if os.access(report.parent, os.W_OK) and not beside.is_symlink() and (beside.is_dir() or not beside.exists()):
        try:
            beside.mkdir(exist_ok=True)
            ignore = beside / ".gitignore"
            if not ignore.is_file() or ignore.is_symlink():
                ignore.unlink(missing_ok=True)
                ignore.write_text("# made by exam-pdf: its work folder is never committed\n*\n")
            return beside
        except OSError:
            pass  # another process, a full disk: the user's cache is as good
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "exam-pdf" / hashlib.sha256(str(report).encode()).hexdigest()[:16]


@dataclasses.dataclass
class Built:
    html: Path | None = None
    pdf: Path | None = None
    extra_findings: list[Finding] = dataclasses.field(default_factory=list)
    result: CheckResult | None = None


def notes_css() -> str:
    """The extension's own CSS for notes, summary, prompts and placeholders (the theme inlines it)."""
    from exam_pdf.sphinxext import CSS_FILE, STATIC

    return (STATIC / CSS_FILE).read_text("utf-8")


def _config(
    source: Source, notes: bool, edition: str, repo_url: str = "", submission: Submission | None = None
) -> dict[str, object]:
    from pygments.formatters import HtmlFormatter

    title = f"Exam report: {source.path.parent.name}/{source.path.name}"
    latex_dir = templates_dir()
    return {
        # The archival part: math as its TeX source, the hardened LaTeX translator (exam-pdf's own builds).
        "extensions": ["exam_pdf.sphinxext", "exam_pdf.sphinxext.archival"],
        "source_suffix": {".md": "exam-report"},
        "root_doc": "index",
        "project": "02476 exam report",
        "language": "en",
        # The report is shown as written: no curly quotes or dashes made from "--".
        "smartquotes": False,
        "exam_pdf_source": str(source.path),
        "exam_pdf_edition": edition,
        "exam_pdf_notes": notes,
        "exam_pdf_image_dir": IMAGE_DIR,
        "exam_pdf_repo_url": repo_url,
        "exam_pdf_submission": submission.config() if submission is not None else {},
        "templates_path": [str(latex_dir)],
        "html_theme": "exam",
        "html_theme_path": [str(PACKAGE / "theme")],
        "html_math_renderer": "exam_pdf",
        "html_copy_source": False,
        "html_use_index": False,
        "html_domain_indices": False,
        "html_permalinks": False,
        "html_context": {
            "exam_css": (PACKAGE / "theme" / "exam.css").read_text() + notes_css(),
            "exam_pygments_css": HtmlFormatter(style="default").get_style_defs(".highlight"),
            "exam_version": __version__,
            "exam_title": title,
            "exam_source": source.path.name,
        },
        "latex_engine": "xelatex",
        "latex_documents": [("index", "report.tex", title, "", "howto")],
        "latex_additional_files": [str(latex_dir / "exampdf.sty")],
        "latex_use_xindy": False,
        "latex_show_urls": "no",
        "latex_elements": {
            "papersize": "a4paper",
            "pointsize": "11pt",
            "fontpkg": "\\setmainfont{FreeSerif}\\setsansfont{FreeSans}"
            "\\setmonofont{DejaVu Sans Mono}[Scale=MatchLowercase]",
            "geometry": "\\usepackage[a4paper,margin=2.2cm,headheight=14pt]{geometry}",
            "sphinxsetup": "verbatimforcewraps, verbatimmaxunderfull=0, verbatimhintsturnover=false",
            # LaTeX stops at 6 nested lists/quotes ("Too deeply nested"); the parser allows more.
            "passoptionstopackages": "\\PassOptionsToPackage{maxlistdepth=30}{sphinx}",
            "fncychap": "",
            "maketitle": "",
            "tableofcontents": "",
            "makeindex": "",
            "printindex": "",
            "releasename": "",
        },
    }


def _sphinx(
    source: Source,
    work: Path,
    builder: str,
    notes: bool,
    edition: str,
    fresh: bool,
    repo_url: str = "",
    submission: Submission | None = None,
    overrides: dict[str, object] | None = None,
):
    """Run one Sphinx build. ``fresh`` re-reads the report (figures may have changed even
    when the README did not); the second builder of ``exam-pdf build`` reuses that read.
    ``overrides``: configuration values set over the report's (a question book's template)."""
    from sphinx.application import Sphinx
    from sphinx.builders.html import StandaloneHTMLBuilder
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    src = work / "src"
    # The work folder may come with the report (a committed .exam-pdf-cache): nothing in it
    # is trusted. Stale sources, figures, doctrees and the builder's folder (a report.aux
    # runs as TeX, a symlink reads outside) are removed, symlinks unlinked, never followed.
    for stale in ([src, work / "doctrees"] if fresh else []) + [work / builder]:
        _remove(stale)
    make_folder(src)
    index = src / "index.md"
    if not index.exists() or index.read_bytes() != source.raw:
        index.write_bytes(source.raw)
    warnings = io.StringIO()
    with patch_docutils(str(src)), docutils_namespace(), sphinx_sandbox():
        app = Sphinx(
            str(src),
            None,
            str(work / builder),
            str(work / "doctrees"),
            builder,
            confoverrides={**_config(source, notes, edition, repo_url, submission), **(overrides or {})},
            status=None,
            warning=warnings,
            freshenv=fresh,
            parallel=0,
        )
        if isinstance(app.builder, StandaloneHTMLBuilder):
            # The page is one standalone file: no search page reads Sphinx's search index,
            # and stemming every word for it was a fifth of the HTML build.
            app.builder.search = False
        app.build()
    return app


def build_html(
    source: Source,
    out: Path,
    work: Path,
    notes: bool = True,
    edition: str = "auto",
    fresh: bool = True,
    repo_url: str = "",
    submission: Submission | None = None,
) -> tuple[Path, CheckResult]:
    """Write ``out`` (one HTML file; figures and linked files referenced relative to it).

    ``submission``: the group's roster row and commit (a collected report), checked
    against the report and, in the PDF, stamped on the cover and into the metadata.
    """
    ensure_writable(out)
    app = _sphinx(source, work, "html", notes, edition, fresh, repo_url, submission)
    result: CheckResult = app.env.exam_pdf_results["index"]
    page = (work / "html" / "index.html").read_text("utf-8")
    # Each figure by its real path inside the report folder: a reference written with '..'
    # (which still resolves inside) must not make the copy below land outside ``out``.
    originals = {name: _inside(source.folder, uri) for name, uri in getattr(app.env, "exam_pdf_figures", {}).items()}
    page = _relink_figures(page, originals)
    make_folder(out.parent)
    if out.parent.resolve() != source.folder:
        # Linked files of the report folder are copied too: the page links them relatively.
        for original in set(originals.values()) | set(getattr(app.env, "exam_pdf_linked", ())):
            target = out.parent / original
            make_folder(target.parent)
            shutil.copyfile(source.folder / original, target)
    _atomic_write(out, page.encode("utf-8"))
    return out, result


def _inside(folder: Path, uri: str) -> str:
    """``uri`` (checked to resolve inside ``folder``) as a plain relative path: no '..', no '?' or '#'."""
    root = os.path.realpath(folder)
    target = os.path.realpath(os.path.join(root, uri.split("#")[0].split("?")[0]))
    return Path(os.path.relpath(target, root)).as_posix()


def _relink_figures(page: str, originals: dict[str, str]) -> str:
    def swap(match: re.Match[str]) -> str:
        name = match.group(2)
        return match.group(1) + (quote(originals[name]) if name in originals else match.group(0)[len(match.group(1)) :])

    return re.sub(r'((?:src|href)=")_images/([^"]+)', swap, page)


def build_pdf(
    source: Source,
    out: Path,
    work: Path,
    notes: bool = True,
    edition: str = "auto",
    timeout: float = 120,
    fresh: bool = True,
    repo_url: str = "",
    fallback_timeout: float = FALLBACK_TIMEOUT,
    submission: Submission | None = None,
) -> tuple[Path, CheckResult, list[Finding]]:
    """Write the archival PDF ``out``; returns it, the check result and the PDF's own findings.

    When the TeX engine fails on the report (an error, or past ``timeout``), a fallback
    PDF is written instead (:mod:`exam_pdf.builders.fallback`), with a ``pdf-fallback``
    finding that gives the reason: every report gets a PDF.
    """
    from exam_pdf.builders.engine import compile_pdf, missing_characters, require_tex

    require_tex()
    ensure_writable(out)
    app = _sphinx(source, work, "latex", notes, edition, fresh, repo_url, submission)
    result: CheckResult = app.env.exam_pdf_results["index"]
    found = [
        Finding(
            GLYPH_MISSING,
            GLYPH_MISSING.severity,
            None,
            line,
            f"'{char}' (U+{ord(char):04X}) has no font; the PDF shows [U+{ord(char):04X}]",
        )
        for char, line in getattr(app.builder, "exam_glyph_lines", [])
    ]
    found += [
        Finding(rule, rule.severity, None, line, message)
        for rule, line, message in getattr(app.builder, "exam_tex_findings", [])
    ]
    tex = work / "latex" / "report.tex"
    date, _ = source_date(source.path, result.report.submission.commit_date if result.report.submission else "")
    files = [SourceFile(source.path.name, source.raw)]
    for name in sorted(getattr(app.env, "exam_pdf_sources", ())):
        path = source.folder / name
        if path.stat().st_size > MAX_IMAGE_BYTES:
            continue  # over the figure cap (image-unreadable): not read into memory and the PDF
        files.append(SourceFile(name, path.read_bytes()))
    try:
        pdf = compile_pdf(tex, timeout=timeout, source_date_epoch=int(date.timestamp())).read_bytes()
    except BuildError as exc:
        reason = fallback_reason(exc)
        # Never longer than the engine was given: --timeout 10 means 10 s for each TeX run.
        pdf = _fallback(source, work, notes, edition, result, found, reason, date, min(fallback_timeout, timeout))
        log = LOG_NOTE.search(str(exc))  # where the log is, for the one who built it (not in the PDF)
        found.append(Finding(PDF_FALLBACK, PDF_FALLBACK.severity, None, None, reason + (log.group() if log else "")))
        final = finish(pdf, metadata(result, date, notes, fallback=reason), files)
    else:
        for char in missing_characters(tex.with_suffix(".log")):
            found.append(
                Finding(GLYPH_MISSING, GLYPH_MISSING.severity, None, None, f"the TeX engine could not print '{char}'")
            )
        final = finish(pdf, metadata(result, date, notes), files)
        shutil.rmtree(work / "latex", ignore_errors=True)  # the engine's folder goes; its log stays only on failure
    make_folder(out.parent)
    _atomic_write(out, final)
    return out, result, found


#: The engine's "(full log: ...)" at the end of an error.
LOG_NOTE = re.compile(r" \(full log: [^)]*\)$")


def fallback_reason(exc: BuildError) -> str:
    """Why LaTeX failed, in one line that depends neither on the machine's load nor on paths."""
    if isinstance(exc, BuildTimeout):
        return "the TeX engine ran past its time limit and was stopped"
    return LOG_NOTE.sub("", " ".join(str(exc).split()))


def _fallback(
    source: Source,
    work: Path,
    notes: bool,
    edition: str,
    result: CheckResult,
    found: list[Finding],
    reason: str,
    date: dt.datetime,
    timeout: float,
) -> bytes:
    """The fallback PDF's bytes (the report's text from Sphinx's text builder, else its Markdown)."""
    from exam_pdf.builders.fallback import Cover, make
    from exam_pdf.formats import finding_line, summary_line
    from exam_pdf.sphinxext.latex import _members

    try:
        _sphinx(source, work, "text", notes, edition, fresh=False, submission=result.report.submission)
        text = (work / "text" / "index.txt").read_text("utf-8")
    except Exception:
        text = source.raw.decode("utf-8", "replace")
    report = result.report
    cover = Cover(
        title=report.title or "Exam report",
        course="02476 Machine Learning Operations, DTU",
        group=report.group or "?",
        students=_members(report) or "(no study numbers given)",
        edition=report.edition.name if report.edition else "unknown",
        date=date.strftime("%Y-%m-%d"),
        check=summary_line(result) if notes else NO_CHECK,
        reason=reason,
        source=source_text(result),
    )
    # A clean copy carries no findings; it still says why LaTeX failed (the cover's reason).
    shown = sorted(result.findings + found, key=lambda f: f.sort_key) if notes else []
    lines = [finding_line(result, f) for f in shown]
    return make(cover, lines, text, work / "fallback", timeout, int(date.timestamp()))


#: The check entry of a clean copy's metadata: every PDF has the key, a clean copy not the result.
NO_CHECK = "not included (a clean copy, built without notes)"


def metadata(result: CheckResult, date: dt.datetime, notes: bool = True, fallback: str = "") -> Metadata:
    """The archive metadata of a checked report: a clean copy carries no check result;
    ``fallback`` is why LaTeX failed, for a fallback PDF; a collected report names its commit."""
    from exam_pdf.formats import summary_line

    report = result.report
    group = report.group or "?"
    edition = report.edition.name if report.edition else "unknown"
    keywords = f"02476, MLOps, exam report, group {group}, edition {edition}"
    submission = report.submission if report.submission is not None and report.submission.commit else None
    if submission is not None:
        keywords += f", commit {submission.commit}"
    return Metadata(
        title=f"{report.title or 'Exam report'} (group {group})",
        author=", ".join(report.student_ids),
        subject=f"{COURSE}, exam report, template edition {edition}",
        keywords=keywords + (", fallback" if fallback else ""),
        date=date,
        group=group,
        edition=edition,
        check=summary_line(result) if notes else NO_CHECK,
        fallback=fallback,
        repository=submission.repo_url if submission else "",
        branch=submission.branch if submission else "",
        commit=submission.commit if submission else "",
        commit_date=submission.commit_date if submission else "",
        source=submission.source_line() if submission else "",
    )


def source_text(result: CheckResult) -> str:
    """The cover's line naming the commit a collected report was taken from ("" otherwise)."""
    submission = result.report.submission
    return submission.source_line() if submission is not None else ""


def make_folder(path: Path) -> None:
    """Create ``path`` and its parents; a file in the way (or any OS error) is a BuildError (exit 2)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BuildError(f"cannot make the folder {path}: a file is in the way") from None
    except NotADirectoryError:
        blocker = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), path)
        raise BuildError(f"cannot make the folder {path}: {blocker} is a file, not a folder") from None
    except OSError as exc:
        raise BuildError(f"cannot make the folder {path}: {exc.strerror or exc}") from None


def ensure_writable(path: Path) -> None:
    """BuildError (one line, exit 2) when a folder is where the file ``path`` is to be written."""
    if path.is_dir() and not path.is_symlink():
        raise BuildError(f"cannot write {path}: a folder is in the way")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file; a folder in the way is a BuildError (exit 2)."""
    ensure_writable(path)
    tmp = path.with_name(f".{path.name}.tmp")
    if tmp.is_dir() and not tmp.is_symlink():
        raise BuildError(f"cannot write {path}: a folder named {tmp.name} is in the way")
    tmp.unlink(missing_ok=True)  # never write through a symlink planted under this name
    try:
        tmp.write_bytes(data)
    except OSError as exc:  # a full disk is reported by write() without a file name
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    tmp.replace(path)


def _remove(path: Path) -> None:
    """Delete a file, symlink or folder of the work folder, without following symlinks."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
