"""Text for the operator's terminal: what a report or a folder name says is shown, never obeyed.

Folder names, file names and report text are untrusted. Printed as they are, an
escape sequence in a folder name (``ESC[31m``, ``ESC]8;;...``) would recolour,
retitle or rewrite the operator's terminal, and a bidi override (U+202E) would show
a line in a different order than it is written. Every line exam-pdf prints that
holds such text passes through :func:`shown`, which writes those characters as
visible escapes (``\\x1b``, ``\\u202e``) instead.

What the operating system says is worded here too (:func:`os_problem`): a full
disk or a folder that may not be written is bad input, told in one line that names
the path, never an internal error.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

#: Bidi embeddings, overrides and isolates, and the invisible direction marks.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
#: C0 controls, DEL, C1 controls and the bidi controls. Tab and newline are C0 too:
#: inside one name or message they are not layout but content, and are escaped.
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str:
    """``text`` as one line that is safe to print: control and bidi characters escaped."""
    return _CONTROL.sub(_escape, str(text))


def shown_lines(text: str) -> str:
    """Like :func:`shown` for each line of ``text``; the line breaks stay line breaks."""
    return "\n".join(shown(line) for line in text.split("\n"))


#: How an OS error reads for the person who gave the path (``strerror`` says it less plainly).
_OS_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a file is where a folder should be",
    errno.EEXIST: "already exists and is in the way",
    errno.EISDIR: "is a folder",
    errno.ENOENT: "no such file or folder",
    errno.ENAMETOOLONG: "name too long",
}


def os_reason(error: OSError) -> str:
    """The reason of an OS error in a few plain words."""
    if error.errno in _OS_REASONS:
        return _OS_REASONS[error.errno]
    text = error.strerror or str(error) or type(error).__name__
    return text[:1].lower() + text[1:]


def os_error_in(error: BaseException) -> OSError | None:
    """The OS error behind ``error``: itself, or one a library wrapped (Sphinx's ``orig_exc``)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        wrapped = getattr(current, "orig_exc", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__ or current.__context__
    return None


def os_problem(error: OSError) -> str:
    """``PATH: reason`` in one line, the path relative to the current folder when inside it."""
    from exam_pdf.formats import display_path

    name = error.filename
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    if not isinstance(name, str):
        return os_reason(error)
    return f"{display_path(Path(name))}: {os_reason(error)}"
