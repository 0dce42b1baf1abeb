"""Read an answer's limits from the words of its prompt.

The templates state limits in a handful of phrasings, e.g.
``Answer length: 100-200 words``, ``Recommended answer length: 200-300 words +
1 to 3 screenshots``, ``Insert 1-2 images``, ``Upload one image`` or
``Include a figure``. Reading them from the prompt lets exam-pdf check any
edition, and templates of other courses built the same way.
"""

from __future__ import annotations

import re

from exam_pdf.model import Constraints, Limit

_NUMBER = r"(\d+|one|two|three|four|five|a|an)"
_RANGE = rf"{_NUMBER}(?:\s*(?:-|–|—|to)\s*{_NUMBER})?"

_LENGTH = re.compile(
    r"(?P<recommended>recommended\s+)?answer\s+length\s*:?\s*(?P<lo>\d+)\s*(?:-|–|—|to)\s*(?P<hi>\d+)\s*words?",
    re.I,
)
_IMAGES_AFTER_LENGTH = re.compile(rf"words?\s*\+\s*{_RANGE}\s+(?:screenshots?|images?|figures?)", re.I)
_IMAGES_VERB = re.compile(
    rf"\b(?:upload|insert|include|add)\s+{_RANGE}\s+(?:\w+\s+)?(?:screenshots?|images?|figures?)\b",
    re.I,
)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a": 1, "an": 1}


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _WORDS[text.lower()]


def _range(lo: str, hi: str | None) -> Limit:
    low = _number(lo)
    return Limit(low, _number(hi) if hi else low)


def from_prompt(prompt: str) -> Constraints:
    """Return the limits a prompt states (``Constraints()`` when it states none)."""
    text = " ".join(prompt.replace("*", " ").split())
    words = images = None
    recommended = False
    length = _LENGTH.search(text)
    if length:
        words = Limit(int(length["lo"]), int(length["hi"]))
        recommended = bool(length["recommended"])
    match = _IMAGES_AFTER_LENGTH.search(text) or _IMAGES_VERB.search(text)
    if match:
        images = _range(match.group(1), match.group(2))
    return Constraints(words=words, images=images, recommended=recommended)
