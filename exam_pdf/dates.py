"""The date a report's sources carry, for the title page and the PDF metadata.

SOURCE_DATE_EPOCH when set (reproducible builds), else for a report ``collect`` took
from a repository the date of that commit, else the time of the last git commit that
touched the report, else the file's modification time. Never the wall
clock, so that a fresh clone of the same commit gives the same date.

The commit comes from the clone the report lies in: a ``.git`` folder that
exam-pdf finds above the report's folder, handed to git by explicit path with every
setting that would run a program overridden (``exam_pdf.sandbox``). git never
looks for a repository itself: the report's folder may hold a planted one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

from exam_pdf.errors import BuildError
from exam_pdf.sandbox import run_git

#: The last second of the year 9999: dates in a PDF have four-digit years.
MAX_EPOCH = 253402300799
_SECONDS = re.compile(r"[0-9]+")


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH in seconds; None when unset or empty; BuildError when it is not a date."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not _SECONDS.fullmatch(text) or int(text) > MAX_EPOCH:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise BuildError(
            f"SOURCE_DATE_EPOCH={shown!r} is not a date: give whole seconds since 1970-01-01 UTC "
            f"(0 to {MAX_EPOCH}), or leave it unset"
        )
    return int(text)


def source_date(path: Path, commit_date: str = "") -> tuple[dt.datetime, str]:
    """Return (date in UTC, where it came from). ``commit_date``: the committer date of the
    commit ``collect`` took the report from (ISO 8601), which comes before the clone's."""
    epoch = source_date_epoch()
    if epoch is not None:
        return _utc(epoch), "SOURCE_DATE_EPOCH"
    if commit_date:
        return _utc(int(dt.datetime.fromisoformat(commit_date).timestamp())), "collected commit"
    committed = commit_time(path)
    if committed is not None:
        return _utc(committed), "git commit"
    return _utc(int(path.stat().st_mtime)), "file time"


def _utc(seconds: int) -> dt.datetime:
    """A date the PDF can hold: commit and file times are chosen by whoever made them."""
    return dt.datetime.fromtimestamp(min(max(seconds, 0), MAX_EPOCH), dt.UTC)


def repository_of(folder: Path) -> Path | None:
    """The ``.git`` folder of the clone holding ``folder``, looked for from its parent upwards.

    The first ``.git`` found ends the search, as for git: a folder is used, anything
    else (a worktree's or submodule's ``.git`` file, a symlink) means no repository.
    ``folder`` itself is not searched: it is the report's, and its files are the group's.
    """
    for parent in Path(os.path.realpath(folder)).parents:
        candidate = parent / ".git"
        try:
            info = candidate.lstat()
        except FileNotFoundError:
            continue
        except OSError:
            return None
        return candidate if stat.S_ISDIR(info.st_mode) else None
    return None


def commit_time(path: Path) -> int | None:
    """Seconds of the last commit that touched ``path``; None outside a clone or for an untracked file."""
    git_dir = repository_of(path.parent)
    if git_dir is None:
        return None
    top = git_dir.parent
    name = (Path(os.path.realpath(path.parent)) / path.name).relative_to(top).as_posix()
    found = run_git(
        git_dir,
        top,
        "log",
        "-1",
        "--format=%ct",
        "--no-show-signature",
        "--no-notes",
        "--no-ext-diff",
        "--no-textconv",
        "--",
        name,
    )
    text = (found or "").strip()
    return int(text) if _SECONDS.fullmatch(text) else None
