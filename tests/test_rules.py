"""Every rule in the registry is triggered by a small report of its own, and the rules mean
what issue 2 says: recommended lengths warn, hard lengths fail, an unanswered question gets
only ``unanswered``, words are whitespace tokens of the answer's Markdown, images are the
``![..](..)`` in the answer, and ``--strict`` makes warnings fail.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from exam_pdf.pipeline import CheckResult, check_report, load_report
from exam_pdf.rules import RULES, Severity


def png(size: tuple[int, int] = (8, 6), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def question(number: int, answer: str, limit: str = "Answer length: 1-500 words.", prompt: str = "") -> str:
    prompt = prompt or "**Describe what you did and why.**"
    limit_lines = f"> {limit}\n>\n" if limit else ""
    return f"### Question {number}\n\n> {prompt}\n>\n{limit_lines}> Answer:\n\n{answer}\n\n"


HEAD = "# Exam report\n\n## Group information\n\n"
#: The template's title line: the course's checker skips the first 43 characters of the file.
COURSE_TITLE = "# Exam template for 02476 Machine Learning Operations\n\n"
GOOD_1_2 = question(1, "Group 42", limit="") + question(2, "s123456, s654321", limit="")


def report_text(*sections: str) -> str:
    return HEAD + GOOD_1_2 + "".join(sections)


@dataclass
class Case:
    text: str
    figures: dict[str, bytes] = field(default_factory=dict)
    edition: str = "auto"
    question: int | None = 3
    """The question the finding must name (None: a finding about the whole report)."""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


CASES: dict[str, Case] = {
    "unanswered": Case(report_text(question(3, "--- question 3 fill here ---"))),
    "template-marker-left": Case(report_text(question(3, "--- We used dvc and a GCP bucket for our data ---"))),
    "too-few-words": Case(report_text(question(3, "Too short.", limit="Answer length: 5-10 words."))),
    "too-many-words": Case(report_text(question(3, "one two three four five six", limit="Answer length: 1-5 words."))),
    "too-few-images": Case(report_text(question(3, "No image at all.", limit="Insert 1-2 images of your bucket."))),
    "too-many-images": Case(
        report_text(
            question(
                3,
                "![a](figures/a.png) ![b](figures/b.png)",
                limit="Upload one image of your registry.",
            )
        ),
        figures={"figures/a.png": png(), "figures/b.png": png()},
    ),
    "limit-differs": Case(
        report_text(
            question(3, " ".join(["word"] * 150), limit="Answer length: 100-200 words."),
        ),
        edition="2026",
    ),
    "image-missing": Case(report_text(question(3, "Our bucket: ![bucket](figures/bucket.png)"))),
    "image-format": Case(
        report_text(question(3, "Our bucket: ![bucket](figures/bucket.gif)")),
        figures={"figures/bucket.gif": png(fmt="GIF")},
    ),
    "image-misnamed": Case(
        report_text(question(3, "Our bucket: ![bucket](figures/bucket.png)")),
        figures={"figures/bucket.png": png(fmt="JPEG")},
    ),
    "image-not-embedded": Case(
        report_text(question(3, "See [our bucket](figures/bucket.png).")),
        figures={"figures/bucket.png": png()},
    ),
    "image-outside-report": Case(report_text(question(3, "Our bucket: ![bucket](../secret/bucket.png)"))),
    "image-unreadable": Case(
        report_text(question(3, "Our bucket: ![bucket](figures/bucket.png)")),
        figures={"figures/bucket.png": b"this is not a PNG file at all"},
    ),
    "image-html": Case(
        report_text(question(3, '<img src="figures/bucket.png" width="400">')),
        figures={"figures/bucket.png": png()},
    ),
    "duplicate-question": Case(report_text(question(3, "First."), question(3, "Second."))),
    "missing-question": Case(report_text(question(4, "Question three is gone.")), question=3),
    "unexpected-question-count": Case(
        report_text(*(question(n, f"--- question {n} fill here ---") for n in range(3, 33))),
        edition="2026",
        question=None,
    ),
    "question-order": Case(report_text(question(4, "Four."), question(3, "Three."))),
    "answer-marker-missing": Case(
        report_text(question(3, "Our answer.").replace("> Answer:\n", ">\n")),
    ),
    "group-number": Case(
        HEAD + question(1, "Group forty-two", limit="") + question(2, "s123456", limit=""), question=1
    ),
    "student-id": Case(HEAD + question(1, "42", limit="") + question(2, "s12345, s654321", limit=""), question=2),
    "hidden-character": Case(
        HEAD + question(1, "\u202e24\u202c", limit="") + question(2, "s123456", limit=""), question=1
    ),
    "link-broken": Case(report_text(question(3, "Our Dockerfile: [train](dockerfiles/train.dockerfile)."))),
    "unsafe-content": Case(
        report_text(question(3, "Our config:\n\n```{include} /etc/passwd\n```\n\nThat was it.")),
        question=None,
    ),
    "course-checker-counts": Case(
        COURSE_TITLE
        + report_text(
            question(3, "--- question 3 fill here ---", limit=""),
            *(question(n, f"--- question {n} fill here ---", limit="") for n in range(4, 32)),
        ),
        edition="2026",
    ),
    "course-checker-stops": Case(
        COURSE_TITLE + report_text(question(3, "Three.", limit=""), "### Use of Generative AI Tools\n\nNone.\n"),
        edition="2026",
        question=None,
    ),
    "edition-guessed": Case(
        report_text(*(question(n, f"Answer {n}.", limit="") for n in range(3, 32))),
        question=None,
    ),
}

#: Rules that no small Markdown fixture can trigger, with where they are covered instead.
COVERED_ELSEWHERE = {
    "glyph-missing": "only a PDF build finds characters no font has; covered by the PDF build tests",
    "report-too-large": "needs a report beyond a cap (thousands of blocks); covered by tests/test_linear.py",
    "math-as-code": "only the LaTeX writer refuses a formula; covered by tests/test_failsoft.py",
    "pdf-shortened": "only the LaTeX writer shortens text; covered by tests/test_failsoft.py",
    "pdf-fallback": "only a failed TeX run makes a fallback PDF; covered by tests/test_failsoft.py",
    "roster-group": "needs the roster's row for the group; covered by tests/test_office.py",
    "roster-student-unknown": "needs the roster's row for the group; covered by tests/test_office.py",
    "roster-student-missing": "needs the roster's row for the group; covered by tests/test_office.py",
}


@pytest.fixture
def run_case(tmp_path: Path) -> Callable[[Case], CheckResult]:
    def run(case: Case) -> CheckResult:
        (tmp_path / "README.md").write_text(case.text, encoding="utf-8")
        for rel, data in case.figures.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_bytes(data)
        return check_report(load_report(tmp_path, case.edition))

    return run


def test_every_rule_has_a_fixture_or_a_reason() -> None:
    assert set(CASES) | set(COVERED_ELSEWHERE) == set(RULES)
    assert not set(CASES) & set(COVERED_ELSEWHERE)


@pytest.mark.parametrize("rule_id", sorted(set(RULES) - set(COVERED_ELSEWHERE)))
def test_rule_is_triggered(rule_id: str, run_case: Callable[[Case], CheckResult]) -> None:
    case = CASES[rule_id]
    result = run_case(case)
    found = [f for f in result.findings if f.rule.id == rule_id]
    assert found, [(f.rule.id, f.message) for f in result.findings]
    assert any(f.question == case.question for f in found), found
    for finding in found:
        assert finding.message and "\n" not in finding.message
        assert finding.line is None or finding.line >= 1
    rule = RULES[rule_id]
    assert rule.id == rule_id and rule.summary and rule.explanation
    # The default severity applies unless the fixture says "recommended" (none of these do).
    assert any(f.severity is rule.severity for f in found)


def test_rule_ids_are_stable_kebab_case() -> None:
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert rule_id == rule_id.lower() and " " not in rule_id and "_" not in rule_id
        assert isinstance(rule.severity, Severity)


def test_only_the_case_rule_fires_for_clean_neighbours(run_case: Callable[[Case], CheckResult]) -> None:
    """The fixtures are otherwise clean: a missing image gives image-missing, not a pile of findings."""
    result = run_case(CASES["image-missing"])
    assert [f.rule.id for f in result.findings] == ["image-missing"]
    text = CASES["image-missing"].text
    assert result.findings[0].line == line_of(text, "![bucket](figures/bucket.png)")


# --- semantics ---------------------------------------------------------------------------------


def test_recommended_length_warns_hard_length_fails(run_case: Callable[[Case], CheckResult]) -> None:
    short = "Only four words here."
    recommended = run_case(Case(report_text(question(3, short, limit="Recommended answer length: 10-20 words."))))
    hard = run_case(Case(report_text(question(3, short, limit="Answer length: 10-20 words."))))
    [soft] = [f for f in recommended.findings if f.rule.id == "too-few-words"]
    [firm] = [f for f in hard.findings if f.rule.id == "too-few-words"]
    assert soft.severity is Severity.WARNING and firm.severity is Severity.ERROR
    assert recommended.exit_code() == 0 and recommended.exit_code(strict=True) == 1
    assert hard.exit_code() == 1
    q3 = recommended.report.question(3)
    assert q3.constraints.recommended and q3.constraints.words.as_list() == [10, 20]
    assert f"{len(short.split())} words" in soft.message


def test_placeholder_gives_only_unanswered(run_case: Callable[[Case], CheckResult]) -> None:
    text = report_text(
        question(3, "--- question 3 fill here ---", limit="Answer length: 100-200 words + 1 to 3 screenshots.")
    )
    result = run_case(Case(text))
    q3 = result.report.question(3)
    assert q3.unanswered and q3.words == 0
    assert q3.constraints.images is not None
    about_3 = [f for f in result.findings if f.question == 3]
    assert [(f.rule.id, f.severity) for f in about_3] == [("unanswered", Severity.ERROR)]
    assert about_3[0].line == line_of(text, "--- question 3 fill here ---")


def test_question_28_placeholder_with_zero_minimum(run_case: Callable[[Case], CheckResult]) -> None:
    """The course's checker counts the 6 placeholder tokens and lets a 0-200 question pass; exam-pdf does not."""
    placeholder = "--- question 28 fill here ---"
    assert len(placeholder.split()) == 6
    sections = [question(n, f"Answer {n} is here.") for n in range(3, 28)]
    sections.append(question(28, placeholder, limit="Recommended answer length: 0-200 words."))
    result = run_case(Case(report_text(*sections)))
    about = [(f.rule.id, f.severity) for f in result.findings if f.question == 28]
    assert about == [("unanswered", Severity.ERROR)]
    assert result.report.question(28).words == 0


def test_empty_answer_with_zero_minimum_is_a_warning(run_case: Callable[[Case], CheckResult]) -> None:
    result = run_case(Case(report_text(question(3, "", limit="Recommended answer length: 0-200 words."))))
    about = [(f.rule.id, f.severity) for f in result.findings if f.question == 3]
    assert about == [("unanswered", Severity.WARNING)]


def test_words_are_whitespace_tokens_of_the_markdown(run_case: Callable[[Case], CheckResult]) -> None:
    answer = (
        "We **used** `dvc` with a [GCP bucket](https://cloud.google.com) -- see ![fig](figures/a.png)\n\n"
        "- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```bash\ndvc pull\n```"
    )
    result = run_case(Case(report_text(question(3, answer)), figures={"figures/a.png": png()}))
    q3 = result.report.question(3)
    assert q3.words == len(answer.split())
    # Every Markdown token counts: '**used**', '-', '|', the fence, the image syntax.
    assert q3.words == 10 + 2 + 2 + 5 + 1 + 5 + 1 + 2 + 1  # counted by hand, line by line


def test_images_are_the_markdown_images_in_the_answer(run_case: Callable[[Case], CheckResult]) -> None:
    answer = (
        "![one](figures/a.png)\n\n"
        "Text with ![two](figures/b.png) inline and a link [not counted](figures/a.png).\n\n"
        '<img src="figures/b.png">'
    )
    result = run_case(
        Case(
            report_text(question(3, answer, limit="Insert 1-2 images.")),
            figures={"figures/a.png": png(), "figures/b.png": png()},
        )
    )
    q3 = result.report.question(3)
    assert [image.uri for image in q3.embedded_images] == ["figures/a.png", "figures/b.png"]
    assert sorted(image.kind for image in q3.images) == ["html", "link", "markdown", "markdown"]
    rules = sorted(f.rule.id for f in result.findings if f.question == 3)
    assert rules == ["image-html", "image-not-embedded"]


def test_html_image_alone_is_too_few_images(run_case: Callable[[Case], CheckResult]) -> None:
    result = run_case(
        Case(
            report_text(question(3, '<img src="figures/b.png">', limit="Upload one image.")),
            figures={"figures/b.png": png()},
        )
    )
    [few] = [f for f in result.findings if f.rule.id == "too-few-images"]
    assert "0 images" in few.message and "not counted" in few.message


def test_strict_turns_warnings_into_exit_1(cli, tmp_path: Path) -> None:
    text = report_text(question(3, "Only four words here.", limit="Recommended answer length: 10-20 words."))
    (tmp_path / "README.md").write_text(text, encoding="utf-8")
    plain = cli("check", str(tmp_path), "--format", "json")
    strict = cli("check", str(tmp_path), "--format", "json", "--strict")
    data = json.loads(plain.stdout)
    assert data["summary"]["errors"] == 0 and data["summary"]["warnings"] == 1
    assert plain.exit_code == 0
    assert strict.exit_code == 1
    assert json.loads(strict.stdout) == data


def test_info_findings_never_fail(run_case: Callable[[Case], CheckResult]) -> None:
    result = run_case(CASES["limit-differs"])
    info = [f for f in result.findings if f.rule.id == "limit-differs"]
    assert info and all(f.severity is Severity.INFO for f in info)
    assert result.status_of(result.report.question(3)) in ("pass", "warn")
