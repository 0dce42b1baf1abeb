"""Cache keys: a report is rebuilt only when its sources, exam-pdf or the options change."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from exam_pdf import __version__

#: Files bigger than this are keyed by size and mtime instead of content.
HASH_LIMIT = 32 * 1024 * 1024
#: A report folder with more files than this is keyed on the first ones only.
MAX_FILES = 5000
_SKIP_DIRS = {".exam-pdf-cache", ".git", "__pycache__"}


@functools.cache
def code_fingerprint() -> str:
    """A hash of exam-pdf itself: its version, code, theme and LaTeX templates."""
    from exam_pdf.builders import PACKAGE, templates_dir

    digest = hashlib.sha256(__version__.encode())
    for base in (PACKAGE, templates_dir()):
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".jinja", ".sty", ".css", ".html", ".toml"}:
                digest.update(path.relative_to(base).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def source_files(folder: Path) -> list[tuple[str, str]]:
    """``(relative path, content hash)`` of every file in a report's folder, sorted."""
    entries = []
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(here, name)
            relative = path.relative_to(folder).as_posix()
            try:
                info = path.lstat()
            except OSError:
                continue
            if path.is_symlink() or not path.is_file():
                entries.append((relative, f"link:{os.readlink(path) if path.is_symlink() else 'special'}"))
            elif info.st_size > HASH_LIMIT:
                entries.append((relative, f"size:{info.st_size}:{info.st_mtime_ns}"))
            else:
                entries.append((relative, hashlib.sha256(path.read_bytes()).hexdigest()))
            if len(entries) >= MAX_FILES:
                return entries
    return entries


def cache_key(readme: Path, options: dict[str, object]) -> str:
    """The key of one report's build: its folder's files, exam-pdf and the options."""
    payload = {
        "exam_pdf": code_fingerprint(),
        "options": options,
        "readme": readme.name,
        "files": source_files(readme.parent),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
