"""The grading commands of the command line: ``sheet`` (and, later, the others over an archive).

They are added to ``exam-pdf``'s group by :mod:`exam_pdf.cli`; each reads a batch archive
(:mod:`exam_pdf.grading.load`) and imports what it needs only when it runs.
"""

from __future__ import annotations

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


COMMANDS = (sheet,)
