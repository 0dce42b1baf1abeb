"""The one registry of rules: id, default severity and what each means.

Every finding names a rule from here. The documentation's rules reference is
generated from this module, so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    explanation: str


RULES: dict[str, Rule] = {}


def _rule(id: str, severity: Severity, summary: str, explanation: str) -> Rule:
    rule = Rule(id, severity, summary, " ".join(explanation.split()))
    assert id not in RULES, id
    RULES[id] = rule
    return rule


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# Answers
UNANSWERED = _rule(
    "unanswered",
    E,
    "The question has no answer.",
    """
    The answer is empty or still the template's ``--- question N fill here ---``
    placeholder. The course's checker counts that placeholder as five words, so it
    lets an unanswered question with a minimum of 0 words pass; exam-pdf does not.
    An unanswered question gets only this finding, not the follow-on word and image
    findings.""",
)
TEMPLATE_MARKER_LEFT = _rule(
    "template-marker-left",
    W,
    "The answer is still wrapped in ``--- ... ---``.",
    """
    The template asks you to remove the text between three dashes, dashes included.
    Left in, the dashes are printed and counted as words by the course's checker.""",
)
TOO_FEW_WORDS = _rule(
    "too-few-words",
    E,
    "The answer is shorter than the limit.",
    """
    Words are whitespace-separated tokens of the answer's Markdown, exactly as the
    course's checker counts them. A warning, not an error, where the prompt calls
    the length *recommended*.""",
)
TOO_MANY_WORDS = _rule(
    "too-many-words",
    E,
    "The answer is longer than the limit.",
    """
    Counted like ``too-few-words``.""",
)
TOO_FEW_IMAGES = _rule(
    "too-few-images",
    E,
    "The answer shows fewer images than asked for.",
    """
    Images are the ``![alt](path)`` in the answer: what the course's checker counts.
    Links to images and HTML ``<img>`` tags are not counted (see ``image-not-embedded``
    and ``image-html``).""",
)
TOO_MANY_IMAGES = _rule(
    "too-many-images",
    E,
    "The answer shows more images than allowed.",
    """
    Counted like ``too-few-images``.""",
)
LIMIT_DIFFERS = _rule(
    "limit-differs",
    I,
    "The course's checker enforces another limit than the prompt states.",
    """
    The edition's checker (the course's ``report.py``) decides; the prompt's text is
    shown for information.""",
)

# Images
IMAGE_MISSING = _rule(
    "image-missing",
    E,
    "An image file is not there.",
    """
    The path is resolved relative to the report's folder, with exact upper and lower
    case (GitHub and Linux are case-sensitive even where your laptop is not).""",
)
IMAGE_FORMAT = _rule(
    "image-format",
    E,
    "An image is not a PNG or JPEG.",
    """
    The template allows ``.png``, ``.jpg`` and ``.jpeg`` only. The format is read from
    the file's content, not its name. A GIF, WebP or BMP file (formats browsers show)
    is still shown, converted to PNG, so the reader sees what GitHub shows; any other
    format (TIFF, SVG, PDF, ...) is shown as a framed placeholder. Save the figure as
    PNG or JPEG.""",
)
IMAGE_MISNAMED = _rule(
    "image-misnamed",
    W,
    "An image's file name does not match its format.",
    """
    The file is a PNG or JPEG, but its name says otherwise (a JPEG named ``.png`` is
    common: a screenshot tool or an export saved it so). GitHub and browsers read the
    content and show it, and so does exam-pdf; the message names the real format.
    Rename the file (and its reference) or save it again in the format its name says.""",
)
IMAGE_NOT_EMBEDDED = _rule(
    "image-not-embedded",
    W,
    "An image is linked, not shown.",
    """
    ``[alt](figures/x.png)`` is a link; write ``![alt](figures/x.png)`` to show the
    image. Links inside the template's own prompts are not yours and are ignored.""",
)
IMAGE_OUTSIDE_REPORT = _rule(
    "image-outside-report",
    E,
    "An image lies outside the report's folder.",
    """
    Absolute paths, ``..`` that leaves the report's folder, symbolic links that point
    out of it and remote URLs are never read: the hand-in is the ``reports`` folder.
    Copy the image into ``figures/`` and link it relatively.""",
)
IMAGE_UNREADABLE = _rule(
    "image-unreadable",
    E,
    "An image file cannot be decoded.",
    """
    The file is damaged (every pixel is decoded, so a screenshot cut short by a failed
    upload is caught even when its checksums are right), not an image, or larger than
    exam-pdf accepts (bytes or pixels). It is shown as a framed placeholder in the PDF
    and HTML.""",
)
IMAGE_HTML = _rule(
    "image-html",
    W,
    "An image is written as an HTML ``<img>`` tag.",
    """
    The course's checker does not count ``<img>`` tags. Write
    ``![alt](figures/x.png)`` instead.""",
)

# Structure
DUPLICATE_QUESTION = _rule(
    "duplicate-question",
    E,
    "A question appears more than once.",
    """
    Often the whole template was pasted twice. The first copy is used; the course's
    checker would see one answer too many.""",
)
MISSING_QUESTION = _rule(
    "missing-question",
    E,
    "A question of the edition is not in the report.",
    """
    The course's checker matches answers by position, so a missing question shifts
    every answer after it.""",
)
UNEXPECTED_QUESTION_COUNT = _rule(
    "unexpected-question-count",
    E,
    "The report has another number of questions than its edition.",
    """
    The course's checker stops with an error unless the count is exactly right.""",
)
QUESTION_ORDER = _rule(
    "question-order",
    W,
    "Questions are out of order.",
    """
    The course's checker matches answers by position; keep the template's order.""",
)
ANSWER_MARKER_MISSING = _rule(
    "answer-marker-missing",
    W,
    "The question has no ``Answer:`` line.",
    """
    The course's checker finds answers by the text ``Answer:``. exam-pdf takes what
    follows the prompt as the answer, but the course's tool would misplace it.""",
)

# Identity
GROUP_NUMBER = _rule(
    "group-number",
    E,
    "Question 1 has no group number.",
    """
    Question 1 must give the group number you signed up with, e.g. ``42``.""",
)
STUDENT_ID = _rule(
    "student-id",
    E,
    "A study number in question 2 is not of the form s123456.",
    """
    DTU study numbers are an ``s`` followed by six digits.""",
)

# Safety and rendering
UNSAFE_CONTENT = _rule(
    "unsafe-content",
    W,
    "The report uses syntax that could read files or run code.",
    """
    MyST directives such as ``{include}``, ``{raw}`` or ``{eval-rst}`` are not run; the
    block is shown as code, as GitHub shows it.""",
)
GLYPH_MISSING = _rule(
    "glyph-missing",
    W,
    "A character cannot be printed in the PDF.",
    """
    No font available to exam-pdf has the character; the PDF shows a visible marker
    with its code point instead.""",
)
