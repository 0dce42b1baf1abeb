"""The extension in a Sphinx project of its own (tests/roots/test-site), built as Sphinx's
own tests build projects: an index, a normal page with math, code and cross-references,
and two report pages of different editions, with the ``extensions`` line and nothing else
for exam-pdf.

Each build must be clean with warnings as errors; the report pages get their notes and
styles, and the normal page is exactly what Sphinx makes of it without the extension.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from exam_pdf.sphinxext import CSS_FILE

WITHOUT_EXTENSION = {"extensions": ["myst_parser"]}
#: MyST-Parser's own reference resolver (on its pages, not the reports) still uses an attribute
#: Sphinx 9 deprecates: not exam-pdf's to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:'myst_parser.sphinx_ext.myst_refs.MystReferenceResolver.app' is deprecated"
)


def _clean(app) -> None:
    warnings = app.warning.getvalue()
    assert warnings == "", warnings


@pytest.mark.sphinx("html", testroot="site", srcdir="site-html", freshenv=True)
def test_html_report_pages_are_styled_and_the_normal_page_keeps_mathjax(app) -> None:
    app.warningiserror = True
    app.build()
    _clean(app)
    out = Path(app.outdir)
    report = (out / "reports" / "group-7.html").read_text("utf-8")
    normal = (out / "normal.html").read_text("utf-8")
    index = (out / "index.html").read_text("utf-8")
    assert f'href="../_static/{CSS_FILE}' in report, "the report page links the notes' CSS"
    assert (out / "_static" / CSS_FILE).read_text("utf-8").count(".exam-note") >= 1
    assert 'class="exam-summary"' in report and 'class="exam-note exam-' in report
    assert re.search(r'<span class="exam-status-(pass|warn|fail)">', report), "the status column is coloured"
    # the normal page: no notes, no CSS of the extension, MathJax renders its math
    assert CSS_FILE not in normal and CSS_FILE not in index
    assert "mathjax" in normal.lower() and r"\(E = mc^2\)" in normal
    assert 'class="math notranslate nohighlight"' in normal
    assert "exam-note" not in normal and '<code class="math">' not in normal
    # the report of the other edition is a report too, and its own edition
    other = (out / "reports" / "group-12.html").read_text("utf-8")
    assert "Template edition 2026" in other and "Template edition 2023" in report
    # the report's link to the notes' page leads there; no "Unknown target name"
    assert "problematic" not in report + other + index + normal
    results = app.env.exam_pdf_results
    assert set(results) == {"reports/group-7", "reports/group-12"}


@pytest.mark.sphinx("dirhtml", testroot="site", srcdir="site-dirhtml", freshenv=True)
def test_dirhtml(app) -> None:
    app.warningiserror = True
    app.build()
    _clean(app)
    out = Path(app.outdir)
    report = (out / "reports" / "group-12" / "index.html").read_text("utf-8")
    assert f'href="../../_static/{CSS_FILE}' in report and 'class="exam-note exam-' in report
    assert CSS_FILE not in (out / "normal" / "index.html").read_text("utf-8")


@pytest.mark.sphinx("text", testroot="site", srcdir="site-text", freshenv=True)
def test_text(app) -> None:
    app.warningiserror = True
    app.build()
    _clean(app)
    report = (Path(app.outdir) / "reports" / "group-7.txt").read_text("utf-8")
    assert "**Compliance summary.** " in report
    assert "**error** " in report or "**warning** " in report
    assert not re.search(r"\*\*(Compliance summary\.|error|warning|Figure not shown:) \*\*", report)
    assert re.search(r"^\[(PASS|WARN|FAIL)\]\s+\*\*Question 1 (passes|has warnings|breaks)", report, re.M)
    normal = (Path(app.outdir) / "normal.txt").read_text("utf-8")
    assert "Compliance" not in normal and "E = mc^2" in normal


def _latex(make_app, srcdir: Path, clean: bool = True, **kwargs) -> Path:
    app = make_app("latex", srcdir=srcdir, freshenv=True, warningiserror=clean, **kwargs)
    try:
        app.build()
        if clean:
            _clean(app)
    finally:
        app.cleanup()  # the next application registers Sphinx's nodes again
    return Path(app.outdir)


@pytest.mark.latex
def test_latex_compiles_and_leaves_the_normal_page_as_sphinx_writes_it(make_app, rootdir: Path, tmp_path: Path) -> None:
    def copy(name: str) -> Path:
        return Path(shutil.copytree(rootdir / "test-site", tmp_path / name))

    out = _latex(make_app, copy("with"))
    # (without the extension MyST warns about the reports' links to their figures and pages)
    plain = _latex(make_app, copy("without"), clean=False, confoverrides=WITHOUT_EXTENSION)
    site = (out / "site.tex").read_text("utf-8")
    assert "\\usepackage{examnotes}" in site and "\\begin{examnote}" in site and (out / "examnotes.sty").is_file()
    # the normal page's document: byte for byte what Sphinx writes without the extension
    normal = (out / "normal.tex").read_text("utf-8")
    assert "examnotes" not in normal
    assert normal == (plain / "normal.tex").read_text("utf-8")
    # a report's formula outside the math allowlist is printed as code, never run
    assert "\\input{/etc/passwd}" not in site.replace("\\sphinxcode{\\sphinxupquote{", "")
    for name in ("site", "normal"):
        for _ in range(2):
            done = subprocess.run(
                ["xelatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", f"{name}.tex"],
                cwd=out,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout[-3000:]
        assert (out / f"{name}.pdf").stat().st_size > 10_000


@pytest.mark.sphinx(
    "text", testroot="site", srcdir="site-globs", freshenv=True, confoverrides={"exam_pdf_reports": ["reports/group-7"]}
)
def test_exam_pdf_reports_names_the_report_pages(app) -> None:
    app.build()
    out = Path(app.outdir)
    assert set(app.env.exam_pdf_results) == {"reports/group-7"}
    assert "Compliance summary" in (out / "reports" / "group-7.txt").read_text("utf-8")
    assert "Compliance summary" not in (out / "reports" / "group-12.txt").read_text("utf-8")


@pytest.mark.slow  # seconds of work: make test runs it, test-fast leaves it out
def test_parallel_build_merges_what_each_reader_found(make_app, rootdir: Path, tmp_path: Path) -> None:
    """``sphinx-build -j``: reports read in other processes are checked and styled all the same."""
    src = Path(shutil.copytree(rootdir / "test-site", tmp_path / "parallel"))
    extra = [f"reports/copy-{n}" for n in range(4)]
    for name in extra:
        shutil.copy(src / "reports" / "group-7.md", src / f"{name}.md")
    index = src / "index.md"
    index.write_text(
        index.read_text("utf-8").replace("reports/group-12\n", "reports/group-12\n" + "\n".join(extra) + "\n")
    )
    app = make_app("html", srcdir=src, freshenv=True, parallel=2, warningiserror=True)
    try:
        app.build()
        _clean(app)
    finally:
        app.cleanup()
    assert set(app.env.exam_pdf_results) == {"reports/group-7", "reports/group-12", *extra}
    for name in extra:
        page = (Path(app.outdir) / f"{name}.html").read_text("utf-8")
        assert CSS_FILE in page and 'class="exam-note exam-' in page
