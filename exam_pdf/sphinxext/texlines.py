"""Keep the generated LaTeX within what TeX can read and typeset in time.

TeX reads its input a line at a time into a buffer of 200,000 bytes and stops with
"Unable to read an entire line" at a longer one; the LaTeX writer puts a whole
paragraph on one line. And a heading of thousands of characters (set in a box that
cannot break across pages, repeated in the bookmarks) keeps the engine busy for
minutes. :func:`break_long_lines` breaks every line longer than :data:`LINE_MAX` at
a place where a line break changes nothing; :func:`shorten` cuts a heading to
:data:`HEADING_MAX` characters.
"""

from __future__ import annotations

import re

#: Longest line of the generated .tex: far below TeX's buffer (200,000 bytes), in
#: characters of up to 4 bytes each.
LINE_MAX = 4000
#: Longest paragraph TeX is given in one piece (in characters of the .tex).
PARAGRAPH_MAX = 20000
#: Longest heading or title set as one in the PDF.
HEADING_MAX = 200

#: Where a ``%`` and a line break can go in running text: after a space (TeX skips the
#: next line's leading spaces, the ``%`` ends the line without one) or after the break
#: points the writer adds to long words.
_TEXT_BREAK = re.compile(r"(?<!\\) |\\allowbreak\{\}")
_VERBATIM_BEGIN = re.compile(r"^\\begin\{sphinx(?:Verbatim\w*|alltt)\}")
_VERBATIM_END = re.compile(r"^\\end\{sphinx(?:Verbatim\w*|alltt)\}")
_TABLE_BEGIN = re.compile(r"\\begin\{(?:tabular|tabulary|longtable|array)")
_TABLE_END = re.compile(r"\\end\{(?:tabular|tabulary|longtable|array)")
_OPEN = re.compile(r"(?<!\\)\{")
_CLOSE = re.compile(r"(?<!\\)\}")


def shorten(text: str, limit: int = HEADING_MAX) -> str:
    """``text`` cut to about ``limit`` characters at a space, marked with ``[...]``."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + " [...]"


def break_long_lines(
    tex: str, limit: int = LINE_MAX, paragraph: int = PARAGRAPH_MAX
) -> tuple[str, list[tuple[int, int]], list[int]]:
    """``tex`` with no line longer than ``limit`` where it can be helped.

    Returns the text, the code lines that had to be broken (length, pieces) and the
    lengths of the paragraphs that were split (visible changes, unlike a break in running text). A
    line with no safe place to break is left as it is: TeX then fails on it and the
    fallback PDF is made.
    """
    out: list[str] = []
    broken: list[tuple[int, int]] = []
    split: list[int] = []
    verbatim = False
    run = depth = tables = 0  # the paragraph so far, over many short lines; open braces; tables
    for line in tex.split("\n"):
        if _VERBATIM_BEGIN.match(line):
            verbatim = True
        elif _VERBATIM_END.match(line):
            verbatim = False
        tables += len(_TABLE_BEGIN.findall(line)) - len(_TABLE_END.findall(line))
        if verbatim or not line.strip() or line.startswith(("\\begin{", "\\end{")):
            run = depth = 0  # a paragraph ends here (or is not running text)
        else:
            run += len(line)
            depth += len(_OPEN.findall(line)) - len(_CLOSE.findall(line))
        if len(line) <= limit:
            out.append(line)
            # A paragraph of many short lines (40,000 lines of '__') is as slow for TeX
            # as one long line: it is set as several where that changes nothing but breaks.
            if run >= paragraph and depth == 0 and tables <= 0 and "&" not in line and not line.endswith("\\\\"):
                out.append("\\par")
                split.append(run)
                run = 0
        elif verbatim:
            pieces = _split_code(line, limit)
            if len(pieces) > 1:
                broken.append((len(line), len(pieces)))
            out.extend(pieces)
        else:
            text, was_split = _split_text(line, limit, paragraph)
            out.append(text)
            if was_split:
                split.append(len(line))
    return "\n".join(out), broken, split


def _split_text(line: str, limit: int, paragraph: int) -> tuple[str, bool]:
    """Running text: a ``%`` and a line break after a space or a break point, every ``limit``.

    Every ``paragraph`` characters, where no brace is open, the break is a ``\\par``
    instead: TeX's line breaking slows down with the length of a paragraph (one of
    100,000 characters takes it a minute). Returns the text and whether a paragraph
    was split.
    """
    pieces: list[str] = []
    start = since_par = depth = 0
    last = None  # (end, depth there) of the last break point in the current piece
    split = False
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            match = _TEXT_BREAK.match(line, index)
            index = match.end() if match else _skip_command(line, index)
            if match:
                last = (index, depth)
        else:
            depth += {"{": 1, "}": -1}.get(char, 0)
            index += 1
            if char == " " and line[index - 2 : index - 1] != "\\":
                last = (index, depth)
        if last is not None and (index - start >= limit or (index - since_par >= paragraph and last[1] == 0)):
            end, at = last
            if at == 0 and end - since_par >= paragraph:
                pieces.append(line[start:end] + "\n\\par")
                since_par, split = end, True
            else:
                pieces.append(line[start:end] + "%")
            start, last = end, None
    pieces.append(line[start:])
    return "\n".join(pieces), split


def _skip_command(line: str, index: int) -> int:
    """The index after the control sequence at ``index`` (a backslash)."""
    index += 1
    if index < len(line) and not line[index].isalpha():
        return index + 1
    while index < len(line) and line[index].isalpha():
        index += 1
    return index


def _split_code(line: str, limit: int) -> list[str]:
    """A highlighted code line (``\\PYG{k}{def}``): broken only where no brace is open."""
    pieces: list[str] = []
    start = depth = 0
    last_safe = None
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2 if index + 1 < len(line) and not line[index + 1].isalpha() else 1
            while index < len(line) and line[index].isalpha():
                index += 1
            continue  # never between a command and its arguments
        depth += {"{": 1, "}": -1}.get(char, 0)
        index += 1
        if depth == 0:
            last_safe = index
        if index - start >= limit and last_safe is not None and last_safe > start:
            pieces.append(line[start:last_safe])
            start = last_safe
            last_safe = None
    pieces.append(line[start:])
    return pieces
