"""The benchmark's short version (issue 7): ``benchmarks/run.py --smoke`` completes on the
bundled example and prints a line for every target. Not a timed test: the numbers are
not judged here, only that each target was measured (or, for pandoc, skipped by name)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE, REPO

pytestmark = pytest.mark.latex

TARGETS = ("1", "2", "3a", "3b", "3c", "3d", "4")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    assert (EXAMPLE / "README.md").is_file(), "the bundled example report is missing"
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke", "--json", str(out / "r.json")],
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done, json.loads((out / "r.json").read_text())


def target_lines(stdout: str, target: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(f"target {target} ")]


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_has_a_line_with_a_verdict(smoke, target: str) -> None:
    lines = target_lines(smoke[0].stdout, target)
    assert lines, f"no line for target {target}"
    for line in lines:
        assert re.search(r": (MET|NOT MET|INFO|SKIP)( \(.*\))?$", line), line


def test_exam_pdf_side_was_measured_on_the_example(smoke) -> None:
    # exam-pdf's own numbers never depend on pandoc: they must be real, positive seconds.
    rows = {(r["target"], r["subject"]): r for r in smoke[1]["results"]}
    check = rows[("1", "example")]["numbers"]
    assert check["exam-pdf check s"] > 0
    if "baseline s" in check:  # python-markdown (the bench extra) installed
        assert rows[("1", "example")]["ratio"] == pytest.approx(check["exam-pdf check s"] / check["baseline s"])
    else:
        assert rows[("1", "example")]["verdict"] == "INFO"
    assert rows[("2", "example")]["numbers"].get("exam-pdf pdf s", 0) > 0 or shutil.which("pandoc") is None
    assert rows[("3c", "example copies")]["numbers"]["peak tree RSS MiB"] > 10  # xelatex alone is bigger


def test_ratios_and_verdicts_agree(smoke) -> None:
    goals = {"1": 1.2, "2": 1.0}
    for row in smoke[1]["results"]:
        if row["target"] in goals and row["ratio"] is not None:
            assert row["verdict"] == ("MET" if row["ratio"] <= goals[row["target"]] else "NOT MET"), row
        if row["target"] == "3a" and row["ratio"] is not None:
            assert row["verdict"] == ("MET" if row["ratio"] >= 2 else "NOT MET"), row


def test_pandoc_reference_present_or_named_as_skipped(smoke) -> None:
    stdout = smoke[0].stdout
    if shutil.which("pandoc") is None:
        assert "SKIP pandoc" in stdout
    else:
        assert "pandoc xelatex s" in target_lines(stdout, "2")[0]


def test_baseline_script_counts_like_the_course(tmp_path: Path) -> None:
    pytest.importorskip("markdown", reason="the bench extra (python-markdown) is not installed")
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from run import BASELINE_CHECK
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Report\n\n### Question 1\n> prompt\n\nAnswer:\n\none two three ![a](figures/a.png)\n\n"
        "### Question 2\n> prompt\n\nAnswer:\n\nfour five\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, "-c", BASELINE_CHECK, str(readme)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["question 1: 4 words, 1 images", "question 2: 2 words, 0 images"]
