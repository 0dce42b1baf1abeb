"""``check`` as the pre-commit hook and a terminal use it: ``--quiet``, ``--from-files``,
one heading per report, and help texts that offer only what a command uses."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from exam_pdf.cli import reports_of

GOOD = (
    "# Report\n\n### Question 1\n\n> **Group?**\n>\n> Answer:\n\n42\n\n"
    "### Question 2\n\n> **Ids?**\n>\n> Answer:\n\ns123456\n"
)
WITH_FIGURE = GOOD.replace("s123456\n", "s123456\n\n![plot](figures/plot.png)\n")


@pytest.fixture
def course_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course repository's root with reports/README.md, as the current folder."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text(WITH_FIGURE, encoding="utf-8")
    (tmp_path / "README.md").write_text("# Our project\n\nNot the report.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_changed_files_name_their_report_folder_once(tmp_path: Path) -> None:
    changed = (
        Path("reports/README.md"),
        Path("reports/figures/a.png"),
        Path("b/Reports/readme.md"),
        Path("reports/figures/sub/b.jpg"),
    )
    assert reports_of(changed) == (Path("reports"), Path("b/Reports"))
    assert reports_of(()) == ()


def test_a_deleted_figure_fails_the_hook(cli: Callable, course_repo: Path) -> None:
    # pre-commit passes no file for a deletion: the hook then checks the repository's report.
    result = cli("check", "--quiet", "--from-files")
    assert result.exit_code == 1
    assert "image-missing" in result.stdout and result.stdout.startswith("reports/README.md:")


def test_a_changed_figure_checks_its_report(cli: Callable, course_repo: Path) -> None:
    result = cli("check", "--quiet", "--from-files", "reports/figures/plot.png")
    assert result.exit_code == 1 and "image-missing" in result.stdout


def test_quiet_prints_findings_and_summary_only(cli: Callable, course_repo: Path) -> None:
    loud = cli("check", "reports").stdout.splitlines()
    quiet = cli("check", "reports", "--quiet").stdout.splitlines()
    assert any(line.split()[:3] == ["Q", "words", "images"] for line in loud)
    assert quiet == [line for line in loud if ": error " in line or ": warning " in line or ": info " in line] + [
        loud[-1]
    ]
    assert "questions pass" in quiet[-1]


def test_several_reports_each_get_a_heading(cli: Callable, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "README.md").write_text(GOOD, encoding="utf-8")
    result = cli("check", str(tmp_path / "a"), str(tmp_path / "b"))
    headings = [line for line in result.stdout.splitlines() if line.startswith("== ")]
    assert [h.endswith(os.path.join(n, "README.md")) for h, n in zip(headings, "ab", strict=True)] == [True, True]
    single = cli("check", str(tmp_path / "a"))
    assert not any(line.startswith("== ") for line in single.stdout.splitlines())


def test_help_offers_only_what_a_command_uses(cli: Callable) -> None:
    assert "--timeout" not in cli("html", "--help").stdout
    assert "--timeout" in cli("pdf", "--help").stdout and "--timeout" in cli("build", "--help").stdout
    check_help = cli("check", "--help").stdout
    assert "annotations" in check_help  # --format explains its choices
    assert "--quiet" in check_help and "--from-files" in check_help
