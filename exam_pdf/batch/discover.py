"""Find the reports under a batch root: one folder per group.

A group's folder holds ``reports/README.md`` (a course repository) or a
``README.md`` that is itself the report. A folder with a README is a group that
handed something in: its README is built even when it does not look like a
report (binary, not UTF-8, no question sections), so that it ends as a failed
row with the reason in the manifest, summary and overview. Only folders without
any README are skipped, with the reason, never silently left out.

Under a tree that ``exam-pdf collect`` wrote (it has ``collect.json``), each group
folder's ``submission.json`` is read too (:mod:`exam_pdf.provenance`): a group that
was collected carries its commit and roster row into the build, and a group that
could not be collected is a failed row with collect's reason.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from exam_pdf.provenance import SUBMISSION, Submission, is_collected_tree, read_submission, shard_of
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
    """Why the README is not built at all (it points outside the group's folder, or collect failed)."""
    submission: Submission | None = None
    """The commit and roster row, in a collected tree."""


def discover(root: Path, exclude: Path | tuple[Path, ...] = ()) -> list[Candidate]:
    """Every folder directly under ``root`` (sorted), each with its report or why it has none.

    ``exclude``: the batch's own folders (output, state), never taken for a group.
    """
    root = root.resolve()
    skip = {p.resolve() for p in ((exclude,) if isinstance(exclude, Path) else exclude)}
    collected = is_collected_tree(root)
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        # A group folder may be a symlink (an office linking the collected repositories);
        # the report inside must still lie within that folder (see _candidate).
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        folder = Path(entry.path)
        if folder.resolve() in skip:
            continue
        found.append(_collected(root, folder) if collected else _candidate(root, folder))
    return found


def _collected(root: Path, folder: Path) -> Candidate:
    """A group folder of a collected tree: its report with the submission, or collect's failure."""
    name = folder.relative_to(root).as_posix()
    if not (folder / SUBMISSION).exists() and not (folder / SUBMISSION).is_symlink():
        return _candidate(root, folder)  # a folder the office added by hand
    unbuilt = Candidate(name, root / name / SUBMISSION, f"{name}/{SUBMISSION}")
    try:
        found = read_submission(folder)
    except ValueError as exc:
        return dataclasses.replace(unbuilt, failed=f"{SUBMISSION} {exc}: collect the group again")
    if found.status == "failed":
        why = found.reason or "no reason recorded"
        return dataclasses.replace(unbuilt, failed=f"not collected: {why}", submission=found.submission)
    candidate = _candidate(root, folder)
    if candidate.readme is None:
        reason = f"collected, but its {candidate.skipped}: collect the group again"
        return dataclasses.replace(unbuilt, failed=reason, submission=found.submission)
    return dataclasses.replace(candidate, submission=found.submission)


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


__all__ = ["PLACES", "Candidate", "discover", "shard_of"]
