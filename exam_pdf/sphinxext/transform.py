"""The read-time transform: run the checks on the doctree and show their findings in it.

For a page that is a report it
- replaces figures that are missing, outside the report or do not decode by a framed
  placeholder, and (in exam-pdf's own builds) points the others at normalised copies
  (a misnamed JPEG or a GIF is shown: what decodes is shown, as a browser shows it);
- sets each prompt apart (a container with class ``exam-prompt``);
- turns the checklist's ``[x]``, ``[ ]`` and ``[-]`` into check boxes;
- inserts a status note after each answer and a summary near the top;
- points every local link where a reader can follow it, or shows its text and path.

The findings come from :func:`exam_pdf.pipeline.check_report`, the same
engine as ``exam-pdf check``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform

from exam_pdf import links, rules
from exam_pdf.extract import QUESTION_TITLE, _line_of, build_report, local_uri
from exam_pdf.findings import Finding, status
from exam_pdf.formats import count, limit_text
from exam_pdf.images import inspect_once, resolve
from exam_pdf.model import Question, Report
from exam_pdf.parse import REPORT_HTML
from exam_pdf.pipeline import CheckResult, apply_edition, check_report
from exam_pdf.provenance import Submission
from exam_pdf.source import read_source
from exam_pdf.sphinxext import figures
from exam_pdf.sphinxext.nodes import KEEP_WITH_PROMPT, checkbox, exam_summary, image_placeholder, status_note
from exam_pdf.sphinxext.output import QUESTION, REPORT_MATH
from exam_pdf.sphinxext.reports import REPORT_FLAG

_BOX = re.compile(r"^\[( |x|X|-)\]\s")
_BOX_STATE = {" ": "unchecked", "x": "checked", "X": "checked", "-": "not-applicable"}
#: What an ``<img>`` tag is: ``<img`` to the next ``>``. Found by :func:`img_tags` in one pass.
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_IMG_OPEN = re.compile(r"<img\b", re.I)
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_STATUS_WORD = {"pass": "passes", "warn": "has warnings", "fail": "breaks the rules"}


class ReportTransform(SphinxTransform):
    """Check a report page and decorate it with the findings."""

    default_priority = 180

    def apply(self, **kwargs: Any) -> None:
        if not self.document.get(REPORT_FLAG):
            return  # not read by the safe parser as a report (exam_pdf.sphinxext.reports)
        sections = list(self.document.findall(nodes.section))
        if not any(QUESTION_TITLE.match(s[0].astext()) for s in sections):
            return
        config = self.config
        path = Path(config.exam_pdf_source or self.env.doc2path(self.env.docname))
        source = read_source(path)
        report = build_report(source, self.document)
        report.submission = Submission.from_config(config.exam_pdf_submission)
        apply_edition(report, config.exam_pdf_edition)
        result = check_report(report)
        results = self.env.__dict__.setdefault("exam_pdf_results", {})
        results[self.env.docname] = result
        image_dir = Path(self.env.srcdir) / config.exam_pdf_image_dir if config.exam_pdf_image_dir else None
        originals = self.env.__dict__.setdefault("exam_pdf_figures", {})
        referenced = self.env.__dict__.setdefault("exam_pdf_sources", set())
        cut = show_images(self.document, source.folder, image_dir, config.exam_pdf_image_dir, originals, referenced)
        if cut is not None:
            result.findings.append(cut)
        # Linked figures are checked too (image-not-embedded vs image-missing): the archive
        # must carry them, or extract -> rebuild would report them missing.
        for ref in (ref for question in report.questions for ref in question.images if ref.kind == "link"):
            uri = local_uri(ref.uri)
            where = resolve(uri, source.folder)
            if where.path is not None and where.problem in (None, "image-unreadable", "image-format"):
                referenced.add(Path(os.path.normpath(uri.split("#")[0].split("?")[0])).as_posix())
        for question in report.questions:
            question.section[QUESTION] = question.number
        for math in self.document.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
            math[REPORT_MATH] = True
        mark_prompts(report)
        mark_checkboxes(self.document)
        repository = links.find_repository(source.folder, config.exam_pdf_repo_url or None)
        shipped = self.env.__dict__.setdefault("exam_pdf_linked", set())
        resolve_links(self.document, source.path, repository, shipped, referenced)
        if config.exam_pdf_notes:
            add_notes(result)
            add_summary(result)


def show_images(
    document: nodes.document,
    folder: Path,
    image_dir: Path | None,
    uri_prefix: str,
    originals: dict[str, str],
    sources: set[str],
) -> Finding | None:
    """Validate every figure; placeholders for bad ones, normalised copies for good ones.

    ``originals`` collects, per normalised file name, the path the report wrote;
    ``sources`` every referenced file that exists inside the report (the archive embeds them).
    Only the first :data:`MAX_FIGURES` figures are shown; the others are placeholders, and
    the ``pdf-shortened`` finding returned says so (None when all are shown).
    """
    for raw in list(document.findall(nodes.raw)):
        if raw.get(REPORT_HTML):
            tags = img_tags(raw.astext())
            if tags:
                _split_html_images(raw, tags)
    shown, over, first_over = 0, 0, None
    for image in list(document.findall(nodes.image)):
        uri = local_uri(image["uri"])
        where = resolve(uri, folder)
        if where.path is not None and where.problem in (None, "image-unreadable", "image-format"):
            sources.add(Path(os.path.normpath(uri.split("#")[0].split("?")[0])).as_posix())
        if shown >= MAX_FIGURES:
            over += 1
            first_over = first_over or image.line or _line_of(image)
            # A line of text, not a framed box: thousands of boxes would keep TeX busy too.
            named = nodes.emphasis(uri, f"[figure not shown: {uri}]")
            image.replace_self(named if isinstance(image.parent, nodes.TextElement) else nodes.paragraph("", "", named))
            continue
        shown += 1
        found = inspect_once(where)
        if found.usable and found.path is not None and image_dir is not None:
            try:
                name = figures.normalise(found, image_dir)
            except figures.DamagedFigure as damaged:  # a placeholder, never a crash
                found = dataclasses.replace(found, decoded=False, detail=str(damaged))
            else:
                image["uri"] = "/" + uri_prefix + "/" + name
                originals[name] = uri
        if not found.usable or found.path is None:
            image.replace_self(placeholder(uri, found.detail, inline=isinstance(image.parent, nodes.TextElement)))
            continue
        image["exam_original"] = uri
    for image in list(document.findall(nodes.image)):
        own_line(image)
    if not over:
        return None
    return Finding(
        rules.PDF_SHORTENED,
        rules.PDF_SHORTENED.severity,
        None,
        first_over,
        f"the report places {shown + over} figures: the first {MAX_FIGURES} are shown, "
        f"the {over} from line {first_over or '?'} on are named, not shown",
    )


#: Figures shown per report (HTML and PDF); each placement counts, however often one file is
#: used. The real reports place at most 16; 8,000 placements of one screenshot kept TeX
#: busy far past its timeout.
MAX_FIGURES = 100


#: Ends the line before a figure, or starts a new one after it (latex_templates/exampdf.sty).
OWN_LINE = "\\examownline "  # the space ends the command name; TeX drops it


def own_line(image: nodes.image) -> None:
    """Set a figure that shares its paragraph with text (or another figure) on a line of its own.

    ``Here is our build history:`` followed on the next line by ``![..](build.png)`` is one
    Markdown paragraph: TeX would set the figure, as wide as the text, after the sentence and
    past the right margin. The HTML does the same with CSS (``img { display: block }``).
    An image that is the only content of a link moves with its link.
    """
    unit: nodes.Element = image
    if isinstance(image.parent, nodes.reference) and len(image.parent.children) == 1:
        unit = image.parent
    paragraph = unit.parent
    if not isinstance(paragraph, nodes.paragraph):
        return
    index = paragraph.index(unit)
    if _has_content(paragraph.children[index + 1 :]):
        paragraph.insert(index + 1, _own_line_mark())
    before = paragraph.children[:index]
    if _has_content(before) and not _is_own_line_mark(before[-1]):
        paragraph.insert(index, _own_line_mark())


def _own_line_mark() -> nodes.raw:
    return _latex(OWN_LINE)


def _is_own_line_mark(node: nodes.Node) -> bool:
    return isinstance(node, nodes.raw) and node.get("exam_pdf_own") and node.astext() == OWN_LINE


def _has_content(siblings: list[nodes.Node]) -> bool:
    """Anything but white space and the marks set here: text, another figure, a link."""
    return any(
        not (isinstance(node, nodes.Text) and not node.strip()) and not _is_own_line_mark(node) for node in siblings
    )


def img_tags(html: str) -> list[tuple[int, int]]:
    """The spans of :data:`_IMG_TAG`'s matches, found in one pass.

    The expression itself scans from every ``<img`` to the next ``>``: quadratic in the
    number of ``<img`` when no ``>`` follows them. Here each ``<img`` is found once and the
    next ``>`` once per tag; when there is none, no later ``<img`` can be a tag either.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while (tag := _IMG_OPEN.search(html, pos)) is not None:
        close = html.find(">", tag.end())
        if close < 0:
            break
        spans.append((tag.start(), close + 1))
        pos = close + 1
    return spans


def _split_html_images(raw: nodes.raw, tags: list[tuple[int, int]]) -> None:
    """Give each ``<img>`` of a raw HTML block (at ``tags``, from :func:`img_tags`) its own
    image node, checked like the others."""
    html = raw.astext()
    images = []
    for start, end in tags:
        tag = html[start:end]
        src = _SRC.search(tag)
        if not src:
            continue
        alt = _ALT.search(tag)
        uri = next(g for g in src.groups() if g is not None)
        image = nodes.image(uri=uri, alt=next((g for g in alt.groups() if g), "") if alt else "")
        image.line = raw.line
        images.append(image)
    kept, at = [], 0
    for start, end in tags:
        kept.append(html[at:start])
        at = end
    rest = "".join([*kept, html[at:]])
    new_raw = nodes.raw(rest, rest, format="html")
    new_raw[REPORT_HTML] = True
    new_raw.line = raw.line
    inline = isinstance(raw.parent, nodes.TextElement)
    holder: list[nodes.Node] = (
        [new_raw, *images] if inline else [new_raw, *(nodes.paragraph("", "", i) for i in images)]
    )
    raw.replace_self(holder)


def placeholder(uri: str, reason: str, inline: bool = False) -> image_placeholder:
    """The box shown instead of a figure. ``inline``: it stands where an image stood inside a
    paragraph (or link), so it holds only inline nodes (HTML allows no block inside a ``<p>``)."""
    box = image_placeholder(uri=uri, inline=inline)
    if inline:
        box += [nodes.strong("", "Figure not shown:"), nodes.Text(" ")]
        box += nodes.literal(uri, uri)
        box += nodes.inline("", reason, classes=["exam-placeholder-reason"])
        return box
    box += nodes.paragraph("", "", nodes.strong("", "Figure not shown:"), nodes.Text(" "), nodes.literal(uri, uri))
    box += nodes.paragraph("", reason)
    return box


_SAFE_SCHEME = re.compile(r"^(https?:|mailto:|#|[^:]*$)", re.I)


def disarm_links(document: nodes.document) -> None:
    """Links go to the web, mail or the page itself; ``javascript:`` and the like become text."""
    for reference in list(document.findall(nodes.reference)):
        target = reference.get("refuri", "")
        if target and not _SAFE_SCHEME.match(target.strip()):
            reference.replace_self(nodes.inline("", "", *reference.children))


def resolve_links(
    document: nodes.document, report: Path, repository: links.Repository, shipped: set[str], embedded: set[str]
) -> None:
    """Point every local link where a reader can follow it (see :mod:`exam_pdf.links`), or show
    its text and path. No reference keeps a ``refname``: docutils would turn it into a red
    "problematic" node linking to nowhere.

    ``shipped`` collects the linked files of the report folder (the HTML build copies them
    beside the page), ``embedded`` the files the PDF embeds.
    """
    anchors = links.heading_anchors(document)
    for reference, written in links.references(document):
        target = links.resolve(written, report.parent, repository, anchors, report.name)
        _forget_refname(document, reference)
        if target.kind is links.LinkKind.TEXT:
            reference.replace_self(link_as_text(reference, written))
            continue
        reference["refuri"] = target.href
        if target.shipped is not None:
            shipped.add(target.shipped)
            if target.shipped != report.name:  # the README is embedded anyway
                embedded.add(target.shipped)
    disarm_links(document)


def _forget_refname(document: nodes.document, reference: nodes.reference) -> None:
    name = reference.attributes.pop("refname", None)
    waiting = document.refnames.get(name, []) if name is not None else []
    if reference in waiting:
        waiting.remove(reference)


def link_as_text(reference: nodes.reference, written: str) -> nodes.inline:
    """A link that leads nowhere a reader can follow: its text, then the path it names."""
    text = nodes.inline("", "", *reference.children, classes=["exam-link-text"])
    if written.strip() != text.astext().strip():
        text += [nodes.Text(" ("), nodes.literal(written, written), nodes.Text(")")]
    return text


class NoProblematic(SphinxTransform):
    """The last guard: no docutils "problematic" node reaches a report's HTML or PDF.

    docutils makes one from a reference it cannot resolve: red text linking to an error
    message that Sphinx then drops (a dead ``#id1`` link). :func:`resolve_links` leaves no
    such reference; should anything else make one, its text is shown plainly and a
    ``link-broken`` finding names its line. Leftover system messages are removed.
    """

    default_priority = 900  # after docutils resolves references (850), before Sphinx drops messages (999)

    def apply(self, **kwargs: Any) -> None:
        result: CheckResult | None = self.env.__dict__.get("exam_pdf_results", {}).get(self.env.docname)
        if result is None:
            return  # not a report
        told = [*self.document.findall(nodes.system_message), *self.document.transform_messages]
        messages = {ident: message for message in told for ident in message["ids"]}
        for node in list(self.document.findall(nodes.problematic)):
            message = messages.get(node.get("refid", ""))
            why = message[0].astext().rstrip(".") if message is not None and message.children else "not resolved"
            line = (message.get("line") if message is not None else None) or links.node_line(node)
            text = node.astext()
            rule = rules.LINK_BROKEN
            result.findings.append(Finding(rule, rule.severity, None, line, f"'{text}': {why}; shown as text"))
            node.replace_self(nodes.inline(node.rawsource, text))
        result.findings.sort(key=lambda f: f.sort_key)
        for message in list(self.document.findall(nodes.system_message)):
            if message.parent is not None:
                message.parent.remove(message)


def mark_prompts(report: Report) -> None:
    """Wrap each question's prompt quote in a container with class ``exam-prompt``."""
    for question in report.questions:
        section = question.section
        for child in list(section.children[1:]):
            if isinstance(child, nodes.block_quote):
                box = nodes.container(classes=["exam-prompt"])
                box.extend(child.children)
                child.replace_self(box)
                # From the outermost heading that has nothing but this question under it before
                # the question ("## Deployment" then "### Question 22"), so that heading stays too.
                keep: nodes.Element = section
                while isinstance(keep.parent, nodes.section) and keep.parent.index(keep) == 1:
                    keep = keep.parent
                keep[KEEP_WITH_PROMPT] = True
            elif child in question.answer_nodes or isinstance(child, nodes.section):
                break


def mark_checkboxes(document: nodes.document) -> None:
    """``* [x] text`` becomes a check box and the text (outside the questions)."""
    for item in document.findall(nodes.list_item):
        if not item.children or not isinstance(item[0], nodes.paragraph):
            continue
        paragraph = item[0]
        first = paragraph.children[0] if paragraph.children else None
        if not isinstance(first, nodes.Text):
            continue
        match = _BOX.match(str(first))
        if not match:
            continue
        paragraph.children[0] = nodes.Text(str(first)[match.end() :])
        paragraph.children[0].parent = paragraph
        paragraph.insert(0, checkbox(state=_BOX_STATE[match.group(1)]))
        item["classes"].append("exam-checklist-item")


def note_for(result: CheckResult, question: Question) -> status_note:
    findings = result.for_question(question)
    state = result.status_of(question)
    note = status_note(status=state, question=question.number)
    summary = f"Question {question.number} {_STATUS_WORD[state]}: {count(question.words, 'word')}"
    if question.constraints.words:
        summary += f" ({question.constraints.words} asked)"
    if question.constraints.images or question.embedded_images:
        summary += f", {count(len(question.embedded_images), 'image')}"
        if question.constraints.images:
            summary += f" ({question.constraints.images} asked)"
    if question.duplicate_of is not None:
        summary = f"Question {question.number}: a second copy (first at line {question.duplicate_of}); not checked"
    note += nodes.paragraph("", "", nodes.strong("", summary))
    if findings and question.duplicate_of is None:
        note += _finding_list(findings)
    return note


#: Findings listed in one status note; the rest are counted. A note is one framed box:
#: a thousand findings made it taller than TeX can measure ("Dimension too large").
NOTE_FINDINGS = 30


def _finding_list(findings: list[Finding]) -> nodes.bullet_list:
    # The messages appear as `check` prints them: SmartQuotes would turn a quoted
    # '--- question 28 fill here ---' into an em dash the student cannot find.
    items = nodes.bullet_list(support_smartquotes=False)
    if len(findings) > NOTE_FINDINGS:
        more = len(findings) - NOTE_FINDINGS + 1
        findings = findings[: NOTE_FINDINGS - 1]
        last: nodes.list_item | None = nodes.list_item(
            "", nodes.paragraph("", f"... and {more} more findings: exam-pdf check lists them all")
        )
    else:
        last = None
    for f in findings:
        items += nodes.list_item(
            "",
            nodes.paragraph(
                "",
                "",
                nodes.strong("", f.severity.value),
                nodes.Text(" "),
                nodes.literal("", f.rule.id),
                nodes.Text(f": {f.message}"),
            ),
        )
    if last is not None:
        items += last
    return items


def add_notes(result: CheckResult) -> None:
    for question in result.report.questions:
        target: nodes.Element = question.section
        while target.children and isinstance(target.children[-1], nodes.section):
            target = target.children[-1]
        target += note_for(result, question)


def _latex(tex: str) -> nodes.raw:
    """A piece of LaTeX written by exam-pdf itself (never by a report); HTML leaves it out."""
    return nodes.raw("", tex, format="latex", exam_pdf_own=True)


def _table(
    headers: list[str], rows: list[list[nodes.Node | str]], widths: list[int], fixed: bool = False
) -> nodes.table:
    """``fixed``: the columns get ``widths`` (relative) and the table the full line, so that no
    cell wraps (the LaTeX writer otherwise gives each column an equal share of at most a fifth)."""
    table = nodes.table(classes=["exam-table", "colwidths-given"] if fixed else ["exam-table"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += nodes.row("", *(nodes.entry("", nodes.paragraph("", h)) for h in headers))
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            content = nodes.paragraph("", cell) if isinstance(cell, str) else nodes.paragraph("", "", cell)
            row += nodes.entry("", content)
        body += row
    return table


def add_summary(result: CheckResult) -> None:
    """The summary near the top: the verdict, findings about the whole report and the
    checklist first (the PDF's cover page), then the table of questions (its next page)."""
    report = result.report
    box = exam_summary()
    edition = report.edition
    about = f" Template edition {edition.name} ({edition.detected_by})." if edition else ""
    overall = status(result.findings)
    box += nodes.paragraph(
        "",
        "",
        nodes.strong("", "Compliance summary."),
        nodes.Text(" "),
        nodes.inline(
            "",
            f"{result.passed} of {count(len(report.answered_questions), 'question')} pass; "
            f"{count(result.errors, 'error')}, {count(result.warnings, 'warning')}.",
            classes=[f"exam-status-{overall}"],
        ),
        nodes.Text(about),
    )
    general = [f for f in result.findings if f.question is None]
    if general:
        box += nodes.paragraph("", "Findings about the whole report:")
        box += _finding_list(general)
    if report.checklist:
        groups: dict[str, list[int]] = {}
        for item in report.checklist:
            counts = groups.setdefault(item.group, [0, 0, 0])
            counts[["checked", "not-applicable", "unchecked"].index(item.state.value)] += 1
        box += _latex(f"\\examsummarypart{{{len(groups) + 3}}}")  # the heading stays with its table
        box += nodes.paragraph("", "", nodes.strong("", "Checklist."))
        box += _table(
            ["Part", "Checked", "Not applicable", "Unchecked"],
            [[group, *map(str, counts)] for group, counts in groups.items()],
            [30, 10, 10, 10],
        )
    rows: list[list[nodes.Node | str]] = []
    for question in report.answered_questions:
        state = result.status_of(question)
        rows.append(
            [
                str(question.number),
                str(question.words),
                limit_text(question),
                str(len(question.embedded_images)),
                nodes.inline("", state, classes=[f"exam-status-{state}"]),
            ]
        )
    # In the PDF the table starts the next page, unless it fits below the checklist (a short report).
    box += _latex(f"\\examsummarypart{{{len(rows) + 4}}}")
    box += nodes.paragraph("", "", nodes.strong("", "Questions."))
    box += _table(["Question", "Words", "Limit", "Images", "Status"], rows, [10, 10, 30, 10, 10], fixed=True)
    first = report.document.next_node(nodes.section)
    if first is not None:
        first.insert(1, box)
    else:
        report.document.insert(0, box)
