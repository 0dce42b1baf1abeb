"""The manual (docs/): it builds without a warning (as ``tox -e docs``), and its generated
reference pages show every rule, command, configuration value and JSON field there is."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from exam_pdf.cli import main
from exam_pdf.editions import PROFILES
from exam_pdf.formats import as_json_data
from exam_pdf.pipeline import check_path
from exam_pdf.rules import RULES

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-html")
    # as tox -e docs runs it, but into a temporary folder
    command = ["-nW", "--keep-going", "-b", "html", "-q", "-d", str(out / ".doctrees"), str(DOCS), str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", *command],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"sphinx-build failed:\n{done.stdout}\n{done.stderr}"
    assert not done.stderr.strip(), done.stderr  # -W turns warnings into errors; nothing else may be said
    return out


def page(site: Path, name: str) -> str:
    return (site / f"{name}.html").read_text("utf-8")


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_every_page_is_in_the_toctree(site: Path) -> None:
    index = page(site, "index")
    for source in sorted(DOCS.glob("*.md")):
        if source.stem != "index":
            assert f'href="{source.stem}.html"' in index, source.name
    for required in ("students", "exam-office", "rules", "cli", "json-schema", "configuration"):
        assert (site / f"{required}.html").is_file()
    for linked in ("security", "performance", "sphinx-extension", "differences", "archive"):
        assert f'href="{linked}.html"' in index


def test_every_rule_is_documented(site: Path) -> None:
    rules = page(site, "rules")
    text = text_of(rules)
    for rule in RULES.values():
        assert f'id="rule-{rule.id}"' in rules, rule.id
        assert rule.severity.value in text
        # the explanation is shown in full (markup such as ``code`` becomes <code>)
        plain = re.sub(r"``(.+?)``|\*(.+?)\*", lambda m: m.group(1) or m.group(2), rule.explanation)
        assert " ".join(plain.split()) in " ".join(text.split()), rule.id


def test_every_command_is_documented_with_its_help(site: Path) -> None:
    cli = page(site, "cli")
    text = " ".join(text_of(cli).split())
    context = click.Context(main, info_name="exam-pdf")
    names = main.list_commands(context)
    assert {"check", "html", "pdf", "build", "verify", "extract", "preview"} <= set(names)
    for name in names:
        assert f'id="cli-exam-pdf-{name}"' in cli, name
        command = main.get_command(context, name)
        assert command is not None
        assert f"Usage: exam-pdf {name}" in text
        for param in command.params:
            for option in param.opts:
                if option.startswith("-"):
                    assert option in text, f"{name} {option}"
    assert "_EXAM_PDF_COMPLETE=bash_source exam-pdf" in text


def test_every_sphinx_config_value_is_documented(site: Path) -> None:
    import exam_pdf.sphinxext

    registered: list[str] = []

    class App:
        def add_config_value(self, name: str, *args: object, **kwargs: object) -> None:
            registered.append(name)

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return lambda *args, **kwargs: None

    exam_pdf.sphinxext.setup(App())
    assert registered
    text = text_of(page(site, "sphinx-extension"))
    for name in registered:
        assert text.count(name) >= 2, name  # in the generated table and explained below it


def test_every_edition_is_documented(site: Path) -> None:
    text = text_of(page(site, "configuration"))
    for profile in PROFILES.values():
        assert profile.label in text and profile.name in text
    for variable in ("SOURCE_DATE_EPOCH", "EXAM_PDF_DEBUG", "NO_COLOR", ".exam-pdf-cache"):
        assert variable in text


def _keys(value: object, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            found |= _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _keys(inner)
    return found


def test_every_json_field_is_documented(site: Path, make_report) -> None:  # type: ignore[no-untyped-def]
    folder = make_report(
        "# R\n\n### Question 1\n> **Group, 1 image**\n>\n> Answer:\n\n[x](figures/x.png)\n\n"
        "### Question 2\n> **About 10 to 20 words**\n>\n> Answer:\n\nshort\n"
    )
    data = as_json_data(check_path(folder))
    assert data["findings"], "the sample must have findings so that their fields are seen"
    documented = text_of(page(site, "json-schema"))
    for key in _keys(data):
        assert f"{key}" in documented, key
    # the page's example is real output of this version
    example = re.search(r'"schema":\s*(\d+)', documented)
    assert example is not None and int(example.group(1)) == data["schema"]


def test_yaml_examples_parse() -> None:
    """The workflow and pre-commit examples students copy are valid YAML of the right shape."""
    import yaml

    blocks = re.findall(r"```yaml\n(.*?)```", (DOCS / "students.md").read_text(), re.S)
    assert len(blocks) >= 3
    loaded = [yaml.safe_load(block) for block in blocks]
    hooks = [hook for data in loaded if "repos" in data for repo in data["repos"] for hook in repo["hooks"]]
    assert {hook["id"] for hook in hooks} == {"exam-pdf-check"}
    workflow = next(data for data in loaded if "jobs" in data)
    steps = workflow["jobs"]["report"]["steps"]
    # The students' workflow uses exam-pdf's own Action (tests/test_action.py runs its steps).
    assert any(step.get("uses", "").split("@")[0].endswith("/exam-pdf") for step in steps)
