"""Generated reports of pathological shape, for the size sweep (issue 17) and tests/test_linear.py.

Each maker writes a report folder (``README.md``, figures where the shape has them) of
``scale`` times its base size and returns the folder. The base sizes are those of the
reports users sent in; 8x of each stays under the 2 MB cap of a README.

- ``no_marker``: the example report with question 14's ``> Answer:`` line deleted and an
  answer of ``5000 * scale`` lines of ``__``.
- ``duplicates``: ``7500 * scale`` tiny copies of the same question.
- ``many_questions``: ``125 * scale`` distinct questions, each with findings (8x: 1,000, the cap).
- ``shared_figure``: one large screenshot referenced ``1000 * scale`` times in one answer.
- ``unclosed_images``: ``7500 * scale`` unclosed ``![`` in one answer.
- ``corpus``: a corpus report repeated ``scale`` times (its questions become duplicates).
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "report"

#: Base sizes: at scale 8 each equals (or, for the figure, equals) the user's report.
NO_MARKER_LINES = 5000
DUPLICATE_QUESTIONS = 7500
FIGURE_REFERENCES = 1000
UNCLOSED_IMAGES = 7500
MANY_QUESTIONS = 125


def _example_text() -> str:
    return (EXAMPLE / "README.md").read_text(encoding="utf-8")


def _copy_example(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    return target


def _replace_answer(text: str, number: int, answer: str, keep_marker: bool = True) -> str:
    """The example's text with question ``number``'s answer replaced (and its marker dropped)."""
    pattern = re.compile(rf"(### Question {number}\n.*?)(> Answer:\n)(.*?)(?=\n### )", re.S)
    match = pattern.search(text)
    assert match, f"question {number} not found in the example"
    marker = match.group(2) if keep_marker else ""
    return text[: match.start()] + match.group(1) + marker + "\n" + answer + "\n" + text[match.end() :]


def no_marker(target: Path, scale: int = 1, lines: int = NO_MARKER_LINES) -> Path:
    folder = _copy_example(target)
    answer = "\n".join(["__"] * (lines * scale))
    (folder / "README.md").write_text(_replace_answer(_example_text(), 14, answer, keep_marker=False))
    return folder


def duplicates(target: Path, scale: int = 1, count: int = DUPLICATE_QUESTIONS) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    block = "### Question 1\n> Q\n> Answer:\n\n7\n"  # 33 bytes: 60,000 copies are 1.98 MB
    (target / "README.md").write_text("# Report\n\n" + block * (count * scale))
    return target


def many_questions(target: Path, scale: int = 1, count: int = MANY_QUESTIONS) -> Path:
    """Distinct questions 1, 2, 3, ... each with a finding or two (too short, no group number)."""
    target.mkdir(parents=True, exist_ok=True)
    prompt = "> Say {n}. Answer length: 10-20 words.\n> Answer:\n\nok\n"
    blocks = (f"### Question {n}\n" + prompt.format(n=n) for n in range(1, count * scale + 1))
    (target / "README.md").write_text("# Report\n\n" + "".join(blocks))
    return target


def screenshot(path: Path, width: int = 1500, height: int = 1300) -> Path:
    """A PNG of noise (incompressible): 1500 x 1300 is about 5.9 MB, the user's screenshot."""
    from PIL import Image

    noise = random.Random(17).randbytes(width * height * 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", (width, height), noise).save(path, "PNG", compress_level=1)
    return path


def shared_figure(
    target: Path, scale: int = 1, count: int = FIGURE_REFERENCES, size: tuple[int, int] = (1500, 1300)
) -> Path:
    folder = _copy_example(target)
    screenshot(folder / "figures" / "screenshot.png", *size)
    answer = "\n\n".join(f"![step {i}](figures/screenshot.png)" for i in range(count * scale))
    (folder / "README.md").write_text(_replace_answer(_example_text(), 14, answer))
    return folder


def unclosed_images(target: Path, scale: int = 1, count: int = UNCLOSED_IMAGES) -> Path:
    folder = _copy_example(target)
    answer = "![" * (count * scale)
    (folder / "README.md").write_text(_replace_answer(_example_text(), 14, answer))
    return folder


def corpus(report: Path) -> Callable[[Path, int], Path]:
    """A maker that repeats the corpus report folder ``report`` ``scale`` times."""

    def make(target: Path, scale: int = 1) -> Path:
        shutil.copytree(report, target, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
        text = (report / "README.md").read_text(encoding="utf-8")
        (target / "README.md").write_text("\n\n".join([text] * scale))
        return target

    return make


SHAPES: dict[str, Callable[..., Path]] = {
    "no-marker": no_marker,
    "duplicates": duplicates,
    "many-questions": many_questions,
    "shared-figure": shared_figure,
    "unclosed-images": unclosed_images,
}
