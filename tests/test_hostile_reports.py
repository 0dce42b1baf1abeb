"""Issue 17's hostile reports: ``check`` never stalls on them, and every group gets an
archived PDF (real, or the fallback) and an HTML page, never a traceback.

The cases are generated (``hostile_cases.py``). How fast ``check`` is on each is measured
in ``benchmarks/`` (the size sweep); here a generous bound only keeps a stall from hanging
the suite, and the assertions are on outcomes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_cases import CASES, write_case

#: A stall, not a slow machine: check takes well under 5 s on each case here.
CHECK_BOUND = 120
BATCH_BOUND = 1500


def run(*args: str | Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exam_pdf", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )


def assert_no_crash(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_finishes_with_findings_not_a_crash(name: str, tmp_path: Path) -> None:
    folder = write_case(name, tmp_path / "reports")
    result = run("check", folder, "--quiet", "--format", "json", timeout=CHECK_BOUND)
    assert_no_crash(result)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["questions"] >= 3


IDENTITY = {
    "escape-in-the-title": "U+001B",
    "bidi-override-group-number": "U+202E",
    "arabic-indic-study-number": "U+0662",
}


@pytest.mark.parametrize("name", sorted(IDENTITY))
def test_identity_text_names_the_code_point(name: str, tmp_path: Path) -> None:
    folder = write_case(name, tmp_path / "reports")
    data = json.loads(run("check", folder, "--format", "json", timeout=CHECK_BOUND).stdout)
    assert any(IDENTITY[name] in finding["message"] for finding in data["findings"]), data["findings"]


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("hostile") / "groups"
    for index, name in enumerate(sorted(CASES), start=1):
        write_case(name, root / f"{index:02d}-{name}" / "reports")
    out = root.parent / "archive"
    result = run("batch", root, "--out", out, "-j", "2", "--timeout", "60", timeout=BATCH_BOUND)
    assert_no_crash(result)
    return out, json.loads((out / "manifest.json").read_text("utf-8"))


@pytest.mark.latex
def test_every_hostile_group_is_archived(hostile_archive: tuple[Path, dict]) -> None:
    out, manifest = hostile_archive
    assert not manifest["skipped"]
    assert len(manifest["reports"]) == len(CASES)
    for entry in manifest["reports"]:
        assert entry["status"] in ("ok", "findings", "fallback"), (entry["source"], entry["reason"])
        folder = out / entry["dir"]
        assert (folder / "report.pdf").stat().st_size > 0 and (folder / "report.html").stat().st_size > 0


@pytest.mark.latex
def test_every_hostile_archive_verifies(hostile_archive: tuple[Path, dict]) -> None:
    out, manifest = hostile_archive
    for entry in manifest["reports"]:
        result = run("verify", out / entry["dir"] / "report.pdf", timeout=CHECK_BOUND)
        assert result.returncode == 0, (entry["source"], result.stdout, result.stderr)
        assert result.stdout.strip().endswith("intact")
