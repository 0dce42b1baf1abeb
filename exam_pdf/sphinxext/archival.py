"""exam-pdf's own builds: math shown as its TeX source in HTML, the hardened LaTeX translator.

Not part of :mod:`exam_pdf.sphinxext`, which leaves a project's other pages alone:
a project opts in with ``extensions = [..., "exam_pdf.sphinxext", "exam_pdf.sphinxext.archival"]``
and ``html_math_renderer = "exam_pdf"``. The translator then replaces Sphinx's LaTeX
translator for every page of that project (font fallback for every character, the math
allowlist, long lines and headings cut to what TeX can take; see
:mod:`exam_pdf.sphinxext.latex`). exam-pdf's report builds and ``exam-pdf site`` use it.
"""

from __future__ import annotations

from typing import Any


def setup(app: Any) -> dict[str, Any]:
    from exam_pdf import __version__
    from exam_pdf.sphinxext import html
    from exam_pdf.sphinxext.latex import ExamLaTeXTranslator

    app.setup_extension("exam_pdf.sphinxext")
    app.add_html_math_renderer("exam_pdf", (html.visit_math_html, None), (html.visit_displaymath_html, None))
    app.set_translator("latex", ExamLaTeXTranslator, override=True)
    app.connect("config-inited", _archival)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


def _archival(app: Any, config: Any) -> None:
    config.exam_pdf_archival = True  # the translator contains a report's math and HTML itself
