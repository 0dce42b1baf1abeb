"""``check`` does work linear in the report's size, or stops at a cap and says so (issue 17).

Work is counted, never timed: every Python function call anywhere (markdown-it, MyST,
docutils, Pillow, exam-pdf) plus every line exam-pdf itself executes, comprehension
loops included. Each pathological shape a user sent in is checked at size n and 4n;
what the shape adds over its empty version may grow at most 5x (linear: 4x;
quadratic: 16x). Counts do not depend on the machine's load.

What happens inside one C call is not counted: a regular expression that rescans
the text from every line start, or a list sliced once per element, is a single call.
The regular expressions that did so are replaced by one-pass matchers, which are
compared with the expressions they replace on many random strings instead; the
benchmark ``benchmarks/size_sweep.py`` times the shapes themselves.
"""

from __future__ import annotations

import collections
import importlib.util
import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from conftest import REPO

import exam_pdf
from exam_pdf import caps
from exam_pdf.checks.answers import written_images
from exam_pdf.editions import _hash, fingerprint
from exam_pdf.extract import ANSWER_IN_TEXT, _before_answer, html_image_sources
from exam_pdf.formats import as_github, as_json, as_text
from exam_pdf.pipeline import CheckResult, check_path

PACKAGE = str(Path(exam_pdf.__file__).parent)


def _shapes() -> ModuleType:
    spec = importlib.util.spec_from_file_location("size_shapes", REPO / "benchmarks" / "shapes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shapes = _shapes()


class Work:
    """Count calls everywhere and executed lines in exam-pdf's own code."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        self.count += 1
        return self._lines if frame.f_code.co_filename.startswith(PACKAGE) else None

    def _lines(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.count += 1
        return self._lines


def check_and_format(folder: Path) -> CheckResult:
    result = check_path(folder)
    as_text(result), as_json(result), as_github(result)
    return result


def work_of(folder: Path) -> tuple[int, CheckResult]:
    counter = Work()
    sys.settrace(counter)
    try:
        result = check_and_format(folder)
    finally:
        sys.settrace(None)
    return counter.count, result


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import everything ``check`` imports lazily (Pillow) before anything is counted."""
    check_and_format(REPO / "examples" / "report")


def growth(tmp_path: Path, make: Callable[..., Path], n: int) -> tuple[float, list[CheckResult]]:
    """What the shape adds at 4n over what it adds at n (its size-0 version subtracted)."""
    counts, results = [], []
    for size in (0, n, 4 * n):
        count, result = work_of(make(tmp_path / f"size-{size}", 1, size))
        counts.append(count)
        results.append(result)
    base, small, large = counts
    assert small > base, "the shape adds no work: the test would not see it grow"
    return (large - base) / (small - base), results


def rules_of(result: CheckResult) -> list[str]:
    return [f.rule.id for f in result.findings]


# --------------------------------------------------------------------------- the shapes users sent


@pytest.mark.slow  # a sweep of sizes
def test_answer_without_marker_is_linear(tmp_path: Path) -> None:
    ratio, results = growth(tmp_path, shapes.no_marker, 1000)
    assert ratio <= 5, ratio
    question = results[-1].report.question(14)
    assert question is not None and question.answer_marker_line is None
    assert "answer-marker-missing" in rules_of(results[-1])


@pytest.mark.slow  # a sweep of sizes
def test_many_duplicate_questions_are_linear(tmp_path: Path) -> None:
    ratio, results = growth(tmp_path, shapes.duplicates, 100)
    assert ratio <= 5, ratio
    assert rules_of(results[-1]).count("duplicate-question") == 399


@pytest.mark.slow  # a sweep of sizes
def test_many_distinct_questions_are_linear(tmp_path: Path) -> None:
    """Findings per question, status per question, the table: no pass over all findings per question."""
    ratio, results = growth(tmp_path, shapes.many_questions, 100)
    assert ratio <= 5, ratio
    assert len(results[-1].report.answered_questions) == 400
    assert rules_of(results[-1]).count("too-few-words") == 400


@pytest.mark.slow  # a sweep of sizes
def test_a_figure_referenced_many_times_is_linear(tmp_path: Path) -> None:
    make = lambda target, scale, count: shapes.shared_figure(target, scale, count, size=(40, 30))  # noqa: E731
    ratio, results = growth(tmp_path, make, 100)
    assert ratio <= 5, ratio
    assert len(results[-1].report.question(14).embedded_images) == 400  # type: ignore[union-attr]


@pytest.mark.slow  # a sweep of sizes
def test_unclosed_image_brackets_are_linear(tmp_path: Path) -> None:
    ratio, results = growth(tmp_path, shapes.unclosed_images, 500)
    assert ratio <= 5, ratio
    # Linear below the label cap already (test_links_after_the_label_cap_are_text covers the cap).
    assert "report-too-large" not in rules_of(results[-1])


@pytest.mark.slow  # a sweep of sizes
def test_a_repeated_report_is_linear(tmp_path: Path) -> None:
    """The bundled example pasted 1 and 4 times: everything else a report can hold grows linearly."""
    make = shapes.corpus(REPO / "examples" / "report")
    counts = [work_of(make(tmp_path / f"x{size}", size))[0] for size in (1, 4)]
    assert counts[1] / counts[0] <= 5, counts


# --------------------------------------------------------------------------- figures: once per file


@pytest.fixture
def count_opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    from PIL import Image

    opened: list[str] = []
    original = Image.open

    def counting(fp: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(fp))
        return original(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting)
    yield opened


#: Image.open calls of one inspection: Pillow's verify() needs the file opened anew before
#: every pixel is decoded (images._decode). What matters is that it does not grow with references.
OPENS_PER_INSPECTION = 2


def test_each_figure_file_is_opened_once_per_check(tmp_path: Path, count_opens: list[str]) -> None:
    folder = shapes.shared_figure(tmp_path / "r", 1, 300, size=(40, 30))
    text = (folder / "README.md").read_text()
    # The same file under other spellings, and a second file, referenced many times too.
    extra = "".join("![a](./figures/screenshot.png)\n\n![b](figures/wandb_loss.png)\n\n" for _ in range(50))
    (folder / "README.md").write_text(text.replace("![step 0]", extra + "![step 0]"))
    result = check_path(folder)
    mine = [f for f in result.findings if "screenshot.png" in f.message or "wandb_loss.png" in f.message]
    assert not mine, mine
    opened = [Path(p).name for p in count_opens]
    assert opened.count("screenshot.png") == OPENS_PER_INSPECTION
    assert opened.count("wandb_loss.png") == OPENS_PER_INSPECTION
    assert set(collections.Counter(opened).values()) == {OPENS_PER_INSPECTION}


def test_a_changed_figure_is_inspected_again(tmp_path: Path, count_opens: list[str]) -> None:
    folder = shapes.shared_figure(tmp_path / "r", 1, 20, size=(40, 30))
    check_path(folder)
    (folder / "figures" / "screenshot.png").write_bytes(b"not a PNG any more")
    result = check_path(folder)
    # Inspected twice in all (the second time, a file that is no image is opened again to name it).
    assert [Path(p).name for p in count_opens].count("screenshot.png") == 2 * OPENS_PER_INSPECTION
    assert "image-unreadable" in rules_of(result)


# --------------------------------------------------------------------------- the caps


def test_questions_beyond_the_cap_are_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "MAX_QUESTIONS", 50)
    result = check_path(shapes.duplicates(tmp_path / "r", 1, 80))
    assert len(result.report.questions) == 50
    cut = [f for f in result.findings if f.rule.id == "report-too-large"]
    assert len(cut) == 1 and cut[0].severity.value == "error"
    # "### Question 1", its prompt, the answer: five lines per copy, after a title and a blank line.
    assert cut[0].line == 3 + 5 * 50
    assert f"line {cut[0].line}" in cut[0].message and "more than 50 question headings" in cut[0].message
    assert result.exit_code() == 1
    # The last question read ends where reading stopped, not at the end of the file.
    assert result.report.questions[-1].answer_end < cut[0].line


def test_blocks_beyond_the_cap_are_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "MAX_BLOCKS", 600)
    folder = tmp_path / "r"
    folder.mkdir()
    items = "".join(f"- [x] item {i}\n" for i in range(1000))
    (folder / "README.md").write_text(f"# Report\n\n## Checklist\n\n{items}\n### Question 1\n\n> Q?\n> Answer:\n\n42\n")
    result = check_path(folder)
    cut = [f for f in result.findings if f.rule.id == "report-too-large"]
    assert len(cut) == 1 and "more than 600 Markdown blocks" in cut[0].message
    # The list is closed where reading stopped: the items before the cut are all there.
    assert 100 < len(result.report.checklist) < 1000
    assert result.report.checklist[-1].line is not None and result.report.checklist[-1].line < cut[0].line
    assert result.report.questions == []


def test_a_huge_table_stops_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "MAX_TABLE_CELLS", 500)
    folder = tmp_path / "r"
    folder.mkdir()
    table = "| a | b | c | d |\n|---|---|---|---|\n" + "| 1 | 2 | 3 | 4 |\n" * 200
    small = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    head = "# Report\n\n### Question 1\n\n> Q?\n> Answer:\n\n"
    (folder / "README.md").write_text(f"{head}{small}\n{table}\n### Question 2\n\n> Q?\n> Answer:\n\nok\n")
    result = check_path(folder)
    cut = [f for f in result.findings if f.rule.id == "report-too-large"]
    assert len(cut) == 1 and cut[0].line == 12 and "the table at line 12 has more than 500 cells" in cut[0].message
    assert [q.number for q in result.report.questions] == [1]
    assert len(list(result.report.document.findall(lambda n: n.tagname == "table"))) == 1  # the small one


def test_inline_markup_beyond_the_cap_is_plain_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "MAX_INLINE_TOKENS", 300)
    folder = shapes.shared_figure(tmp_path / "r", 1, 3, size=(40, 30))
    text = (folder / "README.md").read_text()
    (folder / "README.md").write_text(text.replace("![step 0]", "*a* " * 400 + "\n\n![step 0]"))
    result = check_path(folder)
    cut = [f for f in result.findings if f.rule.id == "report-too-large"]
    assert len(cut) == 1 and "more than 300 inline elements" in cut[0].message
    assert result.report.question(14).embedded_images == []  # type: ignore[union-attr]
    assert "![step 0](figures/screenshot.png)" in result.report.question(14).section.astext()  # type: ignore[union-attr]


def test_reference_definitions_count_as_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "MAX_BLOCKS", 100)
    folder = tmp_path / "r"
    folder.mkdir()
    definitions = "".join(f"[r{i}]: https://example.org/{i}\n" for i in range(300))
    (folder / "README.md").write_text(f"# Report\n\n{definitions}\n### Question 1\n\n> Q?\n> Answer:\n\n42\n")
    result = check_path(folder)
    cut = [f for f in result.findings if f.rule.id == "report-too-large"]
    assert len(cut) == 1 and "more than 100 Markdown blocks" in cut[0].message
    assert cut[0].line == 102  # the 101st block: the title, then [r0] to [r99]


def test_a_report_below_every_cap_is_not_cut(tmp_path: Path) -> None:
    result = check_path(shapes.duplicates(tmp_path / "r", 1, 300))
    assert len(result.report.questions) == 300
    assert "report-too-large" not in rules_of(result)


def test_links_after_the_label_cap_are_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "MAX_LABEL_STEPS", 2000)
    folder = shapes.unclosed_images(tmp_path / "r", 1, 200)
    text = (folder / "README.md").read_text()
    (folder / "README.md").write_text(text.replace("![" * 200, "![" * 200 + "\n\n![late](figures/wandb_loss.png)"))
    result = check_path(folder)
    cut = [f for f in result.findings if f.rule.id == "report-too-large"]
    assert len(cut) == 1 and "shown as plain text" in cut[0].message
    assert result.report.question(14).embedded_images == []  # type: ignore[union-attr]


# --------------------------------------------------------------------------- rewritten matchers


def _random_texts(alphabet: list[str], count: int = 20000, seed: int = 17) -> Iterator[str]:
    rnd = random.Random(seed)
    for _ in range(count):
        yield "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))


def test_answer_marker_matches_as_before() -> None:
    former = re.compile(r"(?m)^[\s*_]*Answer[\s*_]*:")
    for text in _random_texts(["\n", " ", "*", "_", "Answer", ":", "x", "\t", "Answer:", "\r", "\u2028"]):
        assert bool(former.search(text)) == bool(ANSWER_IN_TEXT.search(text)), text
        assert former.split(text)[0].strip() == _before_answer(text), text


def test_written_images_count_as_before() -> None:
    former = re.compile(r"!\[[^\]]*\]\([^)]*\)")
    for text in _random_texts(["!", "[", "]", "(", ")", "x", "![", "](", "\n", "![a](b)"]):
        assert len(former.findall(text)) == written_images(text), text


def test_html_image_sources_as_before() -> None:
    former = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
    alphabet = ["<img", "<IMG", " ", "src", "=", '"', "'", ">", "a", "<img src=", "x.png", "\n", "<imgx", "-src"]
    for text in _random_texts(alphabet):
        expected = [next(g for g in m.groups() if g is not None) for m in former.finditer(text)]
        assert expected == html_image_sources(text), text


def test_prompt_fingerprints_as_before() -> None:
    def former(prompt: str) -> tuple[str, str]:
        return _hash(re.split(r"(?im)^\s*example\s*:", prompt)[0]), _hash(prompt)

    for text in _random_texts(["\n", " ", "Example", ":", "x", "\t", "example:", "\u2028", "EXAMPLE :"]):
        assert former(text) == fingerprint(text), text


def test_each_figure_file_is_inspected_and_converted_once_per_html_build(
    tmp_path: Path, count_opens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from exam_pdf.builders import build_html
    from exam_pdf.source import read_source
    from exam_pdf.sphinxext import figures

    converted: list[str] = []
    original = figures._normalise

    def counting(found: Any, target: Path) -> str:
        converted.append(found.path.name)
        return original(found, target)

    monkeypatch.setattr(figures, "_normalise", counting)
    folder = tmp_path / "r"
    shapes.screenshot(folder / "figures" / "shot.png", 40, 30)
    references = "".join(f"![step {i}](figures/shot.png)\n\n" for i in range(60))
    (folder / "README.md").write_text(f"# Report\n\n### Question 1\n\n> Show it.\n>\n> Answer:\n\n{references}")
    out, result = build_html(read_source(folder / "README.md"), tmp_path / "out" / "report.html", tmp_path / "work")
    assert out.is_file() and len(result.report.questions[0].embedded_images) == 60
    assert [Path(p).name for p in count_opens].count("shot.png") == OPENS_PER_INSPECTION
    assert converted == ["shot.png"]


def test_img_tags_match_as_the_expression_did() -> None:
    from exam_pdf.sphinxext.transform import _IMG_TAG, img_tags

    for text in _random_texts(["<img", "<IMG", " ", ">", "src=x", "<imgx", "<", "img", "\n", "'>'"]):
        assert img_tags(text) == [m.span() for m in _IMG_TAG.finditer(text)], text


class _Searched(str):
    """HTML that counts the searches for a tag's end made in it."""

    finds = 0

    def find(self, *args: Any) -> int:  # type: ignore[override]
        type(self).finds += 1
        return super().find(*args)


def test_img_tags_look_for_each_tags_end_once() -> None:
    """The expression looked from every ``<img`` for the next ``>``: 40,000 ``<img`` without
    one were 40,000 scans to the end (quadratic, inside one C call)."""
    from exam_pdf.sphinxext.transform import img_tags

    _Searched.finds = 0
    assert img_tags(_Searched("<p>" + '<img src="a.png"> ' * 50 + "<img " * 40_000)) == [
        (3 + 18 * i, 3 + 18 * i + 17) for i in range(50)
    ]
    assert _Searched.finds == 51  # one per tag, and one finding no '>' after the last '<img'


def test_figures_past_the_cap_are_named_not_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exam_pdf.builders import build_html
    from exam_pdf.source import read_source
    from exam_pdf.sphinxext import transform

    inspected: list[str] = []
    original = transform.inspect_once

    def counting(found: Any) -> Any:
        inspected.append(found.uri)
        return original(found)

    monkeypatch.setattr(transform, "inspect_once", counting)
    monkeypatch.setattr(transform, "MAX_FIGURES", 20)
    folder = tmp_path / "r"
    shapes.screenshot(folder / "figures" / "shot.png", 40, 30)
    references = "".join(f"![step {i}](figures/shot.png)\n\n" for i in range(50))
    html = '<p><img src="figures/shot.png"> <img src="figures/shot.png"></p>\n\n'
    (folder / "README.md").write_text(
        f"# Report\n\n### Question 1\n\n> Show it.\n>\n> Answer:\n\n{references}{html}Done.\n"
    )
    out, result = build_html(read_source(folder / "README.md"), tmp_path / "out" / "report.html", tmp_path / "work")
    page = out.read_text("utf-8")
    assert len(inspected) == 20  # the figures past the cap are not even looked at
    assert page.count("<img ") == 20 and page.count("[figure not shown: figures/shot.png]") == 32
    [cut] = [f for f in result.findings if f.rule.id == "pdf-shortened"]
    first_over = 9 + 2 * 20  # the 21st reference (step 20) is on line 49
    assert cut.line == first_over and cut.message == (
        f"the report places 52 figures: the first 20 are shown, the 32 from line {first_over} on are named, not shown"
    )
    assert "pdf-shortened" in page  # the status note or summary names it


def test_a_report_within_the_figure_cap_shows_every_figure(tmp_path: Path) -> None:
    from exam_pdf.builders import build_html
    from exam_pdf.source import read_source
    from exam_pdf.sphinxext.transform import MAX_FIGURES

    folder = tmp_path / "r"
    shapes.screenshot(folder / "figures" / "shot.png", 40, 30)
    references = "".join(f"![step {i}](figures/shot.png)\n\n" for i in range(MAX_FIGURES))
    (folder / "README.md").write_text(f"# Report\n\n### Question 1\n\n> Show it.\n>\n> Answer:\n\n{references}")
    out, result = build_html(read_source(folder / "README.md"), tmp_path / "out" / "report.html", tmp_path / "work")
    assert out.read_text("utf-8").count("<img ") == MAX_FIGURES
    assert "pdf-shortened" not in rules_of(result)
