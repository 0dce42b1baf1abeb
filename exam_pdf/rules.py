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
    placeholder. The course's checker counts that placeholder as six words (``---``,
    ``question``, ``N``, ``fill``, ``here``, ``---``), so it lets an unanswered question
    with a minimum of 0 words pass; exam-pdf does not (and says so with
    ``course-checker-counts``).
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

REPORT_TOO_LARGE = _rule(
    "report-too-large",
    E,
    "Part of the report is not read: it is too large or too tangled.",
    """
    So that a check never stalls, exam-pdf reads at most 1,000 question headings and
    20,000 Markdown blocks (paragraphs, list items, headings, ...), no table of more
    than 20,000 cells, and at most 200,000 inline elements (after that, text is shown
    as written), and stops looking for the ``]`` of links and images after many
    unclosed ``[``. The finding names the
    line from which the rest is not checked or shown (or links and images are plain
    text). Real reports are far below these caps: a pasted log or a duplicated
    template is the usual cause.""",
)

# Identity
GROUP_NUMBER = _rule(
    "group-number",
    E,
    "Question 1 has no group number.",
    """
    Question 1 must give the group number you signed up with, e.g. ``42``, written
    with the digits 0-9 (other scripts' digits, such as ``٤٢``, are not read as a
    number).""",
)
STUDENT_ID = _rule(
    "student-id",
    E,
    "A study number in question 2 is not of the form s123456.",
    """
    DTU study numbers are an ``s`` followed by six digits 0-9; ``s٢٤٥٦٧٨`` (Arabic-Indic
    digits) is not one.""",
)
HIDDEN_CHARACTER = _rule(
    "hidden-character",
    E,
    "The group number, the study numbers or the title hold an invisible or control character.",
    """
    Control characters (such as ESC), bidirectional overrides and isolates (U+202A-202E,
    U+2066-2069) and zero-width characters (U+200B-200F, U+2060, U+FEFF) do not show
    as themselves: ``U+202E 24 U+202C`` is displayed as 42 but read as 24. Question 1,
    question 2 and the report's title must not contain them; the finding names each
    one by its code point. In the PDF's metadata such a character is written as its
    code point (``U+202E``).""",
)

# The roster against the report (a roster known: collect's submission.json, or check --roster)
ROSTER_GROUP = _rule(
    "roster-group",
    E,
    "Question 1 states another group number than the roster.",
    """
    Only when the exam office's roster is known: in ``batch`` over a folder that
    ``exam-pdf collect`` wrote (each group's ``submission.json``), or with
    ``exam-pdf check --roster``. The report was taken from the repository the roster
    names for one group, and its question 1 names another: a copied report, or a typo
    in the group number. The archive files the report under the roster's group.""",
)
ROSTER_STUDENT_UNKNOWN = _rule(
    "roster-student-unknown",
    E,
    "Question 2 names a study number the roster does not list for the group.",
    """
    Only when the roster is known (see ``roster-group``) and lists study numbers for
    the group (``s123456``, also inside ``s123456@dtu.dk``; a roster cell without one,
    such as a name, is not compared). Upper and lower case ``s`` are the same.""",
)
ROSTER_STUDENT_MISSING = _rule(
    "roster-student-missing",
    W,
    "Question 2 leaves out a study number the roster lists for the group.",
    """
    Only when the roster is known and lists study numbers for the group (see
    ``roster-student-unknown``). A warning, not an error: a student who left the course
    may still be on the roster.""",
)

# Links
LINK_BROKEN = _rule(
    "link-broken",
    W,
    "A link leads nowhere.",
    """
    A link to a file of the report's folder that is not there (checked with exact upper
    and lower case, as GitHub does), to a path of the group's repository that is not there
    (when the repository is on disk above the report folder), to ``#anchor`` that no heading
    has, or to a path on one computer (``C:\\...``, ``file:``). The HTML and PDF show the
    link's text with the path instead of a dead link. Links to files of the report's folder
    work in the HTML and PDF; links that leave it go to the file in the group's repository
    on GitHub when its address is known (see the students' guide). Links in the template's
    own prompts are not yours and are not reported.""",
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

# The course's own checker
COURSE_CHECKER_STOPS = _rule(
    "course-checker-stops",
    W,
    "The course's checker would stop with an error on this report.",
    """
    The course's ``report.py check`` splits the text at every ``Answer:`` and stops
    with ``Number of answers are different from the expected 31`` (27 for the 2023 and
    2024 editions) unless it finds exactly that many answers. A ``###`` heading after
    the last question (``### Use of Generative AI Tools``) makes it count the last
    answer twice; a deleted ``Answer:`` makes it find one too few.""",
)
COURSE_CHECKER_COUNTS = _rule(
    "course-checker-counts",
    W,
    "The course's checker counts this answer otherwise and reaches another verdict.",
    """
    Students are graded with the course's tools. The course's checker ends an answer
    at the first ``###`` (then at the first ``##``) anywhere in its text, also inside a
    list item, a code block or running text; reads the last answer on to the end of
    the file; counts the ``--- question N fill here ---`` placeholder as six words; and
    counts image syntax inside code. Where that gives another verdict on the limits
    than exam-pdf's count, this warning shows both numbers.""",
)
EDITION_GUESSED = _rule(
    "edition-guessed",
    I,
    "The template edition, and so its limits, is a guess.",
    """
    exam-pdf recognises the edition by the questions the prompts ask, tolerating a
    deleted length rule or example and small rewordings. Where too few prompts are
    left to tell, a report with 27 or 31 questions in the template's order gets the
    newest edition of that count (January 2024, January 2026), so that its limits
    still apply. Choose another with ``--edition``.""",
)
MATH_AS_CODE = _rule(
    "math-as-code",
    W,
    "A formula is printed as its source in the PDF, not typeset.",
    """
    Formulas go to TeX only when they keep to a strict grammar: math commands from an
    allowlist with their arguments, balanced braces, no ``\\(``, ``\\)``, ``\\[``,
    ``\\]`` or ``$`` inside, a few environments (``matrix``, ``cases``, ``aligned``,
    ``array`` with at most 20 plain columns and the like), ``&`` and ``\\\\`` only
    where an alignment takes them, at most 2,000 characters. Anything else could stop
    or stall the TeX engine, so it is shown as code; the message says what was refused.
    The HTML page shows the formula as usual.""",
)
PDF_SHORTENED = _rule(
    "pdf-shortened",
    W,
    "Text too long for TeX is shortened or broken in the PDF, or figures past the cap are named.",
    """
    A heading or title longer than 200 characters is shortened in the PDF (its full
    text follows it, as a paragraph), and a line of code longer than TeX can read is
    broken into several; the HTML page shows that text as written. A report that places
    more than 100 figures (each use of a file counts) shows the first 100, in the PDF
    and the HTML page alike; each one after that is named in the text, ``[figure not
    shown: path]``, and the message gives the line of the first.""",
)
PDF_FALLBACK = _rule(
    "pdf-fallback",
    E,
    "LaTeX could not typeset the report: the PDF is a plain-text fallback.",
    """
    When the TeX engine fails or runs past its timeout, exam-pdf still writes a PDF:
    the cover, the findings, the reason LaTeX failed, and the report's text set as plain
    preformatted text (figures named, not shown), marked as a fallback on every page and
    in its metadata, with the sources embedded as in any archived PDF. The message gives
    LaTeX's first error; fix what it names (or split a very long paragraph or table) and
    build again.""",
)
