"""The five blank templates of the course (tests/fixtures/templates/<edition>.md).

Each must be read as its own edition (the file's stem is the edition's name), with
every question unanswered, exit code 1 and valid JSON output.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, template_names

from exam_pdf.editions import PROFILES
from exam_pdf.model import BoxState
from exam_pdf.pipeline import check_path
from exam_pdf.rules import Severity

EDITIONS = sorted(PROFILES)


def test_editions_are_the_five_templates() -> None:
    assert EDITIONS == ["2023", "2024", "2024-summer", "2025", "2026"]
    assert {name: PROFILES[name].question_count for name in EDITIONS} == {
        "2023": 27,
        "2024": 27,
        "2024-summer": 27,
        "2025": 31,
        "2026": 31,
    }


def test_every_template_file_has_an_edition(templates_dir: Path) -> None:
    assert template_names() == EDITIONS
    assert sorted(p.name for p in templates_dir.iterdir()) == sorted([*(f"{e}.md" for e in EDITIONS), "README.md"])


def test_templates_are_the_course_files_named_in_their_readme(templates_dir: Path) -> None:
    """Each template is byte for byte the course's file at the commit its README names (git blob hash)."""
    rows = re.findall(
        r"(?m)^\| `([\w-]+)\.md` \|[^|]+\| `([0-9a-f]{40})` \|[^|]+\| `([0-9a-f]{40})` \|$",
        (templates_dir / "README.md").read_text("utf-8"),
    )
    assert sorted(name for name, _, _ in rows) == EDITIONS
    for name, _, blob in rows:
        data = (templates_dir / f"{name}.md").read_bytes()
        assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == blob, name


def test_fingerprints_are_those_of_the_templates(templates_dir: Path, tmp_path: Path) -> None:
    """exam_pdf/_fingerprints.py is what tools/fingerprint_templates.py makes of the templates."""
    target = tmp_path / "_fingerprints.py"
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "fingerprint_templates.py"), str(templates_dir), "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert target.read_text("utf-8") == (REPO / "exam_pdf" / "_fingerprints.py").read_text("utf-8")


def template_headings(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?m)^###\s+Question\s+(\d+)\s*$", text)]


@pytest.mark.parametrize("edition", EDITIONS)
def test_blank_template_is_all_unanswered(templates_dir: Path, edition: str) -> None:
    path = templates_dir / f"{edition}.md"
    text = path.read_text(encoding="utf-8")
    count = PROFILES[edition].question_count
    assert template_headings(text) == list(range(1, count + 1))

    result = check_path(path)
    report = result.report
    assert report.edition is not None
    assert report.edition.name == edition, report.edition.detected_by
    assert report.edition.questions == count
    assert f"{count} of {count}" in report.edition.detected_by

    assert [q.number for q in report.questions] == list(range(1, count + 1))
    assert all(q.unanswered and q.words == 0 and not q.images for q in report.questions)
    unanswered = [f for f in result.findings if f.rule.id == "unanswered"]
    assert sorted(f.question for f in unanswered) == list(range(1, count + 1))
    assert all(f.severity is Severity.ERROR for f in unanswered)
    # Nothing else is an error or warning: no follow-on word/image findings, no template images.
    others = [f for f in result.findings if f.rule.id != "unanswered" and f.severity is not Severity.INFO]
    assert others == []
    for finding in unanswered:
        question = report.question(finding.question)
        lines = text.split("\n")
        assert finding.line == question.answer_start > question.line
        if not question.template_text_left:
            assert f"question {finding.question} fill here" in lines[finding.line - 1]
    # The January 2025 template itself ships test text in question 31's answer; still unanswered.
    assert [q.number for q in report.questions if q.template_text_left] == ([31] if edition == "2025" else [])
    assert result.exit_code() == 1
    assert result.passed == 0

    # The checklist: every box of the blank template, unchecked, under its heading.
    boxes = re.findall(r"(?m)^\s*[*-] \[ \] ", text)
    assert len(report.checklist) == len(boxes) > 0
    assert {item.state for item in report.checklist} == {BoxState.UNCHECKED}
    assert {"Week 1", "Week 2", "Week 3"} <= {item.group for item in report.checklist}


@pytest.mark.parametrize("edition", EDITIONS)
def test_blank_template_cli_json(cli, templates_dir: Path, edition: str) -> None:
    count = PROFILES[edition].question_count
    result = cli("check", str(templates_dir / f"{edition}.md"), "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["edition"]["name"] == edition
    assert data["edition"]["questions"] == count
    assert isinstance(data["edition"]["detected_by"], str) and data["edition"]["detected_by"]
    assert data["summary"] == {"questions": count, "passed": 0, "errors": count, "warnings": 0}
    assert [q["status"] for q in data["questions"]] == ["fail"] * count
    assert [q["words"] for q in data["questions"]] == [0] * count
    limits = PROFILES[edition].limits
    for q in data["questions"]:
        words, images = limits[q["number"]]
        assert q["constraints"]["words"] == (words.as_list() if words else None)
        assert q["constraints"]["images"] == (images.as_list() if images else None)


def test_blank_template_subprocess(run_exam_pdf, templates_dir: Path, tmp_path: Path) -> None:
    """As a student runs it: inside the folder, no PATH, README.md by default."""
    (tmp_path / "README.md").write_bytes((templates_dir / "2026.md").read_bytes())
    done = run_exam_pdf("check", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "[edition 2026]" in done.stdout.strip().splitlines()[-1]
    assert done.stdout.count(" error unanswered Question ") == 31


def test_recommended_edition_uses_warnings(templates_dir: Path, tmp_path: Path) -> None:
    """June 2024 prompts say 'Recommended answer length': a short answer there is a warning."""
    text = (templates_dir / "2024-summer.md").read_text(encoding="utf-8")
    assert "Recommended answer length" in text
    path = tmp_path / "README.md"
    path.write_text(text.replace("--- question 3 fill here ---", "We used a tiny package."), encoding="utf-8")
    result = check_path(path)
    assert result.report.edition.name == "2024-summer"
    q3 = result.report.question(3)
    assert q3.constraints.recommended
    [short] = [f for f in result.findings if f.question == 3]
    assert short.rule.id == "too-few-words" and short.severity is Severity.WARNING
