"""Answers shared between groups (issue 15), without TeX: the comparison on answers in memory,
and its calibration on the real corpus (marked corpus)."""

from __future__ import annotations

import random
import re

import pytest
from grading_tree import COPIED, answer, edited_copy

from exam_pdf.grading import similarity
from exam_pdf.grading.similarity import THRESHOLD, Answer, compare

PROMPT = (
    "How did you manage dependencies in your project? Explain the process a new team member would have to go "
    "through to get an exact copy of your environment. Example: We used poetry to manage our dependencies."
)


def cohort(size: int = 12, question: int = 14) -> list[Answer]:
    return [Answer("", str(group), question, answer(group, question, 150)) for group in range(1, size + 1)]


def test_light_edit_of_a_copy_is_found() -> None:
    answers = cohort()
    answers[2] = Answer("", "3", 14, COPIED + " " + answer(3, 99, 40))
    answers[7] = Answer("", "8", 14, edited_copy(COPIED))
    pairs = compare(answers, {14: [PROMPT]})
    assert [(p.a.group, p.b.group) for p in pairs] == [("3", "8")]
    pair = pairs[0]
    assert pair.score >= THRESHOLD and pair.shared >= similarity.MIN_SHARED
    assert pair.passage in " ".join(COPIED.split())
    assert len(pair.passage.split()) >= 10
    assert pair.runs_a and pair.runs_b  # both sides have marked passages


def test_distinct_answers_are_not_flagged() -> None:
    assert compare(cohort(30), {14: [PROMPT]}) == []


def test_prompt_and_example_are_not_evidence() -> None:
    """Two groups that left the prompt's example in their answer do not share an answer."""
    answers = cohort()
    for index in (0, 1):
        answers[index] = Answer("", str(index + 1), 14, PROMPT + " " + answer(index + 1, 14, 60))
    assert compare(answers, {14: [PROMPT]}) == []
    assert compare(answers, {}) != []  # ...which the prompt's exclusion is what keeps out


def test_stock_phrases_are_not_evidence() -> None:
    """A paragraph half the cohort writes is the course's stock phrase, not a copy."""
    answers = cohort(20)
    for index in range(0, 20, 2):
        answers[index] = Answer("", str(index + 1), 14, COPIED + " " + answer(index + 1, 14, 100))
    assert compare(answers, {14: [PROMPT]}) == []


def test_other_questions_are_not_compared() -> None:
    answers = [Answer("", "1", 3, COPIED), Answer("", "2", 4, COPIED)]
    assert compare(answers, {}) == []


def test_against_an_older_cohort() -> None:
    now = cohort(6)
    old = [Answer("2025", str(group), 14, answer(group + 100, 14, 150)) for group in range(1, 7)]
    old[4] = Answer("2025", "5", 14, COPIED)
    old[5] = Answer("2025", "6", 14, COPIED)  # shared within the old cohort: checked back then
    now[0] = Answer("", "1", 14, edited_copy(COPIED))
    pairs = compare(now + old, {14: [PROMPT]})
    assert sorted((p.a.label, p.b.label) for p in pairs) == [("1", "2025:5"), ("1", "2025:6")]


def test_marked_pieces_cover_the_text() -> None:
    text = "One two three four five six seven."
    pieces = similarity.marked(Answer("", "1", 1, text), [(1, 3), (5, 1)])
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, marked in pieces if marked] == ["two three four", "six"]


def _light_edit(text: str, rng: random.Random) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    rng.shuffle(sentences)
    words = " ".join(sentences).split()
    for index in rng.sample(range(len(words)), len(words) // 10):
        words[index] = rng.choice(["altered", "changed", "another", "different"])
    return " ".join(words)


@pytest.mark.corpus
def test_calibration_on_the_corpus(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    """The one flagged pair of distinct corpus reports, and light edits of corpus answers found."""
    from exam_pdf.pipeline import load_report

    reports = [(p.name, load_report(p)) for p in sorted(corpus_dir.iterdir()) if (p / "README.md").is_file()]
    answers, prompts = similarity.answers_of_reports(reports)
    pairs = compare(answers, prompts)
    # Group 48's answer on its environment follows group 46's, down to 46's repository URL.
    assert [(p.question, p.a.group, p.b.group) for p in pairs] == [
        (4, "jesusdper__DTU_MLOpsProject", "moorekevin__dtu-02476-mlops-project")
    ]
    assert "github.com/moorekevin/dtu-02476-mlops-project" in pairs[0].a.text
    rng = random.Random(15)
    sample = rng.sample([a for a in answers if len(a.words) >= 50], 40)
    for original in sample:
        copy = Answer("", "COPY", original.question, _light_edit(original.text, rng))
        found = compare([*answers, copy], prompts)
        assert any({p.a.group, p.b.group} == {"COPY", original.group} for p in found), original.group
