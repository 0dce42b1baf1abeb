"""``exam-pdf site``: one Sphinx HTML site of a cohort's reports, built with the extension.

The site (``--out``) holds an overview of the groups (sortable), a page per group (its
report with notes and figures, as ``exam-pdf html`` shows it), a page per question
(every group's answer to it, in group order) and Sphinx's search over all of it. It
opens from disk, offline: no script or font from elsewhere, math shown as its TeX source.

The Sphinx project (sources, doctrees, environment) lives in the user's cache, one per
``--out`` folder (:func:`project_folder`), never in the site: a second run reads again
only the groups whose files changed, and writes their pages and the pages that list them.
Every report page is read by exam-pdf's safe parser (``.md`` is mapped to it; nothing
else is Markdown in the project), its HTML sanitised and its figures normalised inside
the group's own folder (see :mod:`exam_pdf.sphinxext`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import time
from pathlib import Path

from exam_pdf.site.groups import GROUPS_DIR, Group, collect, remove_stale, sync
from exam_pdf.site.pages import GROUPS_FILE, question_docname
from exam_pdf.usercache import user_cache

#: The normalised figures of every group, named by content (exam_pdf_image_dir).
IMAGE_DIR = "_exam_img"


@dataclasses.dataclass
class Outcome:
    groups: list[Group]
    read: int
    """Pages Sphinx read (again): every page on a first run, the changed groups and the pages that list them after."""
    written: list[str]
    seconds: float
    warnings: str

    @property
    def failed(self) -> list[Group]:
        return [group for group in self.groups if group.reason]


def project_folder(out: Path) -> Path:
    """The Sphinx project of the site in ``out``: in the user's cache, named by the site's path."""
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return user_cache("site") / key


def question_numbers() -> list[int]:
    """A question page for each number of the editions, 1 to the largest count."""
    from exam_pdf.editions import PROFILES

    return list(range(1, max(profile.question_count for profile in PROFILES.values()) + 1))


def write_project(src: Path, groups: list[Group]) -> None:
    """Each group's folder, the list of groups and the stubs; unchanged files keep their dates.

    A report that cannot be read as Markdown text (binary, not UTF-8, empty, too big) gets
    no page: its reason is shown in the overview instead, and the other groups build."""
    from exam_pdf.errors import ReportError
    from exam_pdf.source import read_source

    remove_stale(src / GROUPS_DIR, {g.slug for g in groups if not g.reason})
    for group in groups:
        if group.reason:
            continue
        folder = src / GROUPS_DIR / group.slug
        sync(folder, group.files)
        try:
            read_source(folder / group.report)
        except ReportError as exc:
            group.reason = str(exc).removeprefix(f"{folder / group.report}: ")  # the CLI names the source
            remove_stale(src / GROUPS_DIR, {g.slug for g in groups if not g.reason})
    numbers = question_numbers()
    listed = [{"slug": g.slug, "docname": g.docname, "source": g.source, "reason": g.reason} for g in groups]
    shown = sorted((g for g in groups if not g.reason), key=lambda g: _natural(g.slug))
    pages = [f"   {_label(g.slug)} <{g.docname}>" for g in shown]
    pages += [f"   Question {n} <{question_docname(n)}>" for n in numbers]
    stubs = {
        GROUPS_FILE: json.dumps({"groups": listed}, indent=1, ensure_ascii=False) + "\n",
        "index.rst": "Exam reports\n============\n\n.. exam-site-overview::\n\n"
        + ".. toctree::\n   :hidden:\n   :titlesonly:\n\n"
        + "\n".join(pages)
        + "\n",
    }
    for n in numbers:
        title = f"Question {n}"
        stubs[f"{question_docname(n)}.rst"] = f"{title}\n{'=' * len(title)}\n\n.. exam-site-question:: {n}\n"
    for name, text in stubs.items():
        target = src / name
        if not target.is_file() or target.read_text("utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")


def _natural(slug: str) -> tuple[int, str]:
    """Archive folders in group order ("2" before "10", "10-name" after "10"), then by name."""
    number = re.match(r"\d{1,9}", slug)
    return (int(number.group(0)) if number else 10**9, slug)


def _label(slug: str) -> str:
    """A group's line in the navigation: "Group 10", "Group 10 (10-name)", or a tree's folder."""
    number = re.match(r"\d{1,9}", slug)
    if not number:
        return slug
    return f"Group {number.group(0)}" + (f" ({slug})" if slug != number.group(0) else "")


def config(groups: list[Group]) -> dict[str, object]:
    from exam_pdf.batch.keys import code_fingerprint

    return {
        "extensions": ["exam_pdf.sphinxext", "exam_pdf.sphinxext.archival", "exam_pdf.site.pages"],
        "source_suffix": {".rst": "restructuredtext", ".md": "exam-report"},
        "root_doc": "index",
        "include_patterns": ["index.rst", "questions/*.rst", *(f"{g.docname}.md" for g in groups if not g.reason)],
        "exclude_patterns": [],
        "project": "Exam reports",
        "html_title": "Exam reports",
        "language": "en",
        "smartquotes": False,  # the reports are shown as written
        "html_theme": "alabaster",
        "html_theme_options": {"show_powered_by": False, "sidebar_collapse": True},
        "templates_path": [str(Path(__file__).with_name("templates"))],
        "html_sidebars": {"**": ["searchbox.html", "exam-navigation.html"]},
        "html_static_path": [],
        "html_math_renderer": "exam_pdf",  # no MathJax: offline, and no script from a report's math
        "html_copy_source": False,
        "html_show_sourcelink": False,
        "html_use_index": False,
        "html_domain_indices": False,
        "html_last_updated_fmt": None,
        "exam_pdf_image_dir": IMAGE_DIR,
        "exam_site_questions": question_numbers(),
        # exam-pdf's own code: another version reads every page again (its checks may differ)
        "exam_site_code": code_fingerprint(),
        # What is wrong in a report is a finding on its page; Sphinx's own remarks on a
        # report's Markdown (a heading level skipped, an unknown code language) are not.
        "suppress_warnings": ["image.not_readable", "myst.header", "misc.highlighting_failure"],
    }


def build_site(source: Path, out: Path, jobs: int = 1, work: Path | None = None) -> Outcome:
    """Build (or bring up to date) the site of ``source`` (archive or tree) in ``out``."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    from exam_pdf.sandbox import sphinx_sandbox

    started = time.monotonic()
    groups = collect(source)
    work = work or project_folder(out)
    src = work / "src"
    src.mkdir(parents=True, exist_ok=True)
    write_project(src, groups)
    out.mkdir(parents=True, exist_ok=True)
    read: list[str] = []
    warnings = io.StringIO()
    with patch_docutils(str(src)), docutils_namespace(), sphinx_sandbox():
        app = Sphinx(
            str(src),
            None,
            str(out),
            str(work / "doctrees"),
            "html",
            confoverrides=config(groups),
            status=None,
            warning=warnings,
            freshenv=False,
            parallel=jobs if jobs > 1 else 0,
        )
        app.connect("env-before-read-docs", lambda app, env, docnames: read.extend(docnames))
        written: list[str] = []
        app.connect("html-page-context", lambda app, pagename, *args: written.append(pagename))
        app.build()
    return Outcome(groups, len(read), written, time.monotonic() - started, warnings.getvalue())
