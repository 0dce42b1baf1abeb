"""Answers shared between groups: per question, the pairs whose answers overlap far beyond chance.

An answer is the plain text of its nodes in the report model (what the reader sees, not
the Markdown), as lower-case words. Two answers are compared by their word n-gram
shingles (:data:`N` words each): the score of a pair is the *containment*, the share of
the shorter answer's shingles that the other answer has too. Containment, not Jaccard,
so that a copied paragraph inside a longer answer still scores high. Every shingle
counts exactly (no MinHash sketch): an inverted index from shingle to answers finds
the pairs that share any, which keeps 200 groups x 31 questions to a few seconds
(docs/performance.md).

What is not evidence is left out before anything is counted:
- the prompt's text, examples included: every shingle of any group's prompt for that
  question (each report carries the template's prompt, so this needs no template text);
- stock phrases: a shingle that more than :data:`STOCK_SHARE` of the answers to a
  question use (at least :data:`STOCK_MIN` answers), e.g. "we used docker to build";
- answers shorter than :data:`MIN_SHINGLES` shingles after that (a group number, a list
  of study numbers): too short to be told apart from chance.

A pair is flagged when its score is at least :data:`THRESHOLD` and it shares at least
:data:`MIN_SHARED` shingles. The constants are calibrated on the 46 corpus reports
(docs/exam-office.md, "Answers shared between groups").
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from exam_pdf.grading.load import Archive, group_order
from exam_pdf.model import Report

#: Words per shingle.
N = 3
#: Containment from which a pair is flagged.
THRESHOLD = 0.35
#: Fewest shared shingles for a flag: a short answer sharing three phrases is not a copy.
MIN_SHARED = 12
#: Fewest shingles an answer must have (after the exclusions) to be compared at all.
MIN_SHINGLES = 15
#: A shingle in more than this share of a question's answers is a stock phrase...
STOCK_SHARE = 0.1
#: ...provided that is more than this many answers (in a small cohort nothing is stock).
STOCK_MIN = 4

_WORD = re.compile(r"\w+")


@dataclasses.dataclass
class Answer:
    """One group's answer to one question, as compared."""

    cohort: str
    """``""`` for the archive being checked, else the label of an older archive (``--against``)."""
    group: str
    question: int
    text: str
    words: list[str] = dataclasses.field(default_factory=list, repr=False)
    spans: list[tuple[int, int]] = dataclasses.field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not self.words:
            matches = list(_WORD.finditer(self.text))
            self.words = [m.group().lower() for m in matches]
            self.spans = [m.span() for m in matches]

    @property
    def label(self) -> str:
        return f"{self.cohort}:{self.group}" if self.cohort else self.group


@dataclasses.dataclass
class Pair:
    question: int
    a: Answer
    b: Answer
    score: float
    shared: int
    """Shingles both answers have (after the exclusions)."""
    passage: str = ""
    """The longest run of words both answers have, as ``a`` writes it."""
    runs_a: list[tuple[int, int]] = dataclasses.field(default_factory=list, repr=False)
    """The stretches of ``a`` (first word, number of words) made of shingles ``b`` has too."""
    runs_b: list[tuple[int, int]] = dataclasses.field(default_factory=list, repr=False)


def shingles(words: Sequence[str], n: int = N) -> set[int]:
    """Hashes of the answer's runs of ``n`` words (used only within one run of the program)."""
    return {hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1)}


def answers_of(archive: Archive, cohort: str = "") -> tuple[list[Answer], dict[int, list[str]]]:
    """Every answered question of every readable group, and each question's prompts (for the exclusions)."""
    return answers_of_reports(((g.name, g.result.report) for g in archive.groups if g.result is not None), cohort)


def answers_of_reports(
    reports: Iterable[tuple[str, Report]], cohort: str = ""
) -> tuple[list[Answer], dict[int, list[str]]]:
    """:func:`answers_of` for reports modelled elsewhere (the calibration on a source tree)."""
    answers: list[Answer] = []
    prompts: dict[int, list[str]] = defaultdict(list)
    for name, report in reports:
        for question in report.answered_questions:
            if question.prompt:
                prompts[question.number].append(question.prompt)
            if question.unanswered:
                continue
            text = "\n\n".join(node.astext() for node in question.answer_nodes).strip()
            if text:
                answers.append(Answer(cohort, name, question.number, text))
    return answers, dict(prompts)


def compare(
    answers: list[Answer],
    prompts: dict[int, list[str]],
    threshold: float = THRESHOLD,
    n: int = N,
    everything: bool = False,
) -> list[Pair]:
    """The flagged pairs, question by question (with ``everything``, every pair that shares a shingle).

    Pairs of two answers from the same older cohort are not compared: that cohort was checked then.
    """
    by_question: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_question[answer.question].append(answer)
    pairs: list[Pair] = []
    for number in sorted(by_question):
        pairs += _compare_question(number, by_question[number], prompts.get(number, []), threshold, n, everything)
    pairs.sort(key=lambda p: (p.question, -p.score, group_order(p.a.group), group_order(p.b.group)))
    return pairs


def _compare_question(
    number: int, answers: list[Answer], prompts: list[str], threshold: float, n: int, everything: bool
) -> list[Pair]:
    excluded: set[int] = set()
    for prompt in set(prompts):
        excluded |= shingles([w.lower() for w in _WORD.findall(prompt)], n)
    sets = [shingles(a.words, n) - excluded for a in answers]
    frequency = Counter(itertools.chain.from_iterable(sets))
    stock_from = max(STOCK_MIN, STOCK_SHARE * len(answers))
    stock = {s for s, count in frequency.items() if count > stock_from}
    sets = [s - stock if stock else s for s in sets]
    postings: dict[int, list[int]] = defaultdict(list)
    for index, found in enumerate(sets):
        if len(found) < MIN_SHINGLES:
            continue
        for shingle in found:
            if frequency[shingle] > 1:
                postings[shingle].append(index)
    together: Counter[tuple[int, int]] = Counter()
    for holders in postings.values():
        if len(holders) > 1:
            together.update(itertools.combinations(holders, 2))
    found_pairs = []
    for (i, j), shared in together.items():
        a, b = answers[i], answers[j]
        if a.cohort and a.cohort == b.cohort:
            continue
        score = shared / min(len(sets[i]), len(sets[j]))
        if everything or (score >= threshold and shared >= MIN_SHARED):
            if (a.cohort, *group_order(a.group)) > (b.cohort, *group_order(b.group)):
                a, b = b, a
            pair = Pair(number, a, b, round(score, 3), shared)
            if not everything:
                _passages(pair, sets[i] & sets[j], n)
            found_pairs.append(pair)
    return found_pairs


def _passages(pair: Pair, common: set[int], n: int) -> None:
    """The runs of words covered by the shingles the pair shares (in either order), and the longest as text."""
    pair.runs_a, pair.runs_b = _runs(pair.a.words, common, n), _runs(pair.b.words, common, n)
    if pair.runs_a:
        start, length = max(pair.runs_a, key=lambda run: (run[1], -run[0]))
        begin, end = pair.a.spans[start][0], pair.a.spans[start + length - 1][1]
        pair.passage = " ".join(pair.a.text[begin:end].split())


def _runs(words: Sequence[str], common: set[int], n: int) -> list[tuple[int, int]]:
    """(first word, number of words) of each stretch of ``words`` that shingles in ``common`` cover."""
    covered = [False] * len(words)
    for i in range(len(words) - n + 1):
        if hash(tuple(words[i : i + n])) in common:
            covered[i : i + n] = [True] * n
    runs: list[tuple[int, int]] = []
    for i, flag in enumerate(covered):
        if flag and (i == 0 or not covered[i - 1]):
            runs.append((i, 1))
        elif flag:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
    return runs


def marked(answer: Answer, runs: Iterable[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The answer's text cut into pieces, each with whether it lies in one of ``runs`` (start, length in words)."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, length in sorted(runs):
        begin, end = answer.spans[start][0], answer.spans[start + length - 1][1]
        if begin < at:
            continue
        pieces += [(answer.text[at:begin], False), (answer.text[begin:end], True)]
        at = end
    pieces.append((answer.text[at:], False))
    return [(text, mark) for text, mark in pieces if text]
