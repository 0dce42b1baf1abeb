"""Parse a report's Markdown into a docutils doctree with MyST-Parser.

Reports are GitHub Markdown written by students, and untrusted. The parser
therefore knows only the syntax a report needs (CommonMark, tables,
strikethrough, dollar math) and none of MyST's executable syntax: a fenced
block such as ```` ```{include} ```` is shown as code, as GitHub shows it, and
marked so that the checks can report it. Setext headings are switched off: in
reports a ``---`` line under a paragraph is a separator, and reading it as a
heading would cut the answer in two.

Bare web addresses become links as GitHub makes them (``https://...``, ``www.``, e-mail
addresses), but not bare names such as ``train.py`` or ``data.md``, which a fuzzy linker
would read as domains of Paraguay and Moldova.

No Sphinx application is needed here; the ``check`` command uses only this.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser as RstParser
from docutils.utils import new_document
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.dollarmath import dollarmath_plugin
from myst_parser.config.main import MdParserConfig
from myst_parser.mdit_to_docutils.base import DocutilsRenderer, token_line

from exam_pdf.caps import caps_plugin
from exam_pdf.source import Source

#: The markdown-it rules switched off for reports (see module docstring).
DISABLED_SYNTAX = ("lheading",)

#: Deepest nesting of quotes and lists accepted before the parser stops nesting.
MAX_NESTING = 20

#: Attribute set on nodes made from something the report wrote that exam-pdf
#: does not run (a MyST directive fence); the safety check reports them.
NOT_EXECUTED = "exam_not_executed"

#: Attribute set on raw nodes that hold HTML the report wrote (as opposed to
#: raw nodes MyST itself makes, e.g. for a hard line break).
REPORT_HTML = "exam_report_html"


class ReportRenderer(DocutilsRenderer):
    """MyST's docutils renderer with everything executable turned into text."""

    def render_fence(self, token: SyntaxTreeNode) -> None:
        info = (token.info or "").strip()
        name = info.split(maxsplit=1)[0] if info else ""
        if name.startswith("{") and name.endswith("}"):
            # ```{include} /etc/passwd``` is shown as the code it is, never run.
            fence = token.markup or "```"
            shown = f"{fence}{info}\n{token.content}{fence}"
            node = nodes.literal_block(shown, shown)
            node["language"] = "text"
            node[NOT_EXECUTED] = f"{name} {info[len(name) :].strip()}".strip()
            self.add_line_and_source_path(node, token)
            self.current_node.append(node)
            return
        super().render_fence(token)

    def render_html_block(self, token: SyntaxTreeNode) -> None:
        node = nodes.raw(token.content, token.content, format="html")
        node[REPORT_HTML] = True
        node.line = token_line(token, 0) or None
        self.current_node.append(node)

    def render_html_inline(self, token: SyntaxTreeNode) -> None:
        self.render_html_block(token)

    def render_s(self, token: SyntaxTreeNode) -> None:
        node = nodes.inline(classes=["strikethrough"])
        self.add_line_and_source_path(node, token)
        with self.current_node_context(node, append=True):
            self.render_children(token)


class ReportLinkify(LinkifyIt):
    """GitHub's autolinks: ``http(s)://`` and ``mailto:`` addresses, ``www.`` hosts and e-mail
    addresses. No fuzzy domains (``train.py``), no ``ftp:`` and no ``//host``."""

    def __init__(self) -> None:
        super().__init__(options={"fuzzy_link": False, "fuzzy_ip": False, "fuzzy_email": True})
        self.add("ftp:", None).add("//", None)
        self.add("www.", {"validate": self._validate_www, "normalize": self._normalize_www})

    def _validate_www(self, text: str, pos: int) -> int:
        if "www" not in self.re:
            self.re["www"] = re.compile(self.re["src_host_port_strict"] + self.re["src_path"], re.I)
        found = self.re["www"].match(text, pos)
        return len(found.group()) if found else 0

    def _normalize_www(self, match: Any) -> None:
        match.url = "http://" + match.url


def markdown_parser(config: MdParserConfig | None = None) -> MarkdownIt:
    """The markdown-it parser for reports, rendering to docutils."""
    config = config or MdParserConfig()
    md = (
        MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}, renderer_cls=ReportRenderer)
        .enable(["table", "strikethrough", "linkify"])
        .disable(list(DISABLED_SYNTAX))
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
        .use(caps_plugin)
    )
    md.options.update({"myst_config": config, "linkify": True})
    md.linkify = ReportLinkify()
    return md


def docutils_settings() -> Any:
    """Docutils settings that never read a file or pass raw output through."""
    settings = get_default_settings(RstParser)
    settings.file_insertion_enabled = False
    settings.raw_enabled = False
    settings.report_level = 5  # the checks report problems, not docutils
    settings.halt_level = 5
    settings.warning_stream = False
    settings.line_length_limit = 100_000
    settings.myst_suppress_warnings = ["myst"]
    return settings


def parse(source: Source) -> nodes.document:
    """Parse a report into a doctree whose node lines point into the file."""
    document = new_document(str(source.path), docutils_settings())
    # The checks need a code block's text, not its colours: no Pygments lexer is loaded
    # (~70 ms of a fresh ``exam-pdf check``). Sphinx builds highlight later, in the builder.
    md = markdown_parser(MdParserConfig(highlight_code_blocks=False))
    md.options["document"] = document
    md.render(source.text)
    # MyST attaches its own warnings to the tree; the checks report what matters.
    for message in list(document.findall(nodes.system_message)):
        if message.parent is not None:
            message.parent.remove(message)
    return document
