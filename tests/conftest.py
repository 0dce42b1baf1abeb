"""Shared fixtures: where the example, the corpus and the templates live, and helpers
to write small reports and run the command line.

The corpus and the templates live outside the project (``../shared``). Tests that
read them are marked ``corpus`` and skip cleanly when the folder is absent; tests
that need TeX or Chromium are marked ``latex``/``browser`` and never skip: the
Makefile installs both.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from exam_pdf.cli import main as cli_main

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EXAM_PDF_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
TEMPLATES = SHARED / "templates"
EXAMPLE = REPO / "examples" / "report"
ARTIFACTS = REPO / "test-artifacts"


def corpus_ids() -> list[str]:
    """The corpus's report folders, or an empty list when the corpus is absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if (p / "README.md").is_file())


def corpus_manifest() -> dict[str, dict]:
    path = CORPUS / "manifest.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    reports = data["reports"] if isinstance(data, dict) and "reports" in data else data
    if isinstance(reports, dict):
        return reports
    return {entry["id"]: entry for entry in reports}


def template_names() -> list[str]:
    if not TEMPLATES.is_dir():
        return []
    return sorted(p.stem for p in TEMPLATES.glob("*.md"))


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def templates_dir() -> Path:
    if not TEMPLATES.is_dir():
        pytest.skip(f"templates not found at {TEMPLATES}")
    return TEMPLATES


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example report folder (builds write beside the README)."""
    target = tmp_path / "report"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    return target


@pytest.fixture
def make_report(tmp_path: Path) -> Callable[..., Path]:
    """Write a report folder: ``make_report(text, figures={"figures/a.png": b"..."})``."""

    def make(
        text: str,
        figures: Mapping[str, bytes] | None = None,
        name: str = "report",
        filename: str = "README.md",
    ) -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_text(text, encoding="utf-8")
        for rel, data in (figures or {}).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return folder

    return make


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run the click command in-process; stdout and stderr stay apart."""
    runner = CliRunner()

    def invoke(*args: str, env: Mapping[str, str] | None = None) -> Result:
        return runner.invoke(cli_main, list(args), env=dict(env or {}), catch_exceptions=False)

    return invoke


@pytest.fixture
def run_exam_pdf() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m exam_pdf`` as a fresh process, as a user or CI would."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **env}
        return subprocess.run(
            [sys.executable, "-m", "exam_pdf", *args],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def artifacts() -> Iterator[Path]:
    """A folder kept after the run (screenshots, PDFs to look at); ignored by git."""
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS


@dataclasses.dataclass(frozen=True)
class CorpusArchive:
    """One ``exam-pdf batch`` run over every corpus report and every blank template."""

    root: Path
    out: Path
    result: subprocess.CompletedProcess[str]
    corpus_untouched: bool
    """The corpus's files kept their modification times and got no cache folder."""

    @property
    def manifest(self) -> dict:
        return json.loads((self.out / "manifest.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def corpus_archive(tmp_path_factory: pytest.TempPathFactory) -> CorpusArchive:
    """The whole corpus (linked, never copied or written into) and the templates, archived once
    per session with ``-j 2`` (2-3 minutes): every test that needs built corpus reports reads this."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    root = tmp_path_factory.mktemp("corpus") / "root"
    root.mkdir()
    for name in corpus_ids():
        (root / name).symlink_to(CORPUS / name, target_is_directory=True)
    for name in template_names():
        (root / f"template-{name}").mkdir()
        (root / f"template-{name}" / "README.md").write_text((TEMPLATES / f"{name}.md").read_text("utf-8"), "utf-8")
    before = {p: p.stat().st_mtime_ns for p in CORPUS.rglob("*")}
    out = root.parent / "out"
    result = subprocess.run(
        [sys.executable, "-m", "exam_pdf", "batch", str(root), "--out", str(out), "-j", "2"],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
    )
    untouched = {p: p.stat().st_mtime_ns for p in CORPUS.rglob("*")} == before and not list(
        CORPUS.rglob(".exam-pdf-cache")
    )
    return CorpusArchive(root, out, result, untouched)
