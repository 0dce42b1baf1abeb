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
from exam_pdf.model import BoxState, Edition
from exam_pdf.pipeline import check_path, check_report, model_source
from exam_pdf.rules import Severity
from exam_pdf.source import source_from_text

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


def zero_word_questions(edition: str) -> list[int]:
    """Questions whose word limit starts at 0 (the course's checker passes their placeholder)."""
    return sorted(n for n, (words, _) in PROFILES[edition].limits.items() if words is not None and words.min == 0)


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
    # Nothing else is an error or warning: no follow-on word/image findings, no template images;
    # only where a question allows 0 words, the course's checker passes the placeholder.
    others = [f for f in result.findings if f.rule.id != "unanswered" and f.severity is not Severity.INFO]
    assert sorted((f.rule.id, f.question) for f in others) == [
        ("course-checker-counts", n) for n in zero_word_questions(edition)
    ]
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
    warnings = len(zero_word_questions(edition))
    assert data["summary"] == {"questions": count, "passed": 0, "errors": count, "warnings": warnings}
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


# --- detection by the questions the prompts ask ---------------------------------------------

_LENGTH_LINE = re.compile(r"(?m)^>\s*(?:Recommended answer length|Answer length).*\n>\n")
_EXAMPLE = re.compile(r"(?m)^>\s*Example:\n(?:>.*\n)*?(?=>\s*Answer:)")


def _detect(text: str) -> Edition:
    report = model_source(source_from_text(text))
    assert report.edition is not None
    return report.edition


#: Editions whose hard limits equal another's: a report may be taken for either.
SAME_LIMITS = {"2023": {"2023", "2024", "2024-summer"}, "2024": {"2023", "2024", "2024-summer"}}


@pytest.mark.parametrize("edition", EDITIONS)
def test_deleted_length_rules_and_examples_keep_the_edition(templates_dir: Path, edition: str) -> None:
    text = (templates_dir / f"{edition}.md").read_text(encoding="utf-8")
    stripped = _EXAMPLE.sub("", _LENGTH_LINE.sub("", text))
    assert "Example:" not in stripped and "answer length" not in stripped.lower()
    found = _detect(stripped)
    assert found.name in SAME_LIMITS.get(edition, {edition}), found.detected_by
    assert PROFILES[found.name].limits == PROFILES[edition].limits
    assert not found.guessed


@pytest.mark.parametrize("edition", EDITIONS)
def test_reworded_prompts_keep_the_edition(templates_dir: Path, edition: str) -> None:
    text = (templates_dir / f"{edition}.md").read_text(encoding="utf-8")
    reworded = text.replace("Did you", "Have you").replace("Explain", "Describe").replace(" your ", " the ")
    assert reworded != text
    found = _detect(reworded)
    assert PROFILES[found.name].limits == PROFILES[edition].limits, found.detected_by


@pytest.mark.parametrize(("edition", "guess"), [("2024", "2024"), ("2026", "2026"), ("2025", "2026")])
def test_no_prompts_left_is_a_guess_by_count_and_order(templates_dir: Path, edition: str, guess: str) -> None:
    text = (templates_dir / f"{edition}.md").read_text(encoding="utf-8")
    bare = re.sub(r"(?m)^>(?!\s*Answer:).*\n", "", text)
    result = check_report(model_source(source_from_text(bare)))
    edition_found = result.report.edition
    assert edition_found is not None and edition_found.guessed and edition_found.name == guess
    assert "a guess" in edition_found.detected_by and "--edition" in edition_found.detected_by
    [info] = [f for f in result.findings if f.rule.id == "edition-guessed"]
    assert info.severity is Severity.INFO
    # The limits apply: the placeholders are errors, with the edition's limits in the table.
    assert result.report.question(4).constraints.words == PROFILES[guess].limits[4][0]


def test_a_report_out_of_order_is_not_guessed() -> None:
    sections = "".join(f"### Question {n}\n\n> Answer:\n\nSomething.\n\n" for n in [2, 1, *range(3, 32)])
    found = _detect("# Report\n\n" + sections)
    assert found.name == "custom" and not found.guessed


def test_a_tie_is_called_a_tie(templates_dir: Path) -> None:
    text = (templates_dir / "2023.md").read_text(encoding="utf-8")
    found = _detect(_EXAMPLE.sub("", _LENGTH_LINE.sub("", text)))
    # Without examples and length rules, January 2023 and January 2024 ask the same questions.
    assert "a tie with" in found.detected_by and "chose the newer" in found.detected_by
    assert "their limits are the same" in found.detected_by


def test_examples_decide_between_equal_questions(templates_dir: Path) -> None:
    found = _detect((templates_dir / "2023.md").read_text(encoding="utf-8"))
    assert found.name == "2023"
    assert "the examples decide" in found.detected_by and "January 2024" in found.detected_by
