"""``exam-pdf check``: output formats, options, default path and exit codes (issue 2, item 4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import exam_pdf
from exam_pdf.rules import RULES

EDITION_NAMES = ("2023", "2024", "2024-summer", "2025", "2026")


def question(number: int, answer: str, limit: str = "") -> str:
    limit_lines = f"> {limit}\n>\n" if limit else ""
    return f"### Question {number}\n\n> **Describe what you did and why.**\n>\n{limit_lines}> Answer:\n\n{answer}\n\n"


CLEAN = "# Exam report\n\n" + question(1, "Group 42") + question(2, "s123456, s654321")
CLEAN += question(3, "We used DVC with a bucket.", limit="Answer length: 2-50 words.")
BROKEN = CLEAN + question(4, "Too short.", limit="Answer length: 5-50 words.")
BROKEN += question(5, " ".join(["word"] * 12), limit="Recommended answer length: 1-10 words.")
WARN_ONLY = CLEAN + question(4, " ".join(["word"] * 12), limit="Recommended answer length: 1-10 words.")

FINDING_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+): (?P<severity>error|warning|info) (?P<rule>[a-z][a-z0-9-]*)"
    r"(?: Question (?P<question>\d+))?: (?P<message>.+)$"
)
SUMMARY = re.compile(r"^(\d+)/(\d+) questions pass; (\d+) error\(s\), (\d+) warning\(s\) \[edition (\S+)\]$")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A report folder with one hard and one recommended length broken; the cwd is inside it."""
    (tmp_path / "README.md").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- text -------------------------------------------------------------------------------------


def test_text_format(cli, broken: Path) -> None:
    result = cli("check")  # default PATH: README.md in the current folder
    assert result.exit_code == 1
    assert result.stderr == ""
    lines = result.stdout.rstrip("\n").split("\n")
    findings = [FINDING_LINE.match(line) for line in lines[: lines.index("")]]
    assert all(findings), lines
    parsed = [(m["path"], int(m["line"]), m["severity"], m["rule"], m["question"]) for m in findings]
    assert parsed == [
        ("README.md", line_of(BROKEN, "Too short."), "error", "too-few-words", "4"),
        ("README.md", line_of(BROKEN, "word word"), "warning", "too-many-words", "5"),
    ]
    assert "2 words" in findings[0]["message"] and "5-50" in findings[0]["message"]
    assert "12 words" in findings[1]["message"]
    # The per-question table: one row per question with its words and status.
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["Q", "words", "images"])
    rows = [line.split() for line in lines[header + 1 : header + 6]]
    assert [(r[0], r[1], r[2], r[-1]) for r in rows] == [
        ("1", "2", "0", "ok"),
        ("2", "2", "0", "ok"),
        ("3", "6", "0", "ok"),
        ("4", "2", "0", "FAIL"),
        ("5", "12", "0", "warn"),
    ]
    summary = SUMMARY.match(lines[-1])
    assert summary, lines[-1]
    assert summary.groups() == ("3", "5", "1", "1", "custom")


def test_text_format_clean_report_exit_0(cli, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(CLEAN, encoding="utf-8")
    result = cli("check", str(tmp_path))
    assert result.exit_code == 0, result.stdout
    assert not [line for line in result.stdout.splitlines() if FINDING_LINE.match(line)]
    assert SUMMARY.match(result.stdout.splitlines()[-1]).groups()[:4] == ("3", "3", "0", "0")


def test_path_forms_give_the_same_result(cli, broken: Path) -> None:
    outputs = [
        json.loads(cli("check", *args, "--format", "json").stdout)
        for args in ((), (".",), ("README.md",), (str(broken),), (str(broken / "README.md"),))
    ]
    assert all(output == outputs[0] for output in outputs)
    assert outputs[0]["source"] == str((broken / "README.md").resolve())


# --- json -------------------------------------------------------------------------------------


def validate(data: dict) -> None:
    """The JSON schema of issue 2, item 4 (plus a ``schema`` version number)."""
    assert set(data) - {"schema"} == {"source", "edition", "questions", "findings", "summary"}
    if "schema" in data:
        assert isinstance(data["schema"], int)
    assert isinstance(data["source"], str)
    assert set(data["edition"]) == {"name", "questions", "detected_by"}
    assert isinstance(data["edition"]["name"], str)
    assert data["edition"]["questions"] is None or isinstance(data["edition"]["questions"], int)
    assert isinstance(data["edition"]["detected_by"], str)
    for q in data["questions"]:
        assert set(q) == {"number", "line", "words", "images", "constraints", "status"}
        assert all(isinstance(q[key], int) for key in ("number", "line", "words", "images"))
        assert set(q["constraints"]) == {"words", "images", "recommended"}
        for key in ("words", "images"):
            limit = q["constraints"][key]
            assert limit is None or (
                len(limit) == 2 and all(isinstance(n, int) for n in limit) and limit[0] <= limit[1]
            )
        assert isinstance(q["constraints"]["recommended"], bool)
        assert q["status"] in ("pass", "warn", "fail")
    for f in data["findings"]:
        assert set(f) == {"rule", "severity", "question", "line", "message"}
        assert f["rule"] in RULES
        assert f["severity"] in ("error", "warning", "info")
        assert f["question"] is None or isinstance(f["question"], int)
        assert f["line"] is None or isinstance(f["line"], int)
        assert isinstance(f["message"], str) and f["message"]
    summary = data["summary"]
    assert set(summary) == {"questions", "passed", "errors", "warnings"}
    assert summary["questions"] == len(data["questions"])
    assert summary["passed"] == sum(q["status"] == "pass" for q in data["questions"])
    assert summary["errors"] == sum(f["severity"] == "error" for f in data["findings"])
    assert summary["warnings"] == sum(f["severity"] == "warning" for f in data["findings"])


def test_json_format(cli, broken: Path) -> None:
    result = cli("check", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    validate(data)
    assert data["edition"]["name"] == "custom" and data["edition"]["questions"] is None
    by_number = {q["number"]: q for q in data["questions"]}
    assert sorted(by_number) == [1, 2, 3, 4, 5]
    assert by_number[4]["words"] == 2 and by_number[4]["status"] == "fail"
    assert by_number[4]["constraints"] == {"words": [5, 50], "images": None, "recommended": False}
    assert by_number[5]["constraints"] == {"words": [1, 10], "images": None, "recommended": True}
    assert by_number[5]["status"] == "warn" and by_number[5]["words"] == 12
    assert by_number[3]["line"] == line_of(BROKEN, "### Question 3")
    assert [(f["rule"], f["question"], f["line"]) for f in data["findings"]] == [
        ("too-few-words", 4, line_of(BROKEN, "Too short.")),
        ("too-many-words", 5, line_of(BROKEN, "word word")),
    ]
    # The text format shows the same findings.
    text = cli("check").stdout
    assert len([line for line in text.splitlines() if FINDING_LINE.match(line)]) == len(data["findings"])


def test_json_on_the_example_report(cli, example_copy: Path) -> None:
    result = cli("check", str(example_copy), "--format", "json")
    data = json.loads(result.stdout)
    validate(data)
    assert data["edition"]["name"] == "2026"
    assert [q["number"] for q in data["questions"]] == list(range(1, 32))
    assert result.exit_code == (1 if data["summary"]["errors"] else 0)


# --- github -----------------------------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([a-z0-9-]+)::(.+)$")


def test_github_format(cli, broken: Path) -> None:
    result = cli("check", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    annotations = [ANNOTATION.match(line) for line in lines[:-1]]
    assert all(annotations), lines
    assert [(m[1], m[2], int(m[3]), m[4]) for m in annotations] == [
        ("error", "README.md", line_of(BROKEN, "Too short."), "too-few-words"),
        ("warning", "README.md", line_of(BROKEN, "word word"), "too-many-words"),
    ]
    assert annotations[0][5].startswith("Question 4: ")
    assert SUMMARY.match(lines[-1])


def test_github_format_info_is_a_notice_and_newlines_are_escaped(cli, tmp_path: Path) -> None:
    text = CLEAN + question(4, " ".join(["w"] * 150), limit="Answer length: 100-200 words.")
    (tmp_path / "README.md").write_text(text, encoding="utf-8")
    result = cli("check", str(tmp_path), "--format", "github", "--edition", "2026")
    notices = [line for line in result.stdout.splitlines() if line.startswith("::notice ")]
    # Question 4's prompt says 100-200 words; the 2026 course checker enforces 100-200 too,
    # but question 3's prompt says 2-50 where the checker enforces 0-200: one limit-differs notice.
    assert len(notices) == 1 and "title=limit-differs" in notices[0] and "Question 3: " in notices[0]
    assert all(ANNOTATION.match(line) for line in result.stdout.splitlines()[:-1])


# --- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize("edition", EDITION_NAMES)
def test_edition_override(cli, broken: Path, edition: str) -> None:
    result = cli("check", "--format", "json", "--edition", edition)
    data = json.loads(result.stdout)
    validate(data)
    count = 27 if edition in ("2023", "2024", "2024-summer") else 31
    assert data["edition"] == {"name": edition, "questions": count, "detected_by": "--edition option"}
    missing = sorted(f["question"] for f in data["findings"] if f["rule"] == "missing-question")
    assert missing == list(range(6, count + 1))
    assert result.exit_code == 1


def test_edition_override_on_a_template(cli, templates_dir: Path) -> None:
    auto = json.loads(cli("check", str(templates_dir / "2023.md"), "--format", "json").stdout)
    forced = json.loads(cli("check", str(templates_dir / "2023.md"), "--format", "json", "--edition", "2026").stdout)
    assert auto["edition"]["name"] == "2023" and forced["edition"]["name"] == "2026"
    assert not [f for f in auto["findings"] if f["rule"] == "missing-question"]
    assert sorted(f["question"] for f in forced["findings"] if f["rule"] == "missing-question") == [28, 29, 30, 31]


def test_unknown_edition_is_a_usage_error(cli, broken: Path) -> None:
    result = cli("check", "--edition", "1999")
    assert result.exit_code == 2
    assert "1999" in result.stderr and "Traceback" not in result.stderr


def test_strict(cli, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(WARN_ONLY, encoding="utf-8")
    assert cli("check", str(tmp_path)).exit_code == 0
    assert cli("check", str(tmp_path), "--strict").exit_code == 1
    (tmp_path / "README.md").write_text(CLEAN, encoding="utf-8")
    assert cli("check", str(tmp_path), "--strict").exit_code == 0


def test_default_path_without_readme(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("check")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("exam-pdf: error: ") and len(result.stderr.strip().splitlines()) == 1


# --- as a process -----------------------------------------------------------------------------


def test_version(run_exam_pdf) -> None:
    done = run_exam_pdf("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"exam-pdf, version {exam_pdf.__version__}"


def test_subprocess_exit_codes(run_exam_pdf, tmp_path: Path) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "README.md").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "README.md").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "README.md").write_bytes(b"### Question 1\n\n> Answer:\n\n\xff\xfe caf\xe9\n")
    assert run_exam_pdf("check", cwd=tmp_path / "clean").returncode == 0
    broken = run_exam_pdf("check", "--format", "github", cwd=tmp_path / "broken")
    assert broken.returncode == 1
    assert broken.stdout.startswith("::error file=README.md,line=")
    bad = run_exam_pdf("check", cwd=tmp_path / "bad")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert "UTF-8" in bad.stderr


def test_check_help_lists_the_options(cli) -> None:
    result = cli("check", "--help")
    assert result.exit_code == 0
    for option in ("--format", "--edition", "--strict", "text", "json", "github"):
        assert option in result.stdout
