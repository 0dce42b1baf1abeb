"""Source parsers: exam-pdf's safe Markdown parser for report pages, the project's own for the rest.

:class:`ReportParser` (source type ``exam-report``) parses every page it is given
safely: exam-pdf's own builds map ``.md`` to it, so that the HTML and PDF see the
same tree as ``exam-pdf check`` (no directives, no roles, no per-file MyST
settings from front matter). In a project with MyST-Parser, :func:`dispatch_markdown`
puts :class:`MarkdownDispatcher` in front of MyST's parser: a report page (see
:mod:`exam_pdf.sphinxext.reports`) goes to the safe parser, every other page to
MyST's parser, untouched.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from sphinx.parsers import Parser

from exam_pdf.parse import markdown_parser
from exam_pdf.source import source_from_text
from exam_pdf.sphinxext import reports


def _sphinx_objects(parser: Parser) -> tuple[Any, Any]:
    """The config and environment Sphinx gave the parser (``_config``/``_env`` since Sphinx 9,
    ``config``/``env`` before), read without the deprecation warning of the old names."""
    state = parser.__dict__
    return state.get("_config", state.get("config")), state.get("_env", state.get("env"))


def render_report(inputstring: str, document: nodes.document, tokens: list[Any] | None = None) -> None:
    """Render a report page with the safe parser into ``document``; ``tokens``: already parsed."""
    source = source_from_text(inputstring, document["source"])
    md = markdown_parser()
    md.options["document"] = document
    env: dict[str, Any] = {}
    md.renderer.render(tokens if tokens is not None else md.parse(source.text, env), md.options, env)
    for message in list(document.findall(nodes.system_message)):
        if message.parent is not None:
            message.parent.remove(message)
    document[reports.SAFE_FLAG] = True


class ReportParser(Parser):
    """Every page of this source type is parsed safely; it counts as a report unless
    ``exam_pdf_reports`` is set and does not name it."""

    supported = ("exam-report",)

    def parse(self, inputstring: str, document: nodes.document) -> None:
        config, env = _sphinx_objects(self)
        render_report(inputstring, document)
        document[reports.REPORT_FLAG] = reports.chosen(config, env.docname) is not False


class MarkdownDispatcher(Parser):
    """Report pages to the safe parser, other Markdown pages to ``delegate`` (MyST's parser)."""

    supported = ("markdown",)
    delegate: ClassVar[type[Parser]]

    def parse(self, inputstring: str, document: nodes.document) -> None:
        config, env = _sphinx_objects(self)
        decided = reports.chosen(config, env.docname)
        tokens = None
        if decided is None:  # detection: the same markdown-it tokens the safe parser renders
            source = source_from_text(inputstring, document["source"])
            tokens = markdown_parser().parse(source.text, {})
            decided = reports.has_question_heading(tokens)
        if decided:
            render_report(inputstring, document, tokens)
            document[reports.REPORT_FLAG] = True
            return
        other = self.delegate()
        other.__dict__.update(self.__dict__)  # the config and environment Sphinx gave this parser
        other.parse(inputstring, document)


def dispatch_markdown(app: Any, config: Any) -> None:
    """``config-inited``: once every extension is set up, put the dispatcher in front of the
    parser registered for Markdown (MyST's). Without one, nothing changes."""
    current = app.registry.source_parsers.get("markdown")
    if current is None or issubclass(current, MarkdownDispatcher):
        return
    dispatcher = type("MarkdownDispatcher", (MarkdownDispatcher,), {"delegate": current})
    app.add_source_parser(dispatcher, override=True)
