"""Find a report on disk and read it as text, refusing what is not a report.

Everything here runs before any Markdown parsing: a file that is missing,
too large, binary, not UTF-8 or empty ends in :class:`ReportError`, which the
command line turns into one line on stderr and exit code 2.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from exam_pdf.errors import ReportError

#: Largest README accepted; the biggest real report seen is about 80 KB.
MAX_README_BYTES = 2 * 1024 * 1024

#: Names tried, in order, when a folder is given instead of a file.
REPORT_NAMES = ("README.md", "readme.md", "Readme.md", "README.MD", "report.md")

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_QUESTION_HEADING = re.compile(r"^#{1,6}[ \t]+Question[ \t]+\d+", re.M | re.I)


@dataclasses.dataclass(frozen=True)
class Source:
    """The text of a report, normalised, with where it came from."""

    path: Path
    """The Markdown file, absolute."""
    text: str
    """The text with ``\\n`` line ends and the front matter blanked out."""
    raw: bytes
    """The file's bytes as read."""
    front_matter: str
    """The YAML front matter, if any, as written (never interpreted as settings)."""

    @property
    def folder(self) -> Path:
        """The report's folder: figures are looked up relative to it."""
        return self.path.parent

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def locate_report(path: Path | str | None = None) -> Path:
    """Return the Markdown file that ``path`` names, as the user typed it (not resolved).

    ``path`` may be the file itself, a folder holding a ``README.md`` (or a
    ``reports/README.md`` below it, as in a course repository), or ``None`` for
    the current folder, as the course's ``report.py`` works inside ``reports/``.
    The path stays relative when it was given relative, so that every message
    names the file the way the user knows it; :attr:`Source.path` is absolute.
    """
    candidate = Path(path) if path is not None else Path()
    if not candidate.exists():
        raise ReportError(f"{candidate}: no such file or folder")
    if candidate.is_file():
        return candidate
    if not candidate.is_dir():
        raise ReportError(f"{candidate}: not a file or folder")
    found = [candidate / name for name in REPORT_NAMES if (candidate / name).is_file()]
    nested = [candidate / "reports" / name for name in REPORT_NAMES]
    found += [p for p in nested if p.is_file()]
    if not found:
        raise ReportError(f"{candidate}: no README.md here (give the report's .md file)")
    # A repository's root README is usually not the report: prefer a file that has questions.
    for option in found:
        if _looks_like_report(option):
            return option
    return found[0]


def _looks_like_report(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_README_BYTES)
    except OSError:
        return False
    return bool(_QUESTION_HEADING.search(head.decode("utf-8", "replace")))


def read_source(path: Path | str) -> Source:
    """Read and normalise a report file (see module docstring for what is refused)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_README_BYTES:
            raise ReportError(f"{path}: {size} bytes is more than the {MAX_README_BYTES} bytes a report may have")
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ReportError(f"{path}: is a folder, not a Markdown file") from None
    except PermissionError:
        raise ReportError(f"{path}: permission denied") from None
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return Source(path=path.resolve(), raw=raw, **_decode(raw, str(path)))


def source_from_text(text: str, path: Path | str = "README.md") -> Source:
    """Build a :class:`Source` from text in memory (tests, the Sphinx extension)."""
    raw = text.encode("utf-8")
    return Source(path=Path(path).resolve(), raw=raw, **_decode(raw, Path(path).name))


def _decode(raw: bytes, name: str) -> dict[str, str]:
    """The text of ``raw``; ``name`` is the file as messages name it."""
    if b"\x00" in raw[:8192]:
        raise ReportError(f"{name}: is a binary file, not Markdown text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _position(raw, exc.start)
        raise ReportError(
            f"{name}:{line}:{column}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None
    if not text.strip():
        raise ReportError(f"{name}: is empty")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    front_matter = ""
    match = _FRONT_MATTER.match(text)
    if match:
        front_matter = match.group(1)
        # Keep the line count so that every line number still points into the file.
        text = "\n" * match.group(0).count("\n") + text[match.end() :]
    return {"text": text, "front_matter": front_matter}


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and column (both from 1, the column in characters) of byte ``offset``.

    Everything before ``offset`` decodes (the first bad byte is there); a lone
    ``\\r`` ends a line, as in the text that is checked.
    """
    before = raw[:offset].decode("utf-8-sig", "replace").replace("\r\n", "\n").replace("\r", "\n")
    line_start = before.rfind("\n") + 1
    return before.count("\n") + 1, len(before) - line_start + 1
