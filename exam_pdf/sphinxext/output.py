"""What the extension adds to a build's output, for report pages only, and its environment data.

- HTML: ``exam-notes.css`` on each report page (copied to ``_static/``); other pages
  get no link to it.
- LaTeX: ``\\usepackage{examnotes}`` in each document that holds a report, and
  ``examnotes.sty`` beside the .tex files. With Sphinx's own LaTeX translator (the
  extension does not replace it), a report's formula that the math allowlist refuses is
  printed as code and a report's HTML as its text, as exam-pdf's translator does
  (:mod:`exam_pdf.sphinxext.latex`).
- The environment: the check results of report pages, purged with the page and merged
  after a parallel read.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.fileutil import copy_asset_file

from exam_pdf.parse import REPORT_HTML

#: Set at read time on a report's formulas (exam_pdf.sphinxext.transform).
REPORT_MATH = "exam_pdf_report_math"
#: Set at read time on each question's section: the question's number.
QUESTION = "exam_question"


def sphinx_app(env: Any) -> Any:
    """The application of ``env`` (``env._app`` since Sphinx 9, ``env.app`` before), without a deprecation warning."""
    state = env.__dict__
    return state.get("_app", state.get("app"))


def is_report(env: Any, docname: str) -> bool:
    return docname in getattr(env, "exam_pdf_results", {})


def css_on_report_pages(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    from exam_pdf.sphinxext import CSS_FILE

    if doctree is not None and is_report(app.env, pagename):
        # The builder's own list is reset for every page: the link goes on this page only
        # (app.add_css_file would also register it for every page of a later build).
        app.builder.add_css_file(CSS_FILE)


def copy_assets(app: Any, exception: Exception | None) -> None:
    """``build-finished``: the CSS to ``_static/`` (HTML), ``examnotes.sty`` beside the .tex files (LaTeX)."""
    from exam_pdf.sphinxext import CSS_FILE, STATIC, latex_package_file

    if exception is not None:
        return
    if app.builder.format == "html":
        copy_asset_file(STATIC / CSS_FILE, app.outdir / "_static", force=True)  # a newer version's
    elif app.builder.format == "latex":
        copy_asset_file(latex_package_file(), app.outdir, force=True)


def holds_report(doctree: nodes.Node) -> bool:
    return any(True for _ in doctree.findall(lambda n: isinstance(n, nodes.section) and QUESTION in n))


def latex_package_where_needed(app: Any, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: the LaTeX builder takes its packages from the registry's list right
    after this event, for each document (``latex_documents`` entry) it writes: the package
    is listed only while a document that holds a report is written."""
    from exam_pdf.sphinxext import LATEX_PACKAGE

    if app.builder.format != "latex":
        return
    packages: list[tuple[str, Any]] = app.registry.latex_packages
    entry = next((p for p in packages if p[0] == LATEX_PACKAGE), (LATEX_PACKAGE, None))
    if entry in packages:
        packages.remove(entry)
    if holds_report(doctree):
        packages.append(entry)


class ContainReportLaTeX(SphinxPostTransform):
    """With Sphinx's own LaTeX translator: a report's refused formula becomes code, its HTML its text."""

    default_priority = 200
    formats = ("latex",)

    def is_supported(self) -> bool:
        # exam-pdf's own translator (exam_pdf.sphinxext.archival) does this itself, with findings.
        return super().is_supported() and not self.config.exam_pdf_archival

    def run(self, **kwargs: Any) -> None:
        from exam_pdf.sphinxext.latex import html_text
        from exam_pdf.sphinxext.texmath import refusal

        for math in list(self.document.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))):
            if not math.get(REPORT_MATH):
                continue
            display = isinstance(math, nodes.math_block)
            if refusal(math.astext(), display) is None:
                continue
            text = math.astext() if display else f"${math.astext()}$"
            math.replace_self(nodes.literal_block(text, text) if display else nodes.literal(text, text))
        for raw in list(self.document.findall(nodes.raw)):
            if raw.get(REPORT_HTML):
                raw.replace_self(nodes.Text(html_text(raw.astext())))


_ENV_DICTS = ("exam_pdf_results", "exam_pdf_figures")
_ENV_SETS = ("exam_pdf_sources", "exam_pdf_linked")


def purge_doc(app: Any, env: Any, docname: str) -> None:
    getattr(env, "exam_pdf_results", {}).pop(docname, None)


def merge_info(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    """``env-merge-info``: what a parallel reader found, into the main environment."""
    for name in _ENV_DICTS:
        env.__dict__.setdefault(name, {}).update(getattr(other, name, {}))
    for name in _ENV_SETS:
        env.__dict__.setdefault(name, set()).update(getattr(other, name, set()))
