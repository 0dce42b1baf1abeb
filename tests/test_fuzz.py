"""Property tests: random report-like Markdown never makes exam-pdf raise.

Reports are stitched together from the pieces real (and hostile) reports are made of:
question headings, quoted prompts, ``Answer:`` lines, lists and checklists, fences
(directive fences too), separators, tables, images, raw HTML, math, front matter and
arbitrary Unicode. Two properties:

- ``check`` (read, parse, model, edition, checks and all three output formats) either
  works or refuses the text with :class:`ReportError` (empty, binary), nothing else;
- the Sphinx side (the read-time transform, the HTML sanitiser and writer, the LaTeX
  translator with its math allowlist) builds an HTML page and a .tex file without an
  exception, and the page has no script, no event handler and no script URL.

Hypothesis runs derandomized and without its example database, so CI sees the same
examples every time.
"""

from __future__ import annotations

import io
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from exam_pdf.editions import EDITION_CHOICES
from exam_pdf.errors import ReportError
from exam_pdf.formats import FORMATTERS
from exam_pdf.pipeline import check_report, model_source
from exam_pdf.source import source_from_text

# ---------------------------------------------------------------- report-like pieces

WORDS = st.sampled_from(
    [
        "We", "used", "DVC", "Answer:", "**Answer:**", "s123456", "group", "42", "Docker", "word",
        "\\input{/etc/passwd}", "\\write18{x}", "#", "$", "%", "&", "~", "_", "^", "\\", "{", "}", "|",
        "<b>", "</b>", "<script>", "`code`", "*em*", "**strong**", "[x]", "[ ]", "[-]", "æøå", "中文",
        "😀", "\u200b", "\u202e", "\t", "ﬁ", "∀x∈ℝ", "---", "Answer", ":", "fill here", "http://x.io/a",
    ]
)  # fmt: skip
TEXT = st.one_of(
    st.lists(WORDS, min_size=1, max_size=12).map(" ".join),
    st.text(max_size=40),
)
INLINE = st.one_of(
    TEXT,
    TEXT.map(lambda t: f"${t}$"),
    st.sampled_from(
        [
            "$x^2$", "$\\frac{a}{b}$", "$\\input{/etc/passwd}$", "$\\def\\x{\\x}\\x$", "$a \\\\% b$",
            "$^^5c$", "$\\begin{array}{c}a\\end{array}$", "$95\\%$", "$$x$$", "$\\text{\\}$",
            "![fig](figures/ok.png)", "![missing](figures/no.png)", "![](http://example.com/x.png)",
            "![](../../etc/hostname)", "![](/etc/passwd)", "<img src=\"figures/ok.png\" width=\"50%\">",
            "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))", "[b](http://example.com)",
            "[c](#question-1)", "<https://example.com>", "<span onclick=\"x()\">s</span>", "<br>",
            "`\\end{sphinxVerbatim}`", "<a href=\"javascript:x\">j</a>", "[d](../README.md)", "\\",
        ]
    ),
)  # fmt: skip
LINE = st.lists(INLINE, min_size=1, max_size=5).map(" ".join)


def _fence(info: str, body: str, close: bool) -> str:
    return f"```{info}\n{body}\n" + ("```" if close else "")


BLOCK = st.one_of(
    st.integers(0, 35).map(lambda n: f"### Question {n}"),
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 6), LINE),
    LINE.map(lambda t: f"> {t}"),
    st.just(">"),
    st.just("> Answer:"),
    st.just("Answer:"),
    st.just("> **Answer:** we did"),
    LINE,
    st.builds(lambda d, t: "  " * d + f"- {t}", st.integers(0, 8), LINE),
    st.builds(lambda d, t: "   " * d + f"1. {t}", st.integers(0, 4), LINE),
    st.builds(lambda box, t: f"* [{box}] {t}", st.sampled_from(" xX-"), LINE),
    st.builds(
        _fence,
        st.sampled_from(["", "python", "{include} /etc/passwd", "{eval-rst}", "{raw} latex", "latex}\\x"]),
        TEXT,
        st.booleans(),
    ),
    st.sampled_from(["---", "***", "___", "$$", "$$\n\\input{x}\n$$", "$$\nx^2\n$$", "<!--", "-->"]),
    st.builds(
        lambda cols, cell: "\n".join(
            ["| " + " | ".join([cell] * cols) + " |", "|" + "---|" * cols, "| " + " | ".join([cell] * cols) + " |"]
        ),
        st.integers(1, 5),
        st.sampled_from(["a", "`|`", "$x$", "<b>b</b>", "![](figures/ok.png)", "\\|", ""]),
    ),
    st.sampled_from(
        [
            "<details><summary>s</summary>",
            "</details>",
            "<div align=center>",
            "</div>",
            "<script>alert(1)</script>",
            "<style>@import url(http://x)</style>",
            '<p align="center"><img src="figures/ok.png"></p>',
            "<table><tr><td>",
            "    indented code \\input{x}",
            ":::{include} /etc/passwd\n:::",
        ]
    ),
)
FRONT = st.sampled_from(["", "---\ntitle: x\n---\n", "---\nmyst:\n  enable_extensions: [colon_fence]\n---\n", "---\n"])
REPORT = st.builds(
    lambda front, blocks, sep: front + sep.join(blocks) + "\n",
    FRONT,
    st.lists(BLOCK, min_size=0, max_size=25),
    st.sampled_from(["\n", "\n\n"]),
)

SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def _folder(root: Path, text: str) -> Path:
    (root / "figures").mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), (10, 120, 200)).save(buffer, "PNG")
    (root / "figures" / "ok.png").write_bytes(buffer.getvalue())
    (root / "README.md").write_text(text, encoding="utf-8")
    return root / "README.md"


# ---------------------------------------------------------------- check


@pytest.mark.slow
@settings(max_examples=300, **SETTINGS)
@given(text=REPORT, edition=st.sampled_from(EDITION_CHOICES))
def test_check_never_raises(text: str, edition: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _folder(Path(tmp), text)
        try:
            source = source_from_text(text, path)
        except ReportError:
            return  # empty or binary: refused with a message, as intended
        result = check_report(model_source(source, edition))
        for name, formatter in FORMATTERS.items():
            assert isinstance(formatter(result), str), name
        assert result.exit_code() in (0, 1)


# ---------------------------------------------------------------- the Sphinx side


class _Active(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "link", "base"):
            self.problems.append(tag)
        for key, value in attrs:
            if key.startswith("on"):
                self.problems.append(f"{tag} {key}")
            if key in ("href", "src") and (value or "").strip().lower().startswith(("javascript:", "vbscript:")):
                self.problems.append(f"{tag} {key}={value}")


@pytest.mark.slow
@settings(max_examples=12, **SETTINGS)
@given(text=REPORT.map(lambda t: "# Report\n\n### Question 1\n> **Group?**\n>\n> Answer:\n\n42\n\n" + t))
def test_sphinx_transform_and_writers_never_raise(text: str) -> None:
    from exam_pdf.builders import _sphinx, build_html

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = _folder(root / "report", text)
        try:
            source = source_from_text(text, path)
        except ReportError:
            return  # a NUL byte: refused as binary, as intended
        page, result = build_html(source, root / "out" / "report.html", root / "work")
        assert result.report.questions
        html = page.read_text("utf-8")
        assert "<script" not in html.lower()
        scan = _Active()
        scan.feed(html)
        assert not scan.problems, scan.problems
        # The LaTeX writer too (the .tex file only: the TeX engine is the hostile suite's job).
        _sphinx(source, root / "work", "latex", True, "auto", fresh=False)
        tex = (root / "work" / "latex" / "report.tex").read_text("utf-8")
        assert "\\begin{document}" in tex
        # a report's TeX reaches the file escaped, shown as code or as allowlisted math only
        assert "\\input{/etc/passwd}" not in tex and "\\write18" not in tex and "\\def\\x" not in tex
