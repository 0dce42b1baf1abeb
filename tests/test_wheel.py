"""The package as users get it: sdist and wheel built without a warning, ``twine check``
clean, and the wheel installed into a fresh virtualenv (its dependencies from the package
index, as ``pip install exam-pdf`` gets them) runs ``check`` and ``pdf`` on the example
from a folder outside the checkout.

The build runs on a copy of the source in a temporary folder, so that the checkout is not
written to. This is the one test that needs the package index (or pip's cache): a machine
that can run ``make setup`` can run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLE, REPO

pytestmark = [pytest.mark.wheel, pytest.mark.latex]

#: What the build must not leave out of the copy it works on (the checkout's own clutter is left behind).
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".tox", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "_build", "test-artifacts"
)
#: pip, build and the interpreter speak of "warning" only for problems; byte-compiling
#: notes come from PYTHONDONTWRITEBYTECODE, which is dropped for the build.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "VIRTUAL_ENV")}


def run(*args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "exam-pdf"
    shutil.copytree(REPO, source, ignore=IGNORED)
    out = source.parent / "dist"
    done = run(sys.executable, "-m", "build", "--outdir", out, source, cwd=source.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    warnings = [line for line in (done.stdout + done.stderr).splitlines() if "warn" in line.lower()]
    assert warnings == []
    return out


def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    done = run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist, cwd=dist)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_wheel_holds_exam_pdf_and_nothing_beside_it(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [info] = {name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")}
        top_level = archive.read(f"{info}/top_level.txt").decode().split()
        metadata = archive.read(f"{info}/METADATA").decode()
    assert top_level == ["exam_pdf"]
    assert {name.split("/")[0] for name in names} == {"exam_pdf", info}
    assert f"{info}/licenses/LICENSE" in names
    assert "Project-URL: Source, https://github.com/" in metadata and "License: MIT" in metadata
    # Every module and data file of the package, and the LaTeX templates inside it.
    expected = {p.relative_to(REPO).as_posix() for p in (REPO / "exam_pdf").rglob("*") if p.is_file()}
    assert "exam_pdf/theme/exam/layout.html" in expected
    expected |= {f"exam_pdf/latex_templates/{p.name}" for p in (REPO / "latex_templates").iterdir() if p.is_file()}
    expected = {name for name in expected if "__pycache__" not in name}
    assert expected - names == set()


def test_the_wheel_in_a_fresh_venv_checks_and_builds_the_example(dist: Path, tmp_path: Path) -> None:
    [wheel] = dist.glob("*.whl")
    venv = tmp_path / "venv"
    done = run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    done = run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(python, "-m", "pip", "check", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

    # Run from a folder outside the checkout: exam_pdf is the installed one.
    work = tmp_path / "work"
    shutil.copytree(EXAMPLE, work / "report", ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    where = run(
        python,
        "-c",
        "import exam_pdf, exam_pdf.builders as b; print(exam_pdf.__file__); print(b.templates_dir())",
        cwd=work,
    )
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert Path(line).is_relative_to(venv), line
    exam_pdf = venv / "bin" / "exam-pdf"
    check = run(exam_pdf, "check", "report", cwd=work)
    assert check.returncode == 1, check.stdout + check.stderr  # the example breaks rules on purpose
    assert "24/31 questions pass" in check.stdout
    pdf = run(exam_pdf, "pdf", "report", "--out", "out", cwd=work)
    assert pdf.returncode == 1, pdf.stdout + pdf.stderr
    assert (work / "out" / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert (work / "out" / "report.pdf").stat().st_size > 50_000
