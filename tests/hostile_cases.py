"""The hostile reports of issue 17, made small and on the fly: each a group folder.

Every case is a report that is fine apart from one part, so that the one part is what
is tested: a 40,000-line answer without its ``Answer:`` line, 60,000 duplicate questions,
one big screenshot referenced 8,000 times, math and headings that could hold TeX
hostage, a PNG whose pixel data is broken, a build cache committed as a file, and
identity text with control and bidi characters. ``write_case(name, folder)`` writes one.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image

HEAD = "# Exam report of group 42\n\n## Group information\n\n"


def question(number: int, answer: str, marker: bool = True) -> str:
    answer_line = "> Answer:\n" if marker else ""
    return f"### Question {number}\n\n> **What did you do?**\n>\n{answer_line}\n{answer}\n\n"


def report(*sections: str, title: str = "# Exam report of group 42", group: str = "42") -> str:
    return (
        f"{title}\n\n## Group information\n\n"
        + question(1, group)
        + question(2, "s123456, s654321")
        + "".join(sections)
    )


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG of random pixels: it hardly compresses (``side * side * 3`` bytes or more)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def broken_pixels_png(size: tuple[int, int] = (200, 120)) -> bytes:
    """A PNG whose every chunk CRC is right but whose compressed pixel data stops short,
    as a screenshot cut off by a failed upload."""
    good = png(size)
    chunks, at = [], 8
    while at < len(good):
        (length,) = struct.unpack(">I", good[at : at + 4])
        kind = good[at + 4 : at + 8]
        data = good[at + 8 : at + 8 + length]
        chunks.append((kind, data))
        at += 12 + length
    raw = b"".join(data for kind, data in chunks if kind == b"IDAT")
    pixels = zlib.decompress(raw)
    truncated = zlib.compress(pixels)[: len(raw) // 2]  # a stream that ends in the middle
    out = [good[:8]]
    for kind, data in chunks:
        if kind == b"IDAT":
            if out[-1][4:8] == b"IDAT":
                continue
            data = truncated
        out.append(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))
    return b"".join(out)


def _files(folder: Path, readme: str, figures: dict[str, bytes] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    for name, data in (figures or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def _underscores(folder: Path) -> None:
    _files(folder, report(question(3, "__\n" * 40_000, marker=False)))


def _duplicate_questions(folder: Path) -> None:
    tiny = "### Question 3\n\n> Answer:\n\nx\n\n"
    _files(folder, report(tiny * 60_000))


def _one_figure_many_times(folder: Path) -> None:
    refs = "\n".join("![screenshot](figures/big.png)" for _ in range(8_000))
    _files(folder, report(question(3, refs)), {"figures/big.png": noise_png(1400)})


def _long_heading(folder: Path) -> None:
    _files(folder, report(question(3, "Fine.") + "## " + "Heading" * 1_430 + "\n\nText.\n"))


def _math_leaves_math_mode(folder: Path) -> None:
    _files(folder, report(question(3, "Inline $a\\) \\text{escaped} \\(b$ math.")))


def _math_huge_array(folder: Path) -> None:
    _files(folder, report(question(3, "$$\\begin{array}{*{999999}{c}} a & b \\end{array}$$")))


def _unclosed_images(folder: Path) -> None:
    _files(folder, report(question(3, "![" * 60_000)))


def _broken_pixels(folder: Path) -> None:
    _files(
        folder,
        report(question(3, "Our bucket:\n\n![bucket](figures/bucket.png)")),
        {"figures/bucket.png": broken_pixels_png()},
    )


def _cache_is_a_file(folder: Path) -> None:
    _files(folder, report(question(3, "Fine.")))
    (folder / ".exam-pdf-cache").write_text("committed by mistake\n")


def _escape_in_title(folder: Path) -> None:
    _files(folder, report(question(3, "Fine."), title="# Exam report \x1b[31mred\x1b[0m"))


def _bidi_group_number(folder: Path) -> None:
    _files(folder, report(question(3, "Fine."), group="\u202e24\u202c"))


def _foreign_digits(folder: Path) -> None:
    text = report(question(3, "Fine.")).replace("s123456, s654321", "s\u0662\u0664\u0665\u0666\u0667\u0668")
    _files(folder, text)


def _git_config_runs_a_script(folder: Path) -> None:
    """The report folder is also a bare git repository whose ``config`` runs the group's script
    (to verify a signature, as a file-system monitor, a pager ...); the script leaves a mark
    in ``../ran`` (see :func:`ran`). Made by ``tests/test_no_exec.py``'s own helpers."""
    from test_no_exec import _plant_bare_repository

    _files(folder, report(question(3, "Fine.")))
    script = folder / "tools" / "format_check.sh"
    script.parent.mkdir()
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> "{folder.parent / "ran"}"\nexit 0\n')
    script.chmod(0o755)
    _plant_bare_repository(folder, "tools/format_check.sh")


def _xelatex_format_in_the_report(folder: Path) -> None:
    """The report ships an ``xelatex.fmt`` (and a ``texmf.cnf``); :func:`environment` points
    ``TEXFORMATS`` and friends at the folder, as an operator's shell might."""
    _files(folder, report(question(3, "Fine.")))
    (folder / "xelatex.fmt").write_bytes(b"not a format\n" * 100)
    (folder / "texmf.cnf").write_text(f"shell_escape = t\nopenin_any = a\nTEXFORMATS = {folder}\n")


CASES: dict[str, Callable[[Path], None]] = {
    "no-answer-line-40000-lines": _underscores,
    "60000-duplicate-questions": _duplicate_questions,
    "one-figure-8000-references": _one_figure_many_times,
    "10000-character-heading": _long_heading,
    "math-leaves-math-mode": _math_leaves_math_mode,
    "math-999999-columns": _math_huge_array,
    "60000-unclosed-images": _unclosed_images,
    "png-with-broken-pixels": _broken_pixels,
    "cache-committed-as-a-file": _cache_is_a_file,
    "escape-in-the-title": _escape_in_title,
    "bidi-override-group-number": _bidi_group_number,
    "arabic-indic-study-number": _foreign_digits,
    "git-config-runs-a-script": _git_config_runs_a_script,
    "xelatex-format-in-the-report": _xelatex_format_in_the_report,
}


def environment(name: str, folder: Path) -> dict[str, str]:
    """The variables case ``name`` is run with, beside the operator's own (usually none)."""
    if name != "xelatex-format-in-the-report":
        return {}
    return {
        "TEXFORMATS": str(folder),
        "TEXINPUTS": f"{folder}:",
        "TEXMFCNF": str(folder),
        "TEXFONTMAPS": str(folder),
        "OPENTYPEFONTS": str(folder),
    }


def ran(folder: Path) -> list[str]:
    """What the group's script of ``git-config-runs-a-script`` wrote: must stay empty."""
    trace = folder.parent / "ran"
    return trace.read_text().splitlines() if trace.exists() else []


def write_case(name: str, folder: Path) -> Path:
    """Write case ``name`` as the report folder ``folder``; return ``folder``."""
    CASES[name](folder)
    return folder
