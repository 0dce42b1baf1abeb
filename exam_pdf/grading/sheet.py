"""The grading sheet: one row per group, per question its counts, status and a score to fill in.

Written as an Excel workbook (openpyxl) or, for a file named ``.csv``, as CSV. The
workbook's score cells accept only a number from 0 to the maximum score (data
validation), the header row and the group's columns stay in view (frozen panes), and
each row's total is a ``SUM`` formula over its score cells, so that the sheet adds up
whatever the teachers type. The CSV has the same columns; its totals are left empty.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from exam_pdf.batch.outputs import atomic_write
from exam_pdf.errors import ReportError
from exam_pdf.grading.load import Archive, Group

#: The columns before the questions'.
GROUP_COLUMNS = ("Group", "Members", "Edition", "Status", "PDF")
#: Per question, in this order; the last is the score to fill in.
QUESTION_FIELDS = ("words", "images", "status", "score")
FORMATS = (".xlsx", ".csv")


def header(questions: list[int]) -> list[str]:
    return [*GROUP_COLUMNS, *(f"Q{n} {field}" for n in questions for field in QUESTION_FIELDS), "Total"]


def rows(archive: Archive, out: Path) -> list[list[object]]:
    """The sheet's rows after the header: scores and totals empty, the PDF as a path relative to ``out``."""
    return [_row(group, archive, out) for group in archive.groups]


def _row(group: Group, archive: Archive, out: Path) -> list[object]:
    pdf = os.path.relpath(archive.root / group.pdf, out.parent) if group.pdf else ""
    status = group.status + (f" ({group.problem})" if group.problem and group.status != "failed" else "")
    cells: list[object] = [_number(group.name), " ".join(group.members), group.edition, status, pdf]
    for number in archive.questions:
        question = group.question(number)
        if question is None:
            cells += ["", "", group.question_status(number), None]
        else:
            cells += [question.words, len(question.embedded_images), group.question_status(number), None]
    return [*cells, None]


def _number(name: str) -> object:
    """A group number as a number (the sheet sorts 2 before 10), anything else as text."""
    return int(name) if name.isascii() and name.isdigit() and len(name) < 10 else name


def write_sheet(archive: Archive, out: Path, max_score: float = 10) -> Path:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"{out.name}: the sheet is written as .xlsx or .csv, not '{out.suffix or out.name}'")
    data = _csv(archive, out) if suffix == ".csv" else _xlsx(archive, out, max_score)
    atomic_write(out, data)
    return out


def _csv(archive: Archive, out: Path) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header(archive.questions))
    for row in rows(archive, out):
        writer.writerow(["" if cell is None else _plain(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def _plain(cell: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + cell if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell


def _xlsx(archive: Archive, out: Path, max_score: float) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    questions = archive.questions
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Grading"
    names = header(questions)
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    score_columns = [names.index(f"Q{n} score") + 1 for n in questions]
    total_column = len(names)
    fill = PatternFill("solid", fgColor="FFF4CC")
    for index, row in enumerate(rows(archive, out), start=2):
        sheet.append([_text(cell) for cell in row])
        for cell in sheet[index]:
            if cell.data_type == "f":  # report text that starts with '=' stays text
                cell.data_type = "s"
        pdf = sheet.cell(index, GROUP_COLUMNS.index("PDF") + 1)
        if pdf.value:
            pdf.hyperlink = str(pdf.value).replace(os.sep, "/")
            pdf.style = "Hyperlink"
        for column in score_columns:
            sheet.cell(index, column).fill = fill
        scores = ",".join(f"{get_column_letter(c)}{index}" for c in score_columns)
        sheet.cell(index, total_column, f"=SUM({scores})" if scores else 0).font = Font(bold=True)
    last = sheet.max_row
    if score_columns and last >= 2:
        rule = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2=_score(max_score),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Score",
            error=f"A score is a number from 0 to {_score(max_score)}.",
        )
        sheet.add_data_validation(rule)
        for column in score_columns:
            letter = get_column_letter(column)
            rule.add(f"{letter}2:{letter}{last}")
    sheet.freeze_panes = sheet.cell(2, len(GROUP_COLUMNS) + 1)
    sheet.auto_filter.ref = f"A1:{get_column_letter(total_column)}{last}"
    for column, width in ((1, 8), (2, 24), (3, 12), (4, 12), (5, 22)):
        sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(cell: object) -> object:
    """Report text never becomes a formula in the workbook, and holds no control characters."""
    if not isinstance(cell, str):
        return cell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell)


def _score(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
