"""Sphinx extension: check a report page and show the findings in HTML, LaTeX and text.

Use it in any Sphinx project whose page is a report::

    extensions = ["myst_parser", "exam_pdf.sphinxext"]
"""

from __future__ import annotations

from typing import Any


def setup(app: Any) -> dict[str, Any]:
    from exam_pdf import __version__
    from exam_pdf.sphinxext import html, nodes
    from exam_pdf.sphinxext.latex import ExamLaTeXTranslator
    from exam_pdf.sphinxext.parser import ReportParser
    from exam_pdf.sphinxext.transform import NoProblematic, ReportTransform

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
    app.add_post_transform(html.SanitiseHTML)
    app.add_html_math_renderer("exam_pdf", (html.visit_math_html, None), (html.visit_displaymath_html, None))
    app.set_translator("latex", ExamLaTeXTranslator, override=True)
    app.add_source_parser(ReportParser)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
