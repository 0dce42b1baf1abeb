"""``exam-pdf html``: one self-contained page with the report's figures and status notes.

The reports are small and written here, so each check knows what the page must show:
a figure that exists, one that is missing, a remote one, a checklist with all three
box states, and questions that pass, warn and fail.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import warmcli
from PIL import Image

from exam_pdf.editions import LIMITS_31

# A figure in a subfolder whose name needs quoting in a URL.
FIGURE = "figures/training curves.png"

SMALL_REPORT = f"""\
# Group 9 report

## Overall project checklist

### Week 1

* [x] Create a git repository (M5)
* [ ] Construct one or multiple docker files for your code (M10)
* [-] Use profiling to optimize your code (M12)

## Group information

### Question 1
> **Enter the group number you signed up on <learn.inside.dtu.dk>**
>
> Answer:

9

### Question 2
> **Enter the study number for each member in the group**
>
> Answer:

s123456, s234567

### Question 3
> **Show us your training curves.**
>
> Answer length: 0-200 words + 1 to 2 images.
>
> Answer:

Our training curves are in the figure below, drawn once every epoch.

![curves](<{FIGURE}>)

### Question 4
> **How many tests did you implement?**
>
> Recommended answer length: 100-200 words.
>
> Answer:

Only a few tests.

### Question 5
> **Show your cloud build history.**
>
> Answer length: 0-200 words.
>
> Answer:

The history is shown here <b onclick="alert(1)">in bold</b> <script>alert(2)</script> and
an external picture ![ext](https://example.com/x.png) and a local one that is gone:

![gone](figures/gone.png)
"""


def png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    import io

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def passing_report() -> tuple[str, dict[str, bytes]]:
    """A report of the 31 questions of the 2026 edition that meets every limit of its checker."""
    parts = ["# Group 3 report\n", "## Group information\n"]
    figures: dict[str, bytes] = {}
    for number, (words, images) in LIMITS_31.items():
        parts.append(f"### Question {number}\n\n> **Question {number} prompt.**\n>\n> Answer:\n")
        if number == 1:
            parts.append("3\n")
            continue
        if number == 2:
            parts.append("s123456, s234567\n")
            continue
        count = (words.min + words.max) // 2 if words else 10
        parts.append(" ".join(f"word{number}x{i}" for i in range(count)) + "\n")
        for i in range(images.min if images else 0):
            name = f"figures/q{number}_{i}.png"
            figures[name] = png((200, 40 + number, 40))
            parts.append(f"\n![figure {number}]({name})\n")
    return "\n".join(parts), figures


def write_report(folder: Path, text: str, figures: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(text, encoding="utf-8")
    for rel, data in figures.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return warmcli.run([*map(str, args)], cwd=cwd, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}, timeout=300)


class Page(HTMLParser):
    """The tags and attributes of a page, and its text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def section(markup: str, number: int) -> str:
    """The HTML of question ``number``'s section."""
    match = re.search(rf'<section id="question-{number}">(.*?)</section>', markup, re.S)
    assert match, f"no section for question {number}"
    return match.group(1)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = write_report(
        tmp_path_factory.mktemp("html") / "report",
        SMALL_REPORT,
        {FIGURE: png((20, 120, 220)), "figures/unused.png": png((0, 0, 0))},
    )
    return folder, run("html", folder)


@pytest.fixture(scope="module")
def page(small: tuple[Path, subprocess.CompletedProcess[str]]) -> str:
    folder, result = small
    assert result.returncode == 1, result.stderr
    return (folder / "report.html").read_text("utf-8")


def test_html_is_written_beside_the_readme_and_named_in_the_output(small) -> None:
    folder, result = small
    assert (folder / "report.html").is_file()
    assert f"wrote {folder / 'report.html'}" in result.stdout
    assert not (folder / "report.pdf").exists(), "html must not build the PDF"


def test_html_is_one_self_contained_file(page: str) -> None:
    parsed = Page(page)
    assert parsed.all("style"), "the CSS must be inline"
    assert not [a for a in parsed.all("link") if a.get("rel") == "stylesheet"], "no external stylesheet"
    assert not parsed.all("script"), "no scripts at all"
    assert "<script" not in page.lower()
    assert not re.search(r"\son[a-z]+\s*=", page, re.I), "no event handlers"
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "data", "poster"):
            value = attrs.get(name, "")
            if name == "href" and tag == "a":
                continue  # links are navigation, not resources the page loads
            assert not re.match(r"(?i)(https?:)?//", value), f"<{tag} {name}={value!r}> loads from the web"
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page), "no remote url() in CSS"
    assert "_static/" not in page and "_images/" not in page, "no references into Sphinx's build folder"


def test_html_figures_are_relative_and_present(small, page: str) -> None:
    folder, _ = small
    sources = [attrs["src"] for attrs in Page(page).all("img")]
    assert sources, "the page shows the figure"
    for src in sources:
        assert not urlparse(src).scheme and not src.startswith("/"), src
        assert (folder / unquote(src)).is_file(), f"{src} does not resolve beside report.html"
    assert FIGURE in {unquote(src) for src in sources}


def test_html_missing_and_remote_figures_become_placeholders(page: str) -> None:
    q5 = section(page, 5)
    placeholders = re.findall(r'<span class="exam-placeholder">(.*?)</span>', q5, re.S)
    assert len(placeholders) == 2
    # Markdown puts an image inside a paragraph: its placeholder must be phrasing content.
    assert not re.search(r"<p\b(?:(?!</p>).)*<div", page, re.S), "a <div> inside a <p>"
    assert any("figures/gone.png" in p for p in placeholders)
    assert any("https://example.com/x.png" in p for p in placeholders)
    assert "<img" not in q5, "neither the missing nor the remote figure may be an <img>"


def test_html_notes_are_coloured_by_status(page: str) -> None:
    def note_class(number: int) -> str:
        match = re.search(r'<div class="exam-note (exam-\w+)"', section(page, number))
        assert match, f"question {number} has no note"
        return match.group(1)

    assert note_class(1) == "exam-pass"
    assert note_class(3) == "exam-pass"
    assert note_class(4) == "exam-warn"  # too few words of a *recommended* length
    assert note_class(5) == "exam-fail"  # a missing figure is an error
    assert "too-few-words" in section(page, 4)
    assert "image-missing" in section(page, 5)
    # the stylesheet gives the three states different colours
    css = "".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    rules = {state: re.search(rf"\.exam-{state}\s*\{{([^}}]*)\}}", css) for state in ("pass", "warn", "fail")}
    assert all(rules.values()), "each status has a CSS rule"
    assert len({rule.group(1) for rule in rules.values() if rule}) == 3


def test_html_summary_table_lists_each_question(page: str) -> None:
    summary = re.search(r'<div class="exam-summary">(.*?)</div>', page, re.S)
    assert summary, "the compliance summary is on the page"
    table = next(t for t in re.findall(r"<table.*?</table>", summary.group(1), re.S) if ">Question<" in t)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    header = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", rows[0], re.S)]
    assert header == ["Question", "Words", "Limit", "Images", "Status"]
    body = {}
    for row in rows[1:]:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells and cells[0].isdigit():
            body[int(cells[0])] = cells
    assert sorted(body) == [1, 2, 3, 4, 5]
    assert body[4][1] == "4" and body[4][4] == "warn"  # "Only a few tests." is 4 words
    assert body[3][3] == "1" and body[3][4] == "pass"
    assert body[5][4] == "fail"
    # the summary comes before the first question
    assert page.index('class="exam-summary"') < page.index('id="question-1"')


def test_html_checklist_has_a_glyph_per_state(page: str) -> None:
    boxes = re.findall(r'<span class="exam-box exam-box-([\w-]+)"[^>]*>([^<]*)</span>\s*([^<]*)', page)
    states = {state: (glyph, text.strip()) for state, glyph, text in boxes}
    assert states["checked"][1] == "Create a git repository (M5)"
    assert states["unchecked"][1].startswith("Construct one or multiple docker files")
    assert states["not-applicable"][1].startswith("Use profiling")
    glyphs = {glyph for glyph, _ in states.values()}
    assert len(glyphs) == 3, "three different glyphs"
    assert "[x]" not in page and "[-]" not in page, "the Markdown boxes are replaced, not shown"


def test_html_report_html_is_sanitised(page: str) -> None:
    q5 = section(page, 5)
    assert "in bold" in q5, "the text inside harmless tags is kept"
    parsed = Page(q5)
    assert not parsed.all("script")
    assert not [attrs for _, attrs in parsed.tags if any(name.startswith("on") for name in attrs)]
    assert "unsafe-content" in page, "the summary says what was removed"


def test_html_out_elsewhere_copies_the_figures(small, tmp_path: Path) -> None:
    folder, _ = small
    out = tmp_path / "public" / "site"
    result = run("html", folder / "README.md", "--out", out)
    assert result.returncode == 1, result.stderr
    page = (out / "report.html").read_text("utf-8")
    sources = [unquote(a["src"]) for a in Page(page).all("img")]
    assert sources == [FIGURE]
    assert (out / FIGURE).read_bytes() == (folder / FIGURE).read_bytes()
    assert not (out / "figures" / "unused.png").exists(), "only the figures the report shows are copied"
    assert not (out / "README.md").exists()


def test_html_no_notes_leaves_notes_and_summary_out(small, tmp_path: Path) -> None:
    folder, _ = small
    result = run("html", folder, "--no-notes", "--out", tmp_path)
    assert result.returncode == 1, "the exit code still follows the checks"
    page = (tmp_path / "report.html").read_text("utf-8")
    assert 'class="exam-note' not in page and 'class="exam-summary"' not in page
    assert "Compliance summary" not in page
    # the answers and the placeholders are still there
    assert "Only a few tests." in page
    assert "figures/gone.png" in page


@pytest.fixture
def passing(make_report: Callable[..., Path]) -> Path:
    text, figures = passing_report()
    return make_report(text, figures)


def test_html_exit_code_0_for_a_report_without_errors(passing: Path) -> None:
    result = run("html", passing)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (passing / "report.html").read_text("utf-8")
    assert page.count('class="exam-note exam-pass"') == 31
    assert "exam-fail" not in re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    assert "31/31 questions pass" in result.stdout


def test_html_exit_code_2_without_a_report(make_report: Callable[..., Path], tmp_path: Path) -> None:
    not_a_report = make_report("# Shopping list\n\n* milk\n* bread\n", name="notes")
    result = run("html", not_a_report)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Question" in result.stderr
    assert not (not_a_report / "report.html").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("html", empty)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.latex
def test_build_writes_html_and_pdf_from_one_run(passing: Path) -> None:
    """``build`` is ``html`` + ``pdf``: the same exit code, both files."""
    result = run("build", passing)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (passing / "report.html").is_file()
    assert (passing / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert result.stdout.count("wrote ") == 2
