"""The exam office's batch: every group's report archived, with a manifest and an overview.

``discover`` finds the reports under a root, :mod:`~exam_pdf.batch.keys` decides
which must be built, :mod:`~exam_pdf.batch.pool` builds them in isolated worker
processes (:mod:`~exam_pdf.batch.worker`), and :mod:`~exam_pdf.batch.outputs`
writes the group folders, ``manifest.json``, ``summary.csv`` and ``index.html``.
The findings in the manifest are the ones ``exam-pdf check`` prints.

The output folder is the archive the office hands on: it holds only what is
archived. The batch's own state (each report's last build and record, which make
a rerun cheap, and the work folders of failed builds with their LaTeX logs) lives
in a state folder: ``--state``, by default one per output folder in the user's
cache (:func:`state_folder`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exam_pdf.batch import outputs, pool, rescue
from exam_pdf.batch.discover import discover, shard_of
from exam_pdf.batch.keys import cache_key
from exam_pdf.batch.worker import Task, base_record, read_record, slot, still_valid, write_record
from exam_pdf.errors import ReportError
from exam_pdf.provenance import Submission, roster_rows_without_folder
from exam_pdf.usercache import user_cache

#: Where batches before exam-pdf kept their state: inside the output folder.
OLD_STATE = ".exam-pdf-batch"


def state_folder(out: Path) -> Path:
    """The default state folder of a batch writing to ``out``: the same for every run to ``out``."""
    return user_cache("batch") / hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]


@dataclasses.dataclass
class Progress:
    """What the command line is told as the batch goes."""

    start: Callable[[int], None] = lambda total: None
    report: Callable[[dict[str, Any], bool], None] = lambda entry, cached: None
    note: Callable[[str], None] = lambda message: None


@dataclasses.dataclass
class Outcome:
    manifest: dict[str, Any]
    built: int
    cached: int
    seconds: float

    @property
    def failed(self) -> int:
        return int(self.manifest["totals"]["failed"])


def run_batch(
    root: Path,
    out: Path,
    jobs: int,
    timeout: float = 120,
    force: bool = False,
    shard: tuple[int, int] = (1, 1),
    notes: bool = True,
    edition: str = "auto",
    progress: Progress | None = None,
    state: Path | None = None,
) -> Outcome:
    progress = progress or Progress()
    started = time.monotonic()
    if not root.is_dir():
        raise ReportError(f"{root}: not a folder")
    state = state or state_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    _drop_old_state(out, progress)
    outputs.clear_leftovers(out)
    index, count = shard
    candidates = [c for c in discover(root, exclude=(out, state)) if shard_of(c.folder, count) == index - 1]
    options = {"notes": notes, "edition": edition, "timeout": timeout}
    skipped = [{"folder": c.folder, "reason": c.skipped} for c in candidates if c.skipped]
    skipped += roster_rows_without_folder(root, shard)  # in a collected tree: rows with no folder of their own
    entries: list[dict[str, Any]] = []
    todo: list[Task] = []
    submissions: dict[str, Submission] = {}
    progress.start(sum(c.readme is not None for c in candidates))
    for candidate in candidates:
        if candidate.readme is None:
            continue
        submission = candidate.submission.config() if candidate.submission else None
        built_from = candidate.submission.built_from() if candidate.submission else None
        if candidate.submission is not None:
            submissions[candidate.relpath] = candidate.submission
        task = Task(
            relpath=candidate.relpath,
            folder=candidate.folder,
            readme=candidate.readme,
            # The commit and roster row are stamped into the PDF: a change rebuilds it.
            key="" if candidate.failed else cache_key(candidate.readme, {**options, "submission": built_from}),
            staging=state / "builds" / slot(candidate.relpath),
            work=state / "work" / slot(candidate.relpath),
            notes=notes,
            edition=edition,
            timeout=timeout,
            submission=submission,
        )
        if candidate.failed:  # not built at all: nothing to cache
            unbuilt = {**base_record(task), "reason": candidate.failed}
            entries.append(outputs.with_submission(unbuilt, candidate.submission))
            progress.report(unbuilt, False)
            continue
        stored = read_record(task.staging)
        if not force and still_valid(stored, task.key, task.staging):
            assert stored is not None
            entries.append(outputs.with_submission(stored, candidate.submission))
            progress.report(stored, True)
        else:
            _set_aside(task.work)
            todo.append(task)

    def finished(task: Task, failure: str | None, seconds: float) -> None:
        record = read_record(task.staging) if failure is None else None
        if rescue.needs_rescue(task, record, failure):
            # The worker left no PDF: the parent makes the fallback (see exam_pdf.batch.rescue).
            why = failure or "the build process wrote no result"
            if failure is None and record is not None and record.get("cache_key") == task.key:
                why = str(record["reason"])  # stopped on its timeout, or an internal error
            made = _rescued(task, why) or {**base_record(task), "reason": why}
            made["build_seconds"] = round(seconds, 3)
            write_record(task.staging, made)
            record = made
        assert record is not None  # needs_rescue is True for a missing record
        if record["status"] != "failed":
            shutil.rmtree(task.work, ignore_errors=True)  # a failed build keeps its LaTeX log
        entries.append(outputs.with_submission(record, submissions.get(task.relpath)))
        progress.report(record, False)

    if todo:
        pool.preload()
        pool.run(todo, max(1, jobs), finished)
    for message in outputs.assign_dirs(entries):
        progress.note(message)
    for entry in entries:
        outputs.place(out, entry, state / "builds" / slot(entry["source"]))
    data = outputs.manifest(entries, skipped, options)
    outputs.write_all(out, data)
    not_built = sum(c.failed is not None for c in candidates)
    return Outcome(
        data, built=len(todo), cached=len(entries) - len(todo) - not_built, seconds=time.monotonic() - started
    )


def _rescued(task: Task, why: str) -> dict[str, Any] | None:
    """The parent's fallback for ``task``, or None; whatever goes wrong, the batch goes on."""
    from exam_pdf.builders.fallback import FALLBACK_TIMEOUT

    try:
        return rescue.rescue(task, why, min(FALLBACK_TIMEOUT, max(5.0, task.timeout)))
    except Exception:  # the group is then listed as failed, with the worker's reason
        return None


def _set_aside(work: Path) -> None:
    """Give a build a work folder of its own, even when a run killed with SIGKILL left one
    behind: that run's TeX engine, which nothing could stop then, may still be writing there.
    The old folder is renamed (writes into it go on harmlessly) and removed as far as it can be."""
    for old in work.parent.glob(f"{work.name}.old-*"):
        shutil.rmtree(old, ignore_errors=True)
    if work.exists():
        aside = work.with_name(f"{work.name}.old-{os.getpid()}")
        work.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)


def _drop_old_state(out: Path, progress: Progress) -> None:
    """Remove the state an older exam-pdf kept inside the archive (it is rebuilt as needed)."""
    old = out / OLD_STATE
    if old.is_symlink():
        old.unlink()
    elif old.is_dir():
        shutil.rmtree(old)
    else:
        return
    progress.note(f"removed {old}: the batch keeps its state outside the archive now")


def merge(out: Path, parts: list[Path]) -> dict[str, Any]:
    """Join the outputs of shards into one folder, manifest, summary and overview."""
    entries: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    options: dict[str, Any] | None = None
    sources: dict[str, Path] = {}
    for part in parts:
        path = part / outputs.MANIFEST
        try:
            data = json.loads(path.read_text("utf-8"))
            reports, skips = data["reports"], data["skipped"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ReportError(f"{path}: not a batch manifest ({type(exc).__name__}: {exc})") from None
        if options is not None and data.get("options") != options:
            raise ReportError(f"{path}: built with other options ({data.get('options')}) than {parts[0]}")
        options = data.get("options")
        for entry in reports:
            if entry["source"] in sources:
                raise ReportError(f"{entry['source']} is in both {sources[entry['source']]} and {part}")
            sources[entry["source"]] = part
            entry["_from"] = part / entry["dir"]
            entries.append(entry)
        skipped += skips
    out.mkdir(parents=True, exist_ok=True)
    outputs.clear_leftovers(out)
    outputs.assign_dirs(entries)  # clashes are recorded in each entry's clash_with
    for entry in entries:
        origin: Path = entry.pop("_from")
        if entry["status"] != "failed" and origin.resolve() != (out / entry["dir"]).resolve():
            outputs.place(out, entry, origin)
    data = outputs.manifest(entries, skipped, options or {})
    outputs.write_all(out, data)
    return data
