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


from exam_pdf._fingerprints import FINGERPRINTS  # noqa: E402  (generated data)

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


def _score(prints: Mapping[int, tuple[str, str]], profile: EditionProfile) -> tuple[int, int]:
    """(questions whose prompt matches up to the example, questions that match whole)."""
    pairs = [(prints.get(n), expected) for n, expected in profile.fingerprints.items()]
    core = sum(got is not None and got[0] == expected[0] for got, expected in pairs)
    whole = sum(got == expected for got, expected in pairs)
    return core, whole


EDITION_CHOICES = ("auto", *PROFILES)

#: Share of a report's prompts that must match an edition for it to be detected.
MIN_MATCH_SHARE = 0.3


def detect(report: Report, requested: str = "auto") -> tuple[Edition, EditionProfile | None]:
    """Decide which edition's limits apply, and say why."""
    if requested != "auto":
        profile = PROFILES[requested]
        return Edition(profile.name, profile.question_count, "--edition option"), profile
    prints = {q.number: fingerprint(q.prompt) for q in report.answered_questions if q.prompt}
    scores = sorted(((_score(prints, p), p.name) for p in PROFILES.values()), reverse=True)
    (best, _), name = scores[0]
    # Ties go to the newest edition: sorted() put the later name first among equal scores.
    if prints and best >= max(1, MIN_MATCH_SHARE * len(prints)):
        profile = PROFILES[name]
        runner_up = next((f"{s} for {n}" for (s, _), n in scores[1:]), "")
        why = f"prompts: {best} of {len(prints)} match the {profile.label} template (next: {runner_up})"
        return Edition(profile.name, profile.question_count, why), profile
    count = len({q.number for q in report.questions})
    return (
        Edition(
            "custom",
            None,
            f"no edition's prompts match ({best} of {len(prints)}); limits read from the prompts, {count} questions",
        ),
        None,
    )
