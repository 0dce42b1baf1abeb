"""The warm runner (tests/warmcli.py) gives what a cold ``python -m exam_pdf`` gives.

The CLI tests trust it for exit codes, output, the working folder and the environment:
each is compared here with a fresh interpreter's run of the same command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import warmcli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "report"


def cold(
    args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exam_pdf", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["no-such-command"],
        ["check", "README.md", "--format", "json"],
        ["check", ".", "--format", "github"],
        ["check", "missing-folder"],
    ],
    ids=["version", "usage-error", "json-relative", "github-dot", "bad-input"],
)
def test_a_warm_run_gives_what_a_cold_one_does(args: list[str]) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    warm = warmcli.run(args, cwd=EXAMPLE, env=env)
    fresh = cold(args, cwd=EXAMPLE, env=env)
    assert (warm.returncode, warm.stdout, warm.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)


def test_the_environment_is_the_runs_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable the run is given is seen; one only the test process has is not."""
    (tmp_path / "root").mkdir()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "garbage")
    clean = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    given = warmcli.run(["batch", "root", "--out", "a"], cwd=tmp_path, env=os.environ)
    assert given.returncode == 2 and "SOURCE_DATE_EPOCH='garbage'" in given.stderr
    not_given = warmcli.run(["batch", "root", "--out", "b"], cwd=tmp_path, env=clean)
    assert not_given.returncode == 0, not_given.stderr


def test_a_run_past_its_timeout_is_ended(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Report\n", "utf-8")
    with pytest.raises(subprocess.TimeoutExpired):
        warmcli.run(["preview", str(tmp_path), "--port", "0"], timeout=3)
    # The server still serves the next run.
    assert warmcli.run(["--version"]).returncode == 0
