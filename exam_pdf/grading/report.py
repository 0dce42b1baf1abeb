"""Where the answers shared between groups are reported: ``similarity.csv`` and a section of ``index.html``.

Both are written into the archive by ``exam-pdf similarity``. The CSV has one row per
flagged pair; the overview page gets a section with the same table and, per pair, the
two answers side by side with the passages they share marked.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from exam_pdf.batch.outputs import INDEX, atomic_write, index_html
from exam_pdf.grading import similarity
from exam_pdf.grading.similarity import Answer, Pair

SIMILARITY = "similarity.csv"
COLUMNS = ("question", "group_a", "group_b", "score", "shared_shingles", "longest_shared_passage")


def similarity_csv(pairs: list[Pair]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for pair in pairs:
        writer.writerow([pair.question, pair.a.label, pair.b.label, f"{pair.score:.3f}", pair.shared, pair.passage])
    return buffer.getvalue().encode("utf-8")


def pieces(pair: Pair, side: Answer) -> list[tuple[str, bool]]:
    """``side``'s text in pieces, marked where it is a passage the pair shares."""
    return similarity.marked(side, pair.runs_a if side is pair.a else pair.runs_b)


def section(pairs: list[Pair], against: list[str], threshold: float) -> str:
    import jinja2

    from exam_pdf.builders import PACKAGE

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "theme"), autoescape=True, keep_trailing_newline=True
    )
    return environment.get_template("similarity.html.jinja").render(
        pairs=pairs,
        against=against,
        threshold=threshold,
        n=similarity.N,
        min_shared=similarity.MIN_SHARED,
        pieces=pieces,
    )


def write(root: Path, manifest: dict[str, object], pairs: list[Pair], against: list[str], threshold: float) -> None:
    """Write ``similarity.csv`` and the overview page with its section into the archive ``root``."""
    atomic_write(root / SIMILARITY, similarity_csv(pairs))
    atomic_write(root / INDEX, index_html(manifest, section(pairs, against, threshold)))
