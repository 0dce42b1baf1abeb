"""Batch pieces that need no TeX: discovery, shards, folder names, cache keys."""

from __future__ import annotations

import hashlib
import itertools
import os
from pathlib import Path

import pytest

from exam_pdf.batch.discover import discover, shard_of
from exam_pdf.batch.keys import cache_key
from exam_pdf.batch.outputs import assign_dirs, ranges
from exam_pdf.batch.worker import Task, build, timed_out
from exam_pdf.errors import BuildTimeout

REPORT = "# Report\n\n### Question 1\n\n> Answer:\n\n42\n"


def _write(path: Path, text: str = REPORT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_discover_builds_every_readme_and_skips_only_folders_without_one(tmp_path: Path) -> None:
    _write(tmp_path / "course-repo" / "README.md", "# Our project\n\nNo questions here.\n")
    _write(tmp_path / "course-repo" / "reports" / "README.md")
    _write(tmp_path / "plain" / "README.md")
    _write(tmp_path / "not-a-report" / "README.md", "# Just a project\n")
    (tmp_path / "empty").mkdir()
    _write(tmp_path / ".hidden" / "README.md")
    outside = _write(tmp_path.parent / f"{tmp_path.name}-outside" / "README.md")
    (tmp_path / "linked-readme").mkdir()
    (tmp_path / "linked-readme" / "README.md").symlink_to(outside)
    found = {c.folder: c for c in discover(tmp_path)}
    assert sorted(found) == ["course-repo", "empty", "linked-readme", "not-a-report", "plain"]
    assert found["course-repo"].relpath == "course-repo/reports/README.md"
    assert found["plain"].relpath == "plain/README.md"
    # A README without questions is built, and fails with the reason, as a row of the manifest.
    assert found["not-a-report"].skipped is None and found["not-a-report"].relpath == "not-a-report/README.md"
    assert found["empty"].skipped == "no README.md or reports/README.md"
    # A README that points outside its folder is never read, but it is a failed row too.
    linked = found["linked-readme"]
    assert linked.skipped is None and linked.relpath == "linked-readme/README.md"
    assert linked.failed == "README.md is a link to a file outside the group's folder"
    assert [c.folder for c in found.values() if c.skipped] == ["empty"]


def test_discover_leaves_out_the_output_and_state_folders(tmp_path: Path) -> None:
    _write(tmp_path / "g1" / "README.md")
    (tmp_path / "archive").mkdir()
    (tmp_path / "state").mkdir()
    assert [c.folder for c in discover(tmp_path, exclude=tmp_path / "archive")] == ["g1", "state"]
    assert [c.folder for c in discover(tmp_path, exclude=(tmp_path / "archive", tmp_path / "state"))] == ["g1"]


def test_shards_partition_the_reports() -> None:
    names = [f"group-{n}/reports/README.md" for n in range(200)]
    for count in (1, 2, 3, 7):
        shares = [[n for n in names if shard_of(n, count) == i] for i in range(count)]
        assert sorted(itertools.chain(*shares)) == sorted(names)  # every report in exactly one shard
        assert all(shares)  # and none empty at this size


def test_clashing_groups_get_distinct_folders_whatever_the_order() -> None:
    entries = [
        {"source": "b/README.md", "folder": "b", "group": "7"},
        {"source": "a/README.md", "folder": "a", "group": "7"},
        {"source": "c/README.md", "folder": "c", "group": None},
        {"source": "d/README.md", "folder": "d", "group": "manifest.json"},
    ]
    messages = assign_dirs(entries)
    dirs = {e["folder"]: e["dir"] for e in entries}
    assert dirs == {"a": "7", "b": "7-b", "c": "c", "d": "group-manifest.json"}
    assert len(messages) == 1 and "a/README.md" in messages[0] and "b/README.md" in messages[0]
    reordered = [dict(e) for e in reversed(entries)]
    assign_dirs(reordered)
    assert {e["folder"]: e["dir"] for e in reordered} == dirs


def test_folder_names_are_safe() -> None:
    entries = [{"source": "x/README.md", "folder": "x", "group": "../../etc"}]
    assign_dirs(entries)
    assert "/" not in entries[0]["dir"] and not entries[0]["dir"].startswith(".")


def test_cache_key_follows_the_report_folder_and_options(tmp_path: Path) -> None:
    readme = _write(tmp_path / "r" / "README.md")
    figure = tmp_path / "r" / "figures" / "a.png"
    figure.parent.mkdir()
    figure.write_bytes(b"one")
    options = {"notes": True, "edition": "auto", "timeout": 120}
    first = cache_key(readme, options)
    assert cache_key(readme, dict(options)) == first
    os.utime(readme, (0, 0))  # a touched file with the same content is the same report
    assert cache_key(readme, options) == first
    figure.write_bytes(b"two")
    second = cache_key(readme, options)
    assert second != first
    assert cache_key(readme, {**options, "notes": False}) != second
    (tmp_path / "r" / ".exam-pdf-cache").mkdir()
    (tmp_path / "r" / ".exam-pdf-cache" / "junk").write_text("build output", "utf-8")
    assert cache_key(readme, options) == second


def test_ranges() -> None:
    assert ranges([1, 2, 3, 7, 9, 10]) == "1-3, 7, 9-10"
    assert ranges([5, 5]) == "5"
    assert ranges([]) == ""


def test_a_timeout_reads_the_same_whoever_stopped_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The engine stopping itself and the pool killing the worker race each other
    # under load; the manifest (and a merge of shards) must not depend on who won.
    import exam_pdf.builders

    readme = tmp_path / "g" / "README.md"
    readme.parent.mkdir()
    readme.write_text("### Question 1\n\n> **Group number?**\n>\n> Answer:\n\n7\n", "utf-8")

    def engine_timeout(*args: object, **kwargs: object) -> None:
        raise BuildTimeout("the TeX engine did not finish within 13 s and was stopped")

    monkeypatch.setattr(exam_pdf.builders, "build_pdf", engine_timeout)
    task = Task(
        relpath="g/README.md",
        folder="g",
        readme=readme,
        key="k",
        staging=tmp_path / "state" / "builds" / "k",
        work=tmp_path / "state" / "work" / "k",
        notes=True,
        edition="auto",
        timeout=60,
    )
    task.staging.mkdir(parents=True)
    record = build(task)
    assert record["status"] == "failed"
    assert record["reason"] == timed_out(task) == "did not finish within its timeout of 60 s and was stopped"


def test_a_reason_is_one_line_and_names_paths_as_the_manifest_does(tmp_path: Path) -> None:
    from exam_pdf.batch.worker import reason

    state = tmp_path / "state"
    task = Task(
        relpath="g/reports/README.md",
        folder="g",
        readme=tmp_path / "root" / "g" / "reports" / "README.md",
        key="k",
        staging=state / "builds" / "abc",
        work=state / "work" / "abc",
        notes=True,
        edition="auto",
        timeout=60,
    )
    text = (
        f"{task.readme}:3:1: not UTF-8\nTraceback (most recent call last):\n  (full log: {task.work}/latex/report.log)"
    )
    assert reason(task, text) == (
        "g/reports/README.md:3:1: not UTF-8 Traceback (most recent call last): (full log: work/abc/latex/report.log)"
    )


@pytest.mark.parametrize(("ignore_term", "ended_by"), [(False, "SIGTERM"), (True, "SIGKILL")])
def test_workers_are_asked_to_stop_then_killed(ignore_term: bool, ended_by: str) -> None:
    import multiprocessing
    import signal

    from exam_pdf.batch.pool import stop

    ready = multiprocessing.get_context("fork").Event()

    def body() -> None:
        os.setpgid(0, 0)
        if ignore_term:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        ready.set()
        while True:
            signal.pause()

    process = multiprocessing.get_context("fork").Process(target=body)
    process.start()
    assert ready.wait(30)
    stop([process], seconds=0.5)
    assert process.exitcode == -getattr(signal, ended_by)


def test_a_place_cut_short_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    from exam_pdf.batch.outputs import clear_leftovers, place

    staging = tmp_path / "staging"
    staging.mkdir()
    for name in ("report.pdf", "report.html"):
        (staging / name).write_bytes(name.encode())
    out = tmp_path / "out"
    (out / ".7.placing").mkdir(parents=True)  # a run killed between copy and rename
    (out / ".8.replaced").mkdir()
    (out / "7").mkdir()
    (out / "7" / "report.pdf").write_bytes(b"old")
    entry = {
        "dir": "7",
        "status": "ok",
        "pdf_sha256": hashlib.sha256(b"report.pdf").hexdigest(),
        "html_sha256": hashlib.sha256(b"report.html").hexdigest(),
    }
    place(out, entry, staging)
    clear_leftovers(out)
    assert sorted(p.name for p in out.iterdir()) == ["7"]
    assert (out / "7" / "report.pdf").read_bytes() == b"report.pdf"
