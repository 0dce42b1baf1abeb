"""Grading a cohort (issue 15) from a batch archive of three groups (tests/grading_tree.py).

The archive is built once for the module (TeX time); every command reads it back.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from grading_tree import GROUPS, NAMES, cohort, roster

pytestmark = pytest.mark.latex


def exam_pdf(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exam_pdf", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = cohort(tmp_path_factory.mktemp("cohort") / "root")
    out = root.parent / "archive"
    state = root.parent / "state"
    result = exam_pdf("batch", str(root), "--out", str(out), "--state", str(state), "-j", "2", "--timeout", "120")
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_sheet_xlsx_reads_back(archive: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "grading.xlsx"
    result = exam_pdf("sheet", str(archive), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "3 groups, 31 questions" in result.stdout
    sheet = load_workbook(out).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["Group", "Members", "Edition", "Status", "PDF"]
    assert header[-1] == "Total" and "Q14 words" in header and "Q31 score" in header
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert sorted(rows) == sorted(GROUPS)  # group numbers, as numbers
    seven = {name: cell for name, cell in zip(header, rows[7], strict=True)}
    assert seven["Members"].value == "s246801 s246802"
    assert seven["Edition"].value == "2026"
    assert seven["Q14 images"].value == 1
    assert seven["Q14 words"].value == 99  # the copied answer (97 words) and the figure's Markdown (2)
    assert seven["Q14 status"].value in ("pass", "warn", "fail")
    assert seven["Q14 score"].value is None
    assert (out.parent / seven["PDF"].hyperlink.target).resolve() == (archive / "7" / "report.pdf").resolve()
    assert str(seven["Total"].value).startswith("=SUM(") and "I2" in str(seven["Total"].value)
    assert sheet.freeze_panes == "F2"
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1 and validations[0].type == "decimal"
    assert (validations[0].formula1, validations[0].formula2) == ("0", "10")
    assert "I2:I4" in str(validations[0].sqref) and "DY2:DY4" in str(validations[0].sqref)


def test_sheet_counts_match_check(archive: Path, tmp_path: Path) -> None:
    """The sheet's counts and statuses are the ones check gives the README the PDF carries."""
    from exam_pdf.grading.load import load_archive
    from exam_pdf.pipeline import check_path

    loaded = load_archive(archive)
    for group in loaded.groups:
        assert group.result is not None and not group.problem
        assert (group.result.errors, group.result.warnings) == (group.entry["errors"], group.entry["warnings"])
        original = check_path(_source_of(archive, group.entry))
        for question in original.report.answered_questions:
            ours = group.question(question.number)
            assert ours is not None
            assert (ours.words, len(ours.embedded_images)) == (question.words, len(question.embedded_images))
            assert group.question_status(question.number) in (original.status_of(question), "unanswered")


def _source_of(archive: Path, entry: dict) -> Path:
    return archive.parent / "root" / entry["source"]


def test_sheet_csv_and_libreoffice(archive: Path, tmp_path: Path) -> None:
    """LibreOffice (Debian's libreoffice-calc-nogui, in the Makefile's packages) opens the workbook
    and computes the total of the scores typed in."""
    from openpyxl import load_workbook

    out = tmp_path / "grading.csv"
    assert exam_pdf("sheet", str(archive), "--out", str(out)).returncode == 0
    rows = list(csv.reader(out.read_text("utf-8").splitlines()))
    assert rows[0][-1] == "Total" and len(rows) == 4
    assert all(row[-1] == "" for row in rows[1:])

    workbook = tmp_path / "filled.xlsx"
    assert exam_pdf("sheet", str(archive), "--out", str(workbook)).returncode == 0
    book = load_workbook(workbook)
    sheet = book.active
    assert sheet is not None
    sheet["I2"], sheet["M2"] = 3, 4.5
    book.save(workbook)
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is not installed (make system-deps installs libreoffice-calc-nogui)"
    subprocess.run(
        [soffice, "--headless", "--norestore", "--convert-to", "csv", "--outdir", str(tmp_path / "lo"), str(workbook)],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    converted = list(csv.reader((tmp_path / "lo" / "filled.csv").read_text("utf-8").splitlines()))
    assert converted[0] == rows[0]
    assert [row[0] for row in converted[1:]] == ["7", "12", "31"]
    assert converted[1][-1] == "7.5" and converted[2][-1] == "0"


def test_sheet_bad_input_one_line(archive: Path, tmp_path: Path) -> None:
    wrong = exam_pdf("sheet", str(archive), "--out", str(tmp_path / "grading.ods"))
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and ".xlsx or .csv" in wrong.stderr
    empty = exam_pdf("sheet", str(tmp_path), "--out", str(tmp_path / "grading.xlsx"))
    assert empty.returncode == 2 and "no manifest.json" in empty.stderr and "Traceback" not in empty.stderr


def test_similarity_into_the_archive(archive: Path, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    result = exam_pdf("similarity", str(copy))
    assert result.returncode == 0, result.stderr
    assert "question 14: 7 and 12" in result.stdout and "1 pair flagged" in result.stdout
    rows = list(csv.DictReader((copy / "similarity.csv").read_text("utf-8").splitlines()))
    assert [(r["question"], r["group_a"], r["group_b"]) for r in rows] == [("14", "7", "12")]
    assert float(rows[0]["score"]) >= 0.35
    assert "every experiment in Weights and Biases" in rows[0]["longest_shared_passage"]
    page = (copy / "index.html").read_text("utf-8")
    assert '<section id="similarity">' in page and page.count("<mark>") >= 4
    assert page.index('<table class="groups">') < page.index('<section id="similarity">')
    assert "Weights and Biases" in page.split('<section id="similarity">')[1]


def test_similarity_against_an_older_archive(archive: Path, tmp_path: Path) -> None:
    """Last year's archive holds group 31 too: its answers are flagged against this year's."""
    import json

    old = tmp_path / "cohort-2025"
    shutil.copytree(archive, old)
    data = json.loads((old / "manifest.json").read_text("utf-8"))
    data["reports"] = [entry for entry in data["reports"] if entry["group"] in ("31", "7")]
    (old / "manifest.json").write_text(json.dumps(data), "utf-8")
    now = tmp_path / "now"
    shutil.copytree(archive, now)
    data = json.loads((now / "manifest.json").read_text("utf-8"))
    data["reports"] = [entry for entry in data["reports"] if entry["group"] == "31"]
    (now / "manifest.json").write_text(json.dumps(data), "utf-8")
    result = exam_pdf("similarity", str(now), "--against", str(old))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((now / "similarity.csv").read_text("utf-8").splitlines()))
    assert rows and all((r["group_a"], r["group_b"]) == ("31", "cohort-2025:31") for r in rows)
    assert len(rows) >= 25  # each of group 31's own answers (the short ones, 1 and 2, are too short)


def _planted(group: int) -> list[str]:
    """Everything the tree writes that names ``group``."""
    numbers, user = GROUPS[group]
    return [*numbers, user, NAMES[group], f"group {group}", f"group-{group}", "mlops-project", f"{user}_wandb"]


def _everything_in(folder: Path) -> dict[str, str]:
    """Where -> text, for every place a blind copy could keep an identifier."""
    from pypdf import PdfReader

    from exam_pdf.grading.load import embedded_sources

    places: dict[str, str] = {}
    for path in folder.rglob("*"):
        places[f"name {path}"] = str(path.relative_to(folder))
        if path.suffix in (".html", ".json", ".csv"):
            places[f"text {path}"] = path.read_text("utf-8")
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            places[f"pdf {path}"] = "\n".join(page.extract_text() or "" for page in reader.pages)
            places[f"info {path}"] = " ".join(str(v) for v in (reader.metadata or {}).values())
            root = reader.trailer["/Root"].get_object()
            places[f"xmp {path}"] = root["/Metadata"].get_object().get_data().decode("utf-8")
            for item in embedded_sources(path):
                places[f"attachment {path} {item.name}"] = item.name + "\n" + item.data.decode("utf-8", "replace")
    return places


def test_blind_leaves_no_identifier(archive: Path, tmp_path: Path) -> None:
    import json

    out, key = tmp_path / "blind", tmp_path / "key.json"
    roster_file = roster(tmp_path / "roster.csv")
    result = exam_pdf("blind", str(archive), "--out", str(out), "--key", str(key), "--roster", str(roster_file))
    assert result.returncode == 0, result.stdout + result.stderr
    codes = json.loads(key.read_text("utf-8"))["groups"]
    assert sorted(codes.values()) == ["12", "31", "7"] and all(re.fullmatch(r"[A-Z]{5}", c) for c in codes)
    places = _everything_in(out)
    assert any(k.startswith("attachment") for k in places) and any(k.startswith("xmp") for k in places)
    for group in GROUPS:
        for planted in _planted(group):
            for where, text in places.items():
                assert planted.lower() not in text.lower(), f"{planted!r} survives in {where}"
    by_group = {group: code for code, group in codes.items()}
    pdf = out / by_group["7"] / "report.pdf"
    assert f"attachment {pdf} figures/figure-01.png" in places  # the figure is there, under a neutral name
    text = places[f"pdf {out / by_group['7'] / 'report.pdf'}"]
    assert f"{by_group['7']}-student-1" in text and f"https://github.com/{by_group['7']}" in text
    assert "Weights and Biases" in text  # the answers are still there

    # The same key gives the same codes. Without the roster nothing says that "Ada Lovelace" is a name.
    again = exam_pdf("blind", str(archive), "--out", str(tmp_path / "again"), "--key", str(key))
    assert again.returncode == 0, again.stderr
    assert json.loads(key.read_text("utf-8"))["groups"] == codes
    assert sorted(path.name for path in (tmp_path / "again").iterdir() if path.is_dir()) == sorted(codes)
    assert NAMES[7] in _everything_in(tmp_path / "again")[f"pdf {tmp_path / 'again' / by_group['7'] / 'report.pdf'}"]


def test_blind_key_outside_the_copies(archive: Path, tmp_path: Path) -> None:
    inside = exam_pdf("blind", str(archive), "--out", str(tmp_path / "b"), "--key", str(tmp_path / "b" / "key.json"))
    assert inside.returncode == 2 and "must not be inside" in inside.stderr
    (tmp_path / "bad.json").write_text("{}", "utf-8")
    bad = exam_pdf("blind", str(archive), "--out", str(tmp_path / "c"), "--key", str(tmp_path / "bad.json"))
    assert bad.returncode == 2 and "not a key file" in bad.stderr and "Traceback" not in bad.stderr


def test_book_of_question_14(archive: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "q14.pdf"
    result = exam_pdf("book", str(archive), "--question", "14", "--out", str(out), "--html")
    assert result.returncode == 0, result.stdout + result.stderr
    reader = PdfReader(out)
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles == [
        "Group 7: 99 words, 1 image, warn",
        "Group 12: 99 words, 1 image, warn",
        "Group 31: 212 words, 1 image, pass",
    ]
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert text.count("Upload 1 to 3 screenshots") == 1  # the prompt once
    assert f"Page 1 of {len(reader.pages)}" in text and "Question 14" in text
    assert text.index("Group 7") < text.index("Group 12") < text.index("Group 31")
    images = sum(len(page.images) for page in reader.pages)
    assert images == 3  # each group's figure
    assert set(reader.attachments) >= {"book.md", "g001/figures/octo-seven_wandb.png"}
    page = (tmp_path / "q14.html").read_text("utf-8")
    assert page.count("<h2") >= 3 and "Group 31: 212 words, 1 image, pass" in page
    figures = re.findall(r'<img[^>]*src="([^"]+)"', page)
    assert len(figures) == 3 and all((tmp_path / figure).is_file() for figure in figures)


def test_book_anonymised(archive: Path, tmp_path: Path) -> None:
    import json

    from pypdf import PdfReader

    key = tmp_path / "key.json"
    out = tmp_path / "books"
    result = exam_pdf("book", str(archive), "-q", "2", "-q", "3", "--out", str(out), "--anonymise", "--key", str(key))
    assert result.returncode == 0, result.stdout + result.stderr
    codes = json.loads(key.read_text("utf-8"))["groups"]
    for number in (2, 3):
        reader = PdfReader(out / f"question-{number}.pdf")
        text = "\n".join(page.extract_text() for page in reader.pages)
        heads = [item.title.split(":")[0] for item in reader.outline if not isinstance(item, list)]
        assert heads == [f"Group {code}" for code in sorted(codes)]  # by code, not by group
        everything = text + " ".join(reader.attachments) + str(reader.metadata)
        for group in GROUPS:
            for planted in [*GROUPS[group][0], GROUPS[group][1], f"group {group}"]:
                assert planted not in everything, planted


def test_book_bad_input_one_line(archive: Path, tmp_path: Path) -> None:
    none = exam_pdf("book", str(archive), "--out", str(tmp_path / "q.pdf"))
    assert none.returncode == 2 and "--question" in none.stderr
    missing = exam_pdf("book", str(archive), "-q", "99", "--out", str(tmp_path / "q.pdf"))
    assert missing.returncode == 2 and "no group's report has a question 99" in missing.stderr
    keyless = exam_pdf("book", str(archive), "-q", "3", "--out", str(tmp_path / "q.pdf"), "--anonymise")
    assert keyless.returncode == 2 and "--key" in keyless.stderr and "Traceback" not in keyless.stderr


def test_books_in_parallel_html_only(archive: Path, tmp_path: Path) -> None:
    """Several books, two at a time, HTML only (no TeX): one page per question in the folder --out."""
    out = tmp_path / "books"
    result = exam_pdf("book", str(archive), "-q", "3", "-q", "14", "--out", str(out), "--no-pdf", "--html", "-j", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(path.name for path in out.glob("*.html")) == ["question-14.html", "question-3.html"]
    assert not list(out.glob("*.pdf"))
    page = (out / "question-3.html").read_text("utf-8")
    assert "https://github.com/octo-seven/mlops-project" in page  # not blinded without --anonymise
    assert page.index("Group 7") < page.index("Group 12") < page.index("Group 31")
    file = exam_pdf("book", str(archive), "-q", "3", "-q", "14", "--out", str(tmp_path / "q.pdf"))
    assert file.returncode == 2 and "several books go into a folder" in file.stderr
