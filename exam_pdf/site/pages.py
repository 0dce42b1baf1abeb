"""The Sphinx extension of ``exam-pdf site``: the overview page and the question pages.

Both are stubs written by exam-pdf (``index.rst``, ``questions/qNN.rst``) holding a
placeholder node; the content is put in when the page is written (a post-transform
that runs before every other, so that the sanitising of report HTML, the figure copies
and the link resolution apply to it as to the group pages):
- the overview: a table of the groups from each group page's check results (the
  pipeline's, stored by :class:`Digest`), sortable, each row linking to its page;
- a question page: each group's answer to the question in group order, copied from the
  group page's doctree (notes and figures included), with its word and image counts
  and status, linking back to the answer in the group's page.

When a group page is read again, the overview and the question pages are read again
too (``env-get-outdated``): they list it. Nothing else is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

from exam_pdf.sphinxext.output import QUESTION, sphinx_app

#: The site's list of groups, written by exam_pdf.site next to the stubs.
GROUPS_FILE = "_site.json"
SORT_SCRIPT = "batch-sort.js"
SITE_CSS = "exam-site.css"


class site_overview(nodes.General, nodes.Element):
    pass


class site_question(nodes.General, nodes.Element):
    pass


def _groups(env: Any) -> list[dict[str, str]]:
    path = Path(env.srcdir) / GROUPS_FILE
    env.note_dependency(str(path))
    return json.loads(path.read_text("utf-8"))["groups"]


class OverviewDirective(Directive):
    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        return [site_overview(groups=_groups(env))]


class QuestionDirective(Directive):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        return [site_question(number=int(self.arguments[0]), groups=_groups(env))]


def digest(result: Any) -> dict[str, Any]:
    """What the overview and the question pages show of a group: from its check result."""
    from exam_pdf.formats import limit_text
    from exam_pdf.sphinxext.latex import _members

    report = result.report
    questions = {}
    for question in report.answered_questions:
        if question.number in questions:
            continue  # a second copy; the first is the one checked
        questions[question.number] = {
            "words": question.words,
            "images": len(question.embedded_images),
            "status": result.status_of(question),
            "limit": limit_text(question),
            "anchor": question.section["ids"][0] if question.section["ids"] else "",
        }
    return {
        "group": report.group or "",
        "title": report.title or "",
        "edition": report.edition.name if report.edition else "",
        "members": _members(report),
        "answered": len(report.answered_questions),
        "passed": result.passed,
        "errors": result.errors,
        "warnings": result.warnings,
        "failing": sorted(n for n, q in questions.items() if q["status"] == "fail"),
        "questions": questions,
    }


class Digest(SphinxTransform):
    """After the checks and the last guard (900) have made their findings: the group's digest.
    (After ``doctree-read`` too, which Sphinx emits at 880.)"""

    default_priority = 950

    def apply(self, **kwargs: Any) -> None:
        result = getattr(self.env, "exam_pdf_results", {}).get(self.env.docname)
        if result is not None:
            found = self.env.__dict__.setdefault("exam_site", {})[self.env.docname] = digest(result)
            if found["group"]:
                group_title(self.env, self.env.docname, found["group"])


def group_title(env: Any, docname: str, group: str) -> None:
    """A group page is called by its group ("Group 7: Exam report ...") in the navigation, the
    search results and the browser's tab, not only by the template's title, which many reports
    keep. (Sphinx took the page's title before, at ``doctree-read``.)"""
    for titles in (env.titles, env.longtitles):
        old = titles.get(docname)
        text = f"Group {group}: {old.astext()}" if old is not None else f"Group {group}"
        titles[docname] = nodes.title(text, text)


def _order(env: Any, groups: list[dict[str, str]]) -> list[dict[str, str]]:
    """Group order: by group number where the report gives one, then by folder."""
    digests = getattr(env, "exam_site", {})

    def key(group: dict[str, str]) -> tuple[int, str]:
        number = digests.get(group["docname"], {}).get("group", "")
        return (int(number) if re.fullmatch(r"\d{1,9}", number) else 10**9, group["slug"])

    return sorted(groups, key=key)


def _link(builder: Any, here: str, docname: str, text: str, anchor: str = "") -> nodes.reference:
    uri = builder.get_relative_uri(here, docname) + (f"#{anchor}" if anchor else "")
    return nodes.reference("", text, refuri=uri, internal=True)


def _status(status: str) -> nodes.inline:
    return nodes.inline("", status, classes=[f"exam-status-{status}", "exam-site-status"])


def _labels(groups: list[dict[str, str]], digests: dict[str, Any]) -> dict[str, str]:
    """``Group 7`` by the report's group number; with the folder when two reports give one number."""
    numbers = {g["slug"]: digests.get(g["docname"], {}).get("group", "") for g in groups}
    shared = {n for n in numbers.values() if n and list(numbers.values()).count(n) > 1}
    return {
        slug: (f"Group {n} ({slug})" if n in shared else f"Group {n}") if n else slug for slug, n in numbers.items()
    }


class FillPages(SphinxPostTransform):
    default_priority = 1  # before links are resolved (5, 10) and report HTML is sanitised (100)
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        builder = sphinx_app(self.env).builder
        for node in list(self.document.findall(site_overview)):
            node.replace_self(self.overview(builder, _order(self.env, node["groups"])))
        for node in list(self.document.findall(site_question)):
            node.replace_self(self.question(builder, node["number"], _order(self.env, node["groups"])))

    def overview(self, builder: Any, groups: list[dict[str, str]]) -> list[nodes.Node]:
        from exam_pdf.batch.outputs import ranges
        from exam_pdf.sphinxext.transform import _table

        digests = getattr(self.env, "exam_site", {})
        here = self.env.docname
        rows: list[list[nodes.Node | str]] = []
        counts = {"ok": 0, "findings": 0, "failed": 0}
        labels = _labels(groups, digests)
        for group in groups:
            found = digests.get(group["docname"])
            if found is None:
                counts["failed"] += 1
                why = group.get("reason") or "not a report: no question headings"
                label: nodes.Node = nodes.Text(group["slug"])
                if not group.get("reason"):  # a page exists, though nothing was checked
                    label = _link(builder, here, group["docname"], group["slug"])
                rows.append([label, _status("failed"), why, "", "", "", "", "", group["source"]])
                continue
            status = "findings" if found["errors"] else "ok"
            counts[status] += 1
            rows.append(
                [
                    _link(builder, here, group["docname"], labels[group["slug"]]),
                    _status(status),
                    found["edition"],
                    found["members"],
                    f"{found['passed']}/{found['answered']}",
                    str(found["errors"]),
                    str(found["warnings"]),
                    ranges(found["failing"]),
                    group["source"],
                ]
            )
        headers = ["Group", "Status", "Edition", "Members", "Passed", "Errors", "Warnings", "Failing", "Source"]
        table = _table(headers, rows, [8, 8, 8, 16, 6, 6, 6, 10, 12])
        table["classes"] += ["groups", "exam-site-groups"]
        total = nodes.paragraph(
            "",
            f"{len(groups)} groups: {counts['ok']} ok, {counts['findings']} with findings, "
            f"{counts['failed']} without a checked report. Click a column heading to sort.",
        )
        questions = nodes.paragraph("", "Answers by question: ")
        for number in sorted(self.config.exam_site_questions):
            questions += [_link(builder, here, question_docname(number), str(number)), nodes.Text(" ")]
        return [total, table, questions]

    def question(self, builder: Any, number: int, groups: list[dict[str, str]]) -> list[nodes.Node]:
        from exam_pdf.formats import count

        digests = getattr(self.env, "exam_site", {})
        here = self.env.docname
        labels = _labels(groups, digests)
        out: list[nodes.Node] = []
        prompt_shown = False
        for group in groups:
            found = digests.get(group["docname"])
            facts = (found or {}).get("questions", {}).get(number)
            if found is None or facts is None:
                continue
            doctree = _doctree(self.env, builder, group["docname"])
            section = next(doctree.findall(lambda n: isinstance(n, nodes.section) and n.get(QUESTION) == number), None)
            if section is None:
                continue
            if not prompt_shown:
                prompt = next((c for c in section.children if _is_prompt(c)), None)
                if prompt is not None:
                    out.append(_detached(prompt, builder, here, group["docname"], "prompt"))
                    prompt_shown = True
            block = nodes.section(ids=[f"group-{group['slug']}"])
            block += nodes.title("", labels[group["slug"]])
            block += nodes.paragraph(
                "",
                "",
                _link(builder, here, group["docname"], "in the report", facts["anchor"]),
                nodes.Text(
                    f": {count(facts['words'], 'word')}, {count(facts['images'], 'image')} "
                    f"({facts['limit'] or 'no limit'}); "
                ),
                _status(facts["status"]),
            )
            for child in section.children[1:]:
                if _is_prompt(child) or (isinstance(child, nodes.section) and QUESTION in child):
                    continue
                block += _detached(child, builder, here, group["docname"], f"group-{group['slug']}")
            out.append(block)
        if not out:
            out.append(nodes.paragraph("", f"No group answers question {number}."))
        return out


def _doctree(env: Any, builder: Any, docname: str) -> nodes.document:
    """A group page's doctree, read from disk once per build (each question page needs each group's)."""
    cache = builder.__dict__.setdefault("exam_site_doctrees", {})
    if docname not in cache:
        cache[docname] = env.get_doctree(docname)
    return cache[docname]


def _is_prompt(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and "exam-prompt" in node["classes"]


def _detached(node: nodes.Element, builder: Any, here: str, docname: str, prefix: str) -> nodes.Element:
    """A copy of a group page's node for another page: its ids prefixed with the group's (two
    groups' answers share a page, and a report's ids are its own), links within the group
    page pointed at it."""
    twin = node.deepcopy()  # (copy.deepcopy would copy the parents too: the whole page)
    for element in twin.findall(nodes.Element):
        element["ids"] = [f"{prefix}-{ident}" for ident in element["ids"]]
        element["names"] = []
        if isinstance(element, nodes.reference) and element.get("refid"):
            element["refuri"] = builder.get_relative_uri(here, docname) + "#" + element.attributes.pop("refid")
    return twin


def question_docname(number: int) -> str:
    return f"questions/q{number:02d}"


def outdated(app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """A group page read again: the pages that list it (the overview, every question page) too."""
    if any(name.startswith("groups/") for name in (*added, *changed, *removed)):
        return [name for name in env.found_docs if name == "index" or name.startswith("questions/")]
    return []


def purge_doc(app: Any, env: Any, docname: str) -> None:
    getattr(env, "exam_site", {}).pop(docname, None)


def merge_info(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    env.__dict__.setdefault("exam_site", {}).update(getattr(other, "exam_site", {}))


def page_assets(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    from exam_pdf.sphinxext import CSS_FILE

    app.builder.add_css_file(CSS_FILE)  # the notes are on the question pages too
    app.builder.add_css_file(SITE_CSS)
    if pagename == app.config.root_doc:
        app.builder.add_js_file(SORT_SCRIPT, defer="defer")  # after the table is there


def copy_assets(app: Any, exception: Exception | None) -> None:
    from sphinx.util.fileutil import copy_asset_file

    from exam_pdf.builders import PACKAGE

    if exception is None and app.builder.format == "html":
        copy_asset_file(PACKAGE / "theme" / SORT_SCRIPT, app.outdir / "_static", force=True)
        copy_asset_file(Path(__file__).parent / "static" / SITE_CSS, app.outdir / "_static", force=True)


def one_line_in_the_navigation(app: Any, doctree: nodes.document) -> None:
    """A group page is one line of the site's navigation: its table of contents keeps the
    page's title only. A report written with several ``#`` headings would otherwise put each
    of them beside the groups (the page itself keeps every heading)."""
    from exam_pdf.site.groups import GROUPS_DIR

    docname = app.env.docname
    toc = app.env.tocs.get(docname)
    if not docname.startswith(f"{GROUPS_DIR}/") or toc is None:
        return
    items = [child for child in toc.children if isinstance(child, nodes.list_item)]
    if items:
        first = items[0]
        first.children = [child for child in first.children if not isinstance(child, nodes.bullet_list)]
        toc.children = [first]


def setup(app: Any) -> dict[str, Any]:
    from exam_pdf import __version__

    app.add_config_value("exam_site_questions", [], "env", [list])
    app.add_config_value("exam_site_code", "", "env", [str])
    app.add_node(site_overview)
    app.add_node(site_question)
    app.add_directive("exam-site-overview", OverviewDirective)
    app.add_directive("exam-site-question", QuestionDirective)
    app.add_transform(Digest)
    app.add_post_transform(FillPages)
    app.connect("doctree-read", one_line_in_the_navigation, priority=900)  # after Sphinx's own TOC
    app.connect("env-get-outdated", outdated)
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_info)
    app.connect("html-page-context", page_assets)
    app.connect("build-finished", copy_assets)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
