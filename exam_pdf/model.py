"""The report model: what a report says, independent of how it is written.

Built from the doctree by :mod:`exam_pdf.extract`; read by the checks, the
status-note transform and the writers.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from enum import StrEnum
from pathlib import Path

from docutils import nodes

from exam_pdf.provenance import Submission
from exam_pdf.source import Source

#: The template's placeholder for an answer, e.g. ``--- question 28 fill here ---``.
PLACEHOLDER = re.compile(r"^[ \t>]*`*-{2,}[ \t]*question[ \t]*\d+[ \t]*fill[ \t]*here[ \t]*-{2,}`*[ \t]*$", re.I | re.M)


@dataclasses.dataclass(frozen=True)
class Limit:
    """An inclusive range, e.g. 100-200 words or 1-3 images."""

    min: int
    max: int

    def __str__(self) -> str:
        return str(self.min) if self.min == self.max else f"{self.min}-{self.max}"

    def as_list(self) -> list[int]:
        return [self.min, self.max]


@dataclasses.dataclass(frozen=True)
class Constraints:
    """The limits that apply to one answer."""

    words: Limit | None = None
    images: Limit | None = None
    recommended: bool = False
    """The prompt says "Recommended answer length": breaking it is a warning."""

    def to_json(self) -> dict[str, object]:
        return {
            "words": self.words.as_list() if self.words else None,
            "images": self.images.as_list() if self.images else None,
            "recommended": self.recommended,
        }


@dataclasses.dataclass
class ImageRef:
    """An image the answer shows, or tries to show."""

    uri: str
    line: int | None
    kind: str = "markdown"
    """``markdown`` for ``![..](..)``, ``html`` for ``<img>``, ``link`` for ``[..](x.png)``."""
    node: nodes.Element | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass
class Question:
    """One ``### Question N`` section."""

    number: int
    title: str
    line: int
    """Line of the heading."""
    section: nodes.section = dataclasses.field(repr=False)
    prompt: str = ""
    """The quoted prompt as plain text, up to and including ``Answer:``."""
    prompt_constraints: Constraints = dataclasses.field(default_factory=Constraints)
    """Limits read from the prompt text."""
    constraints: Constraints = dataclasses.field(default_factory=Constraints)
    """Limits that apply (the edition's, where it knows the question)."""
    answer_marker_line: int | None = None
    """Line of ``Answer:``; None when the report lost it."""
    answer_text: str = ""
    """The answer's Markdown source, as the course's checker would cut it."""
    answer_text_line: int = 0
    """Line on which :attr:`answer_text` begins."""
    answer_start: int = 0
    """First line of the answer (the ``Answer:`` line when the answer starts there)."""
    answer_end: int = 0
    """Last line of the answer."""
    answer_nodes: list[nodes.Node] = dataclasses.field(default_factory=list, repr=False)
    """The doctree nodes of the answer, after the prompt."""
    images: list[ImageRef] = dataclasses.field(default_factory=list)
    duplicate_of: int | None = None
    """For the second copy of a question: the heading line of the copy that is used."""
    template_text_left: bool = False
    """The answer is the blank template's own text for this question."""
    _line_ends: tuple[str, list[int]] | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def placeholder_left(self) -> bool:
        """The template's ``--- question N fill here ---`` line is still in the answer."""
        return bool(PLACEHOLDER.search(self.answer_text))

    @property
    def unanswered(self) -> bool:
        """Nothing but the placeholder, quote marks, blank lines or the template's own text."""
        rest = PLACEHOLDER.sub("", self.answer_text)
        return self.template_text_left or not rest.strip(" \t\n>*_")

    @property
    def words(self) -> int:
        """Words as the course's checker counts them: whitespace-separated tokens of the
        answer's Markdown. An unanswered question has 0 (the course's tool counts the
        placeholder's six tokens)."""
        return 0 if self.unanswered else len(self.answer_text.split())

    def line_at(self, offset: int) -> int:
        """The file line of a character offset into :attr:`answer_text`."""
        # By bisection in the answer's line starts, found once: a check that places many
        # findings in one long answer must not count its line ends again for each.
        if self._line_ends is None or self._line_ends[0] is not self.answer_text:
            self._line_ends = (self.answer_text, [m.start() for m in re.finditer("\n", self.answer_text)])
        if offset < 0:  # as str.count reads a negative end
            offset = max(offset + len(self.answer_text), 0)
        return self.answer_text_line + bisect.bisect_left(self._line_ends[1], offset)

    @property
    def embedded_images(self) -> list[ImageRef]:
        """The images the course's checker counts: ``![..](..)`` in the answer."""
        return [image for image in self.images if image.kind == "markdown"]


class BoxState(StrEnum):
    CHECKED = "checked"
    UNCHECKED = "unchecked"
    NOT_APPLICABLE = "not-applicable"


@dataclasses.dataclass
class ChecklistItem:
    state: BoxState
    text: str
    group: str
    """The heading above the item, e.g. ``Week 1``."""
    line: int | None


@dataclasses.dataclass
class Edition:
    """Which template edition the report follows, and how that was decided."""

    name: str
    questions: int | None
    detected_by: str
    guessed: bool = False
    """Chosen by the report's question count and order alone, not by its prompts."""


@dataclasses.dataclass(frozen=True)
class Cut:
    """Part of a report the parser did not read, because it is beyond a cap."""

    kind: str
    """``rest``: nothing from :attr:`line` on is read; ``links``: links and images from there on are text."""
    line: int
    message: str


@dataclasses.dataclass
class Report:
    source: Source
    document: nodes.document = dataclasses.field(repr=False)
    title: str = ""
    questions: list[Question] = dataclasses.field(default_factory=list)
    """Every question section in document order, duplicates included."""
    checklist: list[ChecklistItem] = dataclasses.field(default_factory=list)
    edition: Edition | None = None
    not_executed: list[nodes.Element] = dataclasses.field(default_factory=list, repr=False)
    cuts: list[Cut] = dataclasses.field(default_factory=list)
    """Where the parser stopped reading (see :mod:`exam_pdf.caps`)."""
    submission: Submission | None = None
    """The group's roster row and commit, when known (:mod:`exam_pdf.provenance`)."""

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def answered_questions(self) -> list[Question]:
        """One question per number: the first copy (duplicates are reported)."""
        return [q for q in self.questions if q.duplicate_of is None]

    def question(self, number: int) -> Question | None:
        for question in self.answered_questions:
            if question.number == number:
                return question
        return None

    @property
    def group(self) -> str | None:
        """The group number from question 1, if it has one."""
        first = self.question(1)
        # The template's own "--- question 1 fill here ---" is not a group number.
        text = PLACEHOLDER.sub("", first.answer_text) if first and not first.unanswered else ""
        match = re.search(r"[0-9]+", text)  # only ASCII digits: '٤٢' is not read as 42
        return match.group(0) if match else None

    @property
    def student_ids(self) -> list[str]:
        second = self.question(2)
        if not second:
            return []
        return re.findall(r"\b[sS][0-9]{6}\b", second.answer_text)
