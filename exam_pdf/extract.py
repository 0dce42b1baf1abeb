"""Build the report model from the doctree.

The doctree gives the structure: which lines are headings (a ``###`` inside a
code block is not), where a question section ends, which nodes are images.
The source lines give the answer's text exactly as written, because words are
counted the way the course's checker counts them: whitespace-separated tokens
of the Markdown between ``Answer:`` and the next heading.

One normalisation is applied to the tree: an answer that starts inside the
prompt's quote (``> Answer: We used ...`` or ``> Answer:`` followed directly
by quoted text) is moved out of the quote, so every question has the same
shape for the writers: a prompt quote that ends with ``Answer:``, then the
answer's nodes.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from docutils import nodes

from exam_pdf.caps import CUTS
from exam_pdf.model import BoxState, ChecklistItem, Cut, ImageRef, Question, Report
from exam_pdf.parse import NOT_EXECUTED, REPORT_HTML
from exam_pdf.source import Source

QUESTION_TITLE = re.compile(r"^\s*question\s*(\d+)\b", re.I)
#: ``Answer:`` at the start of a line, after blanks, ``*`` or ``_`` on that line only: a class
#: that crossed line ends would make every line start rescan the lines after it (quadratic).
ANSWER_IN_TEXT = re.compile(r"(?m)^(?:[^\S\n]|[*_])*Answer[\s*_]*:")
_FILLER = re.compile(r"[\s*_]*")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".tif", ".tiff")
_IMG_OPEN = re.compile(r"<img\b", re.I)
_SRC_ATTR = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_BOX = re.compile(r"^\[( |x|X|-)\]\s")
_BOX_STATES = {" ": BoxState.UNCHECKED, "x": BoxState.CHECKED, "X": BoxState.CHECKED, "-": BoxState.NOT_APPLICABLE}


def build_report(source: Source, document: nodes.document) -> Report:
    """Read questions, answers, images and the checklist out of a parsed report."""
    lines = source.lines
    cuts = [Cut(*cut) for cut in document.get(CUTS, [])]
    # Nothing beyond a cut is in the tree; the last answer ends where reading stopped.
    last_line = min([cut.line - 1 for cut in cuts if cut.kind == "rest" and cut.line], default=len(lines))
    sections = list(document.findall(nodes.section))
    ends = _section_ends(sections, last_line)
    report = Report(source=source, document=document, cuts=cuts)
    report.title = sections[0][0].astext() if sections else ""
    seen: dict[int, Question] = {}
    for section in sections:
        match = QUESTION_TITLE.match(section[0].astext())
        if not match:
            continue
        question = Question(
            number=int(match.group(1)),
            title=section[0].astext(),
            line=section.line or 0,
            section=section,
        )
        _read_question(question, lines, ends[id(section)])
        first = seen.setdefault(question.number, question)
        if first is not question:
            question.duplicate_of = first.line
        report.questions.append(question)
    report.checklist = _checklist(document)
    report.not_executed = [n for n in document.findall(nodes.Element) if NOT_EXECUTED in n.attributes]
    return report


def _section_ends(sections: list[nodes.section], last_line: int) -> dict[int, int]:
    """Map each section to its last line: the line before the next heading that is not inside it.

    ``sections`` is in document order, so a section's sub-sections follow it directly, each
    deeper than it; the first later section that is not deeper is the next one outside it.
    One pass with a stack of the sections still open.
    """
    ends: dict[int, int] = {}
    open_: list[tuple[int, nodes.section]] = []
    waiting: list[nodes.section] = []  # closed, but the next section has no line number
    for section in sections:
        depth = _depth(section)
        while open_ and open_[-1][0] >= depth:
            waiting.append(open_.pop()[1])
        if section.line:
            for closed in waiting:
                ends[id(closed)] = section.line - 1
            waiting.clear()
        open_.append((depth, section))
    for closed in [*waiting, *(section for _, section in open_)]:
        ends[id(closed)] = last_line
    return ends


def _depth(section: nodes.section) -> int:
    depth, parent = 0, section.parent
    while parent is not None:
        depth += isinstance(parent, nodes.section)
        parent = parent.parent
    return depth


def _read_question(question: Question, lines: list[str], end: int) -> None:
    section = question.section
    marker = _find_marker(section)
    if marker is not None:
        answer_nodes = _split_at_marker(section, marker)
        prompt_nodes = section.children[1 : section.index(_top_child(section, marker)) + 1]
        marker_line = _marker_line(lines, marker.line or question.line, end)
    else:
        quote_index = next(
            (i for i, child in enumerate(section.children[1:], 1) if isinstance(child, nodes.block_quote)),
            None,
        )
        prompt_nodes = section.children[1 : quote_index + 1] if quote_index == 1 else []
        answer_nodes = list(section.children[1 + len(prompt_nodes) :])
        marker_line = None
    question.prompt = "\n\n".join(node.astext() for node in prompt_nodes)
    question.prompt = _before_answer(question.prompt)
    question.answer_nodes = answer_nodes
    question.answer_marker_line = marker_line
    _read_answer_text(question, lines, end)
    question.images = _images(answer_nodes)


def _find_marker(section: nodes.section) -> nodes.paragraph | None:
    """The paragraph holding ``Answer:``, among the prompt's blocks (not in sub-sections)."""
    for child in section.children[1:]:
        if isinstance(child, nodes.section):
            return None
        candidates = [child] if isinstance(child, nodes.paragraph) else []
        if isinstance(child, nodes.block_quote):
            candidates = [c for c in child.children if isinstance(c, nodes.paragraph)]
        for paragraph in candidates:
            if ANSWER_IN_TEXT.search(paragraph.astext()):
                return paragraph
    return None


def _before_answer(prompt: str) -> str:
    """The prompt's text before its ``Answer:``, without the blank, ``*`` and ``_`` lines just above it."""
    match = ANSWER_IN_TEXT.search(prompt)
    if not match:
        return prompt.strip()
    start = match.start()
    while start > 0:
        previous = prompt.rfind("\n", 0, start - 1) + 1
        if not _FILLER.fullmatch(prompt, previous, start - 1):
            break
        start = previous
    return prompt[:start].strip()


def _top_child(section: nodes.section, node: nodes.Node) -> nodes.Node:
    while node.parent is not section:
        assert node.parent is not None
        node = node.parent
    return node


def _split_at_marker(section: nodes.section, marker: nodes.paragraph) -> list[nodes.Node]:
    """Move whatever follows ``Answer:`` out of the prompt; return the answer's nodes."""
    moved: list[nodes.Node] = []
    rest = _split_paragraph(marker)
    if rest is not None:
        moved.append(rest)
    container = marker.parent
    assert container is not None
    if container is not section:
        cut = _position(container, marker) + 1
        moved.extend(container.children[cut:])
        del container.children[cut:]
    anchor = _top_child(section, marker)
    position = _position(section, anchor) + 1
    section[position:position] = moved  # one slice assignment: inserting one by one is quadratic
    return list(section.children[position:])


def _split_paragraph(paragraph: nodes.paragraph) -> nodes.paragraph | None:
    """Cut ``paragraph`` after its ``Answer:``; return the cut-off part as a new paragraph."""
    for text in list(paragraph.findall(nodes.Text)):
        match = re.search(r"Answer\s*:", str(text))
        if not match:
            continue
        parent = text.parent
        assert parent is not None
        head, tail = str(text)[: match.end()], str(text)[match.end() :]
        kept = nodes.Text(head)
        parent.children[_position(parent, text)] = kept
        kept.parent = parent
        rest = nodes.paragraph()
        rest.line = paragraph.line
        if tail.strip():
            rest += nodes.Text(tail.lstrip())
        # Walk up from the marker to the paragraph, moving every later sibling.
        # (By position, not equality: docutils Text nodes compare as strings.)
        child: nodes.Node = kept
        level: nodes.Element = parent
        while True:
            cut = _position(level, child) + 1
            later = level.children[cut:]
            del level.children[cut:]
            for sibling in later:
                rest.append(sibling)
            if level is paragraph or level.parent is None:
                break
            child, level = level, level.parent
        blank = 0
        while blank < len(rest.children) and isinstance(rest[blank], nodes.Text) and not rest[blank].strip():
            blank += 1
        del rest.children[:blank]
        return rest if rest.astext().strip() or not _only_text(rest) else None
    return None


def _position(parent: nodes.Element, child: nodes.Node) -> int:
    return next(i for i, node in enumerate(parent.children) if node is child)


def _only_text(node: nodes.Element) -> bool:
    return all(isinstance(child, nodes.Text) for child in node.children)


def _marker_line(lines: list[str], start: int, end: int) -> int | None:
    for number in range(max(start, 1), end + 1):
        if "Answer" in lines[number - 1] and re.search(r"Answer\s*\**\s*:", lines[number - 1]):
            return number
    return None


def _read_answer_text(question: Question, lines: list[str], end: int) -> None:
    """Cut the answer's source text the way the course's checker does, per question."""
    if question.answer_marker_line is not None:
        first = question.answer_marker_line
        line = lines[first - 1]
        at = line.find("Answer:")
        if at < 0:
            found = re.search(r"Answer\s*\**\s*:", line)
            at, length = (found.start(), found.end() - found.start()) if found else (len(line), 0)
        else:
            length = len("Answer:")
        head = line[at + length :]
        body = lines[first:end]
        question.answer_text = "\n".join([head, *body])
        offset = 0 if head.strip(" \t*_>") else 1
    else:
        start = next((n.line for n in question.answer_nodes if getattr(n, "line", None)), None)
        first = start or end + 1
        question.answer_text = "\n".join(lines[first - 1 : end])
        offset = 0
    question.answer_text_line = first
    numbered = [(first + i, text) for i, text in enumerate(question.answer_text.split("\n"))]
    content = [number for number, text in numbered[offset:] if text.strip(" \t>")]
    question.answer_start = content[0] if content else first
    question.answer_end = content[-1] if content else first


def _images(answer_nodes: list[nodes.Node]) -> list[ImageRef]:
    found: list[ImageRef] = []
    for top in answer_nodes:
        if not isinstance(top, nodes.Element):
            continue
        for node in top.findall(nodes.Element, include_self=True):
            if isinstance(node, nodes.image):
                found.append(ImageRef(local_uri(node["uri"]), node.line, "markdown", node))
            elif isinstance(node, nodes.raw) and node.get(REPORT_HTML):
                for uri in html_image_sources(node.astext()):
                    found.append(ImageRef(uri, node.line, "html", node))
            elif isinstance(node, nodes.reference) and not any(node.findall(nodes.image)):
                # MyST keeps a local link's target in ``refname`` (``refuri`` is for URLs).
                target = node.get("refuri") or node.get("refname", "")
                if target.split("?")[0].lower().endswith(IMAGE_SUFFIXES):
                    found.append(ImageRef(local_uri(target), node.line or _line_of(node), "link", node))
    return found


def html_image_sources(html: str) -> list[str]:
    """The ``src`` of each ``<img>`` tag: the first ``src=`` between ``<img`` and the next ``>``.

    The same as ``<img\\b[^>]*?\\bsrc\\s*=\\s*(value)`` found again and again, but in one pass:
    that expression scans from every ``<img`` to the next ``>``, quadratic when there is none.
    """
    sources: list[str] = []
    pos, close = 0, -1  # close: the next '>' after the current tag's start
    attribute: re.Match[str] | None = None
    searched_from = -1  # ``attribute`` is the first src= at or after this position
    while (tag := _IMG_OPEN.search(html, pos)) is not None:
        start = tag.end()
        if close < start:
            close = html.find(">", start)
            close = len(html) if close < 0 else close
        if searched_from < 0 or searched_from > start or (attribute is not None and attribute.start() < start):
            attribute, searched_from = _SRC_ATTR.search(html, start), start
        if attribute is None:
            break
        if attribute.start() >= close:
            pos = tag.start() + 1
            continue
        sources.append(next(group for group in attribute.groups() if group is not None))
        pos = attribute.end()
    return sources


def local_uri(uri: str) -> str:
    """Undo markdown-it's percent-encoding of local paths (``a%20b.png`` -> ``a b.png``)."""
    return uri if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", uri) else unquote(uri)


def _line_of(node: nodes.Node) -> int | None:
    while node is not None and not getattr(node, "line", None):
        node = node.parent
    return getattr(node, "line", None)


def _checklist(document: nodes.document) -> list[ChecklistItem]:
    items: list[ChecklistItem] = []
    for item in document.findall(nodes.list_item):
        if not item.children or not isinstance(item[0], nodes.paragraph):
            continue
        text = item[0].astext()
        match = _BOX.match(text)
        if not match:
            continue
        titles = [s[0].astext() for s in _ancestor_sections(item)]
        if any(QUESTION_TITLE.match(title) for title in titles):
            continue  # a list in an answer, not the project checklist
        group = titles[0] if titles else ""
        items.append(ChecklistItem(_BOX_STATES[match.group(1)], text[match.end() :].strip(), group, _line_of(item)))
    return items


def _ancestor_sections(node: nodes.Node) -> list[nodes.section]:
    found = []
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.section):
            found.append(parent)
        parent = parent.parent
    return found
