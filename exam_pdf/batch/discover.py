"""Find the reports under a batch root: one folder per group.

A group's folder holds ``reports/README.md`` (a course repository) or a
``README.md`` that is itself the report. A folder with a README is a group that
handed something in: its README is built even when it does not look like a
report (binary, not UTF-8, no question sections), so that it ends as a failed
row with the reason in the manifest, summary and overview. Only folders without
any README are skipped, with the reason, never silently left out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from exam_pdf.source import REPORT_NAMES, _looks_like_report

#: Where a report may sit inside a group's folder, most specific first.
PLACES = tuple(f"reports/{name}" for name in REPORT_NAMES) + REPORT_NAMES


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One group folder under the root: a report to build, a report that fails unbuilt, or a skip."""

    folder: str
    """The group's folder, relative to the root (POSIX separators)."""
    readme: Path | None = None
    relpath: str = ""
    """The report's path relative to the root, as the manifest records it."""
    skipped: str | None = None
    failed: str | None = None
    """Why the README is not built at all (it points outside the group's folder)."""


def discover(root: Path, exclude: Path | tuple[Path, ...] = ()) -> list[Candidate]:
    """Every folder directly under ``root`` (sorted), each with its report or why it has none.

    ``exclude``: the batch's own folders (output, state), never taken for a group.
    """
    root = root.resolve()
    skip = {p.resolve() for p in ((exclude,) if isinstance(exclude, Path) else exclude)}
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        # A group folder may be a symlink (an office linking the collected repositories);
        # the report inside must still lie within that folder (see _candidate).
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        folder = Path(entry.path)
        if folder.resolve() in skip:
            continue
        found.append(_candidate(root, folder))
    return found


def _candidate(root: Path, folder: Path) -> Candidate:
    name = folder.relative_to(root).as_posix()
    present = [folder / place for place in PLACES if (folder / place).is_file()]
    if not present:
        return Candidate(name, skipped="no README.md or reports/README.md")
    real_folder = Path(os.path.realpath(folder))
    inside = [p for p in present if real_folder in Path(os.path.realpath(p)).parents]
    if not inside:
        reason = f"{present[0].relative_to(folder).as_posix()} is a link to a file outside the group's folder"
        return Candidate(name, present[0], present[0].relative_to(root).as_posix(), failed=reason)
    # A course repository's own README is usually not the report: prefer one with questions.
    readme = next((p for p in inside if _looks_like_report(p)), inside[0])
    return Candidate(name, readme, readme.relative_to(root).as_posix())


def shard_of(relpath: str, shards: int) -> int:
    """The shard (0-based) a report belongs to: stable across machines and runs."""
    return int(hashlib.sha256(relpath.encode("utf-8")).hexdigest(), 16) % shards
