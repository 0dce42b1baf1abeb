"""The pre-commit hook in ``.pre-commit-hooks.yaml``, run for real with ``pre-commit run``.

As a course repository uses it: a ``.pre-commit-config.yaml`` names exam-pdf's
repository and a commit of it (``rev``). pre-commit clones the repository at that commit,
so the test snapshots the working tree as it is on disk (tracked and untracked, minus
what .gitignore ignores) into a throw-away git repository and names that: the same in
CI's clean clone and in a working tree with new files. pre-commit installs exam-pdf
into its own virtualenv (under a temporary PRE_COMMIT_HOME) from that copy, once for
the module: the second run finds it in the store, as a student's second commit does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

GOOD = """\
# Exam report

## Group information

### Question 1
> **Our group**
>
> Answer:

42

### Question 2
> **Our members**
>
> Answer:

s123456, s654321
"""
BAD = GOOD.replace("s123456, s654321", "--- question 2 fill here ---")


def _git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _snapshot_project(target: Path) -> Path:
    """Commit the project's files as they are on disk into a new repository at ``target``."""
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # deleted-but-tracked files are listed too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git("init", "-q", cwd=target)
    _git("add", "-A", cwd=target)
    _git("commit", "-q", "-m", "snapshot", cwd=target)
    return target


def _consumer(root: Path, reports: dict[str, str]) -> Path:
    """A course repository: ``reports/README.md`` files at the given folders, committed."""
    root.mkdir()
    _git("init", "-q", cwd=root)
    for folder, text in reports.items():
        path = root / folder / "reports" / "README.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "notes.md").write_text("### Question 1\n\nnot a report: the hook must not look at it\n")
    _git("add", "-A", cwd=root)
    _git("commit", "-q", "-m", "reports", cwd=root)
    return root


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed for the pre-commit test")
    return _snapshot_project(tmp_path_factory.mktemp("hook-repo"))


@pytest.fixture(scope="module")
def try_repo(hook_repo: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # Installing the hook's virtualenv (exam-pdf and its dependencies) takes most of the
    # time; both runs share one PRE_COMMIT_HOME, so it is installed once.
    home = tmp_path_factory.mktemp("pre-commit-home")
    rev = _git("rev-parse", "HEAD", cwd=hook_repo).strip()
    config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": [{"id": "exam-pdf-check"}]}]}

    def run(consumer: Path, *files: str) -> subprocess.CompletedProcess[str]:
        (consumer / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        _git("add", ".pre-commit-config.yaml", cwd=consumer)
        _git("commit", "-q", "-m", "pre-commit", cwd=consumer)
        selection = ["--files", *files] if files else ["--all-files"]
        env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "GIT_CONFIG_NOSYSTEM": "1"}
        env.pop("VIRTUAL_ENV", None)
        return subprocess.run(
            [*PRE_COMMIT, "run", "exam-pdf-check", "--color", "never", *selection],
            cwd=consumer,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    return run


def test_hook_definition_fires_on_any_change_under_reports() -> None:
    import re

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = (h for h in hooks if h["id"] == "exam-pdf-check")
    assert hook["language"] == "python"
    assert hook["entry"].split() == ["exam-pdf", "check", "--quiet", "--from-files"]
    pattern = re.compile(hook["files"])
    for changed in ("reports/README.md", "course/reports/README.md", "reports/readme.md", "reports/figures/a.png"):
        assert pattern.search(changed), changed
    assert not pattern.search("README.md") and not pattern.search("myreports/README.md")
    # pre-commit passes no deleted file to a hook: only always_run catches a deleted figure.
    assert hook["always_run"] is True and hook["pass_filenames"] is True


@pytest.mark.slow
def test_hook_fails_on_a_bad_report_among_good_ones(try_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """pre-commit passes every matching file in one call: one bad report fails the commit,
    and the good ones beside it are checked too (each prints its own summary)."""
    consumer = _consumer(tmp_path / "course", {"a": GOOD, "b": BAD, "c": GOOD})
    run = try_repo(consumer)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Failed" in run.stdout
    finding = next(line for line in run.stdout.splitlines() if "unanswered" in line)
    assert finding.startswith("b/reports/README.md:"), finding
    assert run.stdout.count("2/2 questions pass; 0 error(s)") == 2, run.stdout
    assert "1/2 questions pass; 1 error(s)" in run.stdout
    assert "notes.md" not in run.stdout  # only the reports in reports/ folders are checked
    assert "words  images" not in run.stdout  # --quiet: findings and summaries, no tables


@pytest.mark.slow
def test_hook_passes_on_a_good_report(try_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    consumer = _consumer(tmp_path / "course", {".": GOOD})
    run = try_repo(consumer)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout
