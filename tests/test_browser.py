"""The HTML page in a real browser: headless Chromium loads its figures and shows its notes.

Chromium runs no script of ours (the page has none), so the evidence is what it produces:
- ``--print-to-pdf``: every figure the browser loaded is an image in that PDF, with its
  pixel size (``pdfimages -list``); a figure that failed to load is not there;
- ``--screenshot``: the pixels, checked with Pillow for the figure's colour and the notes'
  status colours (kept in test-artifacts/ to look at);
- ``--dump-dom``: the DOM after loading, whose <img> sources must resolve beside the page.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "report"
WIDTH, HEIGHT = 1000, 1400
MAGENTA = (255, 0, 255)

SMALL = """\
# Group 5 report

## Group information

### Question 1
> **Enter the group number you signed up on <learn.inside.dtu.dk>**
>
> Answer:

5

### Question 2
> **Show the architecture.**
>
> Answer length: 0-200 words + 1 image.
>
> Answer:

Our architecture, drawn as one block:

![architecture](figures/block.png)

### Question 3
> **How many tests did you implement?**
>
> Recommended answer length: 50-100 words.
>
> Answer:

Only a few tests.

### Question 4
> **Show the build history.**
>
> Answer length: 0-200 words.
>
> Answer:

![history](figures/gone.png)
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert found, "Chromium is needed (the Makefile installs Debian's chromium)"
    return found


def browse(page: Path, profile: Path, *options: str, height: int = HEIGHT) -> subprocess.CompletedProcess[bytes]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{height}",
        "--hide-scrollbars",
        *options,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


def screenshot(page: Path, out: Path, profile: Path, height: int = HEIGHT) -> Image.Image:
    result = browse(page, profile, f"--screenshot={out}", height=height)
    assert out.is_file(), result.stderr.decode(errors="replace")[-2000:]
    with Image.open(out) as image:
        return image.convert("RGB")


def print_to_pdf(page: Path, out: Path, profile: Path) -> list[tuple[int, int]]:
    """The pixel sizes of the images in Chromium's print of ``page``."""
    result = browse(page, profile, "--no-pdf-header-footer", "--virtual-time-budget=5000", f"--print-to-pdf={out}")
    assert out.is_file(), result.stderr.decode(errors="replace")[-2000:]
    listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    sizes = []
    for line in listing.splitlines()[2:]:
        cells = line.split()
        if cells[2] == "image":  # not the soft masks ("smask") of transparent images
            sizes.append((int(cells[3]), int(cells[4])))
    return sizes


def image_sources(markup: str) -> list[str]:
    return [unquote(src) for src in re.findall(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", markup)]


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def colour_counts(image: Image.Image) -> Counter[tuple[int, int, int]]:
    found = image.getcolors(maxcolors=image.width * image.height)
    assert found is not None
    return Counter({pixel: n for n, pixel in found})


def count_near(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    return sum(n for pixel, n in colour_counts(image).items() if near(pixel, colour, tolerance))


def build_html(folder: Path, *options: str) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "exam_pdf", "html", str(folder), *options],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )
    assert result.returncode in (0, 1), result.stderr
    out = Path(options[options.index("--out") + 1]) if "--out" in options else folder
    return out / "report.html"


@pytest.fixture(scope="module")
def example_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser") / "report"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    return build_html(folder)


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small") / "report"
    (folder / "figures").mkdir(parents=True)
    (folder / "README.md").write_text(SMALL, encoding="utf-8")
    buffer = io.BytesIO()
    Image.new("RGB", (400, 160), MAGENTA).save(buffer, "PNG")
    (folder / "figures" / "block.png").write_bytes(buffer.getvalue())
    return folder


def test_browser_loads_every_figure_of_the_example(example_page: Path, tmp_path: Path, artifacts: Path) -> None:
    sources = image_sources(example_page.read_text("utf-8"))
    assert len(sources) >= 3, "the example shows several figures"
    expected = []
    for src in sources:
        with Image.open(example_page.parent / src) as figure:
            expected.append(figure.size)
    printed = print_to_pdf(example_page, artifacts / "browser-example-print.pdf", tmp_path / "profile")
    assert sorted(printed) == sorted(expected), "each <img> was loaded and printed at its pixel size"


def test_browser_dom_images_resolve_beside_the_page(example_page: Path, tmp_path: Path) -> None:
    result = browse(example_page, tmp_path / "profile", "--virtual-time-budget=2000", "--dump-dom")
    dom = result.stdout.decode("utf-8")
    assert 'class="exam-report"' in dom, "Chromium rendered the page"
    assert "<script" not in dom.lower()
    sources = image_sources(dom)
    assert sources == image_sources(example_page.read_text("utf-8"))
    for src in sources:
        assert not re.match(r"[a-z]+:", src) and (example_page.parent / src).is_file(), src
    assert dom.count('class="exam-note exam-') == 31, "a note per question"


def test_browser_screenshot_of_the_example_is_not_blank(example_page: Path, tmp_path: Path, artifacts: Path) -> None:
    image = screenshot(example_page, artifacts / "browser-example.png", tmp_path / "profile")
    assert image.size == (WIDTH, HEIGHT)
    colours = colour_counts(image)
    share = colours.most_common(1)[0][1]
    assert share < 0.9 * WIDTH * HEIGHT, "more than a blank page"
    assert len(colours) > 50, "text is drawn (anti-aliased glyphs give many shades)"
    dark = sum(n for pixel, n in colours.items() if sum(pixel) < 200)
    assert dark > 2000, "there is dark text"


def note_backgrounds(page: Path) -> dict[str, tuple[int, int, int]]:
    """The background colour of each status's note, from the page's own CSS."""
    css = "".join(re.findall(r"<style>(.*?)</style>", page.read_text("utf-8"), re.S))
    found = {}
    for status in ("pass", "warn", "fail"):
        rule = re.search(rf"\.exam-{status}\s*\{{[^}}]*background:\s*#([0-9a-fA-F]{{6}})", css)
        assert rule, f"no background for .exam-{status}"
        found[status] = tuple(int(rule.group(1)[i : i + 2], 16) for i in (0, 2, 4))
    assert len(set(found.values())) == 3
    return found  # type: ignore[return-value]


SMALL_HEIGHT = 2200  # the whole small page, all four notes


def test_browser_shows_the_figure_and_the_notes_colours(small_folder: Path, tmp_path: Path, artifacts: Path) -> None:
    page = build_html(small_folder)
    image = screenshot(page, artifacts / "browser-notes.png", tmp_path / "profile", height=SMALL_HEIGHT)
    # The 400x160 magenta figure, shown at its size (the text column is wider).
    assert count_near(image, MAGENTA) >= 0.9 * 400 * 160, "the figure is drawn"
    for status, colour in note_backgrounds(page).items():
        # a note is a box about 750 px wide and 40 px high or more
        assert count_near(image, colour, tolerance=2) >= 10_000, f"no {status} note on the page"


def test_browser_without_notes_shows_no_note_colours(small_folder: Path, tmp_path: Path, artifacts: Path) -> None:
    """The control for the test above: the same page without notes has none of their colours."""
    page = build_html(small_folder, "--no-notes", "--out", str(tmp_path / "clean"))
    image = screenshot(page, artifacts / "browser-no-notes.png", tmp_path / "profile", height=SMALL_HEIGHT)
    assert count_near(image, MAGENTA) >= 0.9 * 400 * 160
    for status, colour in note_backgrounds(page).items():
        assert count_near(image, colour, tolerance=2) < 500, f"{status} note colour without notes"
