"""Figures as the reader sees them (issue 11, points 2-4; issue 17's broken figure).

- The content decides, not the name: a JPEG named ``.png`` is shown with an
  ``image-misnamed`` warning; a GIF is shown converted to PNG but stays an
  ``image-format`` error; only a file that does not decode is a placeholder.
- Every pixel is decoded once: a PNG whose chunk checksums are right but whose
  pixel data is broken is ``image-unreadable`` and a placeholder, never a crash.
- Every figure fits: inside the text area, at most about 60 % of the text height,
  on a line of its own when it shares a paragraph with text.
- A clean copy (``--no-notes``) carries no trace of the check; the cover's Status
  column is coloured in the PDF as in the HTML.
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import warmcli
from conftest import CORPUS
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from exam_pdf.builders import NO_CHECK
from exam_pdf.images import ImageFile, inspect, look_at
from exam_pdf.pipeline import check_report, load_report
from exam_pdf.sphinxext.figures import normalise

HERE = Path(__file__).resolve().parent
EPOCH = "1767225600"

# Images ---------------------------------------------------------------------------


def picture(size: tuple[int, int] = (64, 48), fmt: str = "PNG", seed: int = 1) -> bytes:
    """A noisy picture (so that its compressed data is long enough to break in the middle)."""
    length = size[0] * size[1] * 3
    # The byte at i is (i * 7919 + seed * 31) % 251: one period of 251 bytes, repeated.
    period = bytes((i * 7919 + seed * 31) % 251 for i in range(251))
    image = Image.frombytes("RGB", size, (period * (length // 251 + 1))[:length])
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        yield png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length


def broken_png() -> bytes:
    """A PNG whose every chunk checksum is right but whose pixel data does not inflate:
    what a failed upload leaves of a screenshot, rewritten by a tool that fixes checksums."""
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in _chunks(picture((200, 120))):
        if kind == b"IDAT":
            body = body[:2] + bytes(b ^ 0x5A for b in body[2:60]) + body[60:]
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return out


def look(tmp_path: Path, name: str, data: bytes) -> ImageFile:
    (tmp_path / name).write_bytes(data)
    return look_at(name, tmp_path)


def test_jpeg_named_png_is_shown_with_a_warning_naming_its_format(tmp_path: Path) -> None:
    found = look(tmp_path, "loss.png", picture(fmt="JPEG"))
    assert found.usable and found.format == "JPEG" and found.size == (64, 48)
    assert found.problem == "image-misnamed"
    assert "a JPEG file named 'loss.png'" in found.detail


def test_png_named_jpg_is_shown_with_a_warning(tmp_path: Path) -> None:
    found = look(tmp_path, "loss.jpg", picture())
    assert found.usable and found.format == "PNG" and found.problem == "image-misnamed"
    assert "a PNG file named 'loss.jpg'" in found.detail


@pytest.mark.parametrize("name", ["a.png", "b.PNG", "c.jpg", "d.jpeg", "e.JPG"])
def test_rightly_named_figures_have_no_problem(tmp_path: Path, name: str) -> None:
    fmt = "PNG" if name.lower().endswith(".png") else "JPEG"
    found = look(tmp_path, name, picture(fmt=fmt))
    assert found.usable and found.problem is None and found.format == fmt


def test_broken_pixel_data_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    data = broken_png()
    (tmp_path / "probe.png").write_bytes(data)
    with Image.open(tmp_path / "probe.png") as image:
        image.verify()  # the checksums are right: a check of the structure alone lets it through
    found = look(tmp_path, "build.png", data)
    assert not found.usable and found.problem == "image-unreadable"
    assert "damaged image" in found.detail and "OSError" in found.detail


def test_truncated_png_is_unreadable(tmp_path: Path) -> None:
    data = picture((200, 120))
    found = look(tmp_path, "cut.png", data[: len(data) * 2 // 3])
    assert not found.usable and found.problem == "image-unreadable"


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "BMP"])
def test_formats_browsers_show_are_shown_but_stay_errors(tmp_path: Path, fmt: str) -> None:
    found = look(tmp_path, f"anim.{fmt.lower()}", picture(fmt=fmt))
    assert found.usable and found.format == fmt
    assert found.problem == "image-format" and f"a {fmt} file" in found.detail


def test_other_formats_are_placeholders(tmp_path: Path) -> None:
    found = look(tmp_path, "scan.tiff", picture(fmt="TIFF"))
    assert not found.usable and found.problem == "image-format" and "a TIFF file" in found.detail
    text = look(tmp_path, "notes.png", b"just some text, not a picture\n")
    assert not text.usable and text.problem == "image-unreadable" and text.detail == "not an image file"


def test_caps_and_jail_stay(tmp_path: Path) -> None:
    wide = Image.new("1", (10_000, 5_001))
    buffer = io.BytesIO()
    wide.save(buffer, "PNG")
    over = look(tmp_path, "wide.png", buffer.getvalue())
    assert not over.usable and over.problem == "image-unreadable" and "over the cap" in over.detail
    (tmp_path / "inner").mkdir()
    outside = look_at("../wide.png", tmp_path / "inner")
    assert outside.problem == "image-outside-report" and not inspect(outside).usable


def test_normalised_copy_gets_the_real_format_suffix(tmp_path: Path) -> None:
    jpeg = look(tmp_path, "loss.png", picture(fmt="JPEG"))
    name = normalise(jpeg, tmp_path / "out")
    assert name.endswith(".jpg") and (tmp_path / "out" / name).read_bytes()[:2] == b"\xff\xd8"
    gif = look(tmp_path, "anim.gif", picture(fmt="GIF"))
    name = normalise(gif, tmp_path / "out")
    assert name.endswith(".png") and (tmp_path / "out" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# A small report with every case ---------------------------------------------------


def question(number: int, answer: str) -> str:
    return f"### Question {number}\n\n> **Describe what you did and why.**\n>\n> Answer:\n\n{answer}\n\n"


REPORT = (
    "# Exam report\n\n## Group information\n\n"
    + question(1, "Group 42")
    + question(2, "s123456, s654321")
    + question(3, "Here is a screenshot of our cloud build history:\n![build](figures/build.png)\nAnd text after it.")
    + question(4, "The loss curve: ![loss](figures/loss.png)")
    + question(5, "A screenshot cut short by an upload:\n![broken](figures/broken.png)")
    + question(6, "An animation: ![anim](figures/anim.gif)")
    + question(7, "- A list item with a figure: ![build](figures/build.png)")
    + question(8, "Two at once: ![build](figures/build.png)![tall](figures/tall.png)")
    + question(9, "Linked: [![build](figures/build.png)](https://example.com) after the link.")
)
FIGURES = {
    "figures/build.png": picture((1600, 500)),
    "figures/loss.png": picture((900, 500), fmt="JPEG"),
    "figures/broken.png": broken_png(),
    "figures/anim.gif": picture((300, 200), fmt="GIF"),
    "figures/tall.png": picture((300, 2000)),
}
#: Figures the PDF draws: every reference but the broken one.
SHOWN = 7


def write_report(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(REPORT, "utf-8")
    for name, data in FIGURES.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return warmcli.run([*map(str, args)], env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, timeout=300)


def test_check_names_each_figure_problem(tmp_path: Path) -> None:
    result = check_report(load_report(write_report(tmp_path / "report") / "README.md"))
    found = {(f.question, f.rule.id, f.severity.value) for f in result.findings}
    assert (4, "image-misnamed", "warning") in found
    assert (5, "image-unreadable", "error") in found
    assert (6, "image-format", "error") in found
    assert not {f for f in found if f[0] in (3, 7, 8, 9)}, "the good figures have no findings"


@pytest.fixture(scope="module")
def html_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], str]:
    base = tmp_path_factory.mktemp("figures-html")
    folder = write_report(base / "report")
    result = run("html", folder, "--out", base / "out", "--cache-dir", base / "cache")
    return result, (base / "out" / "report.html").read_text("utf-8")


def test_html_shows_what_decodes_and_a_placeholder_for_the_rest(html_build: tuple) -> None:  # type: ignore[type-arg]
    result, page = html_build
    assert result.returncode == 1 and "internal error" not in result.stderr, result.stderr
    sources = re.findall(r'<img[^>]*\bsrc="([^"]*)"', page)
    assert "figures/loss.png" in sources and "figures/anim.gif" in sources
    assert "figures/broken.png" not in sources
    assert re.search(r'class="exam-placeholder".*?figures/broken\.png', page, re.S)


def test_html_sets_figures_on_their_own_line(html_build: tuple) -> None:  # type: ignore[type-arg]
    _, page = html_build
    rule = re.search(r"(?m)^img \{([^}]*)\}", page)
    assert rule and "display: block" in rule.group(1) and "max-width: 100%" in rule.group(1)


# PDF ----------------------------------------------------------------------------------


def _times(m: list[float], n: list[float]) -> list[float]:
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return [a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u]


def drawn_images(pdf: Path) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Every image the PDF draws: (page number, (x0, y0, x1, y1) in points), read from the
    content streams (``q``/``Q``/``cm`` and ``Do``, through form XObjects)."""
    reader = PdfReader(pdf)
    found: list[tuple[int, tuple[float, float, float, float]]] = []

    def walk(number: int, content: object, resources: object, ctm: list[float]) -> None:
        xobjects = resources.get("/XObject") if resources else None  # type: ignore[attr-defined]
        xobjects = xobjects.get_object() if xobjects else {}
        saved: list[list[float]] = []
        for operands, operator in ContentStream(content, reader).operations:
            if operator == b"q":
                saved.append(ctm)
            elif operator == b"Q":
                ctm = saved.pop()
            elif operator == b"cm":
                ctm = _times([float(v) for v in operands], ctm)
            elif operator == b"Do":
                xobject = xobjects[operands[0]].get_object()
                if xobject.get("/Subtype") == "/Image":
                    xs = [ctm[4], ctm[4] + ctm[0], ctm[4] + ctm[2], ctm[4] + ctm[0] + ctm[2]]
                    ys = [ctm[5], ctm[5] + ctm[1], ctm[5] + ctm[3], ctm[5] + ctm[1] + ctm[3]]
                    found.append((number, (min(xs), min(ys), max(xs), max(ys))))
                elif xobject.get("/Subtype") == "/Form":
                    matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                    walk(number, xobject, xobject.get("/Resources", resources), _times(matrix, ctm))

    def has_image(resources: object, seen: set[int]) -> bool:
        xobjects = resources.get("/XObject") if resources else None  # type: ignore[attr-defined]
        for value in (xobjects.get_object() if xobjects else {}).values():
            xobject = value.get_object()
            if xobject.get("/Subtype") == "/Image":
                return True
            if xobject.get("/Subtype") == "/Form" and id(xobject) not in seen:
                seen.add(id(xobject))
                if has_image(xobject.get("/Resources"), seen):
                    return True
        return False

    for number, page in enumerate(reader.pages, 1):
        resources = page["/Resources"].get_object()
        # Parsing a content stream is the slow part: only pages that can draw an image.
        if has_image(resources, set()):
            walk(number, page.get_contents(), resources, [1, 0, 0, 1, 0, 0])
    return found


def text_area(pdf: Path) -> tuple[float, float, float, float]:
    """The A4 text area, from the margin exam-pdf's geometry sets (builders/__init__.py)."""
    from exam_pdf import builders

    margin = re.search(r"\[a4paper,margin=([\d.]+)cm", Path(builders.__file__).read_text("utf-8"))
    assert margin, "the geometry's margin moved: update text_area()"
    side = float(margin.group(1)) / 2.54 * 72
    box = PdfReader(pdf).pages[0].mediabox
    return side, side, float(box.width) - side, float(box.height) - side


def misplaced(pdf: Path, tolerance: float = 1.0) -> list[str]:
    """Images drawn past the text area by more than ``tolerance`` points, or taller than
    60 % of the text height."""
    left, bottom, right, top = text_area(pdf)
    tallest = 0.6 * (top - bottom)
    bad = []
    for page, (x0, y0, x1, y1) in drawn_images(pdf):
        if x0 < left - tolerance or x1 > right + tolerance or y0 < bottom - tolerance or y1 > top + tolerance:
            bad.append(f"page {page}: image at x {x0:.0f}-{x1:.0f}, y {y0:.0f}-{y1:.0f} leaves the text area")
        elif y1 - y0 > tallest + tolerance:
            bad.append(f"page {page}: image {y1 - y0:.0f} pt tall, over 60 % of the text height")
    return bad


def pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def pdf_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """The report built once with notes (PDF) and once as a clean copy (PDF and HTML)."""
    base = tmp_path_factory.mktemp("figures-pdf")
    folder = write_report(base / "report")
    builds = {}
    for kind, extra in (("notes", ["pdf"]), ("clean", ["build", "--no-notes"])):
        out = base / kind
        builds[kind] = (run(*extra[:1], folder, *extra[1:], "--out", out, "--cache-dir", base / f"cache-{kind}"), out)
    return builds


@pytest.mark.latex
def test_pdf_builds_with_a_broken_figure(pdf_builds: dict) -> None:  # type: ignore[type-arg]
    result, out = pdf_builds["notes"]
    assert result.returncode == 1 and "internal error" not in result.stderr, result.stderr
    assert "image-unreadable Question 5: 'figures/broken.png'" in result.stdout
    assert "image-misnamed Question 4" in result.stdout
    text = " ".join(pdftotext(out / "report.pdf").split())
    assert "Figure not shown: figures/broken.png" in text
    assert "Figure not shown: figures/loss.png" not in text and "Figure not shown: figures/anim.gif" not in text


@pytest.mark.latex
def test_pdf_figures_stay_inside_the_text_area(pdf_builds: dict) -> None:  # type: ignore[type-arg]
    _, out = pdf_builds["notes"]
    drawn = drawn_images(out / "report.pdf")
    assert len(drawn) == SHOWN, drawn
    assert misplaced(out / "report.pdf") == []
    left, _, right, _ = text_area(out / "report.pdf")
    widest = max(x1 - x0 for _, (x0, _, x1, _) in drawn)
    assert widest > 0.95 * (right - left), "the wide screenshot fills the line: it is not set in a narrower box"


@pytest.mark.latex
def test_pdf_figure_after_text_starts_its_own_line(pdf_builds: dict) -> None:  # type: ignore[type-arg]
    """Question 3's sentence and figure are one Markdown paragraph; the figure starts at the margin."""
    _, out = pdf_builds["notes"]
    left, *_ = text_area(out / "report.pdf")
    starts = [x0 for _, (x0, _, _, _) in drawn_images(out / "report.pdf")]
    at_margin = [x for x in starts if abs(x - left) < 1]
    # All but question 7's, which is indented with its list item (and still inside the text area).
    assert len(at_margin) == SHOWN - 1, f"a figure starts mid-line: {starts}"


def _cover_fills(pdf: Path) -> set[tuple[float, float, float]]:
    """The fill colours of the front pages (numbered i, ii, ...: before the report's page 1)."""
    reader = PdfReader(pdf)
    colours = set()
    for number in (i for i, label in enumerate(reader.page_labels) if not label.isdigit()):
        for operands, operator in ContentStream(reader.pages[number].get_contents(), reader).operations:
            if operator == b"rg":
                colours.add(tuple(round(float(v), 2) for v in operands))
    return colours


#: exampdf.sty's status colours (1B7F3B, A86400, B3261E) as PDF fill colours.
PASS, WARN, FAIL = (0.11, 0.5, 0.23), (0.66, 0.39, 0.0), (0.7, 0.15, 0.12)


@pytest.mark.latex
def test_pdf_cover_colours_the_status_as_the_html(pdf_builds: dict) -> None:  # type: ignore[type-arg]
    _, out = pdf_builds["notes"]
    text = pdftotext(out / "report.pdf")
    assert "Compliance summary" in text and "Questions." in text
    assert {PASS, WARN, FAIL} <= _cover_fills(out / "report.pdf")


@pytest.mark.latex
def test_clean_copy_has_no_trace_of_the_check(pdf_builds: dict) -> None:  # type: ignore[type-arg]
    result, out = pdf_builds["clean"]
    assert result.returncode == 1, result.stderr  # the exit code still follows the check
    text = pdftotext(out / "report.pdf")
    for word in ("Check", "check", "pass", "error(s)", "warning", "Compliance", "Questions.", "Status"):
        assert word not in text, word
    assert "Here is a screenshot" in text and "Figure not shown: figures/broken.png" in " ".join(text.split())
    assert not {PASS, WARN, FAIL} & _cover_fills(out / "report.pdf")
    assert PdfReader(out / "report.pdf").metadata["/ExamPdfCheck"] == NO_CHECK
    page = (out / "report.html").read_text("utf-8")
    body = page[page.index("<body") :]
    for mark in ('class="exam-note', 'class="exam-summary', "exam-status-", "Compliance summary", "questions pass"):
        assert mark not in body, mark
    assert "Here is a screenshot" in body


# The corpus -----------------------------------------------------------------------


#: The corpus report of issue 11: a figure right after a sentence, five JPEGs named .png.
INLINE_REPORT = "02476-MLOps-2026-Group-128__02476_project"


@pytest.fixture(scope="module")
def corpus_clean_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CORPUS / INLINE_REPORT).is_dir():
        pytest.skip(f"{INLINE_REPORT} not in the corpus at {CORPUS}")
    out = tmp_path_factory.mktemp("corpus-clean")
    result = run("build", CORPUS / INLINE_REPORT, "--no-notes", "--out", out, "--cache-dir", out / "cache")
    assert result.returncode in (0, 1) and "internal error" not in result.stderr, result.stderr
    return out


@pytest.mark.corpus
@pytest.mark.latex
def test_corpus_clean_copy_has_no_trace_of_the_check(corpus_clean_copy: Path) -> None:
    text = pdftotext(corpus_clean_copy / "report.pdf")
    assert not re.search(r"questions pass|error\(s\)|warning\(s\)|Compliance summary", text)
    # The report's own checklist says "Check how robust ...": the cover must not say "Check".
    cover = text.split("\f")[
        : sum(not label.isdigit() for label in PdfReader(corpus_clean_copy / "report.pdf").page_labels)
    ]
    assert cover and not re.search(r"\bCheck\b|\bpass\b|Status", "\f".join(cover))
    assert not re.search(r"Question \d+ (passes|has warnings|breaks the rules)", text)
    assert "Figure not shown" not in text, "the JPEGs named .png are shown"
    assert misplaced(corpus_clean_copy / "report.pdf") == []
    assert len(drawn_images(corpus_clean_copy / "report.pdf")) == 8
    page = (corpus_clean_copy / "report.html").read_text("utf-8")
    body = page[page.index("<body") :]
    assert 'class="exam-note' not in body and 'class="exam-summary' not in body
