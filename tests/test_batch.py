"""The exam office's batch (issue 5): a mixed tree of good, blank, broken and hostile reports.

A small tree holds the broken cases and is used for the interruption, cache and shard
checks. The big tree, every corpus report and every blank template, is in
test_batch_corpus.py (a module of its own, so that it runs beside these on the other
test worker).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import warmcli
from conftest import TEMPLATES, template_names
from pypdf import PdfReader

pytestmark = pytest.mark.latex

#: The small tree's timeout: generous, so that whether a report builds never depends on the load.
TIMEOUT = 60
#: The timeout of the report built to run out of time (its Sphinx step alone takes ~60 s).
HANG_TIMEOUT = 10


def state_of(out: Path) -> Path:
    """The batch state folder these tests give each output folder (not the user's cache)."""
    return out.with_name(f"{out.name}-state")


def batch(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    if "--out" in args and "--state" not in args:
        args = (*args, "--state", str(state_of(Path(args[args.index("--out") + 1]))))
    return warmcli.run(["batch", *args], timeout=timeout, env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"})


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text("utf-8"))


def by_folder(data: dict) -> dict[str, dict]:
    return {entry["folder"]: entry for entry in data["reports"]}


def _template(name: str = "2026") -> str:
    return (TEMPLATES / f"{name}.md").read_text("utf-8")


def _answer_first(template: str, answer: str) -> str:
    return template.replace("> Answer:\n", "> Answer:\n\n" + answer + "\n", 1)


def hang_tree(root: Path) -> Path:
    """A report whose build takes far longer than HANG_TIMEOUT (40 tables of 300 columns, a minute or more)."""
    row = "|" + "|".join(f"cell{i}" for i in range(300)) + "|\n"
    rule = "|" + "|".join("-" for _ in range(300)) + "|\n"
    (root / "hangs").mkdir(parents=True)
    (root / "hangs" / "README.md").write_text(_answer_first(_template(), ("\n" + row + rule + row * 6) * 40), "utf-8")
    return root


def small_tree(root: Path) -> Path:
    """Blank templates, broken and hostile reports, and a folder that holds no report."""
    for name in template_names():
        folder = root / f"blank-{name}"
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(_template(name), "utf-8")
    # A file that cannot be read as text: it looks like a report but is not UTF-8.
    (root / "not-utf8" / "reports").mkdir(parents=True)
    (root / "not-utf8" / "reports" / "README.md").write_bytes(
        b"### Question 1\n\n\xff\xfe group 7 \xe6\xf8\xe5 (Latin-1)"
    )
    # A figure that is not an image: built, with a placeholder and an image-unreadable finding.
    fake = root / "fake-figure" / "reports"
    (fake / "figures").mkdir(parents=True)
    (fake / "figures" / "loss.png").write_text("this is not a PNG", "utf-8")
    (fake / "README.md").write_text(_answer_first(_template(), "![loss](figures/loss.png)"), "utf-8")
    # An answer that breaks the TeX engine: a code token of 250,000 characters, longer than
    # TeX can read in one line and with nowhere to break it. Built as a fallback PDF.
    code = '```python\nkey = "' + "k" * 250_000 + '"\n```'
    (root / "latex-breaker").mkdir()
    (root / "latex-breaker" / "README.md").write_text(_answer_first(_template(), code), "utf-8")
    (root / "no-report").mkdir()
    (root / "no-report" / "notes.txt").write_text("nothing to see", "utf-8")
    # Handed in, but not a report: failed rows, not skipped folders.
    (root / "binary").mkdir()
    (root / "binary" / "README.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (root / "no-questions" / "reports").mkdir(parents=True)
    (root / "no-questions" / "reports" / "README.md").write_text("# Our MLOps project\n\nSee the code.\n", "utf-8")
    return root


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for key, value in attrs if key == "href" and value]
        if tag == "script":
            self.scripts += 1


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    root = small_tree(tmp_path_factory.mktemp("small") / "root")
    out = root.parent / "out"
    result = batch(str(root), "--out", str(out), "-j", "2", "--timeout", str(TIMEOUT))
    return root, out, result


def test_small_tree_good_archived_broken_reported(small: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> None:
    _, out, result = small
    assert result.returncode == 1, result.stdout + result.stderr  # some reports failed
    assert "Traceback" not in result.stderr
    data = manifest(out)
    entries = by_folder(data)
    for name in template_names():
        entry = entries[f"blank-{name}"]
        assert entry["status"] == "findings"  # built; every question unanswered
        assert entry["findings_by_rule"]["unanswered"] == entry["questions"]
        assert (out / entry["dir"] / "report.pdf").is_file()
        assert hashlib.sha256((out / entry["pdf"]).read_bytes()).hexdigest() == entry["pdf_sha256"]
        assert len(PdfReader(out / entry["pdf"]).pages) == entry["pages"]
    assert entries["not-utf8"]["status"] == "failed"
    assert "UTF-8" in entries["not-utf8"]["reason"]
    fake = entries["fake-figure"]
    assert fake["status"] == "findings" and fake["findings_by_rule"].get("image-unreadable") == 1
    assert (out / fake["dir"] / "report.pdf").is_file()
    assert entries["latex-breaker"]["status"] == "fallback"
    assert "LaTeX error" in entries["latex-breaker"]["reason"] and "too long" in entries["latex-breaker"]["reason"]
    assert (out / entries["latex-breaker"]["dir"] / "report.pdf").is_file()
    assert entries["binary"]["status"] == "failed"
    assert entries["binary"]["reason"] == "binary/README.md: is a binary file, not Markdown text"
    assert entries["no-questions"]["status"] == "failed"
    assert entries["no-questions"]["reason"].startswith(
        "no-questions/reports/README.md: no '### Question N' sections found"
    )
    assert data["skipped"] == [{"folder": "no-report", "reason": "no README.md or reports/README.md"}]
    assert data["totals"] == {
        "reports": len(entries),
        "ok": 0,
        "findings": len(template_names()) + 1,
        "fallback": 1,
        "failed": 3,
        "skipped": 1,
    }
    # Blank templates have no group number: they are named after their folders, without clashes.
    assert len({e["dir"] for e in data["reports"]}) == len(data["reports"])
    # The archive holds what is archived: no state, nothing hidden or half-written.
    assert not list(out.rglob(".*"))
    assert {p.name for p in out.iterdir()} == {"manifest.json", "summary.csv", "index.html"} | {
        e["dir"] for e in data["reports"] if e["pdf"]
    }
    # Non-TTY output: one line per report, then failures, skips and the summary.
    assert result.stdout.count("] ") >= len(entries)
    assert "no-report" in result.stdout and "1 fallback, 3 failed" in result.stdout
    assert "Traceback" not in result.stdout


def test_a_report_past_its_timeout_is_stopped(tmp_path: Path) -> None:
    root, out = hang_tree(tmp_path / "root"), tmp_path / "out"
    result = batch(str(root), "--out", str(out), "--timeout", str(HANG_TIMEOUT))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [hang] = manifest(out)["reports"]
    assert hang["build_seconds"] < HANG_TIMEOUT + 30  # stopped on time
    # Whoever stopped it, the group has a fallback PDF.
    assert hang["status"] == "fallback", hang
    assert (out / hang["pdf"]).is_file() and "1 fallback" in result.stdout
    if "pdf-fallback" in hang["findings_by_rule"]:
        # The TeX engine stopped itself within the report's time, and the worker made the fallback.
        assert hang["reason"] == "the TeX engine ran past its time limit and was stopped"
    else:
        # On a machine too loaded to reach TeX in time, the build (or the pool) stopped the
        # whole worker, and the batch made the fallback itself (exam_pdf/batch/rescue.py).
        assert hang["reason"].startswith(f"did not finish within its timeout of {HANG_TIMEOUT} s and was stopped; ")
        assert HANG_TIMEOUT <= hang["build_seconds"]


def test_summary_and_overview_agree_with_manifest(small: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> None:
    _, out, _ = small
    data = manifest(out)
    rows = list(csv.DictReader((out / "summary.csv").read_text("utf-8").splitlines()))
    assert [r["source"] for r in rows] == [e["source"] for e in data["reports"]]
    assert {r["status"] for r in rows} == {"findings", "fallback", "failed"}
    page = (out / "index.html").read_text("utf-8")
    links = _Links()
    links.feed(page)
    expected = {e["pdf"] for e in data["reports"] if e["pdf"]} | {e["html"] for e in data["reports"] if e["html"]}
    assert expected and expected <= set(links.hrefs)
    for href in links.hrefs:
        assert (out / href).is_file(), href
    assert links.scripts == 1  # the sorting script, allowed by hash in the page's CSP
    assert "script-src 'sha256-" in page and "http://" not in page and "https://" not in page


def test_rerun_is_all_cache_hits(small: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> None:
    root, out, _ = small
    before = manifest(out)
    again = batch(str(root), "--out", str(out), "-j", "2", "--timeout", str(TIMEOUT))
    # No report was built again: counted, not timed (a loaded machine makes any time bound flaky).
    assert "; 0 built," in again.stdout, again.stdout
    assert manifest(out) == before


def test_force_rebuilds_and_changes_are_picked_up(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "g").mkdir(parents=True)
    readme = root / "g" / "README.md"
    readme.write_text(_answer_first(_template(), "Our first answer."), "utf-8")
    out = tmp_path / "out"
    assert "; 1 built," in batch(str(root), "--out", str(out)).stdout
    first = manifest(out)["reports"][0]
    assert "; 0 built," in batch(str(root), "--out", str(out)).stdout
    readme.write_text(_answer_first(_template(), "Our second, longer answer."), "utf-8")
    assert "; 1 built," in batch(str(root), "--out", str(out)).stdout
    second = manifest(out)["reports"][0]
    assert second["pdf_sha256"] != first["pdf_sha256"] and second["cache_key"] != first["cache_key"]
    assert "; 1 built," in batch(str(root), "--out", str(out), "--force").stdout


def test_interrupted_batch_completes_on_rerun(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for name in template_names():
        (root / name).mkdir(parents=True)
        (root / name / "README.md").write_text(_template(name), "utf-8")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "exam_pdf", "batch", str(root), "--out", str(out), "--state", str(state_of(out)), "-j1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not list((state_of(out) / "builds").glob("*/record.json")):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # the batch and its worker, mid-build
    process.communicate()
    assert not (out / "manifest.json").exists()
    resumed = batch(str(root), "--out", str(out), "-j", "2")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    data = manifest(out)
    assert len(data["reports"]) == len(template_names())
    assert all(e["status"] == "findings" for e in data["reports"])
    built = int(resumed.stdout.rsplit(" built", 1)[0].rsplit(" ", 1)[1])
    assert built < len(template_names())  # what finished before the kill was kept
    for entry in data["reports"]:
        assert hashlib.sha256((out / entry["pdf"]).read_bytes()).hexdigest() == entry["pdf_sha256"]


Small = tuple[Path, Path, subprocess.CompletedProcess[str]]


def test_shards_merged_equal_the_whole(tmp_path: Path, small: Small) -> None:
    root, out, _ = small
    parts = []
    for index in (1, 2):
        part = tmp_path / f"part{index}"
        batch(str(root), "--out", str(part), "-j", "2", "--timeout", str(TIMEOUT), "--shard", f"{index}/2")
        parts.append(part)
    shares = [manifest(p) for p in parts]
    assert all(share["reports"] for share in shares)  # both shards had work
    merged_out = tmp_path / "merged"
    result = warmcli.run(["merge", str(merged_out), *map(str, parts)])
    assert result.returncode == 1  # the broken reports are still failures
    merged, whole = manifest(merged_out), manifest(out)

    def timeless(data: dict) -> dict:
        return {**data, "reports": [{k: v for k, v in e.items() if k != "build_seconds"} for e in data["reports"]]}

    # Entry by entry first, so that a difference names its report and field.
    for mine, theirs in zip(timeless(merged)["reports"], timeless(whole)["reports"], strict=True):
        assert {k: v for k, v in mine.items() if v != theirs.get(k)} == {}, mine["folder"]
    assert timeless(merged) == timeless(whole)
    for entry in merged["reports"]:
        if entry["pdf"]:
            digest = hashlib.sha256((merged_out / entry["pdf"]).read_bytes()).hexdigest()
            assert digest == entry["pdf_sha256"]


def test_group_clash_is_resolved_and_reported(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for folder in ("alpha", "beta"):
        (root / folder).mkdir(parents=True)
        text = _template().replace("> Answer:\n", "> Answer:\n\n17\n", 1)  # both claim group 17
        (root / folder / "README.md").write_text(text, "utf-8")
    out = tmp_path / "out"
    result = batch(str(root), "--out", str(out), "-j", "2")
    data = by_folder(manifest(out))
    assert data["alpha"]["dir"] == "17" and data["beta"]["dir"] == "17-beta"
    assert data["alpha"]["clash_with"] == ["beta/README.md"]
    assert "group 17" in result.stderr
    assert (out / "17" / "report.pdf").is_file() and (out / "17-beta" / "report.pdf").is_file()
