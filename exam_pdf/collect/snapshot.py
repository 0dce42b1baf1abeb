"""Write a commit's ``reports/`` folder to disk from git objects, with no checkout.

Only regular files (modes 100644 and 100755) are written, by their path in the tree,
as the blob holds them: no filter, no line-ending conversion, an LFS pointer stays a
pointer. Symbolic links and submodules are listed as left out; a path that is not a
plain relative path below ``reports/`` (``..``, an absolute path, ``.git``, a NUL or
a backslash) is refused. Everything is written to a fresh folder that then replaces
the old one, so a rerun never leaves files of an earlier commit behind.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from exam_pdf.collect.repository import REPORTS, Entry

FILE_MODES = ("100644", "100755")


def plan(entries: list[Entry]) -> tuple[list[Entry], list[str]]:
    """The entries to write and a line for each one left out."""
    files: list[Entry] = []
    left_out: list[str] = []
    for entry in entries:
        if not _safe(entry.path):
            left_out.append(f"{entry.path!r}: not a plain path below reports/")
        elif entry.kind == "blob" and entry.mode in FILE_MODES:
            files.append(entry)
        elif entry.mode == "120000":
            left_out.append(f"{entry.path}: a symbolic link")
        elif entry.kind == "commit":
            left_out.append(f"{entry.path}: a submodule")
        else:
            left_out.append(f"{entry.path}: not a regular file (mode {entry.mode})")
    return files, left_out


def _safe(path: str) -> bool:
    if not path.startswith(REPORTS) or "\\" in path or "\x00" in path:
        return False
    return all(part not in ("", ".", "..") and part.lower() != ".git" for part in path.split("/"))


def write(folder: Path, files: list[Entry], blobs: dict[str, bytes]) -> None:
    """Make ``folder/reports/`` hold exactly ``files``."""
    staging = folder / ".reports.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for entry in files:
        target = staging.joinpath(*PurePosixPath(entry.path).parts[1:])
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(target, flags, 0o755 if entry.mode == "100755" else 0o644)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(blobs[entry.oid])
    remove(folder)
    staging.rename(folder / "reports")


def remove(folder: Path) -> None:
    """Remove ``folder/reports`` (a link is unlinked, never followed)."""
    target = folder / "reports"
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
