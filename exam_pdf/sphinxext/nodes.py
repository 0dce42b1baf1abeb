"""The extension's doctree nodes and their HTML, LaTeX and text visitors.

Notes and placeholders hold ordinary docutils children (paragraphs, lists), so
every string in them goes through each writer's own escaping; the visitors
only open and close a styled box.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes


class status_note(nodes.General, nodes.Element):
    """The outcome of a question's checks, placed after its answer. ``status``: pass/warn/fail."""


class exam_summary(nodes.General, nodes.Element):
    """The compliance and checklist summary near the top of the report."""


class checkbox(nodes.Inline, nodes.Element):
    """A checklist box. ``state``: checked, unchecked or not-applicable."""


#: Set on a question's section whose prompt is marked: the LaTeX writer keeps its heading,
#: prompt and the first lines of the answer on one page.
KEEP_WITH_PROMPT = "exam_keep_with_prompt"


class image_placeholder(nodes.General, nodes.Element):
    """A framed box standing in for a figure that is missing or cannot be used."""


class glyph_missing(nodes.Inline, nodes.TextElement):
    """A visible marker for a character no available font can print."""


_BOX_TEXT = {"checked": "[x]", "unchecked": "[ ]", "not-applicable": "[-]"}
_BOX_HTML = {"checked": "&#9745;", "unchecked": "&#9744;", "not-applicable": "&#8863;"}


# HTML -----------------------------------------------------------------------


def visit_status_note_html(self: Any, node: status_note) -> None:
    self.body.append(f'<div class="exam-note exam-{node["status"]}" role="note">')


def visit_exam_summary_html(self: Any, node: exam_summary) -> None:
    self.body.append('<div class="exam-summary">')


def depart_div_html(self: Any, node: nodes.Element) -> None:
    self.body.append("</div>\n")


def visit_checkbox_html(self: Any, node: checkbox) -> None:
    state = node["state"]
    self.body.append(
        f'<span class="exam-box exam-box-{state}" title="{state}" aria-label="{state}">{_BOX_HTML[state]}</span> '
    )
    raise nodes.SkipNode


def visit_image_placeholder_html(self: Any, node: image_placeholder) -> None:
    self.body.append(f'<{_placeholder_tag(node)} class="exam-placeholder">')


def depart_image_placeholder_html(self: Any, node: image_placeholder) -> None:
    self.body.append(f"</{_placeholder_tag(node)}>")


def _placeholder_tag(node: image_placeholder) -> str:
    return "span" if node.get("inline") else "div"


def visit_glyph_missing_html(self: Any, node: glyph_missing) -> None:
    self.body.append(self.encode(node.astext()))
    raise nodes.SkipNode


# LaTeX (environments and commands defined in latex_templates/exampdf.sty) ----


def visit_status_note_latex(self: Any, node: status_note) -> None:
    self.body.append(f"\n\\begin{{examnote}}{{{node['status']}}}\n")


def depart_status_note_latex(self: Any, node: status_note) -> None:
    self.body.append("\n\\end{examnote}\n")


def visit_exam_summary_latex(self: Any, node: exam_summary) -> None:
    self.pushbody([])  # the summary goes on the title page (latex.tex.jinja), not in the body


def depart_exam_summary_latex(self: Any, node: exam_summary) -> None:
    self.elements["exam_summary"] = "\\begin{examsummary}\n" + "".join(self.popbody()) + "\n\\end{examsummary}"


def visit_checkbox_latex(self: Any, node: checkbox) -> None:
    self.body.append(f"\\exambox{{{node['state']}}}")
    raise nodes.SkipNode


def visit_image_placeholder_latex(self: Any, node: image_placeholder) -> None:
    self.body.append("\n\\begin{examplaceholder}\n")


def depart_image_placeholder_latex(self: Any, node: image_placeholder) -> None:
    self.body.append("\n\\end{examplaceholder}\n")


def visit_glyph_missing_latex(self: Any, node: glyph_missing) -> None:
    self.body.append(f"\\examnoglyph{{{node['codepoint']}}}")
    raise nodes.SkipNode


# Text -------------------------------------------------------------------------


def visit_status_note_text(self: Any, node: status_note) -> None:
    self.new_state(0)
    self.add_text(f"[{node['status'].upper()}] ")


def depart_block_text(self: Any, node: nodes.Element) -> None:
    self.end_state()


def visit_block_text(self: Any, node: nodes.Element) -> None:
    self.new_state(0)


def visit_checkbox_text(self: Any, node: checkbox) -> None:
    self.add_text(_BOX_TEXT[node["state"]] + " ")
    raise nodes.SkipNode


def visit_glyph_missing_text(self: Any, node: glyph_missing) -> None:
    self.add_text(node.astext())
    raise nodes.SkipNode


def _noop(self: Any, node: nodes.Node) -> None:
    pass


VISITORS: dict[type[nodes.Element], dict[str, tuple[Any, Any]]] = {
    status_note: {
        "html": (visit_status_note_html, depart_div_html),
        "latex": (visit_status_note_latex, depart_status_note_latex),
        "text": (visit_status_note_text, depart_block_text),
    },
    exam_summary: {
        "html": (visit_exam_summary_html, depart_div_html),
        "latex": (visit_exam_summary_latex, depart_exam_summary_latex),
        "text": (visit_block_text, depart_block_text),
    },
    checkbox: {
        "html": (visit_checkbox_html, _noop),
        "latex": (visit_checkbox_latex, _noop),
        "text": (visit_checkbox_text, _noop),
    },
    image_placeholder: {
        "html": (visit_image_placeholder_html, depart_image_placeholder_html),
        "latex": (visit_image_placeholder_latex, depart_image_placeholder_latex),
        "text": (visit_block_text, depart_block_text),
    },
    glyph_missing: {
        "html": (visit_glyph_missing_html, _noop),
        "latex": (visit_glyph_missing_latex, _noop),
        "text": (visit_glyph_missing_text, _noop),
    },
}
