"""Issue 3: every real report of the corpus and every blank template builds to PDF and HTML.

The tree links every corpus report (never copied or written into) beside the blank
templates, and one batch builds them all. The longest test of the suite: a module of its
own, so that ``make test``'s second worker runs the other modules meanwhile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import corpus_ids, corpus_manifest, template_names
from test_batch import _template, batch, manifest

pytestmark = pytest.mark.latex


@pytest.mark.corpus
def test_every_corpus_report_and_template_builds(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> None:
    """Issue 3: every real report and every blank template to PDF and HTML, no manual help."""
    root = tmp_path_factory.mktemp("corpus") / "root"
    root.mkdir()
    for name in corpus_ids():
        (root / name).symlink_to(corpus_dir / name, target_is_directory=True)
    for name in template_names():
        (root / f"template-{name}").mkdir()
        (root / f"template-{name}" / "README.md").write_text(_template(name), "utf-8")
    before = {p: p.stat().st_mtime_ns for p in corpus_dir.rglob("*")}
    out = root.parent / "out"
    result = batch(str(root), "--out", str(out), "-j", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    data = manifest(out)
    assert len(data["reports"]) == len(corpus_ids()) + len(template_names())
    assert not data["skipped"]
    known = corpus_manifest()
    for entry in data["reports"]:
        assert entry["status"] in ("ok", "findings"), entry
        pdf, html = out / entry["pdf"], out / entry["html"]
        assert pdf.stat().st_size > 10_000 and html.stat().st_size > 5_000
        assert entry["pages"] >= 2
        guess = known.get(entry["folder"], {}).get("edition_guess")
        if guess:
            assert entry["questions"] == int(guess.split("-")[1].rstrip("q")), entry["folder"]
    # The corpus was only read.
    assert {p: p.stat().st_mtime_ns for p in corpus_dir.rglob("*")} == before
    assert not list(corpus_dir.rglob(".exam-pdf-cache"))
