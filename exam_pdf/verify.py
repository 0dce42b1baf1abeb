"""Verify an archived report PDF, and extract the sources it carries.

``verify`` answers "is this exactly what was archived?": the embedded files
match their recorded SHA-256 and the bundle hash, the document information and
the XMP packet agree, and optionally the files on disk (``--source``) and the
PDF's own SHA-256 recorded at archive time (``--manifest``) match too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath
from typing import Any

from exam_pdf.archive import KEY_BUNDLE, KEY_EDITION, KEY_GROUP, KEY_SEAL, SourceFile, bundle_hash, seal
from exam_pdf.errors import ReportError

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}


@dataclasses.dataclass
class Archived:
    """What an exam-pdf PDF carries."""

    info: dict[str, str]
    files: list[SourceFile]
    recorded: dict[str, str]
    """Per embedded file name, the SHA-256 written beside it."""
    xmp: dict[str, str]


def read_archive(pdf_path: Path) -> Archived:
    """Open an exam-pdf PDF; ReportError when it is not a PDF or not one of exam-pdf's."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # our one-line errors say it better
    try:
        data = pdf_path.read_bytes()
        if not data.startswith(b"%PDF-"):
            raise ReportError(f"{pdf_path.name}: not a PDF file")
        reader = PdfReader(io.BytesIO(data))
        info = {str(k): str(v) for k, v in (reader.metadata or {}).items()}
        root: Any = reader.trailer["/Root"].get_object()
    except FileNotFoundError:
        raise ReportError(f"{pdf_path}: no such file") from None
    except (PdfReadError, OSError, KeyError, ValueError) as exc:
        raise ReportError(f"{pdf_path.name}: not a readable PDF ({exc})") from None
    if KEY_BUNDLE not in info:
        raise ReportError(f"{pdf_path.name}: not an exam-pdf PDF (no source bundle recorded)")
    files: list[SourceFile] = []
    recorded: dict[str, str] = {}
    names = root.get("/Names", {}).get_object().get("/EmbeddedFiles", {}).get_object().get("/Names", [])
    for index in range(0, len(names), 2):
        spec = names[index + 1].get_object()
        name = str(spec.get("/UF") or spec.get("/F"))
        data = spec["/EF"]["/F"].get_object().get_data()
        files.append(SourceFile(name, data))
        match = re.match(r"SHA-256 ([0-9a-f]{64})$", str(spec.get("/Desc", "")))
        recorded[name] = match.group(1) if match else ""
    xmp: dict[str, str] = {}
    if "/Metadata" in root:
        xmp = _read_xmp(root["/Metadata"].get_object().get_data())
    return Archived(info, files, recorded, xmp)


def _read_xmp(data: bytes) -> dict[str, str]:
    try:
        tree = ET.fromstring(data.decode("utf-8", "replace").split("?>", 1)[-1].rsplit("<?xpacket", 1)[0])
    except ET.ParseError:
        return {}
    found: dict[str, str] = {}
    for prefix, tag in (("dc", "title"), ("dc", "description"), ("dc", "creator")):
        items = [li.text or "" for li in tree.iter(f"{{{_NS['rdf']}}}li") if _parent_is(tree, li, prefix, tag)]
        found[f"{prefix}:{tag}"] = ", ".join(items)
    for prefix, tag in (("pdf", "Keywords"), ("pdf", "Producer"), ("xmp", "CreateDate"), ("pdfaid", "part")):
        node = tree.find(f".//{{{_NS[prefix]}}}{tag}")
        found[f"{prefix}:{tag}"] = node.text or "" if node is not None else ""
    return found


def _parent_is(tree: ET.Element, li: ET.Element, prefix: str, tag: str) -> bool:
    for element in tree.iter(f"{{{_NS[prefix]}}}{tag}"):
        if li in list(element.iter()):
            return True
    return False


def _pdf_date_to_xmp(value: str) -> str:
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})", value)
    if not match:
        return ""
    y, mo, d, h, mi, s = match.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}+00:00"


def problems(pdf_path: Path, source: Path | None = None, manifest: Path | None = None) -> list[str]:
    """Everything that differs from what was archived (empty when intact)."""
    archived = read_archive(pdf_path)
    found: list[str] = []
    for item in archived.files:
        if archived.recorded.get(item.name) != item.sha256:
            found.append(f"embedded file '{item.name}' does not match its recorded SHA-256")
    if bundle_hash(archived.files) != archived.info.get(KEY_BUNDLE):
        found.append("the embedded files do not match the recorded source bundle SHA-256")
    info, xmp = archived.info, archived.xmp
    pairs = (
        ("/Title", "dc:title"),
        ("/Subject", "dc:description"),
        ("/Author", "dc:creator"),
        ("/Keywords", "pdf:Keywords"),
        ("/Producer", "pdf:Producer"),
    )
    for key, xmp_key in pairs:
        if key not in info:
            found.append(f"metadata {key} is missing")
        elif info[key] != xmp.get(xmp_key):
            found.append(f"metadata {key} ({info[key]!r}) differs from XMP {xmp_key} ({xmp.get(xmp_key)!r})")
    if _pdf_date_to_xmp(info.get("/CreationDate", "")) != xmp.get("xmp:CreateDate"):
        found.append("metadata /CreationDate differs from XMP xmp:CreateDate")
    for key in (KEY_GROUP, KEY_EDITION, KEY_SEAL):
        if key not in info:
            found.append(f"metadata {key} is missing")
    if KEY_SEAL in info and seal(info) != info[KEY_SEAL]:
        changed = "a metadata value was changed after archiving"
        found.append(f"{changed} (information entries no longer match {KEY_SEAL})")
    if source is not None:
        found += _against_source(archived, source)
    if manifest is not None:
        found += _against_manifest(pdf_path, archived, manifest)
    return found


def _against_source(archived: Archived, folder: Path) -> list[str]:
    differ = []
    for item in archived.files:
        on_disk = folder / item.name
        if not on_disk.is_file():
            differ.append(f"'{item.name}' is in the PDF but not in {folder}")
        elif hashlib.sha256(on_disk.read_bytes()).hexdigest() != item.sha256:
            differ.append(f"'{item.name}' on disk differs from the embedded copy")
    return differ


def _against_manifest(pdf_path: Path, archived: Archived, manifest: Path) -> list[str]:
    try:
        data: Any = json.loads(manifest.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{manifest}: not a readable manifest ({exc})") from None
    entries = data.get("reports", [data]) if isinstance(data, dict) else data
    digest = hashlib.sha256(pdf_path.read_bytes()).hexdigest()
    if any(isinstance(e, dict) and e.get("pdf_sha256") == digest for e in entries):
        return []
    group = archived.info.get(KEY_GROUP)
    known = [e for e in entries if isinstance(e, dict) and str(e.get("group")) == group]
    if not known:
        return [f"no entry for group {group} in {manifest.name}"]
    return [f"the PDF's SHA-256 {digest[:16]}... is not the one recorded in {manifest.name} for group {group}"]


def extract(pdf_path: Path, out: Path) -> list[Path]:
    """Write the embedded sources to ``out`` (relative paths only), dated as archived."""
    archived = read_archive(pdf_path)
    match = re.match(r"D:(\d{14})", archived.info.get("/CreationDate", ""))
    stamp = dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC).timestamp() if match else None
    written = []
    for item in archived.files:
        relative = PurePosixPath(item.name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ReportError(f"{pdf_path.name}: refuses to write embedded file '{item.name}' outside {out}")
        target = out.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
        if stamp is not None:
            os.utime(target, (stamp, stamp))
        written.append(target)
    return written
