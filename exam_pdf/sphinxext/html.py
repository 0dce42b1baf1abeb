"""HTML output: report HTML sanitised with nh3, math shown as TeX source (no script)."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from exam_pdf.parse import REPORT_HTML

#: Tags a report's own HTML may keep; images were made image nodes by the transform.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "center", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp",
    "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "tt", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "*": {"align", "title", "colspan", "rowspan"}}


def sanitise(markup: str) -> str:
    """Keep harmless formatting; drop scripts, handlers, styles and anything that loads."""
    import nh3

    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
    )


class SanitiseHTML(SphinxPostTransform):
    """Replace the report's raw HTML by its sanitised form before the HTML writer sees it."""

    default_priority = 100
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.raw)):
            if node.get(REPORT_HTML):
                clean = sanitise(node.astext())
                new = nodes.raw(clean, clean, format="html")
                node.replace_self(new)


def visit_math_html(self: Any, node: nodes.Element) -> None:
    self.body.append(f'<code class="math">{self.encode(node.astext())}</code>')
    raise nodes.SkipNode


def visit_displaymath_html(self: Any, node: nodes.Element) -> None:
    self.body.append(f'<pre class="math">{self.encode(node.astext())}</pre>\n')
    raise nodes.SkipNode
