"""Pick a font for every character of the PDF, so that no text is silently lost.

xelatex prints nothing for a character its current font lacks (only the log
says "Missing character"). exam-pdf therefore decides per character, from the
fonts' own character maps: the main font where it has the glyph, else the first
fallback that has it (symbols, CJK, emoji), else a visible ``[U+XXXX]`` marker
and a ``glyph-missing`` finding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import shutil

from exam_pdf.usercache import store, user_cache

#: The fonts, all from Debian packages the Makefile installs (see README).
MAIN_FONT = "FreeSerif"  # fonts-freefont-otf
SANS_FONT = "FreeSans"
MONO_FONT = "DejaVu Sans Mono"  # fonts-dejavu-core
#: (LaTeX command, font family) in the order they are tried.
FALLBACKS = (
    ("examfontsymbols", "DejaVu Sans"),  # fonts-dejavu-core: arrows, math, box drawing
    ("examfontcjk", "WenQuanYi Zen Hei"),  # fonts-wqy-zenhei: Chinese, Japanese, Korean
    ("examfontemoji", "Symbola"),  # fonts-symbola: emoji and pictographs (monochrome)
)
#: Characters that join their neighbours (zero-width joiner, variation selectors).
_JOINERS = {0x200D, 0xFE0E, 0xFE0F}
#: Invisible characters left to TeX as they are (U+200B marks a line-break point).
_PASS = {0x200B}


@functools.cache
def font_file(family: str) -> str | None:
    from exam_pdf.sandbox import run_fc_match

    if not shutil.which("fc-match"):
        return None
    found = (run_fc_match("-f", "%{file}\n%{family}", family) or "").split("\n")
    if len(found) < 2 or family.lower() not in found[1].lower():
        return None  # fontconfig substituted another family: this one is not installed
    return found[0]


@functools.cache
def coverage(family: str) -> frozenset[int]:
    """The code points ``family``'s font has glyphs for (read once per font file and cached:
    fontTools takes about 0.1 s per font, half a second per build for the four)."""
    path = font_file(family)
    if path is None:
        return frozenset()
    try:
        info = os.stat(path)
    except OSError:
        return frozenset()
    key = hashlib.sha256(f"{path}\0{info.st_size}\0{info.st_mtime_ns}".encode()).hexdigest()[:24]
    cached = user_cache("glyphs") / f"{key}.json"
    try:
        return frozenset(_points(json.loads(cached.read_text("utf-8"))))
    except (OSError, ValueError, TypeError):
        pass
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        points = frozenset(font.getBestCmap() or ())
    with contextlib.suppress(OSError):
        store(cached, json.dumps(_ranges(points)).encode())
    return points


def _ranges(points: frozenset[int]) -> list[list[int]]:
    """``[[first, last], ...]``: a font's map in a few hundred pairs instead of thousands of numbers."""
    ranges: list[list[int]] = []
    for code in sorted(points):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


def _points(ranges: list[list[int]]) -> list[int]:
    return [code for first, last in ranges for code in range(int(first), int(last) + 1)]


@dataclasses.dataclass
class GlyphPlan:
    """What :func:`route` decided for a text: the fallbacks used and what is missing."""

    used: set[str] = dataclasses.field(default_factory=set)
    missing: list[str] = dataclasses.field(default_factory=list)


def route(text: str, plan: GlyphPlan, main: str = MAIN_FONT) -> str:
    """Wrap runs of characters the main font lacks in fallback-font groups (TeX source)."""
    if text.isascii():
        return text
    primary = coverage(main)
    out: list[str] = []
    run_font: str | None = None
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(f"{{\\{run_font}{{}}{''.join(run)}}}" if run_font else "".join(run))
            run.clear()

    for char in text:
        code = ord(char)
        if code < 128 or code in primary or code in _PASS or (code in _JOINERS and run_font is None):
            target = None
        elif code in _JOINERS:
            target = run_font
        else:
            target = next((cmd for cmd, family in FALLBACKS if code in coverage(family)), "")
        if target == "":
            flush()
            run_font = None
            plan.missing.append(char)
            out.append(no_glyph(code))
            continue
        if target != run_font:
            flush()
            run_font = target
        if target:
            plan.used.add(target)
        run.append(char)
    flush()
    return "".join(out)


def no_glyph(code: int) -> str:
    """The visible stand-in for a character the PDF cannot show: a framed ``U+XXXX``."""
    return f"\\examnoglyph{{U+{code:04X}}}"


def preamble(plan: GlyphPlan) -> str:
    """fontspec declarations for the fallbacks a document uses (and only those: loading costs time)."""
    lines = []
    for command, family in FALLBACKS:
        if command in plan.used:
            lines.append(f"\\newfontfamily\\{command}{{{family}}}")
    return "\n".join(lines)
