"""Local links on pages that exam-pdf's safe parser read but that are not (checked) reports.

The safe parser leaves a local link as written (``[intro](intro.md#set-up)``): on a report
page :func:`exam_pdf.sphinxext.transform.resolve_links` points it into the group's
repository. On any other safely parsed page nothing would, and docutils would log
``Unknown target name`` for each. Here a link to a page of the project becomes a link to
that page (its heading anchors as GitHub writes them, as in a report), a link to a heading
of the same page a link to it; any other local link is shown as its text and path.
"""

from __future__ import annotations

import posixpath
from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.nodes import make_refnode

from exam_pdf import links
from exam_pdf.sphinxext.output import sphinx_app
from exam_pdf.sphinxext.reports import SAFE_FLAG


class page_link(nodes.Inline, nodes.Element):
    """A link to another page of the project: ``docname`` and ``anchor`` (as written), resolved when written."""


class LocalLinks(SphinxTransform):
    default_priority = 190  # after the report transform (180), before docutils resolves names (850)

    def apply(self, **kwargs: Any) -> None:
        from exam_pdf.sphinxext.transform import _forget_refname, link_as_text

        if not self.document.get(SAFE_FLAG):
            return
        anchors = links.heading_anchors(self.document)
        here = posixpath.dirname(self.env.docname)
        for reference, written in links.references(self.document):
            if "refname" not in reference:
                continue  # resolved already (a report page), or a '#anchor' link MyST made
            _forget_refname(self.document, reference)
            path, _, anchor = written.partition("#")
            if not path and anchor in anchors:
                reference["refid"] = anchors[anchor]
                continue
            docname = _docname(self.env, posixpath.normpath(posixpath.join(here, path.split("?")[0])))
            if path and docname is not None:
                link = page_link(docname=docname, anchor=anchor)
                link += reference.children
                reference.replace_self(link)
                continue
            reference.replace_self(link_as_text(reference, written))


def _docname(env: Any, path: str) -> str | None:
    """The document ``path`` (relative to the source folder, with or without its suffix) names."""
    if path in env.found_docs:
        return path
    stem, suffix = posixpath.splitext(path)
    if suffix and stem in env.found_docs and env.doc2path(stem, False).as_posix().endswith(path):
        return stem
    return None


class ResolvePageLinks(SphinxPostTransform):
    default_priority = 5  # before Sphinx resolves cross-references

    def run(self, **kwargs: Any) -> None:
        for link in list(self.document.findall(page_link)):
            target = self.env.get_doctree(link["docname"]) if link["anchor"] else None
            anchors = links.heading_anchors(target) if target is not None else {}
            inner = nodes.inline("", "", *link.children)
            refnode = make_refnode(
                sphinx_app(self.env).builder, self.env.docname, link["docname"], anchors.get(link["anchor"], ""), inner
            )
            link.replace_self(refnode)


def visit_page_link(self: Any, node: nodes.Element) -> None:
    raise nodes.SkipNode  # never reached: resolved before any writer


VISITORS = {"html": (visit_page_link, None), "latex": (visit_page_link, None), "text": (visit_page_link, None)}
