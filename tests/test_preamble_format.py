"""The precompiled preamble (``exam_pdf/builders/preamble.py``): made once in the user's
cache, used by every pass, and without any effect on the PDF's bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.latex

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "report"
EPOCH = "1700000000"


def pdf(report: Path, out: Path, cache_home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exam_pdf", "pdf", str(report), "--out", str(out), "--cache-dir", str(out / "work")],
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "XDG_CACHE_HOME": str(cache_home)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_format_is_made_once_reused_and_changes_no_byte(tmp_path: Path) -> None:
    report = tmp_path / "report"
    shutil.copytree(EXAMPLE, report, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    home = tmp_path / "cache"
    first = pdf(report / "README.md", tmp_path / "a", home)
    assert first.returncode == 1, first.stderr  # built; the example breaks rules on purpose
    formats = list((home / "exam-pdf" / "formats").glob("exam-pdf-*.fmt"))
    assert len(formats) == 1
    made = formats[0].stat().st_mtime_ns
    second = pdf(report / "README.md", tmp_path / "b", home)
    assert second.returncode == 1, second.stderr
    assert list((home / "exam-pdf" / "formats").glob("*.fmt")) == formats  # reused, not made again
    assert formats[0].stat().st_mtime_ns == made
    assert not list((home / "exam-pdf" / "formats").glob(".*.tmp"))
    # A cache folder that cannot be made (a file in its place): built without a format.
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder", "utf-8")
    third = pdf(report / "README.md", tmp_path / "c", blocked)
    assert third.returncode == 1, third.stderr
    pdfs = [(tmp_path / name / "report.pdf").read_bytes() for name in "abc"]
    assert pdfs[0] == pdfs[1] == pdfs[2]
    # hyperref's preamble specials survived the dump: destinations keep their names.
    assert "Doc-Start" in PdfReader(tmp_path / "a" / "report.pdf").named_destinations


def test_every_pass_starts_from_the_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exam_pdf.builders import _sphinx
    from exam_pdf.builders.engine import compile_pdf
    from exam_pdf.builders.preamble import format_name
    from exam_pdf.source import read_source

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    work = tmp_path / "work"
    _sphinx(read_source(EXAMPLE / "README.md"), work, "latex", True, "auto", True)
    tex = work / "latex" / "report.tex"
    name = format_name(tex)
    assert name is not None
    compile_pdf(tex, timeout=300)
    log = tex.with_suffix(".log").read_text("utf-8", "replace")
    assert f"(preloaded format={name} " in log.splitlines()[0]
    # Nothing of the format is left in the report's build folder.
    assert not list(tex.parent.glob("*.fmt")) and not list(tex.parent.glob("fmt-*"))


def test_a_different_preamble_gets_a_different_format(tmp_path: Path) -> None:
    from exam_pdf.builders.preamble import END_OF_DUMP, format_name

    folder = tmp_path / "latex"
    folder.mkdir()
    tex = folder / "report.tex"
    tex.write_text(f"\\documentclass{{article}}\n{END_OF_DUMP}\n\\begin{{document}}x\\end{{document}}\n")
    one = format_name(tex)
    tex.write_text(f"\\documentclass{{article}}\n{END_OF_DUMP}\n\\begin{{document}}y\\end{{document}}\n")
    assert format_name(tex) == one  # what follows the mark is not in the format
    (folder / "sphinx.sty").write_text("% another Sphinx\n")
    assert format_name(tex) != one  # a style file the dump reads is
    tex.write_text("\\documentclass{article}\n\\begin{document}x\\end{document}\n")
    assert format_name(tex) is None  # no mark: no format


def test_font_maps_are_read_once_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exam_pdf.sphinxext import glyphs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    glyphs.coverage.cache_clear()
    first = glyphs.coverage(glyphs.MAIN_FONT)
    assert ord("ø") in first and ord("中") not in first
    stored = list((tmp_path / "exam-pdf" / "glyphs").glob("*.json"))
    assert len(stored) == 1
    glyphs.coverage.cache_clear()
    monkeypatch.setattr("fontTools.ttLib.TTFont", None)  # a second read would need fontTools
    assert glyphs.coverage(glyphs.MAIN_FONT) == first
    # A damaged entry is read again from the font, not trusted.
    stored[0].write_text("[[1, ", "utf-8")
    glyphs.coverage.cache_clear()
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert glyphs.coverage(glyphs.MAIN_FONT) == first
    glyphs.coverage.cache_clear()


def test_a_damaged_format_is_dropped_and_the_pdf_still_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exam_pdf.builders import _sphinx
    from exam_pdf.builders.engine import compile_pdf
    from exam_pdf.builders.preamble import format_name
    from exam_pdf.source import read_source

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    work = tmp_path / "work"
    _sphinx(read_source(EXAMPLE / "README.md"), work, "latex", True, "auto", True)
    tex = work / "latex" / "report.tex"
    damaged = tmp_path / "cache" / "exam-pdf" / "formats" / f"{format_name(tex)}.fmt"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"half a format, cut off by a full disk")
    pdf = compile_pdf(tex, timeout=300)
    assert len(PdfReader(pdf).pages) > 10
    assert not damaged.exists()  # dropped; the next build makes it again
    assert "preloaded format=xelatex" in tex.with_suffix(".log").read_text("utf-8", "replace").splitlines()[0]
