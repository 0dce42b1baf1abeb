"""Read the exam office's roster: one row per group, its members and its repository.

The roster is a CSV file with a header row. The course's own columns are
``group_number``, ``student_1`` ... ``student_5`` and ``repo_url``; ``group`` and
``repo``/``url``/``repository`` are accepted for the group and the URL. Headers are
matched without regard to case, spaces or a byte-order mark, and ``;`` or tab
separated files (as spreadsheets save them) are read too. A row that cannot be used
(no URL, a group that is not a number, a group listed twice) is kept as a
:class:`Row` with its ``problem``, so that it becomes a line of the summary.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

from exam_pdf.errors import ReportError

GROUP_COLUMNS = ("group_number", "group", "group_no", "group_nr")
URL_COLUMNS = ("repo_url", "repo", "url", "repository", "repository_url")

#: URL schemes git may use for a roster's repository; ``ext::``, ``fd::`` and other
#: ``helper::`` transports run programs and are refused.
SCHEMES = ("https", "http", "ssh", "git", "file")


@dataclasses.dataclass
class Row:
    line: int
    """The row's line in the file (the header is line 1)."""
    group: str | None
    url: str
    students: list[str]
    problem: str | None = None


def _key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").lower())


def read_roster(path: Path) -> list[Row]:
    """Every row of the roster; ReportError when the file is not a usable roster."""
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the roster ({exc})") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_key(cell) for cell in next(reader)]
    except StopIteration:
        raise ReportError(f"{path}: the roster is empty") from None
    except csv.Error as exc:
        raise ReportError(f"{path}: not a CSV file ({exc})") from None
    group_col = next((header.index(name) for name in GROUP_COLUMNS if name in header), None)
    url_col = next((header.index(name) for name in URL_COLUMNS if name in header), None)
    if group_col is None or url_col is None:
        raise ReportError(
            f"{path}: the header needs a group column ({', '.join(GROUP_COLUMNS)}) and a repository column "
            f"({', '.join(URL_COLUMNS)}); it has {', '.join(header) or 'nothing'}"
        )
    student_cols = [i for i, name in enumerate(header) if re.fullmatch(r"student_?\d+", name)]
    rows: list[Row] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            padded = [cell.strip() for cell in cells] + [""] * len(header)
            students = [padded[i] for i in student_cols if padded[i]]
            rows.append(_row(line, padded[group_col], padded[url_col], students))
    except csv.Error as exc:
        raise ReportError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    _mark_duplicates(rows)
    return rows


def _row(line: int, group: str, url: str, students: list[str]) -> Row:
    row = Row(line, None, url, students)
    if not group.isdigit():
        row.problem = f"the group number {group!r} is not a number" if group else "no group number"
        return row
    row.group = str(int(group))
    if not url:
        row.problem = "no repository URL"
    else:
        row.problem = url_problem(url)
    return row


def url_problem(url: str) -> str | None:
    """Why git must not be given ``url``, or None when it may fetch from it."""
    if url.startswith("-"):
        return f"the repository URL {url!r} starts with '-'"
    if any(ord(c) < 32 or c == "\x7f" for c in url):
        return "the repository URL has control characters"
    scheme = url_scheme(url)
    if scheme not in SCHEMES:
        return f"the repository URL {url!r} uses {scheme!r}, not one of {', '.join(SCHEMES)}"
    return None


def url_scheme(url: str) -> str:
    """The transport git would use: a scheme, ``ssh`` for ``user@host:path``, ``file`` for a path."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)::", url)
    if match:
        return match.group(1).lower() + "::"
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if match:
        return match.group(1).lower()
    head = url.split("/", 1)[0]
    if ":" in head and len(head.split(":", 1)[0]) > 1:  # host:path (scp form), not C:
        return "ssh"
    return "file"


def _mark_duplicates(rows: list[Row]) -> None:
    """A group listed twice: later rows with the same URL are duplicates; with another URL
    no row of that group can say which repository is the group's, so all of them fail."""
    first: dict[str, Row] = {}
    for row in rows:
        if row.group is None:
            continue
        earlier = first.setdefault(row.group, row)
        if earlier is row:
            continue
        if earlier.url == row.url:
            row.problem = row.problem or f"group {row.group} is listed again (first on line {earlier.line})"
        else:
            row.problem = f"group {row.group} is also on line {earlier.line}, with another repository"
            if earlier.problem is None or earlier.problem.startswith(f"group {row.group} is also"):
                earlier.problem = f"group {row.group} is also on line {row.line}, with another repository"
