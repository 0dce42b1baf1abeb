"""Caps on how much of a report the Markdown parser reads, so that a check never stalls.

A markdown-it plugin (used by :func:`exam_pdf.parse.markdown_parser`, so ``check``,
HTML and PDF read the same part of a report). The real reports have up to 31
questions and 1,500 blocks; the caps are far above that and only cut hostile or
broken files:

- at most :data:`MAX_QUESTIONS` question headings: the text from the next one on is
  not read;
- at most :data:`MAX_BLOCKS` block starts and block tokens (a paragraph is three
  tokens, a list item five; a link reference definition makes none): the text from
  the next block on is not read;
- no table of more than :data:`MAX_TABLE_CELLS` cells (markdown-it makes a table in one
  step, so the block cap would only see it afterwards): reading stops before it;
- at most :data:`MAX_INLINE_TOKENS` inline tokens (words between markup, emphasis, code,
  math, links): the text after that is plain text, its markup is not read;
- at most :data:`MAX_LABEL_STEPS` steps spent looking for the ``]`` of link and image
  labels: markdown-it looks for it from every ``[`` (about 80 steps per unclosed
  ``![``, each running every inline rule), so 60,000 of them cost seconds; past the
  cap, ``[`` is plain text.

Every cut is recorded on the document (:data:`CUTS`) and reported by the
``report-too-large`` rule: nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import re
import types
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

MAX_QUESTIONS = 1000
MAX_BLOCKS = 20_000
MAX_LABEL_STEPS = 200_000
MAX_TABLE_CELLS = 20_000
MAX_INLINE_TOKENS = 200_000

#: Document attribute: a list of ``(kind, line, message)``; kind ``rest`` means nothing
#: from ``line`` on was read, ``links`` that links and images from there on are text,
#: ``plain`` that all inline markup from there on is text.
CUTS = "exam_cuts"

_DELIMITER_ROW = re.compile(r"[ \t|:-]+")
_QUESTION_HEADING = re.compile(r"#{1,6}[ \t]+[ \t*_]*question\s*\d", re.I)
_ENV = "exam_caps"


@dataclasses.dataclass
class _State:
    stopped: bool = False
    blocks: int = 0
    questions: int = 0
    inline_tokens: int = 0
    plain_line: int | None = None
    current_line: int = 0
    label_steps: int = 0
    refused: int = 0
    refused_line: int | None = None
    cuts: list[tuple[str, int, str]] = dataclasses.field(default_factory=list)


def caps_plugin(md: MarkdownIt) -> None:
    """Install the caps on ``md`` (this parser instance only)."""
    md.block.ruler.before(md.block.ruler.get_all_rules()[0], "exam_caps", _stop_blocks)
    md.inline.ruler.before(md.inline.ruler.get_all_rules()[0], "exam_caps", _stop_inline)
    md.core.ruler.at("inline", _inline)
    md.core.ruler.push("exam_record_cuts", _record)
    original_label = md.helpers.parseLinkLabel
    original_skip = md.inline.skipToken

    def parse_link_label(state: StateInline, start: int, disable_nested: bool = False) -> int:
        caps = state.env.get(_ENV)
        if caps is not None and caps.label_steps >= MAX_LABEL_STEPS:
            caps.refused += 1
            return -1
        return original_label(state, start, disable_nested)

    def skip_token(state: StateInline) -> None:
        caps = state.env.get(_ENV)
        if caps is not None:
            caps.label_steps += 1
        original_skip(state)

    helpers = types.SimpleNamespace(**{name: getattr(md.helpers, name) for name in md.helpers.__all__})
    helpers.parseLinkLabel = parse_link_label
    md.helpers = helpers  # type: ignore[assignment]
    md.inline.skipToken = skip_token  # type: ignore[method-assign]


def _stop_blocks(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """The first block rule, run where every block starts: stop reading beyond a cap
    (too many blocks or question headings, or a table too large starts here).

    Stopping sets the line to the end of the text (or of the quote being read), which
    ends markdown-it's loops; the containers still open are closed as usual.
    """
    caps = state.env.setdefault(_ENV, _State())
    if caps.stopped:
        state.line = state.lineMax
        return True
    reason = ""
    caps.blocks += 1
    if len(state.tokens) >= MAX_BLOCKS or caps.blocks > MAX_BLOCKS:
        reason = f"the report has more than {MAX_BLOCKS} Markdown blocks (paragraphs, list items, headings, ...)"
    elif _table_cells(state, start) > MAX_TABLE_CELLS:
        reason = f"the table at line {start + 1} has more than {MAX_TABLE_CELLS} cells"
    elif state.level == 0 and state.sCount[start] - state.blkIndent < 4:
        line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
        if _QUESTION_HEADING.match(line):
            caps.questions += 1
            if caps.questions > MAX_QUESTIONS:
                reason = f"the report has more than {MAX_QUESTIONS} question headings"
    if not reason:
        return False
    caps.stopped = True
    caps.cuts.append(("rest", start + 1, f"{reason}; nothing from line {start + 1} on is checked or shown"))
    state.line = state.lineMax
    return True


def _table_cells(state: StateBlock, start: int) -> int:
    """Cells of the table starting at ``start`` (0 if none starts there), counted up to just past the cap.

    Only where the next line is a delimiter row (``|---|:--|``), as markdown-it requires;
    rows are counted until a blank line, and no further than the cap needs.
    """
    if start + 1 >= state.lineMax:
        return 0
    delimiter = state.src[state.bMarks[start + 1] + state.tShift[start + 1] : state.eMarks[start + 1]]
    if "|" not in delimiter or "-" not in delimiter or not _DELIMITER_ROW.fullmatch(delimiter):
        return 0
    columns = max(delimiter.strip().strip("|").count("|") + 1, 1)
    rows, line = 1, start + 2
    while line < state.lineMax and not state.isEmpty(line) and rows * columns <= MAX_TABLE_CELLS:
        rows, line = rows + 1, line + 1
    return rows * columns


def _stop_inline(state: StateInline, silent: bool) -> bool:
    """The first inline rule: past the cap, the rest of the block is plain text."""
    caps = state.env.get(_ENV)
    if silent or caps is None or caps.inline_tokens + len(state.tokens) < MAX_INLINE_TOKENS:
        return False
    if caps.plain_line is None:
        caps.plain_line = caps.current_line
    state.pending += state.src[state.pos : state.posMax]
    state.pos = state.posMax
    return True


def _inline(state: StateCore) -> None:
    """markdown-it's own ``inline`` core rule, noting where links and markup stop being read."""
    caps = state.env.get(_ENV)
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            before = caps.refused if caps else 0
            if caps:
                caps.current_line = _line(token)
            state.md.inline.parse(token.content, state.md, state.env, token.children)
            if caps:
                caps.inline_tokens += len(token.children)
                if caps.refused > before and caps.refused_line is None:
                    caps.refused_line = _line(token)


def _record(state: StateCore) -> None:
    caps = state.env.get(_ENV)
    document: Any = state.md.options.get("document")
    if caps is None or document is None:
        return
    cuts = list(caps.cuts)
    if caps.refused_line is not None:
        line = caps.refused_line
        cuts.append(
            (
                "links",
                line,
                f"too many unclosed '[' to resolve: from line {line} on, links and images "
                "are shown as plain text and not counted",
            )
        )
    if caps.plain_line is not None:
        line = caps.plain_line
        cuts.append(
            (
                "plain",
                line,
                f"the report has more than {MAX_INLINE_TOKENS} inline elements (words between markup, emphasis, "
                f"code, math, links); from line {line} on the text is shown as it is written, its markup "
                "(images included) is not read",
            )
        )
    if cuts:
        document[CUTS] = [*document.get(CUTS, []), *cuts]


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0
