"""Reading a report from disk (exam_pdf/source.py) and refusing what is not a report.

A file that cannot be read as a report ends in ``ReportError``; the command line turns
that into exactly one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exam_pdf import source as source_module
from exam_pdf.errors import ReportError
from exam_pdf.pipeline import load_report
from exam_pdf.source import locate_report, read_source, source_from_text

REPORT = """\
# Exam template for 02476 Machine Learning Operations

## Group information

### Question 1
> **Enter the group number you signed up on**
>
> Answer:

42

### Question 2
> **Enter the study number for each member in the group**
>
> Answer:

s123456, s654321
"""

FRONT_MATTER = "---\nlayout: default\nnav_exclude: true\n---\n\n"


def heading_lines(text: str) -> dict[int, int]:
    """Question number -> 1-based line of its ``### Question N`` heading, found by plain text search."""
    found = {}
    for index, line in enumerate(text.splitlines(), 1):
        if line.lstrip("\ufeff").startswith("### Question "):
            found[int(line.split()[-1])] = index
    return found


# --- locating the report -------------------------------------------------------------------------


def test_locate_a_file_returns_it(tmp_path: Path) -> None:
    path = tmp_path / "my_report.md"
    path.write_text(REPORT, encoding="utf-8")
    assert locate_report(path) == path.resolve()


def test_locate_a_folder_finds_readme(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(REPORT, encoding="utf-8")
    assert locate_report(tmp_path) == (tmp_path / "README.md").resolve()


def test_locate_a_folder_finds_lowercase_readme(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text(REPORT, encoding="utf-8")
    assert locate_report(tmp_path).name == "readme.md"


def test_locate_prefers_reports_readme_over_a_root_readme_without_questions(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# My project\n\nSome code that does things.\n", encoding="utf-8")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text(REPORT, encoding="utf-8")
    assert locate_report(tmp_path) == (tmp_path / "reports" / "README.md").resolve()


def test_locate_reports_lowercase_readme_in_a_repository(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "readme.md").write_text(REPORT, encoding="utf-8")
    found = locate_report(tmp_path)
    assert found == (tmp_path / "reports" / "readme.md").resolve()
    report = load_report(tmp_path)
    assert [q.number for q in report.questions] == [1, 2]


def test_locate_root_readme_when_it_is_the_report(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(REPORT, encoding="utf-8")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text("# just notes\n", encoding="utf-8")
    assert locate_report(tmp_path) == (tmp_path / "README.md").resolve()


def test_locate_default_is_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "README.md").write_text(REPORT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert locate_report(None) == Path("README.md")  # as the user would type it


def test_locate_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such file"):
        locate_report(tmp_path / "nowhere" / "README.md")


def test_locate_folder_without_a_report(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(ReportError, match=r"README\.md"):
        locate_report(tmp_path)


# --- reading and normalising -------------------------------------------------------------------


def test_front_matter_is_kept_apart_and_line_numbers_are_preserved(tmp_path: Path) -> None:
    text = FRONT_MATTER + REPORT
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    source = read_source(path)
    assert source.front_matter == "layout: default\nnav_exclude: true\n"
    assert "layout: default" not in source.text
    assert len(source.lines) == len(text.split("\n"))
    report = load_report(path)
    expected = heading_lines(text)
    assert {q.number: q.line for q in report.questions} == expected
    assert expected[1] == 10  # four lines of front matter and a blank line come first
    assert report.question(1).answer_start == text.split("\n").index("42") + 1


def test_front_matter_only_at_the_start(tmp_path: Path) -> None:
    """A ``---`` block later in the file is Markdown, not front matter."""
    text = REPORT + "\n---\nlayout: default\n---\n"
    source = source_from_text(text, tmp_path / "README.md")
    assert source.front_matter == ""
    assert "layout: default" in source.text


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes((FRONT_MATTER + REPORT).replace("\n", "\r\n").encode("utf-8"))
    source = read_source(path)
    assert "\r" not in source.text
    assert source.raw.count(b"\r\n") == (FRONT_MATTER + REPORT).count("\n")
    report = load_report(path)
    assert {q.number: q.line for q in report.questions} == heading_lines(FRONT_MATTER + REPORT)
    assert report.question(1).answer_text.strip() == "42"
    assert report.question(2).words == 2


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(b"\xef\xbb\xbf" + REPORT.encode("utf-8"))
    source = read_source(path)
    assert not source.text.startswith("\ufeff")
    assert source.text.startswith("# Exam template")
    report = load_report(path)
    assert report.title == "Exam template for 02476 Machine Learning Operations"
    assert {q.number: q.line for q in report.questions} == heading_lines(REPORT)


def test_bom_and_front_matter_together(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(b"\xef\xbb\xbf" + (FRONT_MATTER + REPORT).replace("\n", "\r\n").encode("utf-8"))
    source = read_source(path)
    assert source.front_matter.startswith("layout: default")
    assert {q.number: q.line for q in load_report(path).questions} == heading_lines(FRONT_MATTER + REPORT)


def test_non_ascii_utf8_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(REPORT.replace("42", "42 — Gruppe Ærø 🚀"), encoding="utf-8")
    assert load_report(path).question(1).answer_text.strip() == "42 — Gruppe Ærø 🚀"


BAD_FILES = {
    "latin-1": (REPORT.replace("Enter", "Ærø").encode("latin-1"), "UTF-8"),
    "empty": (b"", "empty"),
    "blank": (b"  \n\n\t\n", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "utf-16": (REPORT.encode("utf-16"), None),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_unreadable_files_raise_report_error(tmp_path: Path, kind: str) -> None:
    data, reason = BAD_FILES[kind]
    path = tmp_path / "README.md"
    path.write_bytes(data)
    with pytest.raises(ReportError) as caught:
        read_source(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "README.md" in message
    if reason:
        assert reason in message


def test_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    cap = source_module.MAX_README_BYTES
    path.write_bytes(REPORT.encode() + b"x" * (cap + 1 - len(REPORT.encode())))
    assert path.stat().st_size == cap + 1
    with pytest.raises(ReportError, match=str(cap)):
        read_source(path)


def test_file_at_the_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    cap = source_module.MAX_README_BYTES
    body = REPORT.encode()
    path.write_bytes(body + b"\n" + b"a " * ((cap - len(body) - 1) // 2))
    assert path.stat().st_size <= cap
    assert read_source(path).text.startswith("# Exam template")


def test_read_source_on_a_folder_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="folder"):
        read_source(tmp_path)
    with pytest.raises(ReportError, match="no such file"):
        read_source(tmp_path / "missing.md")


# --- the command line on bad input ---------------------------------------------------------------


def bad_inputs(tmp_path: Path) -> dict[str, Path]:
    made: dict[str, Path] = {}
    for kind, (data, _) in BAD_FILES.items():
        path = tmp_path / kind / "README.md"
        path.parent.mkdir()
        path.write_bytes(data)
        made[kind] = path
    big = tmp_path / "big" / "README.md"
    big.parent.mkdir()
    big.write_bytes(b"a " * (source_module.MAX_README_BYTES // 2 + 1))
    made["too-large"] = big
    made["missing"] = tmp_path / "missing" / "README.md"
    no_questions = tmp_path / "no-questions" / "README.md"
    no_questions.parent.mkdir()
    no_questions.write_text("# A project\n\nIt trains a model.\n\n## Usage\n\nRun it.\n", encoding="utf-8")
    made["no-questions"] = no_questions
    empty_folder = tmp_path / "empty-folder"
    empty_folder.mkdir()
    made["empty-folder"] = empty_folder
    return made


@pytest.mark.parametrize(
    "kind",
    ["latin-1", "empty", "blank", "binary", "utf-16", "too-large", "missing", "no-questions", "empty-folder"],
)
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_cli_bad_input_exit_2_one_line(cli, tmp_path: Path, kind: str, output_format: str) -> None:
    path = bad_inputs(tmp_path)[kind]
    result = cli("check", str(path), "--format", output_format)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("exam-pdf: error: ")
    assert "internal error" not in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["latin-1", "binary", "too-large", "missing", "no-questions"])
def test_subprocess_bad_input_no_traceback(run_exam_pdf, tmp_path: Path, kind: str) -> None:
    path = bad_inputs(tmp_path)[kind]
    done = run_exam_pdf("check", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("exam-pdf: error: ")


def test_cli_crlf_bom_report_checks(cli, tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(b"\xef\xbb\xbf" + (FRONT_MATTER + REPORT).replace("\n", "\r\n").encode("utf-8"))
    result = cli("check", str(path), "--format", "json")
    assert result.stderr == ""
    data = json.loads(result.stdout)
    # Questions 1-2 match a real edition's prompts, so its other questions count as missing
    # (and the course's checker, which wants all of them, would stop).
    assert {f["rule"] for f in data["findings"]} == {"missing-question", "course-checker-stops"}
    assert not [f for f in data["findings"] if f["question"] in (1, 2)]
    assert result.exit_code == 1
    lines = heading_lines(FRONT_MATTER + REPORT)
    assert [(q["number"], q["line"], q["words"]) for q in data["questions"]] == [(1, lines[1], 1), (2, lines[2], 2)]
