"""One version, one address: the snippets students copy name the release that the
project defines (``exam_pdf.__version__``) and the repository that the metadata names.

A pin that names no release (issue 12: the docs said ``rev: v0.1.0``, a tag that never
existed) fails here as soon as the version changes without the docs, or the reverse.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from conftest import REPO

from exam_pdf import __version__

TAG = f"v{__version__}"
#: Every file with a snippet that pins exam-pdf (pre-commit ``rev:``, Action ``uses:``).
SNIPPETS = [
    REPO / "README.md",
    REPO / "action.yml",
    REPO / ".pre-commit-hooks.yaml",
    *sorted((REPO / "docs").glob("*.md")),
    *sorted((REPO / "examples" / "workflows").glob("*.yml")),
]


def repository() -> str:
    """``owner/name`` of the Source URL in setup.cfg's metadata."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    urls = dict(line.split(" = ", 1) for line in config["metadata"]["project_urls"].strip().splitlines())
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", urls["Source"])
    assert match, urls["Source"]
    assert config["metadata"]["url"] == urls["Source"]
    return match.group(1)


def pins() -> list[tuple[Path, str, str]]:
    """(file, what is pinned, the pin) for every exam-pdf pin in the snippets."""
    found = []
    for path in SNIPPETS:
        text = path.read_text("utf-8")
        for match in re.finditer(r"uses: ([\w.-]+/exam-pdf)@(\S+)", text):
            found.append((path, match.group(1), match.group(2)))
        for match in re.finditer(r"repo: (\S*exam-pdf\S*)[^\n]*\n[#\s]*rev: (\S+)", text):
            found.append((path, match.group(1), match.group(2)))
    return found


def test_the_snippets_pin_the_defined_version_of_the_defined_repository() -> None:
    found = pins()
    files = {path.relative_to(REPO).as_posix() for path, _, _ in found}
    # The students' guide has both snippets; the example workflow and the action's header the Action.
    assert {"docs/students.md", "examples/workflows/exam-report.yml", "action.yml", ".pre-commit-hooks.yaml"} <= files
    assert {kind for _, kind, _ in found if not kind.startswith("https://")} == {repository()}
    assert {kind for _, kind, _ in found if kind.startswith("https://")} == {f"https://github.com/{repository()}"}
    wrong = [(path.name, pin) for path, _, pin in found if pin != TAG]
    assert wrong == [], f"every pin should be {TAG}"


def test_the_guide_shows_the_example_workflow_as_it_is() -> None:
    workflow = (REPO / "examples" / "workflows" / "exam-report.yml").read_text("utf-8")
    assert f"```yaml\n{workflow}```" in (REPO / "docs" / "students.md").read_text("utf-8")


def test_the_changelog_starts_with_this_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text("utf-8")
    versions = re.findall(r"(?m)^## (\d+\.\d+\.\d+)\b", text)
    assert versions and versions[0] == __version__
    assert len(versions) == len(set(versions))


def test_the_metadata_takes_the_version_from_the_package() -> None:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    assert config["metadata"]["version"] == "attr: exam_pdf.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
