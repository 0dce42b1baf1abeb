"""exam-pdf's LaTeX translator: every character printable, nothing unescaped that could run.

Sphinx escapes text, but math is passed to TeX as written. A report's math is
only passed on when it keeps to a strict grammar (:mod:`exam_pdf.sphinxext.texmath`:
allowlisted commands, balanced braces, no mode switches, bounded environments);
anything else (``\\input``, ``\\write18``, ``\\)``, ``^^`` escapes) is printed as
code instead, with a ``math-as-code`` finding. Raw HTML from the report is printed
as its text. What TeX cannot take at all is cut down to size: a heading longer than
:data:`HEADING_MAX` characters is shortened (its full text follows as a paragraph),
and no line of the .tex file is longer than :data:`LINE_MAX` (TeX stops at a line
longer than its buffer, 200,000 bytes).
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.writers.latex import LaTeXTranslator

from exam_pdf.builders.engine import LINE_MARK
from exam_pdf.builders.preamble import END_OF_DUMP
from exam_pdf.parse import REPORT_HTML
from exam_pdf.rules import MATH_AS_CODE, PDF_SHORTENED, Rule
from exam_pdf.sphinxext.glyphs import MONO_FONT, GlyphPlan, no_glyph, preamble, route
from exam_pdf.sphinxext.nodes import KEEP_WITH_PROMPT
from exam_pdf.sphinxext.texlines import HEADING_MAX, PARAGRAPH_MAX, break_long_lines, shorten
from exam_pdf.sphinxext.texmath import refusal

#: Control characters (a stray form feed or escape pasted from a terminal) stop TeX with
#: "invalid character"; they are shown as a marked code point instead, never dropped.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


#: A hyphen followed by another: "--" becomes "-{}-", "---" becomes "-{}-{}-".
_DASH_RUN = re.compile(r"-(?=-)")


def _visible_controls(tex: str) -> str:
    return _CONTROL_CHARS.sub(lambda m: no_glyph(ord(m.group())), tex)


_BLOCKS = (
    nodes.paragraph,
    nodes.section,
    nodes.literal_block,
    nodes.table,
    nodes.bullet_list,
    nodes.enumerated_list,
    nodes.block_quote,
    nodes.math_block,
)

if TYPE_CHECKING:
    from exam_pdf.model import Report


def math_is_safe(tex: str, display: bool = False) -> bool:
    """True when ``tex`` keeps to the strict math grammar of :mod:`exam_pdf.sphinxext.texmath`."""
    return refusal(tex, display) is None


_LONG = 24
_LONG_RUN = re.compile(rf"\S{{{_LONG},}}")
_BREAK = "\u200b"  # marks a break point until the text is escaped


def _breakable(match: re.Match[str]) -> str:
    """Allow a line break after separators, and at least every 16 characters."""
    out, since = [], 0
    for char in match.group(0):
        out.append(char)
        since += 1
        if char in "/_.-=&?:,;" or since >= 16:
            out.append(_BREAK)
            since = 0
    return "".join(out)


class ExamLaTeXTranslator(LaTeXTranslator):
    """Sphinx's LaTeX translator with font fallback, math allowlist and safe raw handling."""

    def __init__(self, document: nodes.document, builder: Any, theme: Any) -> None:
        self.glyphs = GlyphPlan()
        self._line: int | None = None
        self._marked: int | None = None
        self.glyph_lines: list[tuple[str, int | None]] = []
        #: Findings about the PDF only: (rule, report line, message).
        self.tex_findings: list[tuple[Rule, int | None, str]] = []
        self._full_heading: str | None = None
        super().__init__(document, builder, theme)
        builder.exam_glyph_lines = self.glyph_lines
        builder.exam_tex_findings = self.tex_findings
        self.elements.setdefault("exam_summary", "")
        self.elements["exam"] = self._title_page(builder)
        self.elements["exam_end_of_dump"] = END_OF_DUMP

    def _title_page(self, builder: Any) -> dict[str, str]:
        """Title-page fields from the check result, escaped for LaTeX."""
        from exam_pdf import __version__
        from exam_pdf.dates import source_date
        from exam_pdf.formats import summary_line

        results = getattr(builder.env, "exam_pdf_results", {})
        result = results.get(builder.config.root_doc) or next(iter(results.values()), None)
        fields = {"version": __version__, "course": "02476 Machine Learning Operations, DTU"}
        fields.update(repository="", commit="")
        if result is None:
            fields.update(title="Report", group="?", students="", edition="", date="", check="")
        else:
            report = result.report
            edition = report.edition
            date, _ = source_date(report.path, report.submission.commit_date if report.submission else "")
            title = shorten(report.title or "Exam report")
            if title != report.title and report.title:
                self.tex_findings.append(
                    (
                        PDF_SHORTENED,
                        None,
                        f"the title ({len(report.title)} characters) is shortened on the cover, given in full below",
                    )
                )
            fields.update(
                title=title,
                group=report.group or "?",
                students=_members(report) or "(no study numbers given)",
                edition=f"{edition.name}" if edition else "unknown",
                date=date.strftime("%Y-%m-%d"),
                # A clean copy (exam_pdf_notes off) carries no trace of the check.
                check=summary_line(result) if builder.config.exam_pdf_notes else "",
            )
            submission = report.submission
            if submission is not None and submission.commit:  # a collected report names its commit
                branch = f" on {submission.branch}" if submission.branch else ""
                fields.update(
                    repository=submission.repo_url,
                    commit=f"{submission.commit}{branch}, committed {submission.commit_date}",
                )
        return {key: value if key == "version" else self.encode(value) for key, value in fields.items()}

    def dispatch_visit(self, node: nodes.Node) -> None:
        line = getattr(node, "line", None)
        self._line = line or self._line
        if line and line != self._marked and isinstance(node, _BLOCKS) and self.body and self.body[-1].endswith("\n"):
            # A comment line naming the report's line, so that a TeX error can be traced
            # back to it (exam_pdf.builders.engine.first_error). Only at the start of a
            # line: there it changes nothing (no new blank line, nothing commented out).
            self.body.append(f"%{LINE_MARK}{line}\n")
            self._marked = line
        super().dispatch_visit(node)

    _in_uri = False

    def encode(self, text: str) -> str:
        if self._in_uri:
            return super().encode(text)
        # Long unbroken runs (URLs, identifiers) get break points so that they wrap.
        text = _LONG_RUN.sub(_breakable, text) if len(text) > _LONG else text
        tex = self._route(_visible_controls(super().encode(text))).replace(_BREAK, "\\allowbreak{}")
        # "--" and "---" are printed as written (a command-line flag, the template's
        # placeholder), not joined into dashes by the font's TeX ligatures.
        return _DASH_RUN.sub("-{}", tex)

    def encode_uri(self, text: str) -> str:
        # A link's target goes to hyperref as it is: no break points or font switches in it.
        self._in_uri = True
        try:
            return super().encode_uri(text)
        finally:
            self._in_uri = False

    def _route(self, tex: str, main: str | None = None) -> str:
        before = len(self.glyphs.missing)
        routed = route(tex, self.glyphs, main) if main else route(tex, self.glyphs)
        for char in self.glyphs.missing[before:]:
            self.glyph_lines.append((char, self._line))
        return routed

    def visit_title(self, node: nodes.Element) -> None:
        if isinstance(node.parent, nodes.section) and node.parent.get(KEEP_WITH_PROMPT):
            # A question's heading, its prompt and the answer's first lines start on the same
            # page: a prompt alone at the foot of a page, its answer overleaf, reads badly.
            self.body.append("\n\\needspace{10\\baselineskip}\n")
        text = node.astext()
        if isinstance(node.parent, nodes.section) and len(text) > HEADING_MAX:
            # TeX sets a heading in one unbreakable box and again in the bookmarks: one of
            # thousands of characters takes it minutes. The heading is shortened; its full
            # text follows it as a paragraph.
            node.clear()
            node += nodes.Text(shorten(text))
            if self.this_is_the_title:  # the report's title: on the cover (see _title_page)
                self.body.append(self._full_text(text))
            else:
                self._full_heading = text
                self.tex_findings.append(
                    (PDF_SHORTENED, self._line, f"a heading of {len(text)} characters is shortened in the PDF")
                )
        super().visit_title(node)

    def depart_title(self, node: nodes.Element) -> None:
        super().depart_title(node)
        if self._full_heading is not None:
            self.body.append(self._full_text(self._full_heading))
            self._full_heading = None

    def _full_text(self, heading: str) -> str:
        return "\n\\sphinxAtStartPar\n\\textit{" + self.encode(heading) + "}\n\\par\n"

    def visit_literal_block(self, node: nodes.Element) -> None:
        start = len(self.body)
        try:
            super().visit_literal_block(node)
        finally:
            for index in range(start, len(self.body)):
                self.body[index] = self._route(_visible_controls(self.body[index]), MONO_FONT)

    def _math_refused(self, node: nodes.Element, display: bool) -> bool:
        why = refusal(node.astext(), display)
        if why is not None:
            self.tex_findings.append((MATH_AS_CODE, self._line, f"a formula is shown as code: {why}"))
        return why is not None

    def visit_math(self, node: nodes.Element) -> None:
        if not self._math_refused(node, display=False):
            super().visit_math(node)
            return
        self.body.append(r"\sphinxcode{\sphinxupquote{" + self.encode("$" + node.astext() + "$") + "}}")
        raise nodes.SkipNode

    def visit_math_block(self, node: nodes.Element) -> None:
        if not self._math_refused(node, display=True):
            super().visit_math_block(node)
            return
        self.body.append("\n\\begin{sphinxVerbatim}[commandchars=\\\\\\{\\}]\n")
        self.body.append(self.encode(node.astext()))
        self.body.append("\n\\end{sphinxVerbatim}\n")
        raise nodes.SkipNode

    def visit_raw(self, node: nodes.Element) -> None:
        if node.get(REPORT_HTML):
            text = html_text(node.astext())
            if text.strip():
                self.body.append(self.encode(text))
            raise nodes.SkipNode
        if node.get("exam_pdf_own") and node.get("format") == "latex":
            self.body.append(node.astext())  # written by exam-pdf's own transform, never by a report
            raise nodes.SkipNode
        if "latex" in node.get("format", "").split() and node.astext().strip() == "\\\\":
            self.body.append("\\\\\n")  # MyST's own hard line break
        raise nodes.SkipNode

    def astext(self) -> str:
        self.elements["preamble"] = self.elements.get("preamble", "") + "\n" + preamble(self.glyphs)
        tex, broken, split = break_long_lines(super().astext())
        for length, pieces in broken:
            self.tex_findings.append(
                (PDF_SHORTENED, None, f"a code line of {length} characters is broken into {pieces} lines")
            )
        for length in split:
            self.tex_findings.append(
                (PDF_SHORTENED, None, f"a paragraph of {length} characters is set as several of {PARAGRAPH_MAX}")
            )
        return tex


def html_text(markup: str) -> str:
    """The text of an HTML fragment, with its tags (and anything inside scripts) removed."""
    import nh3

    cleaned = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style"})
    return html.unescape(cleaned)


def _members(report: Report) -> str:
    """Question 2's study numbers for the title page; a malformed one is shown, marked."""
    from exam_pdf.checks.identity import STUDY_NUMBER, study_number_candidates

    second = report.question(2)
    if second is None:
        return ""
    return ", ".join(
        entry if STUDY_NUMBER.match(entry) else f"{entry} (not a study number)"
        for entry in dict.fromkeys(study_number_candidates(second.answer_text))
    )
