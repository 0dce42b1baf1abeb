"""Identity text is shown as written (issue 17 point 4).

Control characters, bidi overrides and isolates and zero-width characters in the group
number, the study numbers and the title are findings naming the code point; only the
digits 0-9 count in group and study numbers; and such characters never break the
archive's metadata (the XMP packet stays XML, Info and XMP agree, verify passes). The
archive here is finished from a one-page PDF pypdf writes, not a TeX build (the TeX
build with an ESC in the title is in test_verify_seal.py).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import Result

from exam_pdf.hidden import describe, hidden_characters, visible
from exam_pdf.model import Report
from exam_pdf.pipeline import check_path, load_report


def question(number: int, answer: str) -> str:
    return f"### Question {number}\n\n> **Describe.**\n>\n> Answer:\n\n{answer}\n\n"


def report(title: str = "Exam report", group: str = "Group 42", students: str = "s123456, s654321") -> str:
    return f"# {title}\n\n## Group information\n\n" + question(1, group) + question(2, students)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def findings(cli: Callable[..., Result], folder: Path) -> list[dict[str, object]]:
    result = cli("check", str(folder), "--format", "json")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    return list(json.loads(result.stdout)["findings"])


def only(found: list[dict[str, object]], rule: str) -> list[dict[str, object]]:
    return [f for f in found if f["rule"] == rule]


def test_a_clean_identity_has_no_findings(make_report: Callable[..., Path], cli: Callable[..., Result]) -> None:
    assert findings(cli, make_report(report())) == []


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\u2060", "U+2060 WORD JOINER"),
        ("\x1b", "U+001B, a control character"),
        ("\x85", "U+0085, a control character"),
    ],
)
def test_hidden_characters_in_the_group_number_are_named(
    make_report: Callable[..., Path], cli: Callable[..., Result], char: str, name: str
) -> None:
    text = report(group=f"Group {char}42")
    found = only(findings(cli, make_report(text)), "hidden-character")
    assert found == [
        {
            "rule": "hidden-character",
            "severity": "error",
            "question": 1,
            "line": line_of(text, f"Group {char}42"),
            "message": f"the group number contains {name}, which does not show as itself: delete it",
        }
    ]


def test_a_group_number_written_backwards_with_an_override(
    make_report: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    """Displayed as 42, read as 24: not silently read, both the override and its end are named."""
    folder = make_report(report(group="Group \u202e24\u202c"))
    messages = [f["message"] for f in only(findings(cli, folder), "hidden-character")]
    assert [m.split(",")[0] for m in messages] == [
        "the group number contains U+202E RIGHT-TO-LEFT OVERRIDE",
        "the group number contains U+202C POP DIRECTIONAL FORMATTING",
    ]


def test_hidden_characters_in_study_numbers_and_title(
    make_report: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    text = report(title="Exam \x1b[31mreport\u2069", students="s123456, s65\u200d4321")
    found = only(findings(cli, make_report(text)), "hidden-character")
    tail = ", which does not show as itself: delete it"
    assert [(f["question"], f["line"], f["message"]) for f in found] == [
        (None, 1, "the report's title contains U+001B, a control character" + tail),
        (None, 1, "the report's title contains U+2069 POP DIRECTIONAL ISOLATE" + tail),
        (2, line_of(text, "s65\u200d4321"), "the study numbers contain U+200D ZERO WIDTH JOINER" + tail),
    ]


def test_only_ascii_digits_make_a_study_number(make_report: Callable[..., Path], cli: Callable[..., Result]) -> None:
    folder = make_report(report(students="s123456, s\u0662\u0664\u0665\u0666\u0667\u0668"))
    found = only(findings(cli, folder), "student-id")
    assert [f["message"] for f in found] == [
        "'s\u0662\u0664\u0665\u0666\u0667\u0668' is not a study number: "
        "only the digits 0-9 count, not U+0662 ARABIC-INDIC DIGIT TWO"
    ]
    loaded: Report = load_report(folder)
    assert loaded.student_ids == ["s123456"]


def test_only_ascii_digits_make_a_group_number(make_report: Callable[..., Path], cli: Callable[..., Result]) -> None:
    folder = make_report(report(group="Group \u0664\u0662"))
    found = only(findings(cli, folder), "group-number")
    assert [f["message"] for f in found] == [
        "the group number is written with U+0664 ARABIC-INDIC DIGIT FOUR: write it with the digits 0-9"
    ]
    assert load_report(folder).group is None
    full_width = make_report(report(group="Group \uff14\uff12"), name="full-width")
    assert load_report(full_width).group is None
    assert only(findings(cli, full_width), "group-number")


def test_tab_and_line_feed_are_ordinary_text() -> None:
    assert hidden_characters("a\tb\nc") == []
    assert hidden_characters("a\rb\x7fc\u2028") == [(1, "\r"), (3, "\x7f"), (5, "\u2028")]
    assert describe("\u200f") == "U+200F RIGHT-TO-LEFT MARK"


def test_visible_writes_hidden_characters_as_code_points() -> None:
    assert visible("Exam \x1b[1m\u202e24\u202c \ufeffok é 42") == "Exam U+001B[1mU+202E24U+202C U+FEFFok é 42"
    assert visible("\x00\x08\ufffe\uffff") == "U+0000U+0008U+FFFEU+FFFF"


def test_metadata_with_control_characters_stays_valid_and_verifies(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """The XMP packet is XML 1.0 (which forbids most C0 controls even escaped) and agrees with Info."""
    from pypdf import PdfWriter

    from exam_pdf.archive import Metadata, SourceFile, finish, xmp_packet

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    meta = Metadata(
        title="Exam \x1b[1m\u202ereport\x00\x08 (group 42)",
        author="s123456, s654321",
        subject="02476, exam report, template edition 2026",
        keywords="02476, group 42",
        date=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
        group="42",
        edition="2026",
        check="2/2 questions pass",
    )
    packet = xmp_packet(meta.shown()).decode("utf-8")
    ET.fromstring(packet.split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(finish(buffer.getvalue(), meta, [SourceFile("README.md", b"# Exam\n")]))
    result = cli("verify", str(pdf))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip().endswith("intact")

    import pikepdf

    with pikepdf.open(pdf) as document:
        title = str(document.docinfo["/Title"])
        assert title == "Exam U+001B[1mU+202EreportU+0000U+0008 (group 42)"
        assert document.open_metadata()["dc:title"] == title


class _Scanned(str):
    """An answer that records every search of it from Python (``find``, ``index``, ``count``)."""

    searches: ClassVar[list[str]] = []

    def find(self, *args: object) -> int:  # type: ignore[override]
        self.searches.append("find")
        return super().find(*args)  # type: ignore[arg-type]

    def index(self, *args: object) -> int:  # type: ignore[override]
        self.searches.append("index")
        return super().index(*args)  # type: ignore[arg-type]

    def count(self, *args: object) -> int:  # type: ignore[override]
        self.searches.append("count")
        return super().count(*args)  # type: ignore[arg-type]


def test_malformed_study_numbers_are_placed_in_one_pass(tmp_path: Path) -> None:
    """Each malformed number's line comes from where it was matched: searching the answer from
    its start again for each (80,000 distinct ones: 23 s of CPU) is quadratic."""
    from exam_pdf.checks.identity import student_ids

    numbers = [f"s{n:08d}" for n in range(2000)]  # eight digits: none is a study number
    answer = "s123456\n" + "\n".join(f"member {number}" for number in numbers)
    path = tmp_path / "README.md"
    path.write_text(report(students=answer), "utf-8")
    loaded = load_report(path)
    second = loaded.question(2)
    assert second is not None
    second.answer_text = _Scanned(second.answer_text)
    _Scanned.searches = []
    found = list(student_ids(loaded))
    assert _Scanned.searches == []
    assert len(found) == len(numbers)
    text = path.read_text("utf-8")
    for number, finding in zip(numbers[:: len(numbers) // 20], found[:: len(numbers) // 20], strict=True):
        assert f"'{number}'" in finding.message and finding.line == line_of(text, number)


def test_a_malformed_study_number_is_placed_where_it_stands(tmp_path: Path) -> None:
    # 's1234567' is also the tail of an earlier word: the finding names its own line.
    path = tmp_path / "README.md"
    path.write_text(report(students="see xs1234567 above\n\ns123456\n\ns1234567"), "utf-8")
    [finding] = [f for f in check_path(path).findings if f.rule.id == "student-id"]
    assert finding.line == len(path.read_text("utf-8").rstrip("\n").split("\n"))
