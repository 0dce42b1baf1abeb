"""Shared fixtures: where the example, the corpus and the templates live, and helpers
to write small reports and run the command line.

The five blank templates are part of the repository (``tests/fixtures/templates``).
The real corpus is not: tests that read it are marked ``corpus`` (or use the
``corpus_dir`` fixture) and run only when ``EXAM_PDF_CORPUS`` names the corpus folder
(``.ci/run`` sets it to ``../shared/corpus`` when that exists). Without it they are
deselected, and the run's summary says so in one line. Tests that need TeX or
Chromium are marked ``latex``/``browser`` and never skip: the Makefile installs both.
No test reads outside the repository, the corpus and its temporary folders.
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
import warmcli
from click.testing import CliRunner, Result

from exam_pdf.cli import main as cli_main

#: Sphinx's own test fixtures (``app``, ``make_app``, ``@pytest.mark.sphinx``), for the Sphinx
#: projects under tests/roots (see the ``rootdir`` fixture).
pytest_plugins = ("sphinx.testing.fixtures",)

REPO = Path(__file__).resolve().parents[1]
#: The real corpus (46 reports, read only), or None: set EXAM_PDF_CORPUS to run its tests.
CORPUS: Path | None = Path(os.environ["EXAM_PDF_CORPUS"]).resolve() if os.environ.get("EXAM_PDF_CORPUS") else None
TEMPLATES = REPO / "tests" / "fixtures" / "templates"
EXAMPLE = REPO / "examples" / "report"
ARTIFACTS = REPO / "test-artifacts"
CORPUS_HINT = "set EXAM_PDF_CORPUS to the corpus folder (e.g. EXAM_PDF_CORPUS=../shared/corpus) to run them"


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where ``@pytest.mark.sphinx(testroot="site")`` finds its project: tests/roots/test-site."""
    return REPO / "tests" / "roots"


def corpus_ids() -> list[str]:
    """The corpus's report folders, or an empty list without a corpus."""
    if CORPUS is None:
        return []
    return sorted(p.name for p in CORPUS.iterdir() if (p / "README.md").is_file())


def corpus_manifest() -> dict[str, dict]:
    if CORPUS is None:
        return {}
    path = CORPUS / "manifest.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    reports = data["reports"] if isinstance(data, dict) and "reports" in data else data
    if isinstance(reports, dict):
        return reports
    return {entry["id"]: entry for entry in reports}


def template_names() -> list[str]:
    """The editions of the blank templates: ``2023``, ``2024``, ``2024-summer``, ..."""
    return sorted(p.stem for p in TEMPLATES.glob("*.md") if p.name != "README.md")


def pytest_configure(config: pytest.Config) -> None:
    if CORPUS is not None and not CORPUS.is_dir():
        raise pytest.UsageError(f"EXAM_PDF_CORPUS={os.environ['EXAM_PDF_CORPUS']} is not a folder")


def _needs_corpus(item: pytest.Item) -> bool:
    return item.get_closest_marker("corpus") is not None or "corpus_dir" in getattr(item, "fixturenames", ())


#: The modules that take longest, started first: with ``make test``'s two workers
#: (``--dist loadfile``), the batch of the whole corpus then runs beside everything else
#: instead of after it.
LONGEST_FIRST = ("test_batch_corpus.py", "test_batch.py", "test_preamble_format.py", "test_archive.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest modules first; without a corpus, its tests are deselected (not skipped one by one)."""
    items.sort(
        key=lambda item: LONGEST_FIRST.index(item.path.name) if item.path.name in LONGEST_FIRST else len(LONGEST_FIRST)
    )
    if CORPUS is not None:
        return
    deselected = [item for item in items if _needs_corpus(item)]
    if deselected:
        items[:] = [item for item in items if not _needs_corpus(item)]
        config.hook.pytest_deselected(items=deselected)
    config.stash[_CORPUS_DESELECTED] = len(deselected)


_CORPUS_DESELECTED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if CORPUS is not None:
        return
    # Under pytest-xdist the workers collect: the controller knows no count, only the setting.
    count = config.stash.get(_CORPUS_DESELECTED, None)
    if count != 0:
        what = f"{count} tests" if count else "the tests on the real corpus"
        terminalreporter.write_line(f"corpus: {what} deselected, EXAM_PDF_CORPUS is not set; {CORPUS_HINT}")


@pytest.fixture
def corpus_dir() -> Path:
    """The real corpus; tests that use it are deselected without EXAM_PDF_CORPUS."""
    if CORPUS is None:
        pytest.skip(f"no corpus: {CORPUS_HINT}")
    return CORPUS


@pytest.fixture
def templates_dir() -> Path:
    """The five blank templates, one file per edition (``tests/fixtures/templates``)."""
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
    """Run ``python -m exam_pdf`` as a fresh process, as a user or CI would (forked warm: tests/warmcli.py)."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        return warmcli.run(args, cwd=cwd, env={**os.environ, **env}, timeout=timeout)

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


BATCH = (sys.executable, "-m", "exam_pdf", "batch")


@pytest.fixture(scope="session")
def corpus_archive(tmp_path_factory: pytest.TempPathFactory) -> CorpusArchive:
    """The whole corpus (linked, never copied or written into) and the templates, archived once
    per session with ``-j 2`` (2-3 minutes): every test that needs built corpus reports reads this."""
    if CORPUS is None:
        pytest.skip(f"no corpus: {CORPUS_HINT}")
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
        [*BATCH, str(root), "--out", str(out), "-j", "2", "--state", str(root.parent / "state")],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
    )
    untouched = {p: p.stat().st_mtime_ns for p in CORPUS.rglob("*")} == before and not list(
        CORPUS.rglob(".exam-pdf-cache")
    )
    return CorpusArchive(root, out, result, untouched)
