"""Collect every group's report from its repository as it was at the deadline.

git is the tool: the exam office's machine and the course already use it, it speaks
every protocol a host offers (partial clone, protocol v2, ssh with the operator's
keys), and its own settings can switch off everything that would run a program. A
library (dulwich, pygit2) would add a dependency and lag behind on partial clone,
while exam-pdf already hardens every git call (:mod:`exam_pdf.sandbox`).

For each row of the roster (:mod:`~exam_pdf.collect.roster`): fetch the branch's
commits and trees into a bare mirror in the state folder
(:mod:`~exam_pdf.collect.repository`), walk the branch's first-parent chain from its
tip and take the first commit whose committer date is not after the deadline, fetch
only the blobs under ``reports/`` of that commit, and write them with
``submission.json`` (:mod:`~exam_pdf.collect.snapshot`). Every row ends as
``collected`` or ``failed`` with its reason; ``collect.json`` lists them all.

Why the first-parent chain: ``git rev-list --before`` keeps every commit with an
early enough date anywhere in the history, so a merge of an old side branch, or one
commit dated back in time on top of late ones, would be taken as "before the
deadline" while later work sits under it. Walking the branch as it was advanced
(each commit's first parent is what the branch held before it) and stopping at the
first commit dated not after the deadline gives the newest state of the branch the
dates allow. Dates are what the group's git wrote: see ``docs/security.md``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import json
import os
import re
import shutil
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exam_pdf import __version__
from exam_pdf.collect import repository, snapshot
from exam_pdf.collect.gitrun import Budget, GitFailed, TooLarge, stop_all
from exam_pdf.collect.roster import Row, read_roster
from exam_pdf.errors import ReportError
from exam_pdf.provenance import shard_of

SUMMARY = "collect.json"
SUBMISSION = "submission.json"
README = "reports/README.md"


def parse_deadline(text: str) -> datetime.datetime:
    """An ISO 8601 time with its offset; ReportError otherwise (a time without a zone is ambiguous)."""
    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"deadline {text!r}: not an ISO 8601 time such as 2026-01-24T23:59:59+01:00") from None
    if value.tzinfo is None:
        raise ReportError(f"deadline {text!r}: give the time zone, e.g. {text.strip()}+01:00")
    return value


def public_url(url: str) -> str:
    """``url`` without a user name or password (a token in an https URL is not recorded)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("http", "https") and (parts.username or parts.password):
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urllib.parse.urlunsplit(parts._replace(netloc=host))
    return url


@dataclasses.dataclass
class Options:
    deadline: datetime.datetime
    out: Path
    state: Path
    branch: str | None = None
    jobs: int = 4
    timeout: float = 120
    max_bytes: int = 200_000_000
    base: Path = Path(".")
    """Folder that relative repository paths in the roster are relative to (the roster's)."""
    shard: tuple[int, int] = (1, 1)
    """Collect only the i-th of N shares of the groups (see :func:`in_shard`)."""


def in_shard(row: Row, shard: tuple[int, int]) -> bool:
    """Whether ``row`` is in share ``i`` of ``N``: by its group number, as ``batch --shard``
    assigns the folder named by it (:func:`exam_pdf.provenance.shard_of`); a row without
    a usable group number is the first share's, so that it is reported exactly once."""
    index, count = shard
    if row.group is None:
        return index == 1
    return shard_of(row.group, count) == index - 1


def run_collect(
    roster: Path, options: Options, progress: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Collect every row of ``roster``; the summary written to ``out/collect.json``."""
    rows = read_roster(roster)
    if not rows:
        raise ReportError(f"{roster}: the roster lists no group")
    rows = [row for row in rows if in_shard(row, options.shard)]
    options.base = roster.resolve().parent
    options.state = options.state.resolve()
    try:
        options.out.mkdir(parents=True, exist_ok=True)
        options.state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot make the output or state folder ({exc})") from None
    started = _now()
    results: list[dict[str, Any]] = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, options.jobs))
    try:
        futures = [pool.submit(collect_row, row, options) for row in rows]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            results.append(result)
            if progress is not None:
                progress(result)
    except BaseException:  # Ctrl-C: git runs in process groups of its own, end them
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    pool.shutdown()
    results.sort(key=lambda r: r["line"])
    summary = {
        "exam_pdf": __version__,
        "roster": str(roster),
        "deadline": options.deadline.isoformat(),
        "collected_at": started,
        "shard": f"{options.shard[0]}/{options.shard[1]}",
        "totals": {
            "groups": len(results),
            "collected": sum(r["status"] == "collected" for r in results),
            "failed": sum(r["status"] == "failed" for r in results),
            "late": sum(bool(r.get("late_commits")) for r in results),
        },
        "groups": results,
    }
    try:
        _write_json(options.out / SUMMARY, summary)
    except OSError as exc:
        raise ReportError(f"cannot write {options.out / SUMMARY} ({exc})") from None
    return summary


def collect_row(row: Row, options: Options) -> dict[str, Any]:
    """One row's outcome: never raises for anything about the repository."""
    result: dict[str, Any] = {
        "line": row.line,
        "group": row.group,
        "students": row.students,
        "repo_url": public_url(row.url),
        "status": "failed",
        "reason": row.problem,
    }
    if row.problem is not None:
        _record(options, row, result)
        return result
    try:
        result.update(_collect(row, options))
        result["status"] = "collected"
        result["reason"] = None
    except GitFailed as exc:
        result["reason"] = str(exc)
    except OSError as exc:
        result["reason"] = f"cannot write to disk ({exc})"
    except Exception as exc:  # a git output exam-pdf did not expect: this group's row, not the run's end
        result["reason"] = f"internal error: {type(exc).__name__}: {exc}"
    _record(options, row, result)
    return result


def _collect(row: Row, options: Options) -> dict[str, Any]:
    budget = Budget(options.timeout, options.max_bytes)
    url = _resolved(row.url, options.base)
    mirror = repository.mirror_path(options.state, public_url(url))
    with _lock(mirror):  # two rows naming one repository take turns with its mirror
        try:
            return _from_mirror(row, options, url, mirror, budget)
        except TooLarge:
            # What got in before git was stopped must not let the next run succeed
            # where this one failed: the mirror goes.
            shutil.rmtree(mirror, ignore_errors=True)
            raise


_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _lock(mirror: Path) -> threading.Lock:
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(mirror, threading.Lock())


def _from_mirror(row: Row, options: Options, url: str, mirror: Path, budget: Budget) -> dict[str, Any]:
    repository.ensure_mirror(mirror, budget)
    try:
        branch = options.branch or repository.default_branch(mirror, url, budget)
    except GitFailed as exc:
        raise type(exc)(f"cannot read the repository: {exc}") from None
    if branch is None:
        raise GitFailed("the repository is empty (no branch)")
    try:
        found = repository.fetch_branch(mirror, url, branch, budget)
    except GitFailed as exc:
        raise type(exc)(f"cannot fetch branch {branch}: {exc}") from None
    if not found:
        raise GitFailed(f"the repository has no branch {branch!r}")
    tip = repository.tip_of(mirror, budget)
    chain = repository.log_entries(mirror, tip, budget)
    limit = int(options.deadline.timestamp())
    chosen = next((c for c in chain if c.committed <= limit), None)
    if chosen is None:
        raise GitFailed(
            f"no commit on {branch} before the deadline ({len(chain)} after it, the first dated "
            f"{chain[-1].committer_date})"
        )
    entries = repository.report_tree(mirror, chosen.sha, budget)
    files, left_out = snapshot.plan(entries)
    names = {entry.path for entry in files}
    if README not in names:
        other = sorted(n for n in names if n.lower() in ("reports/readme.md", "reports/report.md"))
        found_text = f" (it has {', '.join(other)})" if other else (" (no reports/ folder)" if not entries else "")
        raise GitFailed(f"no {README} at {chosen.sha[:12]}{found_text}")
    oids = sorted({entry.oid for entry in files})
    absent = repository.missing(mirror, chosen.sha, oids, budget)
    if absent:
        try:
            repository.fetch_blobs(mirror, url, absent, budget)
        except GitFailed as exc:
            raise type(exc)(f"cannot fetch the report's files: {exc}") from None
    blobs = repository.read_blobs(mirror, oids, budget)
    folder = options.out / row.group  # type: ignore[operator]
    folder.mkdir(parents=True, exist_ok=True)
    snapshot.write(folder, files, blobs)
    after = repository.count_after(mirror, chosen.sha, tip, budget)
    late = None
    if after:
        last = chain[0]
        late = {"count": after, "last_sha": last.sha, "last_date": last.committer_date}
    warnings = _rewritten(folder, chosen.sha, tip, mirror, options, budget)
    return {
        "repo_url": public_url(row.url),
        "branch": branch,
        "commit": chosen.sha,
        "commit_date": chosen.committer_date,
        "author_date": chosen.author_date,
        "author": chosen.author,
        "committer": chosen.committer,
        "subject": chosen.subject,
        "late_commits": late,
        "files": sorted(names),
        "left_out": left_out,
        "warnings": warnings,
    }


def _resolved(url: str, base: Path) -> str:
    """A relative path in the roster is relative to the roster's folder."""
    if "://" in url or re.match(r"^[^/]{2,}:", url):
        return url
    return str((base / url).resolve()) if not os.path.isabs(url) else url


def _rewritten(folder: Path, chosen: str, tip: str, mirror: Path, options: Options, budget: Budget) -> list[str]:
    """A warning when an earlier collection for the same deadline took a commit that is
    no longer on the branch: its history was rewritten (a force-push)."""
    try:
        earlier = json.loads((folder / SUBMISSION).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(earlier, dict) or earlier.get("deadline") != options.deadline.isoformat():
        return []
    old = earlier.get("commit")
    if not isinstance(old, str) or old == chosen or not re.fullmatch(r"[0-9a-f]{40,64}", old):
        return [*earlier.get("warnings", [])] if old == chosen else []
    if repository.is_ancestor(mirror, old, chosen, budget):
        return [
            f"the earlier collection took {old[:12]}; a commit dated before the deadline was pushed on top of it since"
        ]
    if repository.is_ancestor(mirror, old, tip, budget):
        return [f"the earlier collection took {old[:12]}; the branch's history before the deadline changed since"]
    return [f"history rewritten: the earlier collection took {old[:12]}, which is no longer on the branch"]


def _record(options: Options, row: Row, result: dict[str, Any]) -> None:
    """Write ``submission.json`` for a row with a group; a failed group keeps no reports/."""
    if row.group is None or " is listed again " in (result["reason"] or ""):
        return  # no folder of its own, or the folder belongs to the row that keeps the group
    folder = options.out / row.group
    data = {
        **{k: v for k, v in result.items() if k != "line"},
        "roster_line": row.line,
        "deadline": options.deadline.isoformat(),
        "collected_at": _now(),
        "exam_pdf": __version__,
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if result["status"] != "collected":
            snapshot.remove(folder)
        _write_json(folder / SUBMISSION, data)
    except OSError as exc:
        result["status"] = "failed"
        result["reason"] = f"cannot write the submission ({exc})"


def _write_json(path: Path, data: Any) -> None:
    partial = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    partial.replace(path)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
