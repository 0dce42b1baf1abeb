"""``exam-pdf site``: one Sphinx HTML site of a cohort, from a tree of group folders or a batch archive.

The groups here are the test root's two reports (editions 2023 and 2026, tests/roots/test-site)
with a figure; the hostile groups are tests/hostile/attacks.md and cases of tests/hostile_cases.py.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hostile_cases import write_case
from PIL import Image

from exam_pdf.site import build_site

ROOT = Path(__file__).resolve().parent / "roots" / "test-site" / "reports"
HOSTILE = Path(__file__).resolve().parent / "hostile" / "attacks.md"
#: A word only group 12's answer to question 3 has (the search must find it).
WORD = "Quetzalcoatlus"


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 60), colour).save(out, "PNG")
    return out.getvalue()


def make_tree(root: Path) -> Path:
    """Two groups as batch reads them: ``group-a/reports/README.md`` (group 7) and ``group-b`` (group 12)."""
    a = root / "group-a" / "reports"
    b = root / "group-b" / "reports"
    for folder in (a, b):
        (folder / "figures").mkdir(parents=True)
    (a / "README.md").write_text((ROOT / "group-7.md").read_text("utf-8"), "utf-8")
    twelve = (ROOT / "group-12.md").read_text("utf-8")
    twelve = twelve.replace(
        "We used Hydra and Typer.", f"We used Hydra and Typer and {WORD}.\n\n![setup](figures/setup.png)\n"
    )
    (b / "README.md").write_text(twelve, "utf-8")
    (b / "figures" / "setup.png").write_bytes(png((10, 200, 30)))
    return root


def body(page: Path) -> str:
    """The page's main part (without the sidebar, which lists every group)."""
    html = page.read_text("utf-8")
    return html[html.index('<div class="body"') : html.index('<div class="sphinxsidebar"')]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    base = tmp_path_factory.mktemp("site")
    tree = make_tree(base / "tree")
    outcome = build_site(tree, base / "site", work=base / "state")
    return base / "site", outcome


def test_overview_lists_the_groups_in_group_order_with_their_check(built) -> None:
    site, outcome = built
    assert outcome.warnings == ""
    overview = body(site / "index.html")
    rows = re.findall(r'<a class="reference internal" href="(groups/[^"]+)">(Group \d+)</a>', overview)
    assert rows == [("groups/group-a/README.html", "Group 7"), ("groups/group-b/README.html", "Group 12")]
    assert "table" in overview and "exam-site-groups" in overview
    assert "s230001, s230002, s230003" in overview and "2026" in overview and "2023" in overview
    assert 'src="_static/batch-sort.js' in (site / "index.html").read_text("utf-8")
    assert (site / "_static" / "batch-sort.js").is_file()
    for number in (1, 27, 31):
        assert f'href="questions/q{number:02d}.html"' in overview


def test_group_page_is_the_report_with_notes_and_figures(built) -> None:
    site, _ = built
    page = site / "groups" / "group-b" / "README.html"
    html = page.read_text("utf-8")
    assert 'class="exam-summary"' in html and 'class="exam-note exam-' in html
    assert "../../_static/exam-notes.css" in html
    [image] = re.findall(r'<img[^>]*src="([^"]+)"', body(page))
    assert (page.parent / image).resolve().is_file()
    assert '<code class="math">' in html and "mathjax" not in html.lower()  # offline: math as its TeX


def test_question_page_has_every_groups_answer_in_group_order(built) -> None:
    site, _ = built
    page = site / "questions" / "q03.html"
    shown = text(body(page))
    seven, twelve = shown.index("Group 7"), shown.index("Group 12")
    assert seven < twelve
    assert "Albumentations" in shown[seven:twelve] and WORD in shown[twelve:]
    assert re.search(r"in the report ?: \d+ words, 0 images \(.*?\); (pass|warn|fail)", shown[seven:twelve])
    assert re.search(r"in the report ?: \d+ words, 1 image \(.*?\); (pass|warn|fail)", shown[twelve:])
    html = body(page)
    assert 'href="../groups/group-a/README.html#question-3"' in html
    [image] = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert (page.parent / image).resolve().is_file()
    ids = re.findall(r'\bid="([^"]+)"', page.read_text("utf-8"))
    assert len(ids) == len(set(ids)), "two groups' answers on one page share no id"


def test_search_index_holds_the_answers(built) -> None:
    site, _ = built
    index = (site / "searchindex.js").read_text("utf-8")
    assert WORD.lower()[:8] in index.lower()
    assert '"Group 12: Exam template for 02476 Machine Learning Operations"' in index, "pages named by group"
    assert (site / "search.html").is_file()


@pytest.mark.slow  # seconds of work: make test runs it, test-fast leaves it out
def test_second_run_rebuilds_only_the_changed_group_and_the_pages_that_list_it(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    site, state = tmp_path / "site", tmp_path / "state"
    first = build_site(tree, site, work=state)
    assert first.read == 1 + 2 + 31  # the overview, two groups, a page per question
    again = build_site(tree, site, work=state)
    assert again.read == 0 and "groups/group-a/README" not in again.written
    other = site / "groups" / "group-a" / "README.html"
    before = other.stat().st_mtime_ns
    readme = tree / "group-b" / "reports" / "README.md"
    readme.write_text(readme.read_text("utf-8").replace("Hydra", "Hydra, Optuna"), "utf-8")
    third = build_site(tree, site, work=state)
    assert third.read == 1 + 1 + 31
    assert "groups/group-b/README" in third.written and "groups/group-a/README" not in third.written
    assert other.stat().st_mtime_ns == before
    assert "Optuna" in (site / "questions" / "q03.html").read_text("utf-8")
    assert not any(p.name.endswith(".doctree") for p in site.rglob("*")), "the environment is kept outside the site"


def test_cli_builds_the_site_and_names_a_group_without_a_page(tmp_path: Path, cli) -> None:
    tree = make_tree(tmp_path / "tree")
    (tree / "group-c").mkdir()
    (tree / "group-c" / "README.md").symlink_to(tree / "group-a" / "reports" / "README.md")
    (tree / "manifest.json").write_text('[{"id": "group-a"}]')  # a corpus's own manifest: still a tree
    (tree / "group-d").mkdir()
    (tree / "group-d" / "README.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # not text: no page, the rest builds
    result = cli("site", str(tree), "--out", str(tmp_path / "site"), "--state", str(tmp_path / "state"))
    assert result.exit_code == 1, result.output
    assert "no page: group-c/README.md:" in result.output and "outside the group's folder" in result.output
    assert "no page: group-d/README.md: is a binary file" in result.output
    overview = (tmp_path / "site" / "index.html").read_text("utf-8")
    assert "is a binary file" in overview and "Group 12" in overview
    assert (tmp_path / "site" / "index.html").is_file()
    bad = tmp_path / "archive"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    result = cli("site", str(bad), "--out", str(tmp_path / "site2"), "--state", str(tmp_path / "state2"))
    assert result.exit_code == 2 and "not a batch manifest" in result.output and "Traceback" not in result.output


# Containment -------------------------------------------------------------------------------

#: What no page of the site may hold, whatever a report wrote.
FORBIDDEN = re.compile(
    r"<(iframe|object|embed|base|meta[^>]*http-equiv)\b"  # elements that load or redirect
    r"|<[a-z][^>]*\son\w+\s*="  # an event handler in a tag (a report's text may show one, escaped)
    r"|<[a-z][^>]*\b(href|src|action)\s*=\s*[\"']?\s*(javascript|data|vbscript):"
    r"|<img[^>]*\bsrc=\"(?:https?:|/|file:)",  # a figure from elsewhere
    re.I,
)
#: The only scripts: Sphinx's own files and its one-line search box switch.
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)
SPHINX_INLINE = "document.getElementById('searchbox').style.display = \"block\""


def hostile_tree(root: Path, with_hostile: bool) -> Path:
    make_tree(root)
    if not with_hostile:
        return root
    attacks = root / "group-h" / "reports"
    attacks.mkdir(parents=True)
    text = HOSTILE.read_text("utf-8").replace("@SECRET@", str(root / "secret")).replace("@MARK@", str(root / "mark"))
    # and what only a site offers: another group's figure, ids another group's page uses
    text += (
        "\n\n### Question 3\n\n![theirs](../../group-b/reports/figures/setup.png)"
        ' <img src="../../group-b/reports/figures/setup.png" onerror="alert(1)">\n\n'
        '<a id="question-3" href="javascript:alert(2)">x</a>\n'
    )
    (attacks / "README.md").write_text(text, "utf-8")
    for case in (
        "png-with-broken-pixels",
        "math-leaves-math-mode",
        "escape-in-the-title",
        "bidi-override-group-number",
    ):
        write_case(case, root / f"case-{case}")
    return root


@pytest.mark.slow
def test_a_hostile_report_cannot_touch_another_groups_page_or_the_sites(tmp_path: Path) -> None:
    calm = build_site(hostile_tree(tmp_path / "calm", False), tmp_path / "calm-site", work=tmp_path / "s1")
    wild = build_site(hostile_tree(tmp_path / "wild", True), tmp_path / "wild-site", work=tmp_path / "s2")
    assert not calm.failed and not wild.failed
    for group in ("group-a", "group-b"):
        page = Path("groups") / group / "README.html"
        assert body(tmp_path / "wild-site" / page) == body(tmp_path / "calm-site" / page), group
    site = tmp_path / "wild-site"
    for page in site.rglob("*.html"):
        html = page.read_text("utf-8")
        found = FORBIDDEN.search(html)
        assert found is None, f"{page.relative_to(site)}: {found and found.group()}"
        for attributes, script in SCRIPT.findall(html):
            assert script.strip() in ("", SPHINX_INLINE), page
            assert not attributes.strip() or re.fullmatch(
                r'\s*(defer="defer" )?src="(\.\./)*(_static/[\w.-]+|searchindex\.js)(\?v=\w+)?"( defer="defer")?\s*',
                attributes,
            ), attributes
        for form in re.findall(r"<form\b[^>]*>", html):  # Sphinx's search box only
            assert re.fullmatch(r'<form (class="search" )?action="((\.\./)*search\.html)?" method="get">', form), form
        for source in re.findall(r'<img[^>]*src="([^"]+)"', html):
            assert (page.parent / source).resolve().is_relative_to(site.resolve()), source
    # the hostile group's own figure links to another group's folder became placeholders
    hostile = (site / "groups" / "group-h" / "README.html").read_text("utf-8")
    assert "Figure not shown" in hostile
    assert "root:x:0:0" not in "".join(p.read_text("utf-8") for p in site.rglob("*.html"))


# From a batch archive, and in a browser ---------------------------------------------------------


@pytest.mark.latex
@pytest.mark.slow
def test_site_from_a_batch_archive_reads_the_sources_embedded_in_the_pdfs(tmp_path: Path, run_exam_pdf) -> None:
    tree = make_tree(tmp_path / "tree")
    archive = tmp_path / "archive"
    done = run_exam_pdf("batch", str(tree), "--out", str(archive), "-j", "1", "--state", str(tmp_path / "bstate"))
    assert done.returncode == 0, done.stderr
    shutil.rmtree(tree)  # the archive is all the site needs
    outcome = build_site(archive, tmp_path / "site", work=tmp_path / "state")
    assert not outcome.failed and outcome.warnings == ""
    overview = body(tmp_path / "site" / "index.html")
    assert "Group 7" in overview and "Group 12" in overview
    question = body(tmp_path / "site" / "questions" / "q03.html")
    assert WORD in question
    [image] = re.findall(r'<img[^>]*src="([^"]+)"', question)
    assert (tmp_path / "site" / "questions" / image).resolve().is_file()


def dom(url: str, profile: Path) -> str:
    from test_browser import chromium

    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


def ids_of(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text("utf-8")))


@pytest.mark.browser
def test_browser_search_finds_an_answer_and_the_pages_link_each_other(built, tmp_path: Path) -> None:
    site, _ = built
    # Sphinx's search, run by Chromium from disk: a word of group 12's answer
    found = dom((site / "search.html").as_uri() + f"?q={WORD.lower()}", tmp_path / "profile")
    results = re.findall(r'<a href="([^"]+)"', found[found.index('id="search-results"') :])
    pages = {href.split("?")[0].split("#")[0] for href in results}
    assert "groups/group-b/README.html" in pages and "questions/q03.html" in pages, results
    # overview -> each group page and question page, as the browser sees the links
    overview = dom((site / "index.html").as_uri(), tmp_path / "profile")
    table = overview[overview.index("exam-site-groups") :]
    groups = re.findall(r'href="(groups/[^"#]+)"', table)
    assert groups[:2] == ["groups/group-a/README.html", "groups/group-b/README.html"]
    assert "aria-sort" not in table  # not yet sorted: the script waits for a click
    for href in [*groups, *re.findall(r'href="(questions/q\d+\.html)"', overview)]:
        assert (site / href).is_file(), href
    # question page -> the answer in each group's page (the anchor exists there)
    question = site / "questions" / "q03.html"
    shown = dom(question.as_uri(), tmp_path / "profile")
    for href in re.findall(r'href="(\.\./groups/[^"]+#[^"]+)"', shown):
        path, anchor = href.split("#")
        assert anchor in ids_of((question.parent / path).resolve()), href
    # group page -> back to the overview (the sidebar's navigation) and to the questions
    group = site / "groups" / "group-a" / "README.html"
    shown = dom(group.as_uri(), tmp_path / "profile")
    assert 'href="../../index.html"' in shown and 'href="../../questions/q03.html"' in shown


@pytest.mark.slow  # seconds of work: make test runs it, test-fast leaves it out
def test_parallel_build_gives_the_same_pages(built, tmp_path: Path) -> None:
    """``--jobs 2``: what each reading process found (check results, digests, titles) is merged."""
    site, _ = built
    tree = make_tree(tmp_path / "tree")
    outcome = build_site(tree, tmp_path / "site", jobs=2, work=tmp_path / "state")
    assert outcome.warnings == ""
    for page in ("index.html", "questions/q03.html", "groups/group-b/README.html"):
        assert body(tmp_path / "site" / page) == body(site / page), page


@pytest.mark.slow
def test_navigation_has_one_line_per_group_in_group_order(tmp_path: Path) -> None:
    """A report written with several ``#`` headings is one line of the sidebar, not one per heading;
    archive folders are listed in group order ("2" before "10")."""
    tree = tmp_path / "tree"
    for folder, number in (("10", "10"), ("2", "2")):
        (tree / folder).mkdir(parents=True)
        seven = (ROOT / "group-7.md").read_text("utf-8").replace("\n7\n", f"\n{number}\n", 1)
        (tree / folder / "README.md").write_text(seven + "\n# Afterword of group " + number + "\n\nThanks.\n", "utf-8")
    build_site(tree, tmp_path / "site", work=tmp_path / "state")
    page = (tmp_path / "site" / "index.html").read_text("utf-8")
    sidebar = text(page[page.index('<div class="sphinxsidebar"') :])
    assert "Afterword" not in sidebar
    assert sidebar.index("Group 2") < sidebar.index("Group 10") < sidebar.index("Question 1")
    assert "Afterword of group 2" in (tmp_path / "site" / "groups" / "2" / "README.html").read_text("utf-8")
