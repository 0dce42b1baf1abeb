"""Ctrl-C and SIGTERM end everything a build started (issue 11, point 7).

The TeX engine runs in a session of its own, so a signal to exam-pdf does not
reach it: exam-pdf must end it. Each test starts exam-pdf with a marker in its
environment (which latexmk, xelatex and xdvipdfmx inherit), waits until xelatex
runs under latexmk, sends the signal and checks that exam-pdf exits with one line
and that no process carrying the marker is left. Nothing here sleeps a fixed time:
each wait polls for its condition, with a generous limit as a safety net only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.latex

MARK = "EXAM_PDF_SIGNAL_TEST"
#: Safety nets, not expectations: a loaded machine may be slow, never this slow.
START_LIMIT = 240.0
STOP_LIMIT = 30.0
REPORT = (
    "# Exam report\n\n### Question 1\n> **Enter the group number.**\n>\n> Answer:\n\n42\n\n"
    "### Question 2\n> **Describe your pipeline.**\n>\n> Answer:\n\n"
)


def _slow_report(folder: Path) -> Path:
    """A report whose TeX passes take a second or more each (600 paragraphs in one answer)."""
    words = ["model", "data", "docker", "pipeline", "training", "cloud", "deploy", "monitor"]
    paragraphs = "\n\n".join(" ".join(words[(i * 7 + j) % 8] for j in range(60)) for i in range(600))
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(REPORT + paragraphs + "\n", "utf-8")
    return folder


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _slow_report(tmp_path_factory.mktemp("signals") / "root" / "slow")


#: Runs exam-pdf as its child and is a "child subreaper" (prctl PR_SET_CHILD_SUBREAPER):
#: a process exam-pdf started and left behind becomes this launcher's child instead of
#: init's, so the launcher sees how each one ended. One that exam-pdf killed ends by
#: SIGKILL; one it left running would end otherwise (SIGPIPE when it next writes to
#: the closed pipe) or not at all. Written as JSON to the file named first.
LAUNCHER = """
import ctypes, json, os, signal, subprocess, sys, time
report, limit, command = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("prctl failed")
child = subprocess.Popen(
    command, start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
)
with open(report + ".pid.tmp", "w") as handle:
    handle.write(str(child.pid))
os.replace(report + ".pid.tmp", report + ".pid")
code = child.wait()
ended, left, deadline = [], [], time.monotonic() + limit
while True:
    try:
        found = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        break
    if found is None:
        if time.monotonic() < deadline:
            time.sleep(0.02)
            continue
        children = open("/proc/self/task/%d/children" % os.getpid()).read().split()
        for pid in map(int, children):
            left.append(open("/proc/%d/comm" % pid).read().strip())
            os.kill(pid, signal.SIGKILL)
        deadline = float("inf")
        continue
    name = open("/proc/%d/comm" % found.si_pid).read().strip()
    os.waitpid(found.si_pid, 0)
    how = signal.Signals(found.si_status).name if found.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else "exit"
    ended.append([name, how])
with open(report, "w") as handle:
    json.dump({"code": code, "ended": ended, "left": left}, handle)
"""


def descendants(root: int) -> dict[int, str]:
    """``{pid: command name}`` of the live processes below ``root`` (the launcher).

    By parent, not by a variable in the environment: the TeX programs get an
    environment of exam-pdf's own (``sandbox.tex_environment``), without the caller's.
    """
    parents: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if state != "Z":
            parents[int(entry)] = (int(ppid), name)
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, name) in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = name
                frontier.append(pid)
    return found


class Run:
    """exam-pdf under the launcher, with a fresh marker."""

    def __init__(self, tmp_path: Path, *args: str | Path) -> None:
        self.mark = uuid.uuid4().hex
        self.report = tmp_path / f"launcher-{self.mark}.json"
        self.launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(self.report), str(STOP_LIMIT), *self.command(args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, MARK: self.mark, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONUNBUFFERED": "1"},
        )
        self.wait_for(lambda: Path(f"{self.report}.pid").is_file(), "exam-pdf to start")
        self.pid = int(Path(f"{self.report}.pid").read_text())

    @staticmethod
    def command(args: tuple[str | Path, ...]) -> list[str]:
        return [sys.executable, "-m", "exam_pdf", *map(str, args)]

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_LIMIT
        while not condition():
            if self.launcher.poll() is not None:
                out, err = self.launcher.communicate()
                pytest.fail(f"exam-pdf ended before {what}:\n{out}\n{err}")
            assert time.monotonic() < deadline, f"no {what} within {START_LIMIT} s"
            time.sleep(0.02)

    def tex_running(self) -> bool:
        """xelatex started by latexmk (not the one-off format dump, which latexmk does not run)."""
        return {"latexmk", "xelatex"} <= set(descendants(self.launcher.pid).values())

    def stop(self, signum: int, group: bool) -> tuple[str, str]:
        """Send ``signum`` to exam-pdf's process group (a terminal's Ctrl-C) or to exam-pdf
        alone (``kill``); check that it exits with 128 + signum and leaves nothing running."""
        if group:
            os.killpg(self.pid, signum)
        else:
            os.kill(self.pid, signum)
        try:
            out, err = self.launcher.communicate(timeout=3 * STOP_LIMIT)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.launcher.kill()
            self.launcher.communicate()
            pytest.fail(f"exam-pdf did not exit after {signal.Signals(signum).name}")
        assert self.launcher.returncode == 0, err
        result = json.loads(self.report.read_text())
        assert result["left"] == [], f"still running after exam-pdf exited: {result['left']}"
        # Whatever exam-pdf started and did not wait for itself, it killed.
        assert all(how == "SIGKILL" for _, how in result["ended"]), result["ended"]
        assert descendants(self.launcher.pid) == {}
        assert result["code"] == 128 + signum, err
        assert "Traceback" not in err
        return out, err


@pytest.mark.parametrize(
    ("command", "signum", "group"),
    [("pdf", signal.SIGINT, True), ("build", signal.SIGTERM, False)],
    ids=["pdf-ctrl-c", "build-sigterm"],
)
def test_interrupted_build_ends_the_tex_engine(
    slow: Path, tmp_path: Path, command: str, signum: signal.Signals, group: bool
) -> None:
    run = Run(tmp_path, command, slow, "--out", tmp_path / "out", "--cache-dir", tmp_path / "work")
    run.wait_for(run.tex_running, "xelatex under latexmk")
    _, err = run.stop(signum, group)
    expected = "exam-pdf: interrupted" if signum == signal.SIGINT else "exam-pdf: terminated"
    assert err.strip().splitlines() == [expected]
    assert not (tmp_path / "out" / "report.pdf").exists()


@pytest.mark.parametrize(
    ("signum", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "sigterm"]
)
def test_interrupted_batch_ends_its_workers_and_their_engines(
    slow: Path, tmp_path: Path, signum: signal.Signals, group: bool
) -> None:
    root = tmp_path / "root"
    shutil.copytree(slow, root / "group")
    out = tmp_path / "out"
    run = Run(tmp_path, "batch", root, "--out", out, "--state", tmp_path / "state")
    run.wait_for(run.tex_running, "xelatex under latexmk")
    _, err = run.stop(signum, group)
    expected = "exam-pdf: interrupted" if signum == signal.SIGINT else "exam-pdf: terminated"
    # The workers' output (a traceback included) goes to their build.log, never here.
    assert err.strip().splitlines() == [expected]
    assert not (out / "manifest.json").exists() and not list(out.rglob("report.pdf"))


def test_terminated_preview_exits_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "README.md").write_text(REPORT + "We use DVC and Docker.\n", "utf-8")
    run = Run(tmp_path, "preview", tmp_path / "report", "--port", "0")
    assert run.launcher.stdout is not None
    for line in run.launcher.stdout:  # the first build is done and the server is up
        if "http://" in line:
            break
    _, err = run.stop(signal.SIGTERM, False)
    assert err.strip().splitlines() == ["exam-pdf: terminated"]
