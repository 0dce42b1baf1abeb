"""Issue 3: every real report of the corpus and every blank template builds to PDF and HTML,
and (issue 11) every figure of it fits the page.

One batch builds them all (``corpus_archive`` in conftest): the longest test of the suite,
so the tests that read it share this module, and ``make test``'s second worker runs the
other modules meanwhile.
"""

from __future__ import annotations

import pytest
from conftest import CorpusArchive, corpus_ids, corpus_manifest, template_names
from test_batch import manifest
from test_figures import drawn_images, misplaced

pytestmark = [pytest.mark.latex, pytest.mark.corpus]


def test_every_corpus_report_and_template_builds(corpus_archive: CorpusArchive) -> None:
    """Issue 3: every real report and every blank template to PDF and HTML, no manual help."""
    result, out = corpus_archive.result, corpus_archive.out
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
    assert corpus_archive.corpus_untouched


def test_corpus_figures_fit_the_page(corpus_archive: CorpusArchive) -> None:
    """Every figure of every corpus report inside the text area, none over 60 % of its height."""
    assert corpus_archive.result.returncode == 0, corpus_archive.result.stderr
    entries = [entry for entry in corpus_archive.manifest["reports"] if entry.get("pdf")]
    assert len(entries) >= len(corpus_ids())
    bad, drawn = [], 0
    for entry in entries:
        pdf = corpus_archive.out / entry["pdf"]
        drawn += len(drawn_images(pdf))
        bad += [f"{entry['folder']}: {problem}" for problem in misplaced(pdf)]
    assert not bad, "\n".join(bad)
    assert drawn > 200, "the corpus's figures are drawn"
