"""The GitHub Action (``action.yml``) and the students' example workflow.

Both are validated against GitHub's schemas (check-jsonschema's built-in copies, so
offline) and audited by zizmor. The action's shell steps then run here, in order, as the
runner would run them (``bash -eo pipefail``, the ``env:`` of each step, the runner's
environment files), against a copy of the example report: the findings come out as
annotations, the per-question table as the job summary, ``report.pdf`` and
``report.html`` where the upload step looks for them, and the verdict fails the run
because the example breaks rules. Only the install step (apt-get and pip on the runner)
and the two ``uses:`` steps (cache, upload) are not run; the upload's paths are checked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE, REPO

ACTION = REPO / "action.yml"
WORKFLOWS = sorted((REPO / "examples" / "workflows").glob("*.yml"))
#: Debian packages that only the tests and the benchmark use (the Makefile installs them too).
TEST_ONLY_PACKAGES = {"poppler-utils", "chromium", "pandoc", "libreoffice-calc-nogui"}
BIN = Path(sys.executable).parent


def tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / name), *map(str, args)], capture_output=True, text=True, timeout=300)


def action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text("utf-8"))


def test_action_and_workflows_match_githubs_schemas() -> None:
    assert WORKFLOWS, "examples/workflows holds the students' workflow"
    done = tool("check-jsonschema", "--builtin-schema", "vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr
    done = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_of_high_or_medium_severity() -> None:
    done = tool(
        "zizmor", "--offline", "--no-progress", "--config", REPO / ".github" / "zizmor.yml",
        "--min-severity", "medium", "--format", "plain", ACTION, *WORKFLOWS,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_action_installs_the_debian_packages_the_pdf_needs() -> None:
    """Exactly the Makefile's list less the tools that only the tests use."""
    makefile = (REPO / "Makefile").read_text("utf-8").replace("\\\n", " ")
    wanted = set(re.search(r"(?m)^DEB_PACKAGES\s*:=(.*)$", makefile).group(1).split()) - TEST_ONLY_PACKAGES  # type: ignore[union-attr]
    [step] = [s for s in action()["runs"]["steps"] if s.get("id") == "debs"]
    packages = re.search(r'packages="([^"]*)"', step["run"]).group(1).split()  # type: ignore[union-attr]
    assert sorted(packages) == sorted(wanted) and len(packages) == len(set(packages))


def test_the_action_has_the_inputs_the_docs_name() -> None:
    inputs = action()["inputs"]
    assert set(inputs) == {"path", "edition", "notes", "strict"}
    guide = (REPO / "docs" / "students.md").read_text("utf-8")
    for name, spec in inputs.items():
        assert re.search(rf"\| `{name}` \| `\"?{re.escape(spec['default'])}\"?` \|", guide), name
    # Inputs reach the shell through env:, never pasted into a script (template injection).
    assert all("${{" not in step.get("run", "") for step in action()["runs"]["steps"])


# Running the shell steps ----------------------------------------------------------------


class Runner:
    """The few parts of GitHub's runner that the action's steps use."""

    def __init__(self, root: Path, inputs: dict[str, str]) -> None:
        self.workspace = root / "workspace"
        self.temp = root / "runner-temp"
        self.temp.mkdir(parents=True)
        self.summary = root / "step-summary.md"
        self.summary.touch()
        spec = action()
        self.inputs = {name: value.get("default", "") for name, value in spec["inputs"].items()} | inputs
        self.outputs: dict[str, dict[str, str]] = {}
        self.outcomes: dict[str, str] = {}
        self.logs: dict[str, subprocess.CompletedProcess[str]] = {}

    def value(self, path: str) -> str:
        parts = path.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts == ["runner", "temp"]:
            return str(self.temp)
        if parts == ["github", "action_path"]:
            return str(REPO)
        if parts[0] == "steps" and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if parts[0] == "steps" and parts[2] == "outcome":
            return self.outcomes.get(parts[1], "")
        raise AssertionError(f"the test's runner does not know ${{{{ {path} }}}}")

    def expand(self, text: str) -> str:
        return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: self.value(m.group(1)), text)

    def condition(self, expression: str) -> bool:
        match = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", expression)
        assert match, f"the test's runner does not know the condition {expression!r}"
        equal = self.value(match.group(1)) == match.group(3)
        return equal if match.group(2) == "==" else not equal

    def run_step(self, step: dict[str, Any], index: int) -> None:
        ident = step.get("id", f"step{index}")
        if "if" in step and not self.condition(step["if"]):
            self.outcomes[ident] = "skipped"
            return
        outputs = self.temp.parent / f"output-{index}"
        outputs.touch()
        script = self.temp.parent / f"step-{index}.sh"
        script.write_text(step["run"], "utf-8")
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", str(self.temp)),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux",
            "SOURCE_DATE_EPOCH": "1767225600",
        } | {name: self.expand(str(value)) for name, value in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.logs[ident] = done
        self.outcomes[ident] = "success" if done.returncode == 0 else "failure"
        self.outputs[ident] = dict(
            line.split("=", 1) for line in outputs.read_text("utf-8").splitlines() if "=" in line
        )

    def run(self) -> list[str]:
        """Run every step; returns the upload step's paths (expanded)."""
        uploaded: list[str] = []
        for index, step in enumerate(action()["runs"]["steps"]):
            if step.get("id") == "install":
                # apt-get and pip on the runner: here the test's own environment stands in.
                assert "apt-get install" in step["run"] and "pip install" in step["run"]
                self.outputs["install"] = {"bin": str(BIN)}
                self.outcomes["install"] = "success"
            elif "uses" in step:
                if step["uses"].startswith("actions/upload-artifact@") and self.condition(step["if"]):
                    uploaded = self.expand(step["with"]["path"]).split()
            else:
                self.run_step(step, index)
        return uploaded


@pytest.mark.latex
def test_the_actions_steps_build_the_example_with_annotations_and_summary(tmp_path: Path) -> None:
    runner = Runner(tmp_path, {"path": "reports"})
    shutil.copytree(EXAMPLE, runner.workspace / "reports", ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    uploaded = runner.run()

    check = runner.logs["check"]
    assert runner.outcomes["check"] == "success", check.stderr
    assert runner.outputs["check"] == {"exit-code": "1"}
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 8  # the example's eight findings (examples/README.md)
    assert "::error file=reports/README.md,line=137" in check.stdout

    summary = runner.summary.read_text("utf-8")
    assert "**24 of 31 questions pass**; 3 error(s), 5 warning(s)" in summary
    rows = re.findall(r"(?m)^\| (\d+) \| \d+ \| \d+ \| [^|]+ \| [^|]+ \|$", summary)
    assert rows == [str(n) for n in range(1, 32)]
    assert "| 28 | 0 | 0 | 0-200 words (recommended) | ❌ error |" in summary
    assert "| 605 | error | image-missing | 21 |" in summary

    assert runner.outcomes["build"] == "success", runner.logs["build"].stdout + runner.logs["build"].stderr
    out = runner.temp / "exam-pdf-out"
    assert runner.outputs["build"] == {"pdf": str(out / "report.pdf"), "html": str(out / "report.html")}
    assert uploaded == [str(out / "report.pdf"), str(out / "report.html")]
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert "Question 28" in (out / "report.html").read_text("utf-8")

    verdict = runner.logs["verdict"]
    assert runner.outcomes["verdict"] == "failure" and verdict.returncode == 1
    assert "breaks rules" in verdict.stdout
    # Nothing was written into the report's folder but the build cache.
    assert sorted(p.name for p in (runner.workspace / "reports").iterdir()) == sorted(
        [".exam-pdf-cache", *(p.name for p in EXAMPLE.iterdir() if not p.name.startswith(("report.", ".")))]
    )


def test_the_actions_steps_on_an_unreadable_report(tmp_path: Path) -> None:
    runner = Runner(tmp_path, {"path": "reports", "strict": "true"})
    (runner.workspace / "reports").mkdir(parents=True)
    (runner.workspace / "reports" / "README.md").write_bytes(b"### Question 1\n\n\xff\xfe not UTF-8\n")
    uploaded = runner.run()
    assert runner.outputs["check"] == {"exit-code": "2"}
    expected = "::error title=exam-pdf::exam-pdf: error: reports/README.md:3:1: not UTF-8 text"
    assert expected in runner.logs["check"].stdout
    assert runner.summary.read_text("utf-8") == (
        "## exam-pdf: exam report\n\nThe report could not be read (exit code 2): see the log.\n"
    )
    assert runner.outcomes["build"] == "skipped" and uploaded == []
    assert runner.outcomes["verdict"] == "failure" and runner.logs["verdict"].returncode == 2


def test_the_summary_shows_a_students_text_as_written_not_as_markdown() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("github_summary", REPO / "tools" / "github_summary.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hostile = "![x](https://evil.example/t.png) | <img src=x onerror=alert(1)> **bold**\nnext"
    text = module.cell(hostile)
    assert "![" not in text and "<img" not in text and "**" not in text and "\n" not in text
    assert "|" not in text.replace("\\|", "")
    assert text.startswith("\\!\\[x\\]\\(https://evil.example/t.png\\) \\| &lt;img")
