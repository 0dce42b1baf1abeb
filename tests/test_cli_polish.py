"""Command-line manners: --version, an example in every --help, colour only on a terminal
and never with NO_COLOR, click's shell completion, several PATHs for pre-commit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
import warmcli
from click.testing import CliRunner

from exam_pdf import __version__
from exam_pdf.cli import main

ANSI = re.compile(r"\x1b\[[0-9;]*m")

GOOD = """\
# Exam report

### Question 1
> **Our group**
>
> Answer:

42

### Question 2
> **Our members**
>
> Answer:

s123456
"""
BAD = GOOD.replace("s123456", "--- question 2 fill here ---")


def command_names() -> list[str]:
    context = click.Context(main, info_name="exam-pdf")
    return main.list_commands(context)


def test_version(cli: Callable[..., object]) -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"exam-pdf, version {__version__}"


def test_version_of_the_installed_command(run_exam_pdf) -> None:  # type: ignore[no-untyped-def]
    done = run_exam_pdf("--version")
    assert done.returncode == 0 and __version__ in done.stdout


@pytest.mark.parametrize("name", [None, *command_names()])
def test_every_help_has_an_example(name: str | None) -> None:
    args = [name, "--help"] if name else ["--help"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    example = result.output.split("Example:", 1)[1]
    first = next(line.strip() for line in example.splitlines() if line.strip())
    assert first.startswith("exam-pdf " + (name or "")), first  # the example uses the command it documents
    assert "-h" in CliRunner().invoke(main, [*args[:-1], "-h"]).output  # -h works too


@pytest.fixture
def bad_report(make_report) -> Path:  # type: ignore[no-untyped-def]
    return make_report(BAD)


def test_colour_on_a_terminal(bad_report: Path) -> None:
    # color=True is CliRunner's stand-in for a terminal
    result = CliRunner().invoke(main, ["check", str(bad_report)], color=True, env={"NO_COLOR": ""})
    assert result.exit_code == 1
    assert ANSI.search(result.output), result.output
    line = next(line for line in result.output.splitlines() if "unanswered" in line)
    assert ANSI.sub("", line).split(": ")[1].startswith("error unanswered")


def test_no_colour_with_no_color_even_on_a_terminal(bad_report: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(bad_report)], color=True, env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert "unanswered" in result.output
    assert not ANSI.search(result.output)


def test_no_colour_when_not_a_terminal(bad_report: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = warmcli.run(["check", str(bad_report)], env=env)
    assert done.returncode == 1
    assert "unanswered" in done.stdout
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr


@pytest.mark.parametrize("output_format", ["json", "github"])
def test_machine_formats_never_coloured(bad_report: Path, output_format: str) -> None:
    result = CliRunner().invoke(main, ["check", str(bad_report), "--format", output_format], color=True)
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    if output_format == "json":
        assert json.loads(result.output)["summary"]["errors"] == 1


#: The console script (completion is keyed to the program name, so not ``python -m exam_pdf``).
SCRIPT = Path(sys.executable).with_name("exam-pdf")


def test_bash_completion_script() -> None:
    env = {**os.environ, "_EXAM_PDF_COMPLETE": "bash_source"}
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "_EXAM_PDF_COMPLETE=bash_complete" in done.stdout
    assert "complete -o nosort -F" in done.stdout


def test_completion_of_command_names() -> None:
    env = {**os.environ, "_EXAM_PDF_COMPLETE": "bash_complete", "COMP_WORDS": "exam-pdf pre", "COMP_CWORD": "1"}
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    offered = [line.split(",", 1)[1] for line in done.stdout.splitlines()]  # "type,value" lines
    assert offered == ["preview"]


def test_check_takes_several_paths_and_exits_with_the_worst(make_report) -> None:  # type: ignore[no-untyped-def]
    good = make_report(GOOD, name="good")
    bad = make_report(BAD, name="bad")
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(good / "README.md")]).exit_code == 0
    both = runner.invoke(main, ["check", str(good / "README.md"), str(bad / "README.md")])
    assert both.exit_code == 1
    assert both.output.count("questions pass") == 2  # one summary per report
    assert "bad/README.md" in both.output and "unanswered" in both.output
    reversed_order = runner.invoke(main, ["check", str(bad / "README.md"), str(good / "README.md")])
    assert reversed_order.exit_code == 1
    json_two = runner.invoke(main, ["check", "--format", "json", str(good), str(bad)])
    assert json_two.exit_code == 2 and "one PATH" in json_two.output
