"""A Sphinx source parser for reports: exam-pdf's safe Markdown parser inside Sphinx.

exam-pdf's own builds use it instead of MyST's Sphinx parser so that the HTML
and PDF see the same tree as ``exam-pdf check`` (no directives, no roles, no
per-file MyST settings from front matter).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.parsers import Parser

from exam_pdf.parse import markdown_parser
from exam_pdf.source import source_from_text


class ReportParser(Parser):
    supported = ("exam-report",)

    def parse(self, inputstring: str, document: nodes.document) -> None:
        source = source_from_text(inputstring, document["source"])
        md = markdown_parser()
        md.options["document"] = document
        md.render(source.text)
        for message in list(document.findall(nodes.system_message)):
            if message.parent is not None:
                message.parent.remove(message)
