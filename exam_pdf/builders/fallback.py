"""The fallback PDF: made when LaTeX cannot typeset a report, so that no group is without one.

It holds the cover (title, group, students, edition, date, check summary, and the
commit of a report that `collect` took from a repository), the
findings, the reason LaTeX failed, and the report's text set as plain
preformatted lines (figures as ``[image: ...]`` placeholders), with "FALLBACK" in
the header and footer of every page. It is made two ways, the second only when
the first fails:

1. a minimal LaTeX document (``latex_templates/fallback.tex.jinja``), compiled by
   the same engine with a short timeout: every character of the report is written
   as ``\\char"XXXX``, each line is its own paragraph, no math, no user macros, so
   nothing the report holds can change how TeX reads it;
2. fpdf2, a small pure-Python PDF writer, with the same lines.

The result goes through :func:`exam_pdf.archive.finish` like any report PDF.
"""

from __future__ import annotations

import dataclasses
import shutil
import textwrap
import unicodedata
from pathlib import Path

from exam_pdf import __version__
from exam_pdf.errors import BuildError
from exam_pdf.sphinxext.glyphs import MAIN_FONT, MONO_FONT, coverage, font_file

#: Seconds the fallback's own TeX run may take (it is made of plain lines: a few seconds
#: even for a report at the size cap).
FALLBACK_TIMEOUT = 30
#: Characters per line of the report's text: what fits the page in the monospaced font.
WIDTH = 92
#: Characters that are written as they are; every other one as ``\char"XXXX``.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;()/=+*@|!?")


@dataclasses.dataclass(frozen=True)
class Cover:
    title: str
    course: str
    group: str
    students: str
    edition: str
    date: str
    check: str
    reason: str
    source: str = ""
    """The repository and commit a collected report was taken from ("" otherwise)."""


def printable(text: str, glyphs: frozenset[int] | None = None) -> str:
    """``text`` with tabs expanded and every character the font cannot show as ``[U+XXXX]``."""
    out = []
    for char in text.expandtabs(4):
        code = ord(char)
        control = unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") and char != "\n"
        if control or (glyphs is not None and code > 0x7E and code not in glyphs):
            out.append(f"[U+{code:04X}]")
        else:
            out.append(char)
    return "".join(out)


def lines(text: str, width: int = WIDTH) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters (long words broken too)."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line.rstrip())
            continue
        indent = len(line) - len(line.lstrip(" "))
        indent = indent if indent < width // 2 else 0
        out += textwrap.wrap(
            line.strip(),
            width,
            initial_indent=" " * indent,
            subsequent_indent=" " * indent,
            break_long_words=True,
            break_on_hyphens=False,
        ) or [""]
    return out


def tex_escape(text: str) -> str:
    """Every character that is not a letter, digit or plain punctuation as ``\\char"XXXX\\relax``."""
    return "".join(char if char in _PLAIN else "~" if char == " " else f'\\char"{ord(char):X}\\relax ' for char in text)


def _paragraphs(rows: list[str]) -> str:
    return "\n".join(f"{tex_escape(row)}\\par" if row.strip() else "\\mbox{}\\par" for row in rows)


def make(cover: Cover, findings: list[str], text: str, folder: Path, timeout: float, epoch: int | None = None) -> bytes:
    """The fallback PDF's bytes: LaTeX when it can, else fpdf2. ``epoch``: the sources' date."""
    glyphs = coverage(MONO_FONT) or None
    findings_rows = lines(printable("\n".join(findings) or "(none)", glyphs))
    text_rows = lines(printable(text, glyphs))
    try:
        return _with_latex(cover, findings_rows, text_rows, folder, timeout, epoch)
    except (BuildError, OSError):
        return with_fpdf(cover, findings_rows, text_rows, epoch or 0)


def _with_latex(
    cover: Cover, findings: list[str], body: list[str], folder: Path, timeout: float, epoch: int | None
) -> bytes:
    import jinja2

    from exam_pdf.builders import templates_dir
    from exam_pdf.builders.engine import compile_pdf

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<%=",
        variable_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    fields = {key: tex_escape(" ".join(printable(value).split())) for key, value in dataclasses.asdict(cover).items()}
    tex = environment.get_template("fallback.tex.jinja").render(
        **fields,
        version=tex_escape(__version__),
        main_font=MAIN_FONT,
        mono_font=MONO_FONT,
        findings=_paragraphs(findings),
        body=_paragraphs(body),
    )
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "fallback.tex"
    path.write_text(tex, "utf-8")
    return compile_pdf(path, timeout=timeout, source_date_epoch=epoch).read_bytes()


def with_fpdf(cover: Cover, findings: list[str], body: list[str], epoch: int = 0) -> bytes:
    """The same document written by fpdf2, for when even the plain LaTeX fails."""
    import datetime as dt

    from fpdf import FPDF

    regular = font_file(MONO_FONT)

    class Document(FPDF):
        def header(self) -> None:
            self.set_font(family, size=8)
            self.cell(0, 5, f"FALLBACK PDF: LaTeX could not typeset this report - group {group}", align="L")
            self.ln(8)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font(family, size=8)
            self.cell(0, 5, f"plain-text fallback made by exam-pdf {__version__} - page {self.page_no()}", align="L")

    pdf = Document(format="A4", unit="mm")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(dt.datetime.fromtimestamp(epoch, dt.UTC))  # the sources' date: reproducible
    if regular:
        pdf.add_font("mono", "", regular)
        family, safe = "mono", (lambda s: s)
    else:  # no DejaVu Sans Mono: the PDF core font, Latin-1 only
        family = "courier"

        def safe(s: str) -> str:
            return "".join(c if ord(c) < 256 else f"[U+{ord(c):04X}]" for c in s)

    group = safe(printable(cover.group))
    pdf.add_page()
    pdf.set_font(family, size=14)
    pdf.multi_cell(0, 7, safe(printable(cover.title)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    pdf.ln(3)
    for label, value in (
        ("Course", cover.course),
        ("Group", cover.group),
        ("Students", cover.students),
        ("Template edition", cover.edition),
        ("Source dated", cover.date),
        ("Check", cover.check),
        *((("Commit", cover.source),) if cover.source else ()),
    ):
        pdf.multi_cell(0, 5, safe(f"{label}: {printable(value)}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    notice = (
        "This is a fallback PDF. LaTeX could not typeset the report, so its text is set below as plain text; "
        "figures are named, not shown. The README and figures are embedded in this PDF as in every archived "
        f"report (exam-pdf extract).\nReason: {printable(cover.reason)}"
    )
    pdf.multi_cell(0, 5, safe(notice), border=1, new_x="LMARGIN", new_y="NEXT")
    for heading, rows in (("Findings", findings), ("The report as text", body)):
        pdf.ln(4)
        pdf.set_font(family, size=11)
        pdf.cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=8)
        for row in rows:
            pdf.cell(0, 3.6, safe(row), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
