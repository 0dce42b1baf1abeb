"""Regression snapshots of the example report's generated LaTeX and HTML body.

Any change to what the builders generate shows up here as a diff to review. When the
change is intended, rewrite the snapshots and commit them:

    EXAM_PDF_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_snapshots.py

The outputs are normalised first: exam-pdf's and Sphinx's versions, the source date and
absolute paths are replaced by placeholders, so the snapshots do not change with them.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sphinx

from exam_pdf import __version__

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "report"
SNAPSHOTS = HERE / "snapshots"
UPDATE = os.environ.get("EXAM_PDF_UPDATE_SNAPSHOTS") == "1"
EPOCH = "1700000000"  # 2023-11-14 22:13:20 UTC
DATES = ("2023-11-14", "2023\\sphinxhyphen{}11\\sphinxhyphen{}14")


def normalise(text: str, *folders: Path) -> str:
    for folder in sorted({str(f) for f in folders} | {str(f.resolve()) for f in folders}, key=len, reverse=True):
        text = text.replace(folder, "<TMP>")
    text = text.replace(str(HERE.parent), "<REPO>")
    text = re.sub(rf"(exam-pdf|exam_pdf|ExamPdfVersion)( |=|: ?){re.escape(__version__)}\b", r"\1\2<VERSION>", text)
    text = re.sub(rf"\b(Sphinx|sphinx)( |/|-){re.escape(sphinx.__version__)}\b", r"\1\2<VERSION>", text)
    for date in DATES:
        text = text.replace(date, "<DATE>")
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def compare(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}; write it with EXAM_PDF_UPDATE_SNAPSHOTS=1 and review it")
    expected = path.read_text("utf-8")
    if actual == expected:
        return
    diff = list(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), f"snapshots/{name}", "generated", lineterm="", n=2
        )
    )
    shown = "\n".join(diff[:120]) + (f"\n... ({len(diff) - 120} more diff lines)" if len(diff) > 120 else "")
    pytest.fail(
        f"{name} differs from its snapshot ({len(diff)} diff lines). If the change is intended, rerun with "
        f"EXAM_PDF_UPDATE_SNAPSHOTS=1 and commit tests/snapshots/.\n{shown}",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def epoch() -> Iterator[None]:
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    yield
    if old is None:
        del os.environ["SOURCE_DATE_EPOCH"]
    else:
        os.environ["SOURCE_DATE_EPOCH"] = old


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("snap") / "report"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    return target


def test_normalise_replaces_what_varies(tmp_path: Path) -> None:
    text = f"exam-pdf {__version__} Sphinx {sphinx.__version__} {tmp_path}/x 2023-11-14 exam-pdf 99.0"
    assert normalise(text, tmp_path) == "exam-pdf <VERSION> Sphinx <VERSION> <TMP>/x <DATE> exam-pdf 99.0\n"


def test_snapshot_of_the_generated_tex(example: Path, epoch: None, tmp_path: Path) -> None:
    """The .tex Sphinx writes for the example (the PDF build deletes it, so run the LaTeX builder alone)."""
    from exam_pdf.builders import _sphinx
    from exam_pdf.source import read_source

    work = tmp_path / "work"
    _sphinx(read_source(example / "README.md"), work, "latex", True, "auto", True)
    tex = (work / "latex" / "report.tex").read_text("utf-8")
    assert "\\begin{document}" in tex and "\\end{document}" in tex
    compare("example.tex", normalise(tex, example, work))


def test_snapshot_of_the_html_body(example: Path, epoch: None, tmp_path: Path) -> None:
    from exam_pdf.builders import build_html
    from exam_pdf.source import read_source

    work = tmp_path / "work"
    page, _ = build_html(read_source(example / "README.md"), example / "report.html", work)
    html = page.read_text("utf-8")
    body = re.search(r"<body[^>]*>(.*)</body>", html, re.S)
    assert body, "the page has a body"
    compare("example.body.html", normalise(body.group(1).strip(), example, work))
