"""A TeX failure ends in one line naming the first error and, when marked, the report's line."""

from __future__ import annotations

from pathlib import Path

from exam_pdf.builders.engine import first_error, report_line

TEX = """\\documentclass{article}
\\begin{document}
\\label{x}%exam-pdf line 1
%exam-pdf line 5
Some text of question one.
%exam-pdf line 9
\\broken here
more
\\end{document}
"""


def _write(tmp_path: Path, log: str) -> Path:
    (tmp_path / "report.tex").write_text(TEX, "utf-8")
    path = tmp_path / "report.log"
    path.write_text(log, "utf-8")
    return path


def test_report_line_is_the_last_mark_before_the_tex_line(tmp_path: Path) -> None:
    tex = tmp_path / "report.tex"
    tex.write_text(TEX, "utf-8")
    assert report_line(tex, 3) == 1
    assert report_line(tex, 5) == 5
    assert report_line(tex, 7) == 9
    assert report_line(tex, 2) is None
    assert report_line(tmp_path / "missing.tex", 7) is None


def test_file_line_error_is_traced_to_the_report(tmp_path: Path) -> None:
    log = _write(tmp_path, "This is XeTeX\n./report.tex:7: Undefined control sequence.\nl.7 \\broken\n")
    message = first_error(log)
    assert message.startswith("LaTeX error near line 9 of the report: Undefined control sequence.")
    assert str(log) in message and "\n" not in message


def test_classic_error_uses_the_l_line(tmp_path: Path) -> None:
    log = _write(tmp_path, "! Missing $ inserted.\n<inserted text>\n$\nl.5 Some text\n")
    assert first_error(log).startswith("LaTeX error near line 5 of the report: Missing $ inserted.")


def test_error_only_on_the_terminal_is_found_and_explained(tmp_path: Path) -> None:
    log = _write(tmp_path, "[1] [2]\n")
    message = first_error(log, "(report.tex\n! Unable to read an entire line---bufsize=200000.\n")
    assert "Unable to read an entire line" in message and "too long for TeX" in message


def test_no_error_message_at_all(tmp_path: Path) -> None:
    log = _write(tmp_path, "[1]\n")
    assert first_error(log).startswith("LaTeX failed without an error message (full log: ")
