"""The seal (issue 11 point 5): ``verify`` is honest without a manifest.

One real archive PDF is built once for the module, from the example report with an ESC
and a right-to-left override in its title (issue 17 point 4: such characters must not
break the metadata). Every test tampers with a copy of its bytes (pikepdf, pypdf or
raw bytes) and requires ``verify`` to fail naming what changed; the untouched PDF
verifies and is PDF/A-3b valid.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
import warmcli
from click.testing import Result

pytestmark = pytest.mark.latex

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "report"
EPOCH = 1700000000
TITLE_MARK = "\x1b[1m\u202e"

#: pikepdf.pdfa "unsupported" findings exam-pdf's PDFs are known to have (docs/archive.md).
PDFA_UNSUPPORTED_ALLOWED = ("pikepdf:colour-space", "ISO_19005_3:6.2.11.4.2-2")

Verify = Callable[..., Result]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example, its title given an ESC sequence and an RLO, archived once."""
    folder = tmp_path_factory.mktemp("seal") / "group" / "reports"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    readme = folder / "README.md"
    text = readme.read_text("utf-8")
    title = re.search(r"(?m)^# (.+)$", text)
    assert title
    readme.write_text(text.replace(title.group(0), f"# {TITLE_MARK}{title.group(1)}", 1), "utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    out = tmp_path_factory.mktemp("out")
    result = warmcli.run(["pdf", str(folder), "--out", str(out)], env=env, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr  # the example has findings, the title too
    assert "hidden-character" in result.stdout
    return out / "report.pdf"


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "report.pdf"
    shutil.copyfile(built, target)
    return target


@pytest.fixture
def verify(cli: Callable[..., Result]) -> Verify:
    def run(pdf: Path, *options: str | Path) -> Result:
        return cli("verify", str(pdf), *map(str, options))

    return run


def tampered(copy: Path, change: Callable[[pikepdf.Pdf], None], name: str = "tampered.pdf") -> Path:
    """Save a pikepdf-changed copy (the XMP packet left as it is unless ``change`` edits it)."""
    target = copy.with_name(name)
    with pikepdf.open(copy) as pdf:
        change(pdf)
        pdf.save(target, fix_metadata_version=False)
    return target


def lines(result: Result) -> list[str]:
    return [line.split(": ", 1)[1] for line in result.stdout.splitlines()]


def failed(result: Result) -> list[str]:
    """The problems verify named, after checking that it failed as TAMPERED with exit code 1."""
    found = lines(result)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert found[-1] == "TAMPERED or different", result.stdout
    return found[:-1]


# The untouched PDF ------------------------------------------------------------------------


def test_the_untouched_pdf_is_intact_even_with_control_characters_in_its_title(built: Path, verify: Verify) -> None:
    result = verify(built)
    assert result.exit_code == 0, result.stdout
    assert lines(result) == ["intact"]
    with pikepdf.open(built) as pdf:
        title = str(pdf.docinfo["/Title"])
        assert title.startswith("U+001B[1mU+202E") and "\x1b" not in title and "\u202e" not in title
        packet = pdf.Root.Metadata.read_bytes()
        ET.fromstring(packet.decode("utf-8").split("?>", 1)[1].rsplit("<?xpacket", 1)[0])  # valid XML
        assert pdf.open_metadata()["dc:title"] == title
        seal = json.loads(str(pdf.docinfo["/ExamPdfSeal"]))
        assert len(seal["pages"]) == len(pdf.pages) > 5
        assert set(seal["attachments"]) == set(pdf.attachments.keys())


def test_the_untouched_pdf_is_pdfa_3b(built: Path) -> None:
    from pikepdf import pdfa

    report = pdfa.validate_written(built, "3b")
    assert report.violations == (), report.summary(50)
    assert [f for f in report.unsupported if f.rule not in PDFA_UNSUPPORTED_ALLOWED] == [], report.summary(50)


def test_rewriting_without_changing_anything_stays_intact(copy: Path, verify: Verify, tmp_path: Path) -> None:
    """Another library saving the file (streams recompressed, object streams, XMP rewritten) changes no digest."""
    target = tmp_path / "resaved.pdf"
    with pikepdf.open(copy) as pdf:
        pdf.save(
            target,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            recompress_flate=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
        )
    assert target.read_bytes() != copy.read_bytes()
    result = verify(target)
    assert result.exit_code == 0 and lines(result) == ["intact"], result.stdout
    linearized = tmp_path / "linearized.pdf"
    with pikepdf.open(copy) as pdf:
        pdf.save(linearized, linearize=True)
    result = verify(linearized)
    assert result.exit_code == 0 and lines(result) == ["intact"], result.stdout


# Pages ----------------------------------------------------------------------------------


def test_a_byte_flipped_in_a_page_content_stream(copy: Path, verify: Verify) -> None:
    def flip(pdf: pikepdf.Pdf) -> None:
        contents = pdf.pages[2].obj.Contents
        stream = contents[0] if isinstance(contents, pikepdf.Array) else contents
        data = bytearray(stream.read_bytes())
        at = data.index(b"Tf") + 4  # inside the drawing of text
        data[at] ^= 0x01
        stream.write(bytes(data), filter=pikepdf.Name.FlateDecode)

    assert failed(verify(tampered(copy, flip))) == ["page 3's content differs"]


def test_a_deleted_page(copy: Path, verify: Verify) -> None:
    with pikepdf.open(copy) as pdf:
        count = len(pdf.pages)

    def delete(pdf: pikepdf.Pdf) -> None:
        del pdf.pages[2]

    found = failed(verify(tampered(copy, delete)))
    assert found[:2] == [f"the document has {count - 1} pages, {count} were sealed", "sealed page 3 is missing"]
    # The outline and named destinations still point at the removed page: that is said too, nothing else.
    assert all("catalog" in line for line in found[2:]), found


def test_an_inserted_page(copy: Path, verify: Verify) -> None:
    with pikepdf.open(copy) as pdf:
        count = len(pdf.pages)

    def insert(pdf: pikepdf.Pdf) -> None:
        pdf.pages.insert(1, pdf.pages[5])

    assert failed(verify(tampered(copy, insert))) == [
        f"the document has {count + 1} pages, {count} were sealed",
        "page 2 was not sealed (inserted after archiving)",
    ]


def test_reordered_pages(copy: Path, verify: Verify) -> None:
    def swap(pdf: pikepdf.Pdf) -> None:
        third, fourth = pdf.pages[2].obj, pdf.pages[3].obj
        kids = pdf.Root.Pages.Kids
        order = [kid for kid in kids]
        assert order[2] == third and order[3] == fourth, "a flat page tree"
        kids[2], kids[3] = fourth, third

    found = failed(verify(tampered(copy, swap)))
    assert len(found) == 1 and re.fullmatch(
        r"sealed page [34] is now page [34]: the pages are in a different order", found[0]
    ), found


def test_a_replaced_image(copy: Path, verify: Verify) -> None:
    pages: list[int] = []

    def replace(pdf: pikepdf.Pdf) -> None:
        for number, page in enumerate(pdf.pages, 1):
            for image in page.get_images().values():
                if image.get("/Filter") != pikepdf.Name.FlateDecode:
                    continue  # a JPEG: pikepdf cannot decode it to pixels
                data = bytearray(image.read_bytes())
                data[len(data) // 2] ^= 0xFF
                image.write(bytes(data))  # stored uncompressed now: other bytes, and one pixel changed
                pages.append(number)
                return
        raise AssertionError("the example shows PNG figures")

    found = failed(verify(tampered(copy, replace)))
    assert found == [f"page {pages[0]}'s content differs"]


def test_an_incremental_update_that_redraws_a_page(copy: Path, verify: Verify, tmp_path: Path) -> None:
    """A second %%EOF section (what a PDF editor or signer appends) that paints over page 1."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject

    writer = PdfWriter(copy, incremental=True)
    page = writer.pages[0]
    patch = DecodedStreamObject()
    patch.set_data(b"q 1 1 1 rg 50 50 400 200 re f Q")
    contents = page["/Contents"]
    page[NameObject("/Contents")] = ArrayObject([*contents, writer._add_object(patch)])
    target = tmp_path / "updated.pdf"
    with target.open("wb") as handle:
        writer.write(handle)
    data = target.read_bytes()
    assert data.startswith(copy.read_bytes()) and data.count(b"%%EOF") >= 2, "appended, the original untouched"
    found = failed(verify(target))
    assert found[0] == "the file was updated after archiving (an incremental update was appended)"
    assert "page 1's content differs" in found


def test_one_byte_flipped_in_the_middle_of_the_file(copy: Path, verify: Verify) -> None:
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    result = verify(copy)
    assert result.exit_code in (1, 2) and "intact" not in result.stdout, result.stdout + result.stderr


# Attachments and metadata ---------------------------------------------------------------


def test_an_attachment_changed_with_its_hashes_rewritten(copy: Path, verify: Verify) -> None:
    """Only the seal can see this one: the recorded SHA-256 and the bundle hash are made to match."""

    def change(pdf: pikepdf.Pdf) -> None:
        spec = next(s for s in pdf.Root.AF if str(s.UF).startswith("figures/"))
        name = str(spec.UF)
        data = bytearray(spec.EF.F.read_bytes())
        data[-10] ^= 0x01
        spec.EF.F.write(bytes(data))
        spec.Desc = pikepdf.String(f"SHA-256 {hashlib.sha256(data).hexdigest()}")
        files = {str(s.UF): s.EF.F.read_bytes() for s in pdf.Root.AF}
        lines_ = "".join(f"{n}\0{hashlib.sha256(files[n]).hexdigest()}\n" for n in sorted(files))
        pdf.docinfo["/ExamPdfBundleSHA256"] = hashlib.sha256(lines_.encode()).hexdigest()
        changed.append(name)

    changed: list[str] = []
    found = failed(verify(tampered(copy, change)))
    assert found == [f"attachment '{changed[0]}' changed", "metadata /ExamPdfBundleSHA256 changed"]


def test_a_changed_information_entry(copy: Path, verify: Verify) -> None:
    def regroup(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo["/ExamPdfGroup"] = "41"

    assert failed(verify(tampered(copy, regroup))) == ["metadata /ExamPdfGroup changed"]


def test_changed_xmp_metadata(copy: Path, verify: Verify) -> None:
    def rewrite(pdf: pikepdf.Pdf) -> None:
        packet = pdf.Root.Metadata.read_bytes()
        pdf.Root.Metadata.write(packet.replace(b"<pdf:Keywords>02476", b"<pdf:Keywords>02477"))

    found = failed(verify(tampered(copy, rewrite)))
    assert found[0] == "XMP metadata changed"
    assert all("differs from XMP pdf:Keywords" in line for line in found[1:]) and len(found) == 2, found


def test_a_damaged_seal_is_tampering(copy: Path, verify: Verify) -> None:
    def damage(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo["/ExamPdfSeal"] = str(pdf.docinfo["/ExamPdfSeal"])[:-20]

    assert failed(verify(tampered(copy, damage))) == ["the seal is damaged (not JSON)"]


# Not sealed -----------------------------------------------------------------------------


def test_a_pdf_exam_pdf_did_not_make_is_not_sealed(tmp_path: Path, verify: Verify) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    other = tmp_path / "other.pdf"
    other.write_bytes(buffer.getvalue())
    result = verify(other)
    assert result.exit_code == 2
    assert lines(result)[-1] == "not sealed (nothing was verified)"
    assert "intact" not in result.stdout


def test_a_pdf_whose_seal_was_removed_is_not_sealed(copy: Path, verify: Verify) -> None:
    """An exam-pdf PDF from before the seal looks like this: its files can still be checked, but it is not intact."""

    def unseal(pdf: pikepdf.Pdf) -> None:
        del pdf.docinfo["/ExamPdfSeal"]

    result = verify(tampered(copy, unseal))
    assert result.exit_code == 2, result.stdout
    assert lines(result)[-1] == "not sealed (nothing was verified)"
    assert "no exam-pdf seal" in result.stdout


# --source -------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["group", "group/reports", "group/reports/README.md"])
def test_source_takes_the_group_folder_as_check_does(built: Path, verify: Verify, given: str, tmp_path: Path) -> None:
    group = tmp_path / "group"
    shutil.copytree(EXAMPLE, group / "reports", ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.*"))
    readme = group / "reports" / "README.md"
    text = readme.read_text("utf-8")
    title = re.search(r"(?m)^# (.+)$", text)
    assert title
    readme.write_text(text.replace(title.group(0), f"# {TITLE_MARK}{title.group(1)}", 1), "utf-8")
    result = verify(built, "--source", tmp_path / given)
    assert result.exit_code == 0 and lines(result) == ["intact"], result.stdout + result.stderr
    readme.write_text(text, "utf-8")
    result = verify(built, "--source", tmp_path / given)
    assert failed(result) == ["'README.md' on disk differs from the embedded copy"]


# extract --------------------------------------------------------------------------------


def renamed(copy: Path, old: str, new: str, target: Path) -> Path:
    """A copy whose embedded file ``old`` is called ``new`` (in the name tree and the file specification)."""
    with pikepdf.open(copy) as pdf:
        names = pdf.Root.Names.EmbeddedFiles.Names
        for index in range(0, len(names), 2):
            if str(names[index]) == old:
                names[index] = pikepdf.String(new)
                spec = names[index + 1]
                spec.UF = spec.F = pikepdf.String(new)
        pdf.save(target)
    return target


def first_figure(pdf_path: Path) -> str:
    with pikepdf.open(pdf_path) as pdf:
        return sorted(name for name in pdf.attachments.keys() if name.startswith("figures/"))[0]


def test_extract_accepts_a_path_that_climbs_out_and_back_in(copy: Path, tmp_path: Path, run_exam_pdf) -> None:
    figure = first_figure(copy)
    climbing = renamed(copy, figure, f"../reports/{figure}", tmp_path / "climbing.pdf")
    out = tmp_path / "restored" / "reports"
    result = run_exam_pdf("extract", str(climbing), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / figure).is_file() and (out / "README.md").is_file()
    # Into a folder of another name the same path would land outside it: refused, nothing written.
    other = tmp_path / "elsewhere"
    result = run_exam_pdf("extract", str(climbing), "--out", str(other))
    assert result.returncode == 2
    assert f"refuses to write embedded file '../reports/{figure}'" in result.stderr
    assert "named like the report's own: .../reports" in result.stderr
    assert not (tmp_path / "reports").exists() and list(other.rglob("*")) == []


@pytest.mark.parametrize(
    "name", ["../../escaped.png", "/tmp/escaped.png", "C:escaped.png", "C:/escaped.png", "..\\escaped.png"]
)
def test_extract_refuses_what_escapes(copy: Path, tmp_path: Path, name: str, run_exam_pdf) -> None:
    evil = renamed(copy, first_figure(copy), name, tmp_path / "evil.pdf")
    out = tmp_path / "a" / "out"
    result = run_exam_pdf("extract", str(evil), "--out", str(out))
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "refuses" in result.stderr
    assert not list(out.rglob("*")), "nothing is written when one path is refused"


def test_extract_refuses_a_symbolic_link_out_of_the_folder(copy: Path, tmp_path: Path, run_exam_pdf) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").symlink_to(outside, target_is_directory=True)
    result = run_exam_pdf("extract", str(copy), "--out", str(out))
    assert result.returncode == 2
    assert "symbolic link" in result.stderr
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("predictor", [2, 15])
@pytest.mark.parametrize("colors", [1, 2, 3, 4])
def test_a_predicted_stream_seals_as_pypdfs_decode_does(predictor: int, colors: int, monkeypatch) -> None:
    """The Pillow fast paths give the digest and canonical form of the general (pypdf) path,
    so that an archive sealed before a fast path existed still verifies."""
    import random
    import zlib

    from pypdf.generic import DictionaryObject, EncodedStreamObject, NameObject, NumberObject

    from exam_pdf import seal

    columns, rows = 37, 11
    noise = random.Random(predictor * 10 + colors)
    width = columns * colors
    body = bytearray()
    for _ in range(rows):
        row = bytes(noise.randrange(256) for _ in range(width))
        # Predictor 2 stores the rows as they are; PNG rows carry a filter byte (mixed types).
        body += row if predictor == 2 else bytes([noise.randrange(5)]) + row
    stream = EncodedStreamObject()
    stream._data = zlib.compress(bytes(body))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream[NameObject("/DecodeParms")] = DictionaryObject(
        {
            NameObject("/Predictor"): NumberObject(predictor),
            NameObject("/Colors"): NumberObject(colors),
            NameObject("/Columns"): NumberObject(columns),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    fast = seal._stream_data(stream)
    assert fast[1] == hashlib.sha256(stream.get_data()).digest()
    monkeypatch.setattr(seal, "_unpredict_digest", lambda raw, params: None)
    general = seal._stream_data(stream)
    assert general[1] == fast[1]
    if predictor == 2:
        assert fast[0] == general[0]
