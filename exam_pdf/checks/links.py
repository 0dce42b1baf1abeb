"""Link checks: every link of the report leads somewhere (see :mod:`exam_pdf.links`)."""

from __future__ import annotations

from collections.abc import Iterator

from docutils import nodes

from exam_pdf import rules
from exam_pdf.checks import check, finding
from exam_pdf.findings import Finding
from exam_pdf.links import LinkLines, find_repository, heading_anchors, references, resolve
from exam_pdf.model import Question, Report


@check
def links(report: Report) -> Iterator[Finding]:
    skipped = _not_the_students(report)
    owner = _owners(report)
    repository = find_repository(report.source.folder)
    anchors = heading_anchors(report.document)
    lines = LinkLines(report.source.lines)
    for reference, written in references(report.document):
        if id(reference) in skipped:
            continue
        target = resolve(written, report.source.folder, repository, anchors, report.path.name)
        if target.problem:
            question = _question_of(reference, owner)
            if question is not None and question.duplicate_of is not None:
                continue  # a second copy is not checked (duplicate-question says so)
            line = lines.line(reference, written)
            yield finding(rules.LINK_BROKEN, f"'{written}': {target.problem}", question, line)


def _not_the_students(report: Report) -> set[int]:
    """References in the template's prompts, and links to images (the image checks report those)."""
    skipped = {id(ref.node) for question in report.questions for ref in question.images if ref.kind == "link"}
    for question in report.questions:
        answer = {id(node) for node in question.answer_nodes}
        for child in question.section.children[1:]:
            if id(child) in answer or isinstance(child, nodes.section):
                break
            if isinstance(child, nodes.Element):
                skipped.update(id(node) for node in child.findall(nodes.reference))
    return skipped


def _owners(report: Report) -> dict[int, Question]:
    return {id(question.section): question for question in report.questions}


def _question_of(node: nodes.Node, owner: dict[int, Question]) -> Question | None:
    parent = node.parent
    while parent is not None:
        if id(parent) in owner:
            return owner[id(parent)]
        parent = parent.parent
    return None
