"""Sphinx extension: check the report pages of a project and show the findings in HTML, LaTeX and text.

Use it in any Sphinx project; nothing else is needed in ``conf.py``::

    extensions = ["myst_parser", "exam_pdf.sphinxext"]

Which pages are reports: :mod:`exam_pdf.sphinxext.reports`. Only those are parsed
with exam-pdf's safe parser, checked and decorated; they get the extension's CSS
(``static/exam-notes.css``) and, in LaTeX, its package (``examnotes.sty``, copied
beside the .tex file). Every other page is built as without the extension: MathJax,
Sphinx's own LaTeX translator and the project's parser stay. exam-pdf's own builds
add :mod:`exam_pdf.sphinxext.archival` (math as code, the hardened LaTeX translator).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"
CSS_FILE = "exam-notes.css"
LATEX_PACKAGE = "examnotes"


def latex_package_file() -> Path:
    """``examnotes.sty``, shipped in the package ``exam_pdf.latex_templates``."""
    import importlib.resources

    return Path(str(importlib.resources.files("exam_pdf.latex_templates"))).resolve() / f"{LATEX_PACKAGE}.sty"


def setup(app: Any) -> dict[str, Any]:
    from exam_pdf import __version__
    from exam_pdf.sphinxext import html, nodes, output, pagelinks
    from exam_pdf.sphinxext.parser import ReportParser, dispatch_markdown
    from exam_pdf.sphinxext.transform import NoProblematic, ReportTransform

    app.add_config_value("exam_pdf_reports", [], "env", [list])
    app.add_config_value("exam_pdf_archival", False, "", [bool])  # set by exam_pdf.sphinxext.archival
    app.add_config_value("exam_pdf_edition", "auto", "env", [str])
    app.add_config_value("exam_pdf_notes", True, "env", [bool])
    app.add_config_value("exam_pdf_source", "", "env", [str])
    app.add_config_value("exam_pdf_image_dir", "", "env", [str])
    app.add_config_value("exam_pdf_report_parser", False, "env", [bool])
    app.add_config_value("exam_pdf_repo_url", "", "env", [str])
    app.add_config_value("exam_pdf_submission", {}, "env", [dict])
    for node, visitors in nodes.VISITORS.items():
        app.add_node(node, **visitors)
    app.add_transform(ReportTransform)
    app.add_transform(NoProblematic)
    app.add_node(pagelinks.page_link, **pagelinks.VISITORS)
    app.add_transform(pagelinks.LocalLinks)
    app.add_post_transform(pagelinks.ResolvePageLinks)
    app.add_post_transform(html.SanitiseHTML)
    app.add_post_transform(output.ContainReportLaTeX)
    app.add_source_parser(ReportParser)
    app.connect("config-inited", dispatch_markdown)
    app.connect("html-page-context", output.css_on_report_pages)
    app.add_latex_package(LATEX_PACKAGE)
    app.connect("doctree-resolved", output.latex_package_where_needed)
    app.connect("build-finished", output.copy_assets)
    app.connect("env-purge-doc", output.purge_doc)
    app.connect("env-merge-info", output.merge_info)
    return {
        "version": __version__,
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
