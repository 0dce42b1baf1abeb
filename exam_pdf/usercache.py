"""exam-pdf's folder in the user's cache: things derived from the machine, never from a report.

``$XDG_CACHE_HOME/exam-pdf/<kind>`` (default ``~/.cache/exam-pdf/<kind>``) holds the
precompiled preamble (:mod:`exam_pdf.builders.preamble`) and the fonts' character
maps (:mod:`exam_pdf.sphinxext.glyphs`). Every entry is named by a hash of what it
was made from, so a stale entry is never read, only left behind; deleting the
folder is always safe. A cache that cannot be written costs time, never a build.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache(kind: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "exam-pdf" / kind


def store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (parallel builds may race); OSError passes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)
