"""The groups of a cohort, from a batch archive or a tree of group folders, as files of a Sphinx project.

A batch archive (the output of ``exam-pdf batch``: ``manifest.json`` and a PDF per group)
gives each group's report and figures from the sources embedded in its PDF, so no source
tree is needed. A tree of group folders (what ``exam-pdf batch`` reads, see
:mod:`exam_pdf.batch.discover`) gives each group's report folder as it is on disk.

Either way only plain files are taken (no symbolic link, nothing above the report's
folder, nothing hidden), and the project's files are written only where their content
changed, so that Sphinx rebuilds only the groups that did.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

from exam_pdf.errors import ReportError

GROUPS_DIR = "groups"
#: What one report folder may bring: files bigger than a figure may be are left out.
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_FILES = 2000
_SKIP_DIRS = {".exam-pdf-cache", ".git", "__pycache__", "node_modules"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclasses.dataclass
class Group:
    slug: str
    """The group's folder in the site (``groups/<slug>/``)."""
    source: str
    """Where it came from: the report's path under the tree, or the PDF in the archive."""
    report: str = "README.md"
    """The report's file name inside the group's folder."""
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    """Every file of the report's folder, by path relative to it (the report included)."""
    reason: str = ""
    """Why the group has no page (its report could not be read); empty when it has one."""

    @property
    def docname(self) -> str:
        return f"{GROUPS_DIR}/{self.slug}/{self.report[: -len('.md')]}"


def is_archive(path: Path) -> bool:
    """Whether ``path`` is the output of ``exam-pdf batch``: its manifest names the tool
    (another ``manifest.json``, such as a corpus's own, makes a tree of group folders)."""
    try:
        data = json.loads((path / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return (path / "manifest.json").is_file()  # unreadable: from_archive says why
    return isinstance(data, dict) and str(data.get("tool", "")).startswith("exam-pdf")


def collect(path: Path) -> list[Group]:
    """The groups of ``path``, a batch archive or a tree of group folders (ReportError when neither)."""
    if not path.exists():
        raise ReportError(f"{path}: no such folder")
    if not path.is_dir():
        raise ReportError(f"{path}: not a folder (give a batch archive or a folder of group folders)")
    groups = from_archive(path) if is_archive(path) else from_tree(path)
    if not groups:
        raise ReportError(f"{path}: no group folders with a report found")
    return _unique(groups)


def from_archive(root: Path) -> list[Group]:
    from exam_pdf.verify import inside, read_archive

    try:
        manifest = json.loads((root / "manifest.json").read_text("utf-8"))
        entries = manifest["reports"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{root / 'manifest.json'}: not a batch manifest ({exc})") from None
    groups = []
    scratch = root / ".exam-site-check"  # never written: inside() only resolves paths
    for entry in entries:
        slug = str(entry.get("dir") or entry.get("folder") or "group")
        name = Path(str(entry.get("source") or "README.md")).name
        group = Group(slug, str(entry.get("pdf") or entry.get("source")), _report_name(name))
        if not entry.get("pdf"):
            group.reason = f"no PDF in the archive ({entry.get('status')}: {entry.get('reason') or 'not built'})"
            groups.append(group)
            continue
        try:
            archived = read_archive(root / str(entry["pdf"]))
        except ReportError as exc:
            group.reason = str(exc)
            groups.append(group)
            continue
        for item in archived.files:
            try:
                inside(scratch, item.name)
            except ValueError:
                continue  # a path outside the report's folder: not part of the group's page
            relative = Path(os.path.normpath(item.name)).as_posix()
            group.files[group.report if relative == name else relative] = item.data
        if group.report not in group.files:
            group.reason = f"{group.source}: no embedded {name}"
        groups.append(group)
    return groups


def from_tree(root: Path) -> list[Group]:
    from exam_pdf.batch.discover import discover

    groups = []
    for candidate in discover(root):
        if candidate.skipped:
            continue
        group = Group(candidate.folder, candidate.relpath or candidate.folder)
        if candidate.failed or candidate.readme is None:
            group.reason = candidate.failed or "no report"
            groups.append(group)
            continue
        group.report = _report_name(candidate.readme.name)
        group.files = _folder_files(candidate.readme.parent)
        group.files[group.report] = candidate.readme.read_bytes()
        if candidate.readme.name != group.report:
            group.files.pop(candidate.readme.name, None)
        groups.append(group)
    return groups


def _report_name(name: str) -> str:
    """The report keeps its name when Sphinx reads it as Markdown (``*.md``), else it is README.md."""
    return name if name.endswith(".md") and "/" not in name else "README.md"


def _folder_files(folder: Path) -> dict[str, bytes]:
    """The plain files of a report's folder: no links, nothing hidden, nothing too big."""
    files: dict[str, bytes] = {}
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(names):
            path = Path(here, name)
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
            if len(files) >= MAX_FILES:
                return files
    return files


def _unique(groups: list[Group]) -> list[Group]:
    taken: set[str] = set()
    for group in groups:
        base = _UNSAFE.sub("-", group.slug).strip("-.")[:80] or "group"
        slug, n = base, 1
        while slug.lower() in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug.lower())
        group.slug = slug
    return groups


def sync(folder: Path, files: dict[str, bytes]) -> bool:
    """Make ``folder`` hold exactly ``files``; files whose content is unchanged keep their date.

    Returns whether anything changed."""
    changed = False
    wanted = {Path(name) for name in files}
    if folder.exists():
        for path in sorted(folder.rglob("*"), reverse=True):
            relative = path.relative_to(folder)
            if path.is_symlink() or (path.is_file() and relative not in wanted):
                path.unlink()
                changed = True
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for name, data in files.items():
        target = folder / name
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        changed = True
    return changed


def remove_stale(groups_dir: Path, keep: set[str]) -> None:
    if not groups_dir.is_dir():
        return
    for entry in groups_dir.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
