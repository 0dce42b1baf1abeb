"""The grading commands of the command line: ``sheet``, ``similarity``, ``blind``, ``book``, over a batch archive.

They are added to ``exam-pdf``'s group by :mod:`exam_pdf.cli`; each reads a batch archive
(:mod:`exam_pdf.grading.load`) and imports what it needs only when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

archive_argument = click.argument("archive", type=click.Path(path_type=Path, file_okay=False, exists=True))


@click.command()
@archive_argument
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The sheet to write: .xlsx (a workbook) or .csv.",
)
@click.option(
    "--max-score",
    type=click.FloatRange(0, min_open=True),
    default=10,
    show_default=True,
    help="The highest score a question's score cell accepts (workbook only).",
)
def sheet(archive: Path, out: Path, max_score: float) -> None:
    """Write a grading sheet for the groups of ARCHIVE (the output folder of batch).

    One row per group: its members, edition, status and a link to its PDF; per question
    the word and image counts and status as check gives them, and an empty score cell
    (a number from 0 to --max-score); a total per group. The header row and the group's
    columns stay in view. A .csv gets the same columns, without the total's formula.

    \b
    Example:
      exam-pdf sheet archive/ --out grading.xlsx
    """
    from exam_pdf.errors import ReportError
    from exam_pdf.grading.load import load_archive
    from exam_pdf.grading.sheet import FORMATS, write_sheet
    from exam_pdf.terminal import shown

    if out.suffix.lower() not in FORMATS:
        raise ReportError(f"{out.name}: the sheet is written as .xlsx or .csv, not '{out.suffix or out.name}'")
    loaded = load_archive(archive)
    for group in loaded.groups:
        if group.problem and group.pdf:
            click.echo(shown(f"group {group.name}: {group.problem}"), err=True)
    write_sheet(loaded, out, max_score)
    click.echo(f"{len(loaded.groups)} groups, {len(loaded.questions)} questions: {shown(out)}")


@click.command("similarity")
@archive_argument
@click.option(
    "--against",
    "against",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="An archive of an earlier cohort to compare with too (repeatable).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="Score from which a pair is flagged [default: the calibrated 0.35].",
)
def similarity_command(archive: Path, against: tuple[Path, ...], threshold: float | None) -> None:
    """Find answers shared between groups of ARCHIVE; write similarity.csv and a section of index.html.

    Per question, every pair of groups whose answers share far more word sequences than
    chance would give: the score is the share of the shorter answer's 3-word sequences
    that the other has too. The prompt's own text and phrases many groups use do not
    count. With --against, each group is compared with the groups of the older archives
    as well (named by their folder: old/12). Exit 0 with or without pairs.

    \b
    Example:
      exam-pdf similarity archive/ --against ../2025/archive/
    """
    from exam_pdf.formats import count
    from exam_pdf.grading import report, similarity
    from exam_pdf.grading.load import load_archive
    from exam_pdf.terminal import shown

    cutoff = similarity.THRESHOLD if threshold is None else threshold
    loaded = load_archive(archive, check=False)
    answers, prompts = similarity.answers_of(loaded)
    labels = _labels(against)
    for label, old in zip(labels, against, strict=True):
        old_answers, old_prompts = similarity.answers_of(load_archive(old, check=False), label)
        answers += old_answers
        for number, texts in old_prompts.items():
            prompts.setdefault(number, []).extend(texts)
    pairs = similarity.compare(answers, prompts, cutoff)
    report.write(archive, loaded.manifest, pairs, labels, cutoff)
    for pair in pairs:
        click.echo(shown(f"question {pair.question}: {pair.a.label} and {pair.b.label}: {pair.score:.2f}"))
    written = f"{shown(archive / report.SIMILARITY)}, {shown(archive / 'index.html')}"
    click.echo(f"{count(len(pairs), 'pair')} flagged: {written}")


def _labels(archives: tuple[Path, ...]) -> list[str]:
    """A short, distinct name per older archive: its folder's name (numbered when two share one)."""
    labels: list[str] = []
    for path in archives:
        name = path.resolve().name or "old"
        label, count = name, 2
        while label in labels:
            label, count = f"{name}-{count}", count + 1
        labels.append(label)
    return labels


@click.command()
@archive_argument
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="The blind archive.")
@click.option(
    "--key",
    "key_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Key file (code -> group, and the secret seed): reused when it exists, so codes stay the same "
    "[default: <OUT>-key.json beside OUT].",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The roster (as for collect): the names in its student cells are replaced too.",
)
@click.option("-j", "--jobs", type=click.IntRange(1), default=None, help="Reports built at once [default: CPU count].")
@click.option("--timeout", type=float, default=120, show_default=True, help="Seconds one report may take.")
def blind(
    archive: Path, out: Path, key_file: Path | None, roster: Path | None, jobs: int | None, timeout: float
) -> None:
    """Write blind copies of ARCHIVE's reports into OUT: each group under a code.

    Group numbers, study numbers, GitHub/GitLab user, organisation and repository names and
    URLs, roster names and figure file names are replaced by the group's code in the text,
    the PDF's metadata and attachments; each copy is built again as batch builds it, so OUT
    is an archive that sheet, similarity and book read too. The key (code -> group) is
    written to --key, never into OUT. Afterwards every copy is searched for what was
    replaced: exit 1 when anything survived (each is named) or a copy failed to build.

    \b
    Example:
      exam-pdf blind archive/ --out blind/ --key blind-key.json
    """
    import os

    from exam_pdf.grading.blind import run_blind
    from exam_pdf.terminal import shown

    key_path = key_file or out.with_name(f"{out.name}-key.json")
    outcome = run_blind(archive, out, key_path, roster, jobs or os.cpu_count() or 1, timeout)
    for line in outcome.skipped:
        click.echo(shown(f"skipped: {line}"), err=True)
    for line in outcome.survived:
        click.echo(shown(f"survived: {line}"), err=True)
    click.echo(f"{len(outcome.codes)} blind copies in {shown(out)}, {outcome.failed} failed; key: {shown(key_path)}")
    sys.exit(1 if outcome.survived or outcome.failed else 0)


@click.command()
@archive_argument
@click.option(
    "-q",
    "--question",
    "questions",
    type=click.IntRange(1),
    multiple=True,
    help="A question to make a book of (repeatable).",
)
@click.option("--all", "every", is_flag=True, help="A book of every question some group answered.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="The PDF to write (one question), or a folder for question-N.pdf (several).",
)
@click.option("--html", "with_html", is_flag=True, help="Write an HTML page beside each PDF too.")
@click.option("--no-pdf", is_flag=True, help="Only the HTML pages (no TeX needed).")
@click.option("--anonymise", is_flag=True, help="Each group under its code, its answer blinded as by blind.")
@click.option(
    "--key",
    "key_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --anonymise: the key file of blind (the same codes); made when it does not exist.",
)
@click.option("-j", "--jobs", type=click.IntRange(1), default=1, show_default=True, help="Books built at once.")
@click.option("--timeout", type=float, default=300, show_default=True, help="Seconds the TeX engine may run per book.")
def book(
    archive: Path,
    questions: tuple[int, ...],
    every: bool,
    out: Path,
    with_html: bool,
    no_pdf: bool,
    anonymise: bool,
    key_file: Path | None,
    jobs: int,
    timeout: float,
) -> None:
    """Make a question book: one question's prompt, then every group's answer to it, in group order.

    Each answer is under a heading with the group, its word and image counts and its
    status (as check says), figures included; one bookmark per group, "Page x of y" at
    the foot. Built like the reports' PDFs (Sphinx, the same style); --html writes the
    page as HTML too. --anonymise gives every group its code from the --key file of
    blind and blinds the answers as blind does.

    \b
    Example:
      exam-pdf book archive/ --question 14 --out q14.pdf --html
      exam-pdf book archive/ --all --out books/ -j 2
    """
    from exam_pdf.errors import ReportError
    from exam_pdf.grading.book import make_books
    from exam_pdf.terminal import shown

    if not questions and not every:
        raise ReportError("name a question (--question 14) or give --all")
    if key_file is not None and not anonymise:
        raise ReportError("--key goes with --anonymise")
    if anonymise and key_file is None:
        raise ReportError("--anonymise needs --key (the key file of blind, or where to write a new one)")
    for line in make_books(archive, questions, every, out, with_html, not no_pdf, key_file, jobs, timeout):
        click.echo(shown(line))


COMMANDS = (sheet, similarity_command, blind, book)
