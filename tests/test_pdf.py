"""``exam-pdf pdf``: the printable PDF, read back with pypdf and poppler's tools.

The example report (group 42, 2026 edition, deliberate rule breaks) is built once
for the module; a Unicode fixture of our own checks that the scripts students
write come out as text; fake TeX engines on PATH exercise the failure paths.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import warmcli
from pypdf import PdfReader

pytestmark = pytest.mark.latex

HERE = Path(__file__).resolve().parent
UNICODE = HERE / "fixtures" / "unicode"
EXAMPLE = HERE.parent / "examples" / "report"
EPOCH = "1700000000"
A4 = (595.28, 841.89)  # 210 mm x 297 mm in points


def copy_report(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    return target


def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return warmcli.run(
        [*map(str, args)], env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}, timeout=timeout
    )


def pdftotext(pdf: Path) -> list[str]:
    """The text of each page (``-layout``), in page order."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def flat(text: str) -> str:
    """Text for comparing phrases: straight quotes, one space, no line-end hyphenation,
    and paths whole again where a line broke after one of their slashes."""
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'}))
    text = re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", text)
    text = re.sub(r"(?<=\w/)[ \t]*\n\s*(?=\w)", "", text)
    return " ".join(text.split())


def pdffonts(pdf: Path) -> list[dict[str, str]]:
    """pdffonts' rows: the name and the five fixed columns at the end (a long name shifts the others)."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines[0].split()[-5:] == ["emb", "sub", "uni", "object", "ID"], lines[0]
    table = []
    for row in lines[2:]:
        cells = row.split()
        table.append({"name": cells[0], "emb": cells[-5], "sub": cells[-4], "uni": cells[-3]})
    return table


def outline_titles(reader: PdfReader) -> dict[str, int]:
    found: dict[str, int] = {}

    def walk(items: list) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found[str(item.title)] = reader.get_destination_page_number(item)

    walk(reader.outline)
    return found


def question_section(readme: str, number: int) -> str:
    match = re.search(rf"(?ms)^### Question {number}\s*$(.*?)(?=^#{{1,3}} |\Z)", readme)
    assert match, f"the example has no question {number}"
    return match.group(1)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = copy_report(EXAMPLE, tmp_path_factory.mktemp("pdf") / "report")
    return folder, run("pdf", folder)


@pytest.fixture(scope="module")
def example_pdf(example: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    folder, result = example
    assert result.returncode == 1, f"the example breaks rules on purpose\n{result.stdout}\n{result.stderr}"
    return folder / "report.pdf"


@pytest.fixture(scope="module")
def pages(example_pdf: Path) -> list[str]:
    return pdftotext(example_pdf)


@pytest.fixture(scope="module")
def findings(example: tuple[Path, subprocess.CompletedProcess[str]]) -> list[dict]:  # type: ignore[type-arg]
    """What ``exam-pdf check`` says about the example: the notes must say the same."""
    folder, _ = example
    result = run("check", folder, "--format", "json")
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)["findings"]


def test_pdf_is_written_and_named(example: tuple[Path, subprocess.CompletedProcess[str]], example_pdf: Path) -> None:
    folder, result = example
    assert example_pdf.read_bytes().startswith(b"%PDF-")
    assert f"wrote {example_pdf}" in result.stdout
    assert not (folder / "report.html").exists(), "pdf must not build the HTML"
    assert "Traceback" not in result.stderr


def test_pdf_has_every_question_heading(pages: list[str]) -> None:
    text = "\n".join(pages)
    for number in range(1, 32):
        assert re.search(rf"(?m)^\s*Question {number}\s*$", text), f"no heading 'Question {number}'"
    assert not re.search(r"(?m)^\s*Question 32\s*$", text)


def test_pdf_notes_show_the_findings_of_check(pages: list[str], findings: list[dict]) -> None:  # type: ignore[type-arg]
    # Without the running header and footer, so that a note broken over two pages reads on.
    running = re.compile(r"^\s*(02476 MLOps exam report\s+Group \S+|Page \d+ of \d+)\s*$", re.M)
    text = flat("\n".join(running.sub("", page) for page in pages))
    seven = [f for f in findings if f["question"] == 7]
    assert [f["rule"] for f in seven] == ["too-few-words"], "the example's Q7 is too short on purpose"
    for finding in findings:
        if finding["question"] is None:
            continue
        line = f"{finding['severity']} {finding['rule']}: {flat(finding['message'])}"
        assert line in text, f"the note for question {finding['question']} lacks {line!r}"
    statuses = re.findall(r"Question (\d+) (passes|has warnings|breaks the rules):", text)
    assert len(statuses) == 31 and {int(n) for n, _ in statuses} == set(range(1, 32))
    assert dict(statuses)["7"] == "has warnings"


def test_pdf_missing_figure_is_a_placeholder_naming_the_file(example: tuple, pages: list[str]) -> None:  # type: ignore[type-arg]
    folder, _ = example
    missing = "figures/cloud_build_history.png"
    assert missing in (folder / "README.md").read_text("utf-8")
    assert not (folder / missing).exists()
    text = flat("\n".join(pages))
    assert f"Figure not shown: {missing}" in text


def test_pdf_pages_are_a4(example_pdf: Path) -> None:
    reader = PdfReader(example_pdf)
    assert len(reader.pages) > 10
    for index, page in enumerate(reader.pages):
        box = page.mediabox
        size = (float(box.width), float(box.height))
        assert abs(size[0] - A4[0]) <= 1 and abs(size[1] - A4[1]) <= 1, f"page {index + 1} is {size}"
    info = subprocess.run(["pdfinfo", str(example_pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)


def test_pdf_fonts_are_all_embedded(example_pdf: Path) -> None:
    fonts = pdffonts(example_pdf)
    assert fonts, "pdffonts lists the fonts"
    assert [f["name"] for f in fonts if f["emb"] != "yes"] == []
    assert all(f["sub"] == "yes" for f in fonts), "fonts are subsets (no whole CJK fonts in every PDF)"


def test_pdf_title_page_has_group_and_students(example: tuple, pages: list[str]) -> None:  # type: ignore[type-arg]
    folder, _ = example
    readme = (folder / "README.md").read_text("utf-8")
    ids = re.findall(r"\bs\d{6}\b", question_section(readme, 2))
    assert len(ids) >= 2
    title = flat(pages[0])
    assert "02476 Machine Learning Operations" in title
    assert "Exam report, group 42" in title
    for student in ids:
        assert student in title
    assert "Template edition 2026" in title
    assert "2023-11-14" in title, "the source's date comes from SOURCE_DATE_EPOCH"
    assert "Question 1" not in pages[0], "the answers start after the front matter"


def test_pdf_no_page_ends_with_a_prompt(pages: list[str]) -> None:
    # The example has 31 prompts; before headings kept them company, one stood alone at
    # the foot of a page with its answer overleaf.
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        lines = [line for line in lines if not re.fullmatch(r"Page \d+ of \d+|[ivx]+", line)]
        assert lines and lines[-1] != "Answer:", f"page {number} ends with a prompt; its answer is overleaf"
        assert not re.fullmatch(r"Question \d+", lines[-1]), f"page {number} ends with a heading"


def test_pdf_running_header_and_page_x_of_y(example_pdf: Path, pages: list[str]) -> None:
    labels = PdfReader(example_pdf).page_labels
    assert labels[0] == "i", "front matter is numbered in roman"
    body = [(label, text) for label, text in zip(labels, pages) if label.isdigit()]
    assert body and body[0][0] == "1"
    total = len(body)
    for label, text in body:
        lines = [line for line in text.splitlines() if line.strip()]
        assert re.search(r"\bGroup 42\s*$", lines[0]), f"page {label}: header {lines[0]!r}"
        assert lines[-1].strip() == f"Page {label} of {total}", f"page {label}: footer {lines[-1]!r}"


def test_pdf_bookmarks_lead_to_each_question(example_pdf: Path, pages: list[str]) -> None:
    titles = outline_titles(PdfReader(example_pdf))
    for number in range(1, 32):
        name = f"Question {number}"
        assert name in titles, f"no bookmark {name!r}"
        assert re.search(rf"(?m)^\s*{name}\s*$", pages[titles[name]]), f"bookmark {name!r} points elsewhere"
    assert "Group information" in titles


def test_pdf_no_notes_is_a_clean_copy(example: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = example
    result = run("pdf", folder, "--no-notes", "--out", tmp_path, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 1, result.stderr
    text = flat("\n".join(pdftotext(tmp_path / "report.pdf")))
    assert "Question 31" in text
    assert not re.search(r"Question \d+ (passes|has warnings|breaks the rules):", text)
    assert "Compliance summary" not in text
    assert "Figure not shown: figures/cloud_build_history.png" in text, "placeholders stay"


# Unicode ------------------------------------------------------------------------

UNICODE_SAMPLES = [
    "æøå ÆØÅ",
    "Søren Ærø",
    "Blåbærgården",
    "“smart quotes”",
    "‘single ones’",
    "2019–2023",  # en dash
    "dash — and",  # em dash
    "data → model → API",
    "3×3",
    "250 µs",
    "α, β and γ",
    "🎉",
    "王芳",
]


@pytest.fixture(scope="module")
def unicode_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = copy_report(UNICODE, tmp_path_factory.mktemp("unicode") / "report")
    return folder, run("pdf", folder)


def test_unicode_fixture_holds_the_samples() -> None:
    text = (UNICODE / "README.md").read_text("utf-8")
    for sample in UNICODE_SAMPLES:
        assert sample in text


def test_unicode_comes_out_as_text(unicode_build: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    folder, result = unicode_build
    assert result.returncode in (0, 1), result.stderr
    assert "glyph-missing" not in result.stdout, "every character has a font"
    text = " ".join(" ".join(pdftotext(folder / "report.pdf")).split())
    for sample in UNICODE_SAMPLES:
        assert sample in text, f"{sample!r} is not in the PDF's text"
    assert "s123456, s234567 (王芳)" in text
    assert all(f["emb"] == "yes" for f in pdffonts(folder / "report.pdf"))


# Failure paths --------------------------------------------------------------------


def fake_bin(folder: Path, scripts: dict[str, str], link: tuple[str, ...] = ()) -> Path:
    """A folder for PATH with fake tools (shell scripts) and links to real ones."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in scripts.items():
        path = folder / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    for name in link:
        real = shutil.which(name)
        assert real, f"{name} is needed for this test"
        (folder / name).symlink_to(real)
    return folder


@pytest.fixture
def small_report(make_report) -> Path:  # type: ignore[no-untyped-def]
    return make_report((UNICODE / "README.md").read_text("utf-8"))


def test_pdf_without_xelatex_says_what_to_install(small_report: Path, tmp_path: Path) -> None:
    tools = fake_bin(tmp_path / "bin", {}, link=("latexmk",))
    result = run("pdf", small_report, env={"PATH": str(tools)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "xelatex not found" in lines[0] and "apt-get install" in lines[0] and "texlive-xetex" in lines[0]
    assert "latexmk" not in lines[0].split("not found")[0], "latexmk is there; only xelatex is missing"
    assert not (small_report / "report.pdf").exists()


def test_pdf_latex_error_is_one_finding_and_the_log_is_kept(small_report: Path, tmp_path: Path) -> None:
    # An engine that fails the way TeX does: an error in the log, exit code 1. It fails on
    # the fallback's own LaTeX too, so the fallback PDF is written by fpdf2.
    engine = (
        'for a; do f="$a"; done\n'  # the last argument is the .tex file
        'b="${f%.tex}"\n'
        'printf "%s\\n" "./$b.tex:12: Undefined control sequence." "l.12 \\\\oops" > "$b.log"\n'
        "exit 1\n"
    )
    tools = fake_bin(tmp_path / "bin", {"xelatex": engine}, link=("latexmk", "perl"))
    cache = tmp_path / "cache"
    result = run("pdf", small_report, "--cache-dir", cache, env={"PATH": f"{tools}:/usr/bin:/bin"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert not result.stderr
    [line] = [line for line in result.stdout.splitlines() if "pdf-fallback" in line]
    assert "error pdf-fallback LaTeX error: Undefined control sequence." in line
    log = re.search(r"full log: ([^)]+)\)", line)
    assert log and Path(log.group(1)).is_file(), "the full log stays in the build folder"
    assert Path(log.group(1)).is_relative_to(cache)
    assert "FALLBACK PDF" in PdfReader(small_report / "report.pdf").pages[0].extract_text()


def test_pdf_engine_timeout_stops_the_build(small_report: Path, tmp_path: Path) -> None:
    tools = fake_bin(tmp_path / "bin", {"xelatex": "sleep 60\n"}, link=("latexmk", "perl"))
    result = run("pdf", small_report, "--timeout", "3", env={"PATH": f"{tools}:/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error pdf-fallback the TeX engine ran past its time limit and was stopped" in result.stdout
    assert (small_report / "report.pdf").is_file()  # the fallback, its LaTeX stopped as well


def test_a_character_without_font_is_marked_and_reported(make_report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A private-use character no installed font has: a visible [U+E000] marker and a finding, not a blank."""
    text = (UNICODE / "README.md").read_text("utf-8").replace("with the result.", "with the result \ue000 done.")
    assert "\ue000" in text
    folder = make_report(text)
    result = run("pdf", folder)
    assert result.returncode in (0, 1), result.stderr
    assert re.search(r"warning glyph-missing .*U\+E000", result.stdout), result.stdout
    printed = " ".join(" ".join(pdftotext(folder / "report.pdf")).split())
    assert "with the result U+E000 done." in printed
