"""exam-pdf's model of the course's checker (``reports/report.py check``), and the warnings
that put the course's numbers beside exam-pdf's where the two reach another verdict.

``course_reference`` below is the course's splitting and counting, written the way the
course's script does it (on the whole text, with ``str.split``); exam-pdf's
:func:`exam_pdf.course.pieces` must give the same counts, position by position.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exam_pdf import course
from exam_pdf.pipeline import check_report, model_source
from exam_pdf.source import read_source, source_from_text

TITLE = "# Exam template for 02476 Machine Learning Operations\n\n"


def course_reference(text: str) -> list[tuple[int, int]]:
    """(words, images) per answer, as the course's checker computes them."""
    per_question = text[43:].split("Answer:")
    answers = []
    for piece in per_question:
        if "###" in piece:
            piece = piece.split("###")[0]
            if "##" in piece:
                piece = piece.split("##")[0]
            answers.append(piece)
    answers.append(per_question[-1])
    answers = [a.strip("\n") for a in answers[1:]]
    return [(len(a.split()), len(re.findall(r"\!\[.*?\]\(.*?\)", a))) for a in answers]


def ours(text: str) -> list[tuple[int, int]]:
    return [(piece.words, piece.images) for piece in course.pieces(text)]


def question(number: int, answer: str) -> str:
    return f"### Question {number}\n\n> **What did you do?**\n>\n> Answer:\n\n{answer}\n\n"


def report(answers: dict[int, str], after: str = "") -> str:
    return TITLE + "## Group\n\n" + "".join(question(n, a) for n, a in sorted(answers.items())) + after


WORDS_212 = " ".join(["word"] * 212)

SHAPES = {
    "sub-heading in a list": report({1: "42", 2: "s123456", 3: f"- ### Locally:\n- {WORDS_212}"}),
    "### in running text": report({1: "42", 2: "s123456", 3: f"Our API --- ### API {WORDS_212}"}),
    "## sub-heading": report({1: "42", 2: "s123456", 3: f"Intro.\n\n## Setup\n\n{WORDS_212}"}),
    "heading after the last question": report({1: "42", 2: "s123456"}, "### Use of Generative AI Tools\n\nNone.\n"),
    "second Answer: in an answer": report({1: "42", 2: "Answer: s123456 and s654321"}),
    "### in a code block": report({1: "42", 2: "```\n### not a heading\n```\n\nWords here."}),
    "image in code": report({1: "42", 2: "`![x](figures/x.png)` and ![y](figures/y.png)"}),
    "crlf and placeholder": report({1: "42", 2: "--- question 2 fill here ---"}).replace("\n", "\r\n"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_pieces_count_as_the_course_does(shape: str, tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(SHAPES[shape].encode())
    with path.open(encoding="utf-8") as handle:  # universal newlines, as the course's script reads
        expected = course_reference(handle.read())
    assert ours(read_source(path).text) == expected


def test_pieces_agree_on_every_template(templates_dir: Path) -> None:
    for path in sorted(templates_dir.glob("*.md")):
        with path.open(encoding="utf-8") as handle:
            assert ours(read_source(path).text) == course_reference(handle.read()), path.name


@pytest.mark.corpus
def test_pieces_agree_on_every_corpus_report(corpus_dir: Path) -> None:
    readmes = sorted(corpus_dir.glob("*/README.md"))
    assert readmes
    for path in readmes:
        with path.open(encoding="utf-8") as handle:
            assert ours(read_source(path).text) == course_reference(handle.read()), path.parent.name


def findings_for(text: str, edition: str, rule: str) -> list[str]:
    result = check_report(model_source(source_from_text(text), edition))
    return [f.message for f in result.findings if f.rule.id == rule]


def full_report(answers: dict[int, str], after: str = "", count: int = 31) -> str:
    filled = {n: f"--- question {n} fill here ---" for n in range(1, count + 1)}
    return report({**filled, **answers}, after)


def test_a_heading_inside_an_answer_is_shown_with_both_counts() -> None:
    # 2026's question 11 asks 200-300 words; the course's checker stops at the '###'.
    answer = f"Our CI:\n- ### Locally:\n{WORDS_212}"
    found = findings_for(full_report({11: answer}), "2026", "course-checker-counts")
    [message] = [m for m in found if "limit 200-300" in m]
    # 'Our CI: -' before the '###'; exam-pdf counts every token of the answer.
    assert "counts 3 words here and fails it (exam-pdf: 217; limit 200-300)" in message
    text = full_report({11: answer})
    assert f"ends the answer at the '###' on line {text.split(chr(10)).index('- ### Locally:') + 1}" in message


def test_a_placeholder_in_a_zero_word_question_passes_there_only() -> None:
    found = findings_for(full_report({}), "2026", "course-checker-counts")
    # Questions 3 and 28 allow 0 words: the course's checker passes the placeholder's 6 tokens.
    assert len(found) == 2
    assert all("counts 6 words here and passes it (exam-pdf: 0; limit 0-200)" in m for m in found)
    assert all("placeholder" in m for m in found)


def test_same_verdict_gives_no_warning() -> None:
    # A 100-200 question left unanswered fails for both tools: no course warning for it.
    found = findings_for(full_report({}), "2026", "course-checker-counts")
    assert not any("limit 100-200" in m for m in found)


def test_an_extra_heading_after_the_last_question_stops_the_course_checker() -> None:
    text = full_report({}, "### Use of Generative AI Tools\n\nWe used none.\n")
    result = check_report(model_source(source_from_text(text), "2026"))
    [stop] = [f for f in result.findings if f.rule.id == "course-checker-stops"]
    assert "expected 31': it finds 32 answers" in stop.message
    assert stop.line == text.split("\n").index("### Use of Generative AI Tools") + 1
    # The course's checker gives no counts at all then: no per-question comparison.
    assert not [f for f in result.findings if f.rule.id == "course-checker-counts"]


def test_a_custom_report_is_not_compared() -> None:
    text = report({1: "42", 2: "s123456", 3: "Three."})
    assert not findings_for(text, "auto", "course-checker-stops")
    assert not findings_for(text, "auto", "course-checker-counts")
