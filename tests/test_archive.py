"""The archival PDF (issue 4): reproducible bytes, embedded sources, metadata, PDF/A-3b,
``verify`` and ``extract``.

The example report is built once per folder for the module; tampered copies are made
from the built PDF with pikepdf or by changing raw bytes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
import warmcli

from exam_pdf import __version__

pytestmark = pytest.mark.latex

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "report"
ARTIFACTS = HERE.parent / "test-artifacts"
EPOCH = 1700000000

#: pikepdf.pdfa findings of kind "unsupported" (constructs its allowlist validator does
#: not evaluate, as opposed to "violation") that the exam-pdf PDF is known to contain.
#: Each is (rule id, message pattern, why it is acceptable). Any violation, and any other
#: unsupported finding, fails the test.
PDFA_UNSUPPORTED_ALLOWED = [
    (
        "pikepdf:colour-space",
        r"/Pattern colour spaces are not supported",
        "pgf (used by tcolorbox for the prompt and note boxes) declares a /Pattern colour space "
        "'pgfprgb' over DeviceRGB in its resources; the validator does not evaluate pattern colour "
        "spaces, and DeviceRGB is covered by the sRGB OutputIntent.",
    ),
    (
        "ISO_19005_3:6.2.11.4.2-2",
        r"/CIDSet on a CIDFontType2 subset is not checked",
        "xelatex writes a /CIDSet for TrueType subsets (DejaVu Sans Mono, WenQuanYi, Symbola); "
        "PDF/A-2 and -3 make /CIDSet optional and pikepdf does not verify its completeness.",
    ),
]


def copy_report(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    return target


def run(*args: str | Path, epoch: int | None = EPOCH) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return warmcli.run([*map(str, args)], env=env, timeout=300)


def build(folder: Path) -> bytes:
    result = run("pdf", folder)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return (folder / "report.pdf").read_bytes()


def verify(pdf: Path, *options: str | Path) -> subprocess.CompletedProcess[str]:
    return run("verify", pdf, *options, epoch=None)


def first_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    context = f"{a[at - 40 : at + 40]!r} vs {b[at - 40 : at + 40]!r}"
    return f"sizes {len(a)} and {len(b)}, first difference at byte {at}: {context}"


def assert_same_bytes(one: Path, two: Path, label: str) -> None:
    """Equal files, or both kept in test-artifacts/ with their text diff in the message."""
    a, b = one.read_bytes(), two.read_bytes()
    if a == b:
        return
    keep = ARTIFACTS / "archive" / label
    keep.mkdir(parents=True, exist_ok=True)
    texts = []
    for name, path in (("one", one), ("two", two)):
        shutil.copyfile(path, keep / f"{name}.pdf")
        texts.append(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout)
    diff = "\n".join(list(difflib.unified_diff(*(t.splitlines() for t in texts), lineterm="", n=1))[:40])
    raise AssertionError(f"{label}: {first_difference(a, b)}\nkept in {keep}\ntext diff:\n{diff}")


def referenced_figures(folder: Path) -> set[str]:
    """The image files the README shows or links to (Markdown or <img>) that exist in its folder."""
    text = (folder / "README.md").read_text("utf-8")
    paths = re.findall(r"\]\(<?([^)\s>]+)>?\)", text) + re.findall(r"<img[^>]*\bsrc=\"([^\"]+)\"", text)
    images = {p for p in paths if re.search(r"(?i)\.(png|jpe?g|gif|svg|webp)$", p) and not re.match(r"https?:", p)}
    return {p for p in images if (folder / p).is_file()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example built twice in one folder (cold and warm cache) and once in another."""
    first = copy_report(EXAMPLE, tmp_path_factory.mktemp("first") / "report")
    other = copy_report(EXAMPLE, tmp_path_factory.mktemp("second") / "some" / "where" / "hand-in")
    found = {"first": first / "report.pdf", "other": other / "report.pdf"}
    build(first)
    twice = tmp_path_factory.mktemp("twice") / "report.pdf"
    shutil.copyfile(first / "report.pdf", twice)
    build(first)
    found["twice"] = twice
    build(other)
    return {**found, "folder": first}


@pytest.fixture(scope="module")
def pdf(builds: dict[str, Path]) -> Path:
    return builds["first"]


@pytest.fixture
def copy(pdf: Path, tmp_path: Path) -> Path:
    """A private copy of the fresh PDF to tamper with."""
    target = tmp_path / "report.pdf"
    shutil.copyfile(pdf, target)
    return target


# Reproducible -------------------------------------------------------------------------


def test_same_sources_give_the_same_bytes_twice_and_elsewhere(builds: dict[str, Path]) -> None:
    assert_same_bytes(builds["first"], builds["twice"], "twice-in-one-folder")
    assert_same_bytes(builds["first"], builds["other"], "two-folders")


def test_extract_then_rebuild_gives_the_same_bytes(pdf: Path, builds: dict[str, Path], tmp_path: Path) -> None:
    restored = tmp_path / "restored"
    result = run("extract", pdf, "--out", restored)
    assert result.returncode == 0, result.stderr
    folder = builds["folder"]
    for name in ["README.md", *referenced_figures(folder)]:
        assert (restored / name).read_bytes() == (folder / name).read_bytes(), name
        assert f"wrote {restored / name}" in result.stdout
    build(restored)
    assert_same_bytes(pdf, restored / "report.pdf", "extract-rebuild")


def test_the_date_comes_from_source_date_epoch(pdf: Path, builds: dict[str, Path], tmp_path: Path) -> None:
    """A different SOURCE_DATE_EPOCH changes the dates (and so the bytes): the clock is not used."""
    folder = copy_report(builds["folder"], tmp_path / "report")
    result = run("pdf", folder, epoch=EPOCH + 86400)
    assert result.returncode in (0, 1), result.stderr
    with pikepdf.open(folder / "report.pdf") as later:
        assert str(later.docinfo["/CreationDate"]).startswith("D:20231115")


# Metadata ---------------------------------------------------------------------------


def test_info_and_xmp_agree_and_say_who_and_when(pdf: Path, builds: dict[str, Path]) -> None:
    readme = (builds["folder"] / "README.md").read_text("utf-8")
    q2 = re.search(r"(?ms)^### Question 2\s*$(.*?)^### Question 3", readme)
    assert q2
    students = re.findall(r"\bs\d{6}\b", q2.group(1))
    when = dt.datetime.fromtimestamp(EPOCH, dt.UTC)
    with pikepdf.open(pdf) as document:
        info = {str(k): str(v) for k, v in document.docinfo.items()}
        xmp = document.open_metadata()
        assert "group 42" in info["/Title"]
        assert info["/Author"] == ", ".join(students)
        assert "02476" in info["/Subject"] and "2026" in info["/Subject"]
        assert info["/Producer"] == f"exam-pdf {__version__}"
        assert info["/CreationDate"] == info["/ModDate"] == when.strftime("D:%Y%m%d%H%M%S+00'00'")
        assert info["/ExamPdfGroup"] == "42"
        assert info["/ExamPdfEdition"] == "2026"
        assert re.fullmatch(r"[0-9a-f]{64}", info["/ExamPdfBundleSHA256"])
        assert "questions pass" in info["/ExamPdfCheck"]

        assert xmp["dc:title"] == info["/Title"]
        assert list(xmp["dc:creator"]) == students
        assert xmp["dc:description"] == info["/Subject"]
        assert xmp["pdf:Producer"] == info["/Producer"]
        assert xmp["pdf:Keywords"] == info["/Keywords"]
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
        assert xmp["xmp:CreateDate"].startswith(stamp) and xmp["xmp:ModifyDate"].startswith(stamp)
        assert xmp["pdfaid:part"] == "3" and xmp["pdfaid:conformance"] == "B"


# Embedded sources -------------------------------------------------------------------


def test_sources_are_embedded_by_relative_path_with_hashes(pdf: Path, builds: dict[str, Path]) -> None:
    folder = builds["folder"]
    expected = {"README.md", *referenced_figures(folder)}
    assert len(expected) > 3, "the example shows several figures"
    with pikepdf.open(pdf) as document:
        specs = list(document.Root.AF)
        names = {str(spec.UF): spec for spec in specs}
        assert set(names) == expected
        assert set(document.attachments.keys()) == expected, "the /EmbeddedFiles name tree lists the same files"
        for name, spec in names.items():
            data = (folder / name).read_bytes()
            assert spec.AFRelationship == pikepdf.Name.Source
            assert str(spec.F) == name
            assert spec.EF.F.read_bytes() == data, name
            assert str(spec.Desc) == f"SHA-256 {hashlib.sha256(data).hexdigest()}"
            assert int(spec.EF.F.Params.Size) == len(data)
        files = sorted(expected)
        lines = "".join(f"{n}\0{hashlib.sha256((folder / n).read_bytes()).hexdigest()}\n" for n in files)
        assert str(document.docinfo["/ExamPdfBundleSHA256"]) == hashlib.sha256(lines.encode()).hexdigest()


# PDF/A-3b ---------------------------------------------------------------------------


def test_every_font_is_embedded(pdf: Path) -> None:
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines[0].split()[-5:] == ["emb", "sub", "uni", "object", "ID"]
    rows = [line.split() for line in lines[2:]]
    assert rows
    assert [row[0] for row in rows if row[-5] != "yes"] == []


def test_pdfa_3b_by_pikepdf(pdf: Path) -> None:
    from pikepdf import pdfa

    report = pdfa.validate_written(pdf, "3b")
    assert report.violations == (), report.summary(50)
    unexplained = [
        finding
        for finding in report.unsupported
        if not any(
            finding.rule == rule and re.search(pattern, finding.message)
            for rule, pattern, _ in PDFA_UNSUPPORTED_ALLOWED
        )
    ]
    assert unexplained == [], report.summary(50)
    assert (report.output_intent or "").strip() == "RGB"


def test_pdfa_basics_the_validator_relies_on(pdf: Path) -> None:
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-1.7")
    with pikepdf.open(pdf) as document:
        assert not document.is_encrypted
        assert "/OpenAction" not in document.Root
        intents = list(document.Root.OutputIntents)
        assert len(intents) == 1 and intents[0].S == pikepdf.Name("/GTS_PDFA1")
        assert "/JavaScript" not in document.Root.get("/Names", {})
        assert document.Root.Outlines.Count != 0, "bookmarks"


# verify ------------------------------------------------------------------------------


def test_verify_passes_on_a_fresh_pdf(pdf: Path) -> None:
    result = verify(pdf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("intact")


def test_verify_fails_on_one_byte_changed_in_an_embedded_figure(copy: Path, builds: dict[str, Path]) -> None:
    folder = builds["folder"]
    figure = sorted(referenced_figures(folder))[0]
    original = (folder / figure).read_bytes()
    data = copy.read_bytes()
    at = data.find(original)
    assert at > 0 and data.count(original) == 1, "the figure is stored once, uncompressed"
    middle = at + len(original) // 2
    copy.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])
    result = verify(copy)
    assert result.returncode == 1
    assert f"embedded file '{figure}' does not match its recorded SHA-256" in result.stdout
    assert "TAMPERED" in result.stdout


def test_verify_fails_on_an_attachment_rewritten_with_its_old_hash(copy: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.pdf"
    with pikepdf.open(copy) as document:
        spec = next(s for s in document.Root.AF if str(s.UF) == "README.md")
        text = spec.EF.F.read_bytes()
        changed = text.replace(b"42", b"43", 1)
        assert len(changed) == len(text) and changed != text
        spec.EF.F.write(changed)  # /Desc keeps the old SHA-256, /Params the old size
        document.save(tampered)
    result = verify(tampered)
    assert result.returncode == 1
    assert "embedded file 'README.md' does not match its recorded SHA-256" in result.stdout
    assert "source bundle" in result.stdout


def test_verify_fails_on_a_changed_metadata_value(copy: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "title.pdf"
    with pikepdf.open(copy) as document:
        document.docinfo["/Title"] = "Somebody else's report (group 42)"
        document.save(tampered)
    result = verify(tampered)
    assert result.returncode == 1
    assert "/Title" in result.stdout


def test_verify_fails_on_metadata_changed_in_info_and_xmp_alike(copy: Path, tmp_path: Path) -> None:
    """Changing a value consistently in both places is still caught (the seal)."""
    tampered = tmp_path / "group.pdf"
    with pikepdf.open(copy) as document:
        document.docinfo["/ExamPdfGroup"] = "41"
        document.save(tampered)
    result = verify(tampered)
    assert result.returncode == 1
    assert "metadata /ExamPdfGroup changed" in result.stdout


def test_verify_with_manifest_notices_any_change_to_the_file(copy: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    manifest.write_text(json.dumps({"reports": [{"group": "42", "pdf_sha256": digest}]}))
    assert verify(copy, "--manifest", manifest).returncode == 0
    # A comment after the end: every object, attachment and metadata value stays intact ...
    with copy.open("ab") as handle:
        handle.write(b"%\n")
    assert verify(copy).returncode == 0, "the content checks cannot see this change"
    # ... but the file is not the one archived.
    result = verify(copy, "--manifest", manifest)
    assert result.returncode == 1
    assert "is not the one recorded in manifest.json for group 42" in result.stdout


def test_verify_says_2_for_a_pdf_that_is_not_exam_pdfs(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    other = tmp_path / "other.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    other.write_bytes(buffer.getvalue())
    result = verify(other)
    assert result.returncode == 2
    assert result.stdout.strip().splitlines()[-1] == f"{other}: not sealed (nothing was verified)"
    assert result.stderr == ""
    text = tmp_path / "notes.pdf"
    text.write_text("not a pdf at all")
    result = verify(text)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_verify_against_the_source_folder(pdf: Path, builds: dict[str, Path], tmp_path: Path) -> None:
    folder = copy_report(builds["folder"], tmp_path / "sources")
    assert verify(pdf, "--source", folder).returncode == 0
    figure = sorted(referenced_figures(folder))[-1]
    with (folder / figure).open("ab") as handle:
        handle.write(b"\0")
    result = verify(pdf, "--source", folder)
    assert result.returncode == 1
    assert f"'{figure}' on disk differs from the embedded copy" in result.stdout
    (folder / figure).unlink()
    result = verify(pdf, "--source", folder)
    assert result.returncode == 1 and f"'{figure}' is in the PDF but not in" in result.stdout


def test_extract_refuses_paths_outside_the_folder(copy: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "escape.pdf"
    with pikepdf.open(copy) as document:
        spec = next(s for s in document.Root.AF if str(s.UF) == "README.md")
        spec.UF = pikepdf.String("../escaped.md")
        document.save(tampered)
    out = tmp_path / "out"
    result = run("extract", tampered, "--out", out)
    assert result.returncode == 2
    assert "refuses" in result.stderr
    assert not (tmp_path / "escaped.md").exists()


# A corpus report ----------------------------------------------------------------------


@pytest.mark.corpus
def test_a_corpus_report_round_trips_byte_identically(corpus_dir: Path, tmp_path: Path) -> None:
    """One real report with figures: twice the same bytes, verify passes, extract -> rebuild is equal."""

    def weight(folder: Path) -> int:
        return sum((folder / name).stat().st_size for name in referenced_figures(folder))

    with_figures = [p.parent for p in sorted(corpus_dir.glob("*/README.md")) if referenced_figures(p.parent)]
    assert with_figures, "the corpus has reports with figures"
    source = min(with_figures, key=weight)  # the lightest figures: the fastest build
    first = copy_report(source, tmp_path / "a" / "reports")
    second = copy_report(source, tmp_path / "b" / "reports")
    build(first)
    build(second)
    assert_same_bytes(first / "report.pdf", second / "report.pdf", "corpus-two-folders")
    assert verify(first / "report.pdf").returncode == 0
    assert verify(first / "report.pdf", "--source", source).returncode == 0
    restored = tmp_path / "restored"
    assert run("extract", first / "report.pdf", "--out", restored).returncode == 0
    build(restored)
    assert_same_bytes(first / "report.pdf", restored / "report.pdf", "corpus-extract-rebuild")
    with pikepdf.open(first / "report.pdf") as document:
        embedded = set(document.attachments.keys())
    assert embedded == {"README.md", *referenced_figures(source)}
