"""Where a report came from: the commit ``collect`` took and the roster's row of its group.

``exam-pdf collect`` writes ``<group>/submission.json`` beside each group's
``reports/``; :func:`read_submission` reads it back, checked field by field, as a
:class:`Submission`. It travels with the report through the build: into the checks
(the roster against the report's questions 1 and 2, :mod:`exam_pdf.checks.roster`),
onto the PDF's cover and into its metadata (:mod:`exam_pdf.archive`), and into the
batch's manifest, summary and overview. A roster row given on the command line
(``check --roster``) is a Submission without a commit.

Nothing here trusts the file blindly: a value of the wrong type or shape is refused
with the field's name, so that a damaged or edited file cannot put markup, a
control character or a path into the PDF or the overview.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

SUBMISSION = "submission.json"
#: What ``collect`` writes at the root of its output: a tree with it is a collected tree.
COLLECTED = "collect.json"

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_STUDY_NUMBER = re.compile(r"(?<![A-Za-z0-9])[sS][0-9]{6}(?![0-9])")
_MAX_TEXT = 2000


@dataclasses.dataclass(frozen=True)
class Submission:
    """A group's roster row and, when collected, the commit its report was taken from."""

    group: str
    students: tuple[str, ...] = ()
    """The roster's cells for the group's students, as written."""
    repo_url: str = ""
    branch: str = ""
    commit: str = ""
    commit_date: str = ""
    late_commits: dict[str, Any] | None = None
    """``count``, ``last_sha``, ``last_date`` of the commits after the deadline, or None."""
    deadline: str = ""

    @property
    def study_numbers(self) -> list[str]:
        """The study numbers in the roster's student cells (``s123456``, also inside ``s123456@dtu.dk``),
        lower case, each once; a cell without one (a name) is not compared."""
        found: dict[str, None] = {}
        for cell in self.students:
            for number in _STUDY_NUMBER.findall(cell):
                found.setdefault(number.lower())
        return list(found)

    def config(self) -> dict[str, Any]:
        """A plain dict for Sphinx's configuration (``exam_pdf_submission``) and a batch's cache key."""
        return {
            "group": self.group,
            "students": list(self.students),
            "repo_url": self.repo_url,
            "branch": self.branch,
            "commit": self.commit,
            "commit_date": self.commit_date,
            "late_commits": self.late_commits,
            "deadline": self.deadline,
        }

    def built_from(self) -> dict[str, Any]:
        """What of it the PDF and HTML show (a batch's cache key): not the late commits,
        which only the manifest lists, so that a push after the deadline rebuilds nothing."""
        data = self.config()
        del data["late_commits"], data["deadline"]
        return data

    @classmethod
    def from_config(cls, data: Any) -> Submission | None:
        """The Submission a :meth:`config` dict describes; None for an empty one."""
        if not data:
            return None
        return parse(data)

    def source_line(self) -> str:
        """One line naming the repository and commit (the XMP ``dc:source``, the cover)."""
        if not self.commit:
            return ""
        where = f" on {self.branch}" if self.branch else ""
        return f"{self.repo_url} at commit {self.commit}{where}, committed {self.commit_date}".strip()


def parse(data: Any) -> Submission:
    """A Submission from the parsed JSON of ``submission.json``; ValueError naming the bad field."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    group = _text(data, "group", required=True)
    if not group.isdigit() or len(group) > 9:
        raise ValueError(f"group {group!r} is not a group number")
    students = data.get("students", [])
    if not isinstance(students, list) or not all(isinstance(s, str) for s in students) or len(students) > 20:
        raise ValueError("students is not a list of text")
    commit = _text(data, "commit")
    if commit and not _SHA.fullmatch(commit):
        raise ValueError(f"commit {commit[:80]!r} is not a commit SHA")
    commit_date = _text(data, "commit_date")
    if commit_date:
        _date(commit_date, "commit_date")
    late = data.get("late_commits")
    if late is not None:
        if not isinstance(late, dict) or not isinstance(late.get("count"), int) or isinstance(late.get("count"), bool):
            raise ValueError("late_commits is not a count with the last commit")
        last_sha, last_date = late.get("last_sha"), late.get("last_date")
        if not isinstance(last_sha, str) or not _SHA.fullmatch(last_sha):
            raise ValueError("late_commits.last_sha is not a commit SHA")
        if not isinstance(last_date, str):
            raise ValueError("late_commits.last_date is not a date")
        _date(last_date, "late_commits.last_date")
        late = {"count": late["count"], "last_sha": last_sha, "last_date": last_date}
    return Submission(
        group=str(int(group)),
        students=tuple(_clean(s) for s in students),
        repo_url=_text(data, "repo_url"),
        branch=_text(data, "branch"),
        commit=commit,
        commit_date=commit_date,
        late_commits=late,
        deadline=_text(data, "deadline"),
    )


def _text(data: dict[str, Any], key: str, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} is {'missing' if value is None else 'not text'}")
    if len(value) > _MAX_TEXT or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ValueError(f"{key} is too long or has control characters")
    return value


def _clean(cell: str) -> str:
    return " ".join(cell.split())[:_MAX_TEXT]


def _date(value: str, key: str) -> None:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key} {value[:80]!r} is not an ISO 8601 date") from None


@dataclasses.dataclass(frozen=True)
class Collected:
    """What ``submission.json`` says of one group folder of a collected tree."""

    status: str
    """``collected`` or ``failed``."""
    reason: str | None
    submission: Submission


def read_submission(folder: Path) -> Collected:
    """``folder/submission.json``, checked; ValueError saying why it cannot be used."""
    path = folder / SUBMISSION
    try:
        if path.is_symlink():
            raise ValueError("is a symbolic link")
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"is not JSON ({exc})") from None
    submission = parse(data)
    status = data.get("status")
    if status not in ("collected", "failed"):
        raise ValueError(f"status {str(status)[:40]!r} is neither collected nor failed")
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValueError("reason is not text")
    if status == "collected" and not submission.commit:
        raise ValueError("a collected group without a commit")
    return Collected(status, " ".join(reason.split())[:_MAX_TEXT] if reason else None, submission)


def is_collected_tree(root: Path) -> bool:
    """Whether ``root`` is ``collect``'s output: only then is a group's ``submission.json`` collect's own.

    (A folder of cloned repositories may hold a ``submission.json`` a group committed:
    it is never read.)
    """
    return (root / COLLECTED).is_file()


def roster_rows_without_folder(root: Path, shard: tuple[int, int] = (1, 1)) -> list[dict[str, Any]]:
    """The rows of ``root/collect.json`` in share ``shard`` that have no group folder of their
    own (no usable group number, or a group listed again): what a batch lists as skipped,
    with the reason. The share is the one ``collect --shard`` gives the row."""
    try:
        data = json.loads((root / COLLECTED).read_text("utf-8"))
        groups = data["groups"]
        assert isinstance(groups, list)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return []
    index, count = shard
    rows = []
    for entry in groups:
        if not isinstance(entry, dict) or entry.get("status") != "failed":
            continue
        group, reason = entry.get("group"), str(entry.get("reason") or "")
        if group is not None and " is listed again " not in reason:
            continue  # the group's folder has the row's submission.json
        mine = index == 1 if not isinstance(group, str) else shard_of(group, count) == index - 1
        if mine:
            rows.append({"folder": f"roster line {entry.get('line')}", "reason": " ".join(reason.split())})
    return rows


def shard_of(name: str, shards: int) -> int:
    """The shard (0-based) of a group folder, by its name: stable across machines and runs.

    ``batch --shard`` assigns each group folder by its name, ``collect --shard`` each
    roster row by its group number, which is the name of the folder it writes: a group
    falls in the same share in both.
    """
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % shards
