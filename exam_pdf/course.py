"""What the course's own checker makes of a report, to warn where it differs from exam-pdf.

Students are graded with the course's tools, so where ``reports/report.py check``
(SkafteNicki/dtu_mlops) would count an answer otherwise, or stop with an error,
exam-pdf says so. This module models that checker's reading of the text, without
running it; :mod:`exam_pdf.checks.course` compares it with exam-pdf's reading.

The course's checker
- skips the first 43 characters (its own title line);
- splits the text at every ``Answer:``;
- keeps each piece that contains ``###``, cut at its first ``###`` and then at its
  first ``##`` (so a ``### Locally`` or ``## Setup`` *inside* an answer ends it);
- appends the last piece once more, uncut (it normally has no ``###`` and runs on to
  the end of the file);
- drops the first piece (the introduction) and pairs the rest with the questions by
  position: the i-th piece is question i's answer;
- stops with ``ValueError: Number of answers are different from the expected 31``
  (27 for the 2023 and 2024 editions) unless there are exactly that many pieces;
- counts words as ``len(answer.split())`` and images as matches of
  ``\\!\\[.*?\\]\\(.*?\\)`` (inside code too).
"""

from __future__ import annotations

import dataclasses
import re

#: Characters the course's checker cuts off the start of the file (its template's title line).
HEADER_CHARACTERS = 43
MARKER = "Answer:"
COURSE_IMAGE = re.compile(r"\!\[.*?\]\(.*?\)")


@dataclasses.dataclass(frozen=True)
class Piece:
    """One answer as the course's checker cuts it: ``text[start:end]``."""

    start: int
    end: int
    cut_by: str | None
    """``###`` or ``##`` where the piece was cut there; None where it runs to the end of the file."""
    text: str = dataclasses.field(repr=False)

    @property
    def words(self) -> int:
        return len(self.text.strip("\n").split())

    @property
    def images(self) -> int:
        return len(COURSE_IMAGE.findall(self.text))


def pieces(text: str) -> list[Piece]:
    """The answers the course's checker finds in ``text``, in order (index 0 is question 1)."""
    markers = list(re.finditer(re.escape(MARKER), text[HEADER_CHARACTERS:]))
    starts = [HEADER_CHARACTERS] + [HEADER_CHARACTERS + m.end() for m in markers]
    ends = [HEADER_CHARACTERS + m.start() for m in markers] + [len(text)]
    bounds = list(zip(starts, ends, strict=True))
    found: list[Piece] = []
    for start, end in bounds:
        segment = text[start:end]
        cut = segment.find("###")
        if cut < 0:
            continue
        cut_by = "###"
        shorter = segment.find("##", 0, cut)
        if shorter >= 0:
            cut, cut_by = shorter, "##"
        found.append(Piece(start, start + cut, cut_by, segment[:cut]))
    last_start, last_end = bounds[-1]
    found.append(Piece(last_start, last_end, None, text[last_start:last_end]))
    return found[1:]


def line_of(text: str, offset: int) -> int:
    """The 1-based line of a character offset."""
    return text.count("\n", 0, offset) + 1
