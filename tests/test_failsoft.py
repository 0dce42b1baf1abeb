"""Every group gets a PDF (issue 17): what used to stall TeX or stop it now builds, and
when LaTeX still fails the PDF is a marked plain-text fallback, archived like any other.

Reports are generated here, each holding one reported case. The TeX builds are few
and shared (module-scoped fixtures): one report with every case TeX used to stall or
overflow on (built for real: no fallback), one report LaTeX really cannot read (a
fallback PDF), one batch. Forced failures (the engine replaced) need no TeX run for the
report itself. The time limits below are safety nets against a hang, not assertions
about speed.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import warmcli
from pypdf import PdfReader

from exam_pdf.archive import KEY_FALLBACK
from exam_pdf.errors import BuildError, BuildTimeout
from exam_pdf.sphinxext.texlines import break_long_lines, shorten
from exam_pdf.sphinxext.texmath import refusal

EPOCH = "1700000000"
#: A generous bound on one command: far above a build's few seconds, far below a hang.
SAFETY = 400

HEAD = (
    "# Exam report\n\n"
    "### Question 1\n> **Enter the group number.**\n>\n> Answer:\n\n42\n\n"
    "### Question 2\n> **Enter the study number of each team member.**\n>\n> Answer:\n\ns123456\n\n"
    "### Question 3\n> **Describe your project.**\n>\n> Answer:\n\n"
)
LONG_HEADING = " ".join(f"heading{i:04d}" for i in range(900))  # 10,799 characters
LONG_TITLE = " ".join(f"title{i:04d}" for i in range(1000))  # 9,999 characters
#: A code token TeX cannot read in one line, and that has no place where it could be broken.
UNREADABLE = 'Our config:\n\n```python\nkey = "' + "k" * 250_000 + '"\n```\n'


@dataclasses.dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def exam_pdf(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    proc = warmcli.run(
        [*map(str, args)], timeout=SAFETY, cwd=cwd, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_no_crash(run: Run) -> None:
    assert "Traceback" not in run.stdout + run.stderr
    assert "internal error" not in run.stdout + run.stderr


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def squeeze(text: str) -> str:
    return re.sub(r"[\s\-\u00ad]+", "", text)


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(text, "utf-8")
    return folder


# --------------------------------------------------------------------------- the math grammar


ACCEPTED = [
    r"\alpha + \beta \leq 95\%",
    r"\frac{a}{b} + \sqrt[3]{x}",
    r"\sum_{i=1}^{n} x_i^2",
    r"x'^2",
    r"\left( \frac{1}{2} \right)",
    r"\big( x \big)",
    r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    r"\begin{array}{*{3}{c}|l} a & b & c & d \end{array}",
    r"f(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
    r"\mathcal{L} = -\sum_i y_i \log \hat{y}_i",
    r"\operatorname{softmax}(z)_i",
]
REFUSED = {
    r"a\) \text{..} \(b": r"'\)'",
    r"\[ x \]": r"'\['",
    r"\begin{array}{*{999999}{c}} a \end{array}": "array columns",
    r"\begin{array}{*{30}{c}} a \end{array}": "30 columns",
    r"\begin{array}{c@{\input{x}}c} a \end{array}": "array columns",
    r"\input{/etc/passwd}": "not an allowed math command",
    r"\begin{align} a \end{align}": "'align' is not allowed",
    r"\begin{pmatrix} a \end{bmatrix}": "without its \\begin",
    r"\frac{a}": "without its argument",
    r"a^b^c": "double superscript",
    r"a & b": "'&' outside an alignment",
    r"a \\% b": "outside an alignment",
    r"\left( x": "\\left without \\right",
    r"\text{a_b}": "in \\text",
    r"\text{$x$}": "'$'",
    "{" * 45 + "}" * 45: "nested more than",
    "x" * 2001: "longer than 2000",
    "^^5cinput": "'^^'",
}


@pytest.mark.parametrize("tex", ACCEPTED)
def test_plain_math_is_accepted(tex: str) -> None:
    assert refusal(tex) is None


@pytest.mark.parametrize(("tex", "why"), REFUSED.items(), ids=range(len(REFUSED)))
def test_math_outside_the_grammar_is_refused_with_a_reason(tex: str, why: str) -> None:
    reason = refusal(tex)
    assert reason is not None and why in reason, reason


def test_display_math_takes_one_alignment_column() -> None:
    assert refusal(r"a &= b \\ c &= d", display=True) is None
    assert refusal(r"a & b & c", display=True) is not None


# --------------------------------------------------------------------------- bounded .tex lines


def test_long_lines_are_broken_where_tex_sees_no_difference() -> None:
    text = "word " * 3000 + "\\textbf{" + "bold " * 3000 + "}"
    broken, code, split = break_long_lines(text, limit=1000, paragraph=5000)
    assert max(len(line) for line in broken.split("\n")) <= 1010
    assert broken.replace("%\n", "").replace("\n\\par\n", "") == text
    assert split == [len(text)] and not code
    # the paragraph is split only where no brace is open: never inside \textbf{...}
    bold = broken.index("\\textbf{")
    assert "\\par" not in broken[bold:]


def test_a_paragraph_of_many_short_lines_is_set_as_several() -> None:
    # 40,000 lines of '__' are one paragraph for TeX: as slow to break into lines as one long line.
    lines = ["\\sphinxAtStartPar", *(["\\_\\_"] * 4000), "", "After."]
    broken, code, split = break_long_lines("\n".join(lines), paragraph=5000)
    assert broken.replace("\n\\par", "") == "\n".join(lines)
    assert len(split) == 4 * 4000 // 5000 and not code
    # Never inside braces, a table, or after a table row's end.
    held = ["\\textbf{", *(["x"] * 3000), "}"]
    inside = break_long_lines("\n".join(held), paragraph=1000)[0]
    assert "\\par" not in inside[: inside.rindex("}")]
    table = ["\\begin{tabulary}{\\linewidth}{ll}", *(["a & b \\\\"] * 3000), "\\end{tabulary}"]
    assert break_long_lines("\n".join(table), paragraph=1000)[2] == []


def test_code_lines_are_broken_between_highlighted_tokens() -> None:
    line = "\\PYG{n}{abc}\\PYG{o}{=}" * 200
    tex = "\\begin{sphinxVerbatim}[commandchars=\\\\\\{\\}]\n" + line + "\n\\end{sphinxVerbatim}"
    broken, code, _ = break_long_lines(tex, limit=100)
    pieces = broken.split("\n")[1:-1]
    assert "".join(pieces) == line and all(piece.startswith("\\PYG{") for piece in pieces)
    assert code == [(len(line), len(pieces))]


def test_headings_are_shortened_at_a_space() -> None:
    assert shorten("short") == "short"
    short = shorten(LONG_HEADING)
    assert len(short) <= 206 and short.endswith(" [...]") and LONG_HEADING.startswith(short[:-6])


# --------------------------------------------------------------------------- what used to stall or stop TeX


ALL_MATH = "\n".join(f"Formula ${tex}$ here." for tex in ACCEPTED)


@dataclasses.dataclass
class Built:
    run: Run
    folder: Path
    out: Path
    text: str


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The reported cases together, in one report: each alone used to cost a PDF."""
    root = tmp_path_factory.mktemp("hard")
    text = (
        HEAD.replace("# Exam report", "# " + LONG_TITLE, 1)
        + "Leaves math mode: $a\\) \\text{..} \\(b$ and declares columns: "
        + "$\\begin{array}{*{999999}{c}} a \\end{array}$.\n\n"
        + ALL_MATH
        + "\n\n"
        + "![" * 60_000
        + "\n\n## "
        + LONG_HEADING
        + "\n\nAfter the long heading.\n"
    )
    folder = write(root / "report", text)
    out = root / "out"
    run = exam_pdf("build", folder, "--out", out, "--timeout", "120")
    return Built(run, folder, out, pdf_text(out / "report.pdf") if (out / "report.pdf").is_file() else "")


@pytest.mark.latex
def test_hard_report_builds_a_real_pdf_and_html(hard: Built) -> None:
    assert_no_crash(hard.run)
    # Warnings only, but for the cap on the 60,000 unclosed '![' (the check stops resolving them).
    errors = re.findall(r": error (\S+)", hard.run.stdout)
    assert errors == ["report-too-large"], hard.run.stdout + hard.run.stderr
    assert hard.run.code == 1
    assert (hard.out / "report.html").is_file()
    info = PdfReader(hard.out / "report.pdf").metadata or {}
    assert KEY_FALLBACK not in info, info.get(KEY_FALLBACK)  # typeset by LaTeX, not the fallback
    assert "pdf-fallback" not in hard.run.stdout


@pytest.mark.latex
def test_refused_math_is_shown_as_code_with_a_finding(hard: Built) -> None:
    found = re.findall(r"warning math-as-code a formula is shown as code: (.*)", hard.run.stdout)
    assert len(found) == 2, hard.run.stdout
    assert any("'\\)'" in why for why in found) and any("array columns" in why for why in found)
    pdf = squeeze(hard.text)
    assert squeeze(r"$a\) \text{..} \(b$") in pdf
    assert squeeze("*{999999}{c}") in pdf


@pytest.mark.latex
def test_every_allowed_command_is_typeset(hard: Built) -> None:
    # The accepted formulas went to TeX (a TeX error would have made a fallback PDF).
    assert "Formula" in hard.text and "softmax" in hard.text
    assert r"\frac" not in hard.text and "\\sum" not in hard.text


@pytest.mark.latex
def test_long_heading_is_shortened_and_kept_in_full(hard: Built) -> None:
    assert re.search(r"warning pdf-shortened a heading of 10799 characters is shortened", hard.run.stdout)
    pdf = squeeze(hard.text)
    assert "heading0000" in pdf and "heading0899" in pdf  # the full text follows the short heading
    assert "After the long heading." in hard.text


@pytest.mark.latex
def test_long_title_is_shortened_on_the_cover_and_kept_in_full(hard: Built) -> None:
    assert "warning pdf-shortened the title (9999 characters) is shortened on the cover" in hard.run.stdout
    cover = hard.text.split("\f")[0]
    assert "title0000" in cover and "[...]" in cover and "title0999" not in cover
    assert squeeze(hard.text).count("title0999") == 1  # in full once, at the start of the text


@pytest.mark.latex
def test_a_paragraph_longer_than_tex_reads_is_printed(hard: Built) -> None:
    assert re.search(r"warning pdf-shortened a paragraph of \d+ characters is set as several", hard.run.stdout)
    assert squeeze(hard.text).count("![") == 60_000  # every character is there


# --------------------------------------------------------------------------- LaTeX fails: the fallback PDF


@pytest.fixture(scope="module")
def fallback(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A report LaTeX cannot read (a 250,000-character code token): the real engine fails."""
    root = tmp_path_factory.mktemp("fallback")
    folder = write(root / "report", HEAD + UNREADABLE + "\n![the loss](figures/loss.png)\n")
    (folder / "figures").mkdir()
    (folder / "figures" / "loss.png").write_bytes(_png())
    out = root / "out"
    run = exam_pdf("build", folder, "--out", out, "--timeout", "120")
    return Built(run, folder, out, pdf_text(out / "report.pdf") if (out / "report.pdf").is_file() else "")


def _png() -> bytes:
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(data, "PNG")
    return data.getvalue()


@pytest.mark.latex
def test_fallback_pdf_when_latex_fails(fallback: Built) -> None:
    assert_no_crash(fallback.run)
    assert fallback.run.code == 1, fallback.run.stdout + fallback.run.stderr
    [line] = [line for line in fallback.run.stdout.splitlines() if "pdf-fallback" in line]
    assert "error pdf-fallback LaTeX error" in line and "Unable to read an entire line" in line
    assert "full log:" in line  # where the log is, for the one who built it
    assert (fallback.out / "report.html").is_file() and (fallback.out / "report.pdf").is_file()


@pytest.mark.latex
def test_fallback_pdf_is_marked_on_every_page_and_in_its_metadata(fallback: Built) -> None:
    reader = PdfReader(fallback.out / "report.pdf")
    for page in reader.pages:
        assert "FALLBACK PDF" in page.extract_text()
    info = reader.metadata or {}
    assert "Unable to read an entire line" in str(info[KEY_FALLBACK])
    assert "full log" not in str(info[KEY_FALLBACK])  # no path of the machine in the archive
    assert str(info["/Keywords"]).endswith(", fallback")


@pytest.mark.latex
def test_fallback_pdf_holds_cover_findings_reason_and_text(fallback: Built) -> None:
    text = fallback.text
    assert "Exam report" in text and "s123456" in text and "42" in text  # the cover
    assert "Findings" in text and "pdf-fallback" not in text.split("The report as text")[0].split("Reason")[0]
    assert "Unable to read an entire line" in text  # the reason
    assert "Describe your project." in text and "Our config:" in text  # the report's text
    assert "[image: the loss]" in text  # the figure as a placeholder
    assert squeeze(text).count("k" * 90) >= 250_000 // 92 - 1  # the long token, wrapped, all there


@pytest.mark.latex
def test_fallback_pdf_verifies_and_extracts(fallback: Built, tmp_path: Path) -> None:
    pdf = fallback.out / "report.pdf"
    run = exam_pdf("verify", pdf, "--source", fallback.folder)
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("intact")
    run = exam_pdf("extract", pdf, "--out", tmp_path / "restored")
    assert run.code == 0, run.stderr
    assert (tmp_path / "restored" / "README.md").read_bytes() == (fallback.folder / "README.md").read_bytes()
    assert (tmp_path / "restored" / "figures" / "loss.png").read_bytes() == _png()


def _forced(monkeypatch: pytest.MonkeyPatch, error: BuildError, fallback_fails: bool) -> list[str]:
    """The engine fails on the report (and on the fallback too, if ``fallback_fails``)."""
    from exam_pdf.builders import engine

    real = engine.compile_pdf
    calls: list[str] = []

    def compile_pdf(tex: Path, timeout: float = 120, source_date_epoch: int | None = None) -> Path:
        calls.append(tex.name)
        if tex.name == "report.tex" or fallback_fails:
            raise error
        return real(tex, timeout=timeout, source_date_epoch=source_date_epoch)

    monkeypatch.setattr(engine, "compile_pdf", compile_pdf)
    return calls


@pytest.mark.latex
@pytest.mark.parametrize("fallback_fails", [False, True], ids=["latex-fallback", "fpdf2-fallback"])
def test_forced_failure_makes_a_fallback_pdf(
    fallback_fails: bool, make_report, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    calls = _forced(monkeypatch, BuildTimeout("the TeX engine did not finish within 9 s"), fallback_fails)
    folder = make_report(HEAD + "A plain answer with `code` and **bold** text.\n")
    result = cli("pdf", str(folder))
    assert result.exit_code == 1, result.output
    assert calls == ["report.tex", "fallback.tex"]  # the fallback's own LaTeX first, then fpdf2
    assert "error pdf-fallback the TeX engine ran past its time limit and was stopped" in result.stdout
    pdf = folder / "report.pdf"
    reader = PdfReader(pdf)
    assert all("FALLBACK PDF" in page.extract_text() for page in reader.pages)
    assert "A plain answer with" in pdf_text(pdf)
    assert "ran past its time limit" in str((reader.metadata or {})[KEY_FALLBACK])
    verified = cli("verify", str(pdf), "--source", str(folder))
    assert verified.exit_code == 0, verified.output
    assert not list(folder.glob(".*.tmp"))


# --------------------------------------------------------------------------- batch: fallback counted apart


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    root = tmp_path_factory.mktemp("batch") / "root"
    write(root / "g42", HEAD + UNREADABLE)
    out = root.parent / "out"
    return out, exam_pdf("batch", root, "--out", out, "-j", "1", "--timeout", "120")


@pytest.mark.latex
def test_batch_archives_the_fallback_and_counts_it_apart(batch_out: tuple[Path, Run]) -> None:
    out, run = batch_out
    assert_no_crash(run)
    assert run.code == 1, run.stdout + run.stderr
    assert "1 fallback, 0 failed" in run.stdout
    assert "fallback: g42/README.md: LaTeX error" in run.stderr
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    [entry] = data["reports"]
    assert entry["status"] == "fallback"
    assert "Unable to read an entire line" in entry["reason"] and "full log" not in entry["reason"]
    assert data["totals"] == {"reports": 1, "ok": 0, "findings": 0, "fallback": 1, "failed": 0, "skipped": 0}
    assert entry["findings_by_rule"].get("pdf-fallback") == 1
    assert (out / entry["pdf"]).is_file() and (out / entry["html"]).is_file()
    [row] = csv.DictReader((out / "summary.csv").read_text("utf-8").splitlines())
    assert row["status"] == "fallback" and "Unable to read" in row["reason"]
    page = (out / "index.html").read_text("utf-8")
    assert '<span class="status status-fallback">fallback</span> 1' in page
    assert page.count('class="status status-fallback"') == 2  # in the totals and in the group's row
    verified = exam_pdf("verify", out / entry["pdf"], "--manifest", out / "manifest.json")
    assert verified.code == 0, verified.stdout


# --------------------------------------------------------------------------- a folder or file in the way


def test_a_cache_committed_as_a_file_is_left_alone(make_report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = make_report(HEAD + "ok\n")
    (folder / ".exam-pdf-cache").write_text("committed by mistake\n")
    run = exam_pdf("html", folder, env={"XDG_CACHE_HOME": str(tmp_path / "usercache")})
    assert_no_crash(run)
    assert run.code == 0, run.stderr
    assert (folder / "report.html").is_file()
    assert (folder / ".exam-pdf-cache").read_text() == "committed by mistake\n"
    assert list((tmp_path / "usercache" / "exam-pdf").glob("*/src/index.md"))  # a fresh work folder there


@pytest.mark.parametrize(
    ("command", "name"), [("html", "report.html"), ("build", "report.html"), ("pdf", "report.pdf")]
)
def test_a_folder_where_the_output_goes_is_one_line(make_report, command: str, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = make_report(HEAD + "ok\n")
    (folder / name).mkdir()
    run = exam_pdf(command, folder)
    assert_no_crash(run)
    assert run.code == 2
    assert run.stderr.strip() == f"exam-pdf: error: cannot write {folder / name}: a folder is in the way"
    assert not list(folder.glob(".*.tmp"))  # no temporary file left behind
    assert not (folder / "report.pdf").is_file() and not (folder / "report.html").is_file()


@pytest.mark.parametrize("option", ["--out", "--cache-dir"])
def test_a_file_where_a_folder_goes_is_one_line(make_report, option: str) -> None:  # type: ignore[no-untyped-def]
    folder = make_report(HEAD + "ok\n")
    (folder / "afile").write_text("not a folder\n")
    run = exam_pdf("html", folder, option, folder / "afile" / "sub")
    assert_no_crash(run)
    assert run.code == 2
    [line] = run.stderr.splitlines()
    # Found before anything is built, naming the file in the way.
    assert line.startswith(f"exam-pdf: error: cannot write to {folder / 'afile' / 'sub'}: ")
    assert f"{folder / 'afile'} is a file, not a folder" in line


def test_the_work_folder_beside_the_report_is_ignored_by_git(make_report) -> None:  # type: ignore[no-untyped-def]
    folder = make_report(HEAD + "ok\n")
    run = exam_pdf("html", folder)
    assert run.code == 0, run.stderr
    assert (folder / ".exam-pdf-cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", str(folder)], check=True)
    status = subprocess.run([*git, "status", "--porcelain"], cwd=folder, capture_output=True, text=True, check=True)
    assert ".exam-pdf-cache" not in status.stdout and "README.md" in status.stdout


def test_a_status_note_lists_its_first_findings_and_counts_the_rest(tmp_path: Path) -> None:
    """A note is one framed box in the PDF: a thousand findings made it taller than TeX can
    measure ("Dimension too large", a fallback for 60,000 duplicate questions)."""
    from exam_pdf.builders import build_html
    from exam_pdf.source import read_source
    from exam_pdf.sphinxext.transform import NOTE_FINDINGS

    copies = "".join("### Question 3\n\n> Answer:\n\nx\n\n" for _ in range(NOTE_FINDINGS + 10))
    readme = tmp_path / "r" / "README.md"
    readme.parent.mkdir()
    readme.write_text(HEAD + "We train a model.\n\n" + copies, "utf-8")
    out, result = build_html(read_source(readme), tmp_path / "out" / "report.html", tmp_path / "work")
    third = result.report.question(3)
    assert third is not None and len(result.for_question(third)) >= NOTE_FINDINGS + 10
    note = out.read_text("utf-8").split("Question 3 breaks the rules", 1)[1].split("</div>", 1)[0]
    assert note.count("<li>") == NOTE_FINDINGS
    more = len(result.for_question(third)) - NOTE_FINDINGS + 1
    assert f"... and {more} more findings: exam-pdf check lists them all" in note
