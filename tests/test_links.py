"""Every link works or is honest (issue 11): links to files of the report folder, to the
group's repository, to headings, bare URLs, and no red "problematic" text in HTML or PDF.

The fixture is a group repository: ``repo/.git/config`` names the GitHub remote,
``repo/dockerfiles/train.dockerfile`` lies outside the report folder ``repo/reports``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from docutils import nodes
from docutils.transforms import references as docutils_references

from exam_pdf.links import (
    LinkKind,
    Repository,
    find_repository,
    github_slug,
    heading_anchors,
    remote_address,
    resolve,
    web_address,
)
from exam_pdf.parse import parse
from exam_pdf.pipeline import CheckResult, check_path
from exam_pdf.source import read_source
from exam_pdf.sphinxext.transform import resolve_links

WEB = "https://github.com/group42/street-signs"
LONG_URL = "https://github.com/group42/street-signs/actions/runs/12987654321/job/36201234567?pr=57#step:6:14"
CONFIG = """[core]
\trepositoryformatversion = 0
\tbare = false
[remote "upstream"]
\turl = https://github.com/someone/else.git
[remote "origin"]
\turl = https://ci-bot:ghp_secret@github.com/group42/street-signs.git
\tfetch = +refs/heads/*:refs/remotes/origin/*
"""

README = f"""# Exam report

## Group information

### Question 1

> **Group number?**
>
> Answer:

42

### Question 2

> **Study numbers?**
>
> Answer:

s123456

## Project

### Question 3

> **You can take inspiration from [this figure](figures/wandb.png).**
>
> Answer:

Our data is in [the table](figures/data.csv) and [the folder](figures/).
The image is built from [train.dockerfile](../dockerfiles/train.dockerfile) and
[the root one](/dockerfiles/train.dockerfile#L2); [gone](../src/gone.py) was deleted.
A typo: [stats](figures/missing.csv). See [question 1](#question-1) and [the project](#project),
not [nowhere](#no-such-heading). [Again](figures/data.csv).
Link to the run: {LONG_URL}
Docs at www.example.com, mail s123456@dtu.dk; train.py and data.md are file names.
"""


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if needle in line)


def make_repository(base: Path, config: str | None = CONFIG) -> Path:
    """A group repository with the report in ``reports/``; returns the report folder."""
    folder = base / "repo" / "reports"
    (folder / "figures").mkdir(parents=True)
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "figures" / "data.csv").write_text("epoch,loss\n1,0.5\n")
    (base / "repo" / "dockerfiles").mkdir()
    (base / "repo" / "dockerfiles" / "train.dockerfile").write_text("FROM python:3.12\n")
    if config is not None:
        (base / "repo" / ".git").mkdir()
        (base / "repo" / ".git" / "config").write_text(config)
    return folder


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repository(tmp_path_factory.mktemp("links"))


@pytest.fixture(scope="module")
def checked(report_folder: Path) -> CheckResult:
    return check_path(report_folder)


# --- remotes and the repository ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "web"),
    [
        ("git@github.com:group42/street-signs.git", WEB),
        ("https://github.com/group42/street-signs.git", WEB),
        ("https://github.com/group42/street-signs", WEB),
        ("ssh://git@github.com/group42/street-signs.git", WEB),
        ("https://user:token@github.com/group42/street-signs.git", WEB),
        ('"https://github.com/group42/street-signs.git"', WEB),
        ("https://gitlab.com/group42/street-signs.git", None),
        ("https://github.com/group42", None),
        ("https://github.com/group42/street-signs/tree/main", None),
        ("file:///home/me/repo.git", None),
        ("/home/me/repo.git", None),
        ("", None),
    ],
)
def test_web_address_of_a_remote(remote: str, web: str | None) -> None:
    assert web_address(remote) == web


def test_origin_wins_and_credentials_are_dropped(report_folder: Path) -> None:
    repository = find_repository(report_folder)
    assert repository == Repository(report_folder.parent, WEB)
    assert "secret" not in str(repository)


def test_the_report_folders_own_git_is_never_read(tmp_path: Path) -> None:
    folder = make_repository(tmp_path, config=None)
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text(CONFIG)  # the report folder's own: untrusted
    assert find_repository(folder) == Repository(None, None)
    assert find_repository(folder, WEB + "-other") == Repository(None, WEB + "-other")


@pytest.mark.parametrize(
    "config",
    [
        b'[remote "origin"\n\turl = oops',  # not INI
        b"\x00\xff not UTF-8",
        b"[core]\n\tbare\n",  # a key without value, no remote
        b'[remote "origin"]\n\turl = https://gitlab.com/a/b.git\n',
    ],
)
def test_a_config_without_a_github_remote_gives_no_address(tmp_path: Path, config: bytes) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_bytes(config)
    assert remote_address(tmp_path / ".git") is None


def test_a_symlinked_or_huge_config_is_not_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text(CONFIG)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").symlink_to(elsewhere)
    assert remote_address(tmp_path / ".git") is None
    (tmp_path / ".git" / "config").unlink()
    (tmp_path / ".git" / "config").write_text(CONFIG + "#" * 70_000)
    assert remote_address(tmp_path / ".git") is None


# --- resolving one link -----------------------------------------------------------------------


def test_each_kind_of_link_resolves(report_folder: Path) -> None:
    repository = find_repository(report_folder)
    anchors = {"question-1": "question-1"}

    def where(written: str):  # type: ignore[no-untyped-def]
        return resolve(written, report_folder, repository, anchors, "README.md")

    assert where("figures/data.csv").kind is LinkKind.FILE
    assert where("./figures/../figures/data.csv").shipped == "figures/data.csv"
    assert where("../dockerfiles/train.dockerfile").href == f"{WEB}/blob/HEAD/dockerfiles/train.dockerfile"
    assert where("/dockerfiles/train.dockerfile#L2").href == f"{WEB}/blob/HEAD/dockerfiles/train.dockerfile#L2"
    assert where("figures/").href == f"{WEB}/tree/HEAD/reports/figures"
    assert where("#question-1").href == "#question-1"
    assert where("README.md#question-1").href == "#question-1"
    assert where("https://example.com/x").kind is LinkKind.WEB
    for broken in ("../src/gone.py", "figures/missing.csv", "#no-such-heading", "../../../outside.txt", "C:\\x.py"):
        target = where(broken)
        assert target.kind is LinkKind.TEXT and target.problem, broken
    assert "upper/lower case" in (where("figures/DATA.csv").problem or "")
    assert where("javascript:alert(1)").kind is LinkKind.TEXT


def test_without_a_repository_a_link_out_of_the_folder_is_text_without_a_warning(tmp_path: Path) -> None:
    folder = make_repository(tmp_path, config=None)
    unknown = resolve("../src/gone.py", folder, Repository(), {})
    assert unknown.kind is LinkKind.TEXT and unknown.problem is None
    given = resolve("../src/gone.py", folder, Repository(None, WEB), {})
    assert given.href == f"{WEB}/blob/HEAD/src/gone.py"


def test_a_symlink_out_of_the_report_folder_is_not_shipped(tmp_path: Path) -> None:
    folder = make_repository(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (folder / "figures" / "notes.txt").symlink_to(secret)
    target = resolve("figures/notes.txt", folder, Repository(), {})
    assert target.kind is LinkKind.TEXT and target.shipped is None


def test_github_anchors_of_headings() -> None:
    assert github_slug("Question 3") == "question-3"
    assert github_slug("Week 1 & 2: Setup!") == "week-1--2-setup"
    source = read_source_text("# A\n\n## Week 1 & 2\n\n## A\n")
    anchors = heading_anchors(parse(source))
    assert anchors["week-1--2"] == anchors["week-1-2"]
    assert anchors["a-1"] != anchors["a"]


def read_source_text(text: str, folder: Path | None = None):  # type: ignore[no-untyped-def]
    from exam_pdf.source import source_from_text

    return source_from_text(text, str((folder or Path("/nonexistent")) / "README.md"))


# --- parse level: bare URLs, findings and their lines ------------------------------------------


def test_bare_urls_are_links_as_on_github(report_folder: Path) -> None:
    document = parse(read_source(report_folder / "README.md"))
    uris = {r["refuri"]: r.astext() for r in document.findall(nodes.reference) if "refuri" in r}
    assert uris[LONG_URL] == LONG_URL
    assert uris["http://www.example.com"] == "www.example.com"
    assert uris["mailto:s123456@dtu.dk"] == "s123456@dtu.dk"
    assert not any("train.py" in uri or "data.md" in uri for uri in uris)


def test_check_reports_each_broken_link_on_its_line(checked: CheckResult) -> None:
    broken = [f for f in checked.findings if f.rule.id == "link-broken"]
    found = sorted((f.line, f.question, f.message.split("'")[1]) for f in broken)
    assert found == [
        (line_of(README, "[gone]"), 3, "../src/gone.py"),
        (line_of(README, "[stats]"), 3, "figures/missing.csv"),
        (line_of(README, "[nowhere]"), 3, "#no-such-heading"),
    ]
    assert all(f.severity.value == "warning" for f in checked.findings if f.rule.id == "link-broken")


def test_links_to_one_target_on_several_lines_each_get_their_line(make_report) -> None:  # type: ignore[no-untyped-def]
    answer = "First [a](gone.txt) here\nthen [b](gone.txt) there.\n\nBy reference: [c][ref].\n\n[ref]: gone.txt\n"
    text = README.split("### Question 3")[0] + f"### Question 3\n\n> Answer:\n\n{answer}"
    result = check_path(make_report(text))
    lines = [f.line for f in result.findings if f.rule.id == "link-broken"]
    assert lines == [line_of(text, "[a]"), line_of(text, "[b]"), line_of(text, "[c]")]


def test_the_templates_prompt_link_is_not_reported(checked: CheckResult) -> None:
    assert not [f for f in checked.findings if "wandb" in f.message]


def test_resolved_doctree_has_no_dangling_reference(report_folder: Path) -> None:
    """After :func:`resolve_links`, docutils' own reference resolution makes no problematic node."""
    source = read_source(report_folder / "README.md")
    document = parse(source)
    assert any("refname" in r for r in document.findall(nodes.reference))  # else this test proves nothing
    shipped: set[str] = set()
    embedded: set[str] = set()
    resolve_links(document, source.path, find_repository(report_folder), shipped, embedded)
    document.transformer.add_transform(docutils_references.DanglingReferences)
    document.transformer.apply_transforms()
    assert not list(document.findall(nodes.problematic))
    assert not any("refname" in r for r in document.findall(nodes.reference))
    assert shipped == embedded == {"figures/data.csv"}
    shown = [n.astext() for n in document.findall(nodes.inline) if "exam-link-text" in n["classes"]]
    assert "gone (../src/gone.py)" in shown and "this figure (figures/wandb.png)" in shown


# --- HTML -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_pages(report_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report's HTML beside the README, and with --out in another folder."""
    from exam_pdf.builders import build_html

    source = read_source(report_folder / "README.md")
    work = tmp_path_factory.mktemp("work")
    beside, _ = build_html(source, report_folder / "report.html", work)
    out = tmp_path_factory.mktemp("public") / "report.html"
    elsewhere, _ = build_html(source, out, work)
    return {"beside": beside, "out": elsewhere}


def hrefs(page: Path) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]*)"', page.read_text("utf-8"))


@pytest.mark.parametrize("where", ["beside", "out"])
def test_html_links_lead_somewhere(html_pages: dict[str, Path], where: str) -> None:
    page = html_pages[where]
    text = page.read_text("utf-8")
    assert 'class="problematic"' not in text and "system-message" not in text
    found = hrefs(page)
    assert f"{WEB}/blob/HEAD/dockerfiles/train.dockerfile" in found
    assert f"{WEB}/blob/HEAD/dockerfiles/train.dockerfile#L2" in found
    assert f"{WEB}/tree/HEAD/reports/figures" in found
    assert LONG_URL.replace("&", "&amp;") in found and "http://www.example.com" in found
    ids = set(re.findall(r'id="([^"]+)"', text))
    local = [h for h in found if not re.match(r"^[a-z]+:", h)]
    assert "figures/data.csv" in local and "#question-1" in local and "#project" in local
    for href in local:  # every relative link works from where the page is
        if href.startswith("#"):
            assert href[1:] in ids, href
        else:
            assert (page.parent / unquote(href.split("#")[0])).is_file(), href
    assert "#no-such-heading" not in found and not any("gone.py" in h or "missing.csv" in h for h in found)


def test_html_shows_the_path_of_a_link_that_leads_nowhere(html_pages: dict[str, Path]) -> None:
    text = re.sub(r"<[^>]+>", "", html_pages["out"].read_text("utf-8"))
    assert "gone (../src/gone.py)" in text
    assert "stats (figures/missing.csv)" in text


def test_repo_url_option_for_a_report_outside_a_repository(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = make_repository(tmp_path, config=None)
    done = cli("html", str(folder), "--out", str(tmp_path / "site"), "--repo-url", "git@github.com:o/r.git")
    assert done.exit_code == 0, done.output  # warnings only
    assert "https://github.com/o/r/blob/HEAD/dockerfiles/train.dockerfile" in hrefs(tmp_path / "site" / "report.html")
    bad = cli("html", str(folder), "--repo-url", "https://example.org/x")
    assert bad.exit_code == 2 and "not a GitHub repository" in bad.output


# --- PDF --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def latex_build(report_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, set[str]]:
    """The generated .tex, the PDF compiled from it, and the files the archive would embed."""
    from exam_pdf.builders import _sphinx
    from exam_pdf.builders.engine import compile_pdf

    work = tmp_path_factory.mktemp("latex")
    app = _sphinx(read_source(report_folder / "README.md"), work, "latex", True, "auto", True)
    tex = work / "latex" / "report.tex"
    pdf = compile_pdf(tex)
    return tex.read_text("utf-8"), pdf, set(app.env.exam_pdf_sources)


@pytest.mark.latex
def test_pdf_has_no_red_problematic_text(latex_build: tuple[str, Path, set[str]]) -> None:
    tex, pdf, _ = latex_build
    assert "problematic" not in tex
    assert "Overfull \\hbox" not in pdf.with_suffix(".log").read_text("utf-8", "replace")


@pytest.mark.latex
def test_pdf_link_annotations(latex_build: tuple[str, Path, set[str]]) -> None:
    from pypdf import PdfReader

    _, pdf, embedded = latex_build
    actions = [
        annotation.get_object()["/A"]
        for page in PdfReader(pdf).pages
        for annotation in page.get("/Annots") or []
        if "/A" in annotation.get_object()
    ]
    uris = {str(action["/URI"]) for action in actions if action["/S"] == "/URI"}
    assert LONG_URL in uris  # the bare URL
    assert "http://www.example.com" in uris
    assert f"{WEB}/blob/HEAD/dockerfiles/train.dockerfile" in uris
    assert "figures/data.csv" in uris and "figures/data.csv" in embedded  # shipped in the archive
    assert not any("gone.py" in uri or "missing.csv" in uri for uri in uris)
    assert sum(action["/S"] == "/GoTo" for action in actions) >= 2  # the two anchors


# --- the corpus -------------------------------------------------------------------------------


@pytest.mark.corpus
def test_no_corpus_report_keeps_a_dangling_reference(corpus_dir: Path) -> None:
    """On every real report: after the link resolution the builds run, docutils' own reference
    resolution (what made the red text) finds nothing, and ``check`` names every broken link.

    Run on the doctree: the 46 HTML builds take minutes on a shared machine, and what reaches
    the HTML is the doctree after these transforms (the HTML test above checks the writers)."""
    from conftest import corpus_ids

    resolved = 0
    for report_id in corpus_ids():
        folder = corpus_dir / report_id
        result = check_path(folder)
        source, document = result.report.source, result.report.document  # as the transform sees it
        resolved += sum("refname" in r for r in document.findall(nodes.reference))
        resolve_links(document, source.path, find_repository(folder), set(), set())
        document.transformer.add_transform(docutils_references.DanglingReferences)
        document.transformer.apply_transforms()
        assert not list(document.findall(nodes.problematic)), report_id
        assert not [m for m in document.findall(nodes.system_message) if m["level"] >= 2], report_id
        assert all(f.line and 1 <= f.line <= len(source.lines) for f in result.findings if f.rule.id == "link-broken")
    assert resolved > 46  # every report has the template's prompt links


def test_copy_of_a_linked_file_stays_inside_out(tmp_path: Path) -> None:
    """A linked file is copied beside the page under its path inside the report folder only."""
    from exam_pdf.builders import build_html

    folder = make_repository(tmp_path, config=None)
    text = README + "\n[up](figures/../figures/data.csv) [out](../dockerfiles/train.dockerfile)\n"
    (folder / "README.md").write_text(text, encoding="utf-8")
    out = tmp_path / "site" / "report.html"
    build_html(read_source(folder / "README.md"), out, tmp_path / "work")
    copied = sorted(p.relative_to(out.parent).as_posix() for p in out.parent.rglob("*") if p.is_file())
    assert copied == ["figures/data.csv", "report.html"]
    shutil.rmtree(tmp_path / "site")


def test_a_problematic_node_from_elsewhere_becomes_text_and_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last guard: a problematic node the link resolution cannot prevent (here one that another
    extension of a Sphinx project of one's own leaves on a report page) is shown as text, never as
    red text linking to a dropped message, and named in the findings."""
    import io
    import sys

    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    # The project's conf.py puts its folder on sys.path and imports its extension, and a
    # Sphinx application registers its directives in docutils' global registry: all of it
    # goes when the test ends, or later Sphinx projects in this process see it.
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "stray", raising=False)
    src = tmp_path / "src"
    src.mkdir()
    (src / "stray.py").write_text(STRAY_EXTENSION)
    (src / "conf.py").write_text(
        "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n"
        'extensions = ["exam_pdf.sphinxext", "stray"]\nsource_suffix = {".md": "exam-report"}\n'
    )
    (src / "index.md").write_text("# Report\n\n## Question 1\n\nAnswer: see |nowhere| for it.\n")
    with docutils_namespace():
        app = Sphinx(str(src), str(src), str(tmp_path / "html"), str(tmp_path / "doctrees"), "html",
                     status=None, warning=io.StringIO(), freshenv=True)  # fmt: skip
        app.build()
    sys.modules.pop("stray", None)
    page = (tmp_path / "html" / "index.html").read_text("utf-8")
    assert "see |nowhere| for it" in re.sub(r"<[^>]+>", "", page)
    assert "problematic" not in page and "system-message" not in page
    [finding] = [f for f in app.env.exam_pdf_results["index"].findings if f.rule.id == "link-broken"]
    assert finding.line == 5 and 'Undefined substitution referenced: "nowhere"' in finding.message


#: An extension that does what docutils does with an undefined substitution: a problematic node
#: pointing at an error message (line 5), after exam-pdf's link resolution and before its guard.
STRAY_EXTENSION = """
from docutils import nodes
from sphinx.transforms import SphinxTransform


class Stray(SphinxTransform):
    default_priority = 700

    def apply(self, **kwargs):
        text = next(n for n in self.document.findall(nodes.Text) if "|nowhere|" in n)
        message = self.document.reporter.error('Undefined substitution referenced: "nowhere".', line=5)
        problem = nodes.problematic("|nowhere|", "|nowhere|", refid=self.document.set_id(message))
        message.add_backref(self.document.set_id(problem))
        self.document.transform_messages.append(message)
        before, after = str(text).split("|nowhere|")
        text.parent.replace(text, [nodes.Text(before), problem, nodes.Text(after)])


def setup(app):
    app.add_transform(Stray)
    return {"parallel_read_safe": True}
"""
