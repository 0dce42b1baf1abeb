"""The course's template editions: question count, the checker's limits, detection.

The course has published five editions of the report template. Each profile
holds what the course's own ``reports/report.py`` of that edition enforces (its
per-question word and image ranges, public in the course repository's history)
and a fingerprint of each question's prompt, used to tell the editions apart.
The fingerprints are made by ``tools/fingerprint_templates.py`` from the blank
templates; no template text is stored here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from collections.abc import Mapping

from exam_pdf.model import Edition, Limit, Report

Limits = tuple[Limit | None, Limit | None]
"""(words, images) as the course's checker enforces them for one question."""


@dataclasses.dataclass(frozen=True)
class EditionProfile:
    name: str
    label: str
    question_count: int
    limits: Mapping[int, Limits]
    fingerprints: Mapping[int, tuple[str, str]]
    note: str = ""

    @property
    def shingles(self) -> Mapping[int, frozenset[str]]:
        """Per question, :func:`shingles` of the blank template's prompt."""
        return QUESTION_SHINGLES.get(self.name, {})


def _w(low: int, high: int) -> Limits:
    return (Limit(low, high), None)


def _i(low: int, high: int) -> Limits:
    return (None, Limit(low, high))


def _wi(words: tuple[int, int], images: tuple[int, int]) -> Limits:
    return (Limit(*words), Limit(*images))


_NONE: Limits = (None, None)

#: The 27-question checker (January 2023 to December 2024).
LIMITS_27: dict[int, Limits] = {
    1: _NONE, 2: _NONE, 3: _w(100, 200), 4: _w(100, 200), 5: _w(100, 200),
    6: _w(50, 100), 7: _w(50, 100), 8: _w(100, 200), 9: _w(100, 200), 10: _w(100, 200),
    11: _w(200, 300), 12: _w(50, 100), 13: _w(100, 200), 14: _wi((200, 300), (1, 3)),
    15: _w(100, 200), 16: _w(100, 200), 17: _w(50, 200), 18: _w(100, 200),
    19: _i(1, 2), 20: _i(1, 1), 21: _i(1, 1), 22: _w(100, 200), 23: _w(100, 200),
    24: _w(25, 100), 25: _wi((200, 400), (1, 1)), 26: _w(200, 400), 27: _w(50, 200),
}  # fmt: skip

#: The 31-question checker of January 2026.
LIMITS_31: dict[int, Limits] = {
    1: _NONE, 2: _NONE, 3: _w(0, 200), 4: _w(100, 200), 5: _w(100, 200), 6: _w(100, 200),
    7: _w(50, 100), 8: _w(100, 200), 9: _w(100, 200), 10: _w(100, 200), 11: _w(200, 300),
    12: _w(50, 100), 13: _w(100, 200), 14: _wi((200, 300), (1, 3)), 15: _w(100, 200),
    16: _w(100, 200), 17: _w(50, 200), 18: _w(100, 200), 19: _i(1, 2), 20: _i(1, 2),
    21: _i(1, 2), 22: _w(100, 200), 23: _w(100, 200), 24: _w(100, 200), 25: _w(100, 200),
    26: _w(100, 200), 27: _w(100, 200), 28: _w(0, 200), 29: _wi((200, 400), (1, 1)),
    30: _w(200, 400), 31: _w(50, 300),
}  # fmt: skip

#: January 2025: as January 2026 but question 3 asked for 100-200 words.
LIMITS_31_2025 = {**LIMITS_31, 3: _w(100, 200)}


def _hash(text: str) -> str:
    letters = re.sub(r"[^a-z0-9]", "", text.lower())
    return hashlib.sha1(letters.encode()).hexdigest()[:10]


def fingerprint(prompt: str) -> tuple[str, str]:
    """Short hashes of a prompt's letters and digits, immune to spacing and Markdown.

    The first covers the prompt up to its ``Example:`` (groups sometimes delete
    the examples), the second the whole prompt (examples tell some editions apart).
    """
    match = _EXAMPLE.search(prompt)
    core = prompt[: match.start()] if match else prompt
    return _hash(core), _hash(prompt)


#: ``Example:`` at the start of a line. Blanks before it on that line only: ``^\s*`` would
#: rescan all the blank lines below every line start (quadratic), and the hash ignores them anyway.
_EXAMPLE = re.compile(r"(?im)^[^\S\n]*example\s*:")

#: A prompt's length rule and example: groups often delete them, so the question's own text
#: is what is compared across editions.
_LENGTH_OR_EXAMPLE = re.compile(r"(?im)^[ \t>*_]*(?:recommended\s+)?answer\s+length\b|^[ \t>*_]*example\s*:")
#: Share of a template question's word pairs a report's prompt must contain to be that question.
SAME_QUESTION = 0.6


def question_text(prompt: str) -> str:
    """The question a prompt asks, without its length rule and example."""
    return _LENGTH_OR_EXAMPLE.split(prompt, maxsplit=1)[0]


def shingles(prompt: str) -> frozenset[str]:
    """Short hashes of the pairs of neighbouring words of the question a prompt asks.

    Two prompts that ask the same question share most pairs even when a few words were
    reworded, added or deleted, where a hash of the whole text would differ.
    """
    words = re.findall(r"[a-z0-9]+", question_text(prompt).lower())
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)] or words
    return frozenset(hashlib.sha1(pair.encode()).hexdigest()[:6] for pair in pairs)


def same_question(found: frozenset[str], template: frozenset[str]) -> bool:
    return bool(template) and len(found & template) >= SAME_QUESTION * len(template)


from exam_pdf._fingerprints import FINGERPRINTS, QUESTION_SHINGLES  # noqa: E402  (generated data)

PROFILES: dict[str, EditionProfile] = {
    profile.name: profile
    for profile in (
        EditionProfile("2023", "January 2023", 27, LIMITS_27, FINGERPRINTS["2023"]),
        EditionProfile("2024", "January 2024", 27, LIMITS_27, FINGERPRINTS["2024"]),
        EditionProfile(
            "2024-summer", "June 2024", 27, LIMITS_27, FINGERPRINTS["2024-summer"],
            note="prompts say 'Recommended answer length'",
        ),
        EditionProfile(
            "2025", "January 2025", 31, LIMITS_31_2025, FINGERPRINTS["2025"],
            note="question 3's range taken from this edition's template",
        ),
        EditionProfile("2026", "January 2026", 31, LIMITS_31, FINGERPRINTS["2026"]),
    )
}  # fmt: skip


Score = tuple[int, int, int]
"""(questions asking the template's question, prompts equal up to the example, prompts equal whole)."""


Prompt = tuple[int, tuple[str, str], frozenset[str]]
"""A report's question: its number, :func:`fingerprint` and :func:`shingles` of its prompt."""


def _score(prompts: list[Prompt], profile: EditionProfile) -> Score:
    asked = whole = core = 0
    for number, got, pairs in prompts:
        expected = profile.fingerprints.get(number)
        asked += same_question(pairs, profile.shingles.get(number, frozenset()))
        core += expected is not None and got[0] == expected[0]
        whole += got == expected
    return asked, core, whole


EDITION_CHOICES = ("auto", *PROFILES)

#: Share of a report's prompts that must ask an edition's questions for it to be detected.
MIN_MATCH_SHARE = 0.3
#: Question counts whose editions a report in the template's order can be guessed from:
#: the newest edition of each count (editions of one count share their hard limits, but
#: for question 3 of 2025).
GUESS_BY_COUNT = {27: "2024", 31: "2026"}


def detect(report: Report, requested: str = "auto") -> tuple[Edition, EditionProfile | None]:
    """Decide which edition's limits apply, and say why."""
    if requested != "auto":
        profile = PROFILES[requested]
        return Edition(profile.name, profile.question_count, "--edition option"), profile
    found = [(q.number, fingerprint(q.prompt), shingles(q.prompt)) for q in report.answered_questions if q.prompt]
    prompts = len(found)
    # Newest first, so that sorting (stable) keeps the newer of two equal scores first.
    ranked = sorted(
        ((_score(found, p), p) for p in reversed(PROFILES.values())), key=lambda pair: pair[0], reverse=True
    )
    (best, profile), (second, runner_up) = ranked[0], ranked[1]
    if prompts and best[0] >= max(1, MIN_MATCH_SHARE * prompts):
        return Edition(profile.name, profile.question_count, _why(prompts, best, profile, second, runner_up)), profile
    numbers = [q.number for q in report.questions]
    guess = GUESS_BY_COUNT.get(len(numbers))
    if guess and numbers == list(range(1, len(numbers) + 1)):
        profile = PROFILES[guess]
        prompts_say = f"only {best[0]} of {prompts} prompts ask" if prompts else "no prompts left to tell"
        why = (
            f"a guess: {len(numbers)} questions in the template's order, but {prompts_say} which edition's "
            f"questions; the {profile.label} limits apply (choose another with --edition)"
        )
        return Edition(profile.name, profile.question_count, why, guessed=True), profile
    count = len(set(numbers))
    return (
        Edition(
            "custom",
            None,
            f"no edition's prompts match ({best[0]} of {prompts}); limits read from the prompts, {count} questions",
        ),
        None,
    )


def _why(prompts: int, best: Score, profile: EditionProfile, second: Score, runner_up: EditionProfile) -> str:
    head = f"prompts: {best[0]} of {prompts} ask the {profile.label} template's questions"
    if best[0] != second[0]:
        return f"{head} (next: {second[0]} for {runner_up.label})"
    same_limits = profile.limits == runner_up.limits
    limits = "their limits are the same" if same_limits else "their limits differ: check with --edition"
    if best != second:
        deciding = "prompt texts up to the example" if best[1] != second[1] else "examples"
        place = 1 if best[1] != second[1] else 2
        return (
            f"{head}, as many as {runner_up.label}'s; the {deciding} decide: {best[place]} match "
            f"{profile.label}, {second[place]} {runner_up.label} ({limits})"
        )
    return f"{head}, a tie with {runner_up.label} on every count; chose the newer, {profile.label} ({limits})"
