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
from exam_pdf.dates import source_date
from exam_pdf.findings import Finding
from exam_pdf.images import MAX_IMAGE_BYTES
from exam_pdf.pipeline import CheckResult
from exam_pdf.rules import GLYPH_MISSING
from exam_pdf.source import Source

PACKAGE = Path(__file__).resolve().parent.parent
IMAGE_DIR = "_exam_img"


def templates_dir() -> Path:
    """The LaTeX templates: package ``exam_pdf.latex_templates`` (``latex_templates/`` in the repository)."""
    return Path(str(importlib.resources.files("exam_pdf.latex_templates"))).resolve()


def default_work_dir(report: Path) -> Path:
    """``.exam-pdf-cache/`` beside the report when writable, else the user's cache folder."""
    beside = report.parent / ".exam-pdf-cache"
    # A symlink here (committed with the report) would point the build at any folder.
    if os.access(report.parent, os.W_OK) and not beside.is_symlink():
        return beside
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "exam-pdf" / hashlib.sha256(str(report).encode()).hexdigest()[:16]


@dataclasses.dataclass
class Built:
    html: Path | None = None
    pdf: Path | None = None
    extra_findings: list[Finding] = dataclasses.field(default_factory=list)
    result: CheckResult | None = None


def _config(source: Source, notes: bool, edition: str) -> dict[str, object]:
    from pygments.formatters import HtmlFormatter

    title = f"Exam report: {source.path.parent.name}/{source.path.name}"
    latex_dir = templates_dir()
    return {
        "extensions": ["exam_pdf.sphinxext"],
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
        "templates_path": [str(latex_dir)],
        "html_theme": "exam",
        "html_theme_path": [str(PACKAGE / "theme")],
        "html_math_renderer": "exam_pdf",
        "html_copy_source": False,
        "html_use_index": False,
        "html_domain_indices": False,
        "html_permalinks": False,
        "html_context": {
            "exam_css": (PACKAGE / "theme" / "exam.css").read_text(),
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


def _sphinx(source: Source, work: Path, builder: str, notes: bool, edition: str, fresh: bool):
    """Run one Sphinx build. ``fresh`` re-reads the report (figures may have changed even
    when the README did not); the second builder of ``exam-pdf build`` reuses that read."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    src = work / "src"
    # The work folder may come with the report (a committed .exam-pdf-cache): nothing in it
    # is trusted. Stale sources, figures, doctrees and the builder's folder (a report.aux
    # runs as TeX, a symlink reads outside) are removed, symlinks unlinked, never followed.
    for stale in ([src, work / "doctrees"] if fresh else []) + [work / builder]:
        _remove(stale)
    src.mkdir(parents=True, exist_ok=True)
    index = src / "index.md"
    if not index.exists() or index.read_bytes() != source.raw:
        index.write_bytes(source.raw)
    warnings = io.StringIO()
    with patch_docutils(str(src)), docutils_namespace():
        app = Sphinx(
            str(src),
            None,
            str(work / builder),
            str(work / "doctrees"),
            builder,
            confoverrides=_config(source, notes, edition),
            status=None,
            warning=warnings,
            freshenv=fresh,
            parallel=0,
        )
        app.build()
    return app


def build_html(
    source: Source, out: Path, work: Path, notes: bool = True, edition: str = "auto", fresh: bool = True
) -> tuple[Path, CheckResult]:
    """Write ``out`` (one HTML file; figures referenced relative to it)."""
    app = _sphinx(source, work, "html", notes, edition, fresh)
    result: CheckResult = app.env.exam_pdf_results["index"]
    page = (work / "html" / "index.html").read_text("utf-8")
    # Each figure by its real path inside the report folder: a reference written with '..'
    # (which still resolves inside) must not make the copy below land outside ``out``.
    originals = {name: _inside(source.folder, uri) for name, uri in getattr(app.env, "exam_pdf_figures", {}).items()}
    page = _relink_figures(page, originals)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.parent.resolve() != source.folder:
        for original in set(originals.values()):
            target = out.parent / original
            target.parent.mkdir(parents=True, exist_ok=True)
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
) -> tuple[Path, CheckResult, list[Finding]]:
    from exam_pdf.builders.engine import compile_pdf, missing_characters, require_tex

    require_tex()
    app = _sphinx(source, work, "latex", notes, edition, fresh)
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
    tex = work / "latex" / "report.tex"
    date, _ = source_date(source.path)
    pdf = compile_pdf(tex, timeout=timeout, source_date_epoch=int(date.timestamp()))
    for char in missing_characters(tex.with_suffix(".log")):
        found.append(
            Finding(GLYPH_MISSING, GLYPH_MISSING.severity, None, None, f"the TeX engine could not print '{char}'")
        )
    files = [SourceFile(source.path.name, source.raw)]
    for name in sorted(getattr(app.env, "exam_pdf_sources", ())):
        path = source.folder / name
        if path.stat().st_size > MAX_IMAGE_BYTES:
            continue  # over the figure cap (image-unreadable): not read into memory and the PDF
        files.append(SourceFile(name, path.read_bytes()))
    final = finish(pdf.read_bytes(), metadata(result, date), files)
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(out, final)
    shutil.rmtree(work / "latex", ignore_errors=True)  # the engine's folder goes; its log stays only on failure
    return out, result, found


def metadata(result: CheckResult, date: dt.datetime) -> Metadata:
    """The archive metadata of a checked report."""
    from exam_pdf.formats import summary_line

    report = result.report
    group = report.group or "?"
    edition = report.edition.name if report.edition else "unknown"
    return Metadata(
        title=f"{report.title or 'Exam report'} (group {group})",
        author=", ".join(report.student_ids),
        subject=f"{COURSE}, exam report, template edition {edition}",
        keywords=f"02476, MLOps, exam report, group {group}, edition {edition}",
        date=date,
        group=group,
        edition=edition,
        check=summary_line(result),
    )


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # never write through a symlink planted under this name
    tmp.write_bytes(data)
    tmp.replace(path)


def _remove(path: Path) -> None:
    """Delete a file, symlink or folder of the work folder, without following symlinks."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
