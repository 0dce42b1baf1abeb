"""Verify an archived report PDF, and extract the sources it carries.

``verify`` answers "is this exactly what was archived?". An exam-pdf PDF carries a
seal (:mod:`exam_pdf.seal`): digests of every page, every embedded file, every
document information entry, the XMP packet and the rest of the catalog. ``verify``
recomputes them and names what differs (which page, which attachment, which
entry), notices an update appended to the file after archiving, and checks the
embedded files against their recorded SHA-256 and the bundle hash, and the document
information against the XMP packet. Optionally it compares the embedded files with
the sources (``--source``: on disk, or, for a PDF that names the commit it was built
from, in the repository at that commit) and the whole file with the SHA-256 a batch
manifest recorded (``--manifest``). A PDF without a seal is reported as not sealed:
nothing in it can be called intact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import io
import json
import logging
import os
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from exam_pdf import seal as sealing
from exam_pdf.archive import (
    KEY_BUNDLE,
    KEY_COMMIT,
    KEY_EDITION,
    KEY_GROUP,
    KEY_REPOSITORY,
    KEY_SEAL,
    SourceFile,
    bundle_hash,
)
from exam_pdf.errors import ReportError

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}

#: Verdicts and their exit codes.
INTACT, TAMPERED, NOT_SEALED = "intact", "TAMPERED or different", "not sealed"
EXIT_CODES = {INTACT: 0, TAMPERED: 1, NOT_SEALED: 2}


@dataclasses.dataclass
class Archived:
    """What a PDF carries, and its seal recomputed."""

    info: dict[str, str]
    files: list[SourceFile]
    recorded: dict[str, str]
    """Per embedded file name, the SHA-256 written beside it."""
    xmp: dict[str, str]
    computed: sealing.Seal
    """The seal of the file as it is now."""
    updated: bool
    """The file's last cross-reference section points to an earlier one: an update was appended."""
    unreadable: list[str] = dataclasses.field(default_factory=list)
    """Embedded files that could not be read."""
    reader: Any = None
    """The ``pypdf.PdfReader`` of the file, to compute the seal again with the pages renumbered."""

    @property
    def made_by_exam_pdf(self) -> bool:
        return KEY_BUNDLE in self.info


@dataclasses.dataclass
class Verdict:
    problems: list[str]
    """Each difference from what was archived, named."""
    verdict: str
    """:data:`INTACT`, :data:`TAMPERED` or :data:`NOT_SEALED`."""
    notes: list[str] = dataclasses.field(default_factory=list)
    """What else is worth saying (why a PDF counts as not sealed)."""
    matches: list[str] = dataclasses.field(default_factory=list)
    """With ``--source`` naming a repository: each embedded file that is the same at the recorded commit."""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def read_archive(pdf_path: Path) -> Archived:
    """Open a PDF and recompute its seal; ReportError when it is not a readable PDF."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # our one-line errors say it better
    try:
        data = pdf_path.read_bytes()
    except FileNotFoundError:
        raise ReportError(f"{pdf_path}: no such file") from None
    except IsADirectoryError:
        raise ReportError(f"{pdf_path}: is a folder, not a PDF") from None
    except OSError as exc:
        raise ReportError(f"{pdf_path}: cannot be read ({exc.strerror or exc})") from None
    if not data.startswith(b"%PDF-"):
        raise ReportError(f"{pdf_path.name}: not a PDF file")
    try:
        reader = PdfReader(io.BytesIO(data))
        info = {str(k): str(v) for k, v in (reader.metadata or {}).items()}
        root: Any = reader.trailer["/Root"].get_object()
        computed = sealing.compute(reader)
        updated = appended_update(data)
        files: list[SourceFile] = []
        recorded: dict[str, str] = {}
        unreadable: list[str] = []
        for name, reference in sealing.embedded_files(root):
            try:
                spec = reference.get_object()
                files.append(SourceFile(name, spec["/EF"]["/F"].get_object().get_data()))
            except Exception:  # (a hostile or damaged file specification)
                unreadable.append(name)
                continue
            match = re.match(r"SHA-256 ([0-9a-f]{64})$", str(spec.get("/Desc", "")))
            recorded[name] = match.group(1) if match else ""
        xmp: dict[str, str] = {}
        if "/Metadata" in root:
            xmp = _read_xmp(root["/Metadata"].get_object().get_data())
    except ReportError:
        raise
    except Exception as exc:  # (pypdf raises many kinds on a damaged PDF)
        raise ReportError(f"{pdf_path.name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    return Archived(info, files, recorded, xmp, computed, updated, unreadable, reader)


#: Where a linearized file's first-page cross-reference section lies at the latest (it follows
#: the linearization dictionary at the start of the file; an appended update is at the end).
_FIRST_PAGE_SECTION = 64 * 1024


def appended_update(data: bytes) -> bool:
    """Whether the file's last cross-reference section names an earlier one (``/Prev``): an update was appended.

    exam-pdf writes one cross-reference section; an editor saving incrementally (or a
    signature) appends another after the first ``%%EOF``, pointing back with ``/Prev``.
    pypdf does not keep ``/Prev`` of a cross-reference stream, so it is read here.
    """
    at = data.rfind(b"startxref", max(0, len(data) - 2048))
    match = re.match(rb"startxref\s+(\d+)", data[at:]) if at >= 0 else None
    if not match or int(match.group(1)) >= len(data):
        return False
    if b"/Linearized" in data[:2048] and int(match.group(1)) < _FIRST_PAGE_SECTION:
        return False  # a linearized file's first-page section points to the main one: not an update
    section = data[int(match.group(1)) : at]
    if section.startswith(b"xref"):
        trailer = section.rfind(b"trailer")
        head = section[trailer:] if trailer >= 0 else b""
    else:  # a cross-reference stream: its dictionary, before the stream data
        head = section[: section.find(b"stream")] if b"stream" in section else b""
    return re.search(rb"/Prev[\s/<>\[\]0-9]", head) is not None


def _read_xmp(data: bytes) -> dict[str, str]:
    try:
        tree = ET.fromstring(data.decode("utf-8", "replace").split("?>", 1)[-1].rsplit("<?xpacket", 1)[0])
    except ET.ParseError:
        return {}
    found: dict[str, str] = {}
    for prefix, tag in (("dc", "title"), ("dc", "description"), ("dc", "creator")):
        items = [li.text or "" for li in tree.iter(f"{{{_NS['rdf']}}}li") if _parent_is(tree, li, prefix, tag)]
        found[f"{prefix}:{tag}"] = ", ".join(items)
    for prefix, tag in (
        ("pdf", "Keywords"),
        ("pdf", "Producer"),
        ("xmp", "CreateDate"),
        ("pdfaid", "part"),
        ("dc", "source"),
    ):
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


def verify(pdf_path: Path, source: Path | str | None = None, manifest: Path | None = None) -> Verdict:
    """Everything that differs from what was archived, and the verdict.

    ``source``: the report's folder (or group folder, or README) on disk; or, for a PDF
    that names the commit it was built from, the repository (a URL, or a repository's
    folder), compared at that commit.
    """
    archived = read_archive(pdf_path)
    found: list[str] = []
    notes: list[str] = []
    matches: list[str] = []
    sealed = False
    if archived.updated:
        found.append("the file was updated after archiving (an incremental update was appended)")
    if KEY_SEAL in archived.info:
        try:
            recorded = sealing.Seal.loads(archived.info[KEY_SEAL])
        except ValueError as exc:
            if "version" in str(exc):
                notes.append(f"{exc}")
            else:
                found.append(f"{exc}")
        else:
            sealed = True
            found += seal_differences(recorded, _renumbered(archived, recorded))
    else:
        notes.append("the PDF has no exam-pdf seal: exam-pdf did not make it, or a version before the seal did")
    if archived.made_by_exam_pdf:
        found += _carried(archived)
    if source is not None:
        location = repository_location(str(source))
        commit = archived.info.get(KEY_COMMIT, "")
        if location is not None and commit:
            found += _against_repository(archived, location, commit, matches)
        elif location is not None and not Path(str(source)).exists():
            raise ReportError(
                f"{pdf_path.name}: names no commit (not built from a collected tree): give --source the report's folder"
            )
        else:
            found += _against_source(archived, Path(source))
    if manifest is not None:
        found += _against_manifest(pdf_path, archived, manifest)
        if not sealed and not found:
            notes.append(f"its SHA-256 is the one {manifest.name} records, but the file itself cannot be checked")
    verdict = TAMPERED if found else INTACT if sealed else NOT_SEALED
    return Verdict(found, verdict, notes, matches)


def _renumbered(archived: Archived, recorded: sealing.Seal) -> sealing.Seal:
    """The seal computed again with each page known by the number it had when sealed.

    Links and the outline refer to pages by number; after a page was removed, inserted
    or moved, the pages that stayed are matched to their sealed numbers by content, so
    that only the pages that changed show as changed.
    """
    now = archived.computed
    if now.pages == recorded.pages:
        return now
    numbers: dict[int, str] = {}
    matcher = difflib.SequenceMatcher(a=recorded.pages, b=now.pages, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            numbers.update({j: str(i + 1) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)})
    unmatched = [j for j in range(len(now.pages)) if j not in numbers]
    used = set(numbers.values())
    for j in unmatched:  # a moved page: the same content as a sealed page not matched yet
        for i, digest in enumerate(recorded.pages):
            if digest == now.pages[j] and str(i + 1) not in used:
                numbers[j] = str(i + 1)
                used.add(str(i + 1))
                break
    try:
        return sealing.compute(archived.reader, numbers)
    except Exception:  # (the file was read once already; a second reading failing is no reason to stop)
        return now


def seal_differences(sealed: sealing.Seal, now: sealing.Seal) -> list[str]:
    """What changed between the seal written at archive time and the file as it is."""
    from exam_pdf.formats import count  # the one pluralising helper (imported late: it loads the checker)

    found: list[str] = []
    if len(now.pages) != len(sealed.pages):
        found.append(f"the document has {count(len(now.pages), 'page')}, {len(sealed.pages)} were sealed")
    found += _page_differences(sealed.pages, now.pages)
    found += _entry_differences("attachment '{}'", sealed.attachments, now.attachments)
    found += _entry_differences("metadata {}", sealed.info, now.info)
    if now.xmp != sealed.xmp:
        found.append("XMP metadata changed")
    if now.catalog != sealed.catalog:
        found.append("the document catalog changed (outline, named destinations, output intent or viewer settings)")
    return found


def _page_differences(sealed: list[str], now: list[str]) -> list[str]:
    """Pages changed, removed, inserted or moved, by page number (1-based)."""
    changed: list[int] = []
    removed: list[int] = []
    inserted: list[int] = []
    matcher = difflib.SequenceMatcher(a=sealed, b=now, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            changed += range(j1 + 1, j2 + 1)
        elif tag != "equal":
            removed += range(i1 + 1, i2 + 1)
            inserted += range(j1 + 1, j2 + 1)
    found: list[str] = []
    # A page removed in one place and inserted in another with the same content was moved.
    for page in list(inserted):
        match = next((old for old in removed if sealed[old - 1] == now[page - 1]), None)
        if match is not None:
            removed.remove(match)
            inserted.remove(page)
            found.append(f"sealed page {match} is now page {page}: the pages are in a different order")
    if changed:
        found.append(f"{_pages(changed)}{chr(39) if len(changed) > 1 else chr(39) + 's'} content differs")
    if removed:
        verb = "is" if len(removed) == 1 else "are"
        found.append(f"sealed {_pages(removed)} {verb} missing")
    if inserted:
        verb = "was" if len(inserted) == 1 else "were"
        found.append(f"{_pages(inserted)} {verb} not sealed (inserted after archiving)")
    return found


def _pages(numbers: list[int]) -> str:
    """``page 3``, ``pages 3-5 and 9``."""
    spans: list[list[int]] = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    text = [f"{a}" if a == b else f"{a}-{b}" for a, b in spans]
    joined = text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]
    return f"page {joined}" if len(numbers) == 1 else f"pages {joined}"


def _entry_differences(label: str, sealed: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """Entries (attachments, Info keys) removed, added or changed since sealing; ``label`` names one."""
    found = []
    for name in sorted(set(sealed) | set(now)):
        if name not in now:
            found.append(f"{label.format(name)} was removed")
        elif name not in sealed:
            found.append(f"{label.format(name)} was added after archiving")
        elif now[name] != sealed[name]:
            found.append(f"{label.format(name)} changed")
    return found


def _carried(archived: Archived) -> list[str]:
    """The cross-checks every exam-pdf PDF allows: files against their hashes, information against XMP."""
    found = [f"embedded file '{name}' cannot be read" for name in archived.unreadable]
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
    for key in (KEY_GROUP, KEY_EDITION):
        if key not in info:
            found.append(f"metadata {key} is missing")
    commit = info.get(KEY_COMMIT)
    if commit is not None and f"at commit {commit}" not in xmp.get("dc:source", ""):
        found.append(f"metadata {KEY_COMMIT} ({commit!r}) is not the commit XMP dc:source names")
    return found


def report_folder(source: Path) -> Path:
    """The report's folder for ``--source``: given as ``check`` takes it (group folder, report folder, README)."""
    from exam_pdf.source import locate_report

    return locate_report(source).parent


def repository_location(text: str) -> str | None:
    """What git fetches from when ``--source`` names a repository: a URL (``https://``,
    ``user@host:path``), or a folder that is a repository (with ``.git``, or bare); None
    for a report's folder or README."""
    from exam_pdf.collect.roster import url_scheme

    if url_scheme(text) != "file" or text.startswith("file://"):
        return text
    path = Path(text)
    if (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir()):
        return str(path.resolve())
    return None


#: The folder of the repository ``collect`` takes the report from.
REPORTS = "reports"


def _against_repository(archived: Archived, location: str, commit: str, matches: list[str]) -> list[str]:
    """Each embedded file against the same file under ``reports/`` at the recorded commit."""
    from exam_pdf.collect.at_commit import report_files
    from exam_pdf.collect.gitrun import GitFailed
    from exam_pdf.terminal import shown

    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        return [f"metadata {KEY_COMMIT} {commit[:80]!r} is not a commit SHA"]
    where = shown(_public(location))
    try:
        files = report_files(location, commit)
    except GitFailed as exc:
        raise ReportError(f"{where}: cannot read the repository ({exc})") from None
    if files is None:
        recorded = archived.info.get(KEY_REPOSITORY, "")
        also = f" (the PDF names {recorded})" if recorded and recorded != _public(location) else ""
        return [f"{where} has no commit {commit}{also}: another repository, or its history was rewritten"]
    differ = []
    short = commit[:12]
    for item in archived.files:
        path = posixpath.normpath(posixpath.join(REPORTS, item.name))
        if not path.startswith(f"{REPORTS}/") or "\\" in item.name or item.name.startswith("/"):
            differ.append(f"'{item.name}' is not a path below {REPORTS}/: it cannot be in the repository")
        elif path not in files:
            differ.append(f"'{item.name}' is in the PDF but not in {path} at {short}")
        elif hashlib.sha256(files[path]).hexdigest() != item.sha256:
            differ.append(f"'{item.name}' differs from {path} at {short}")
        else:
            matches.append(f"'{item.name}' matches {path} at {short}")
    return differ


def _public(url: str) -> str:
    from exam_pdf.collect import public_url

    return public_url(url)


def _against_source(archived: Archived, source: Path) -> list[str]:
    folder = report_folder(source)
    differ = []
    for item in archived.files:
        try:
            on_disk = Path(inside(folder, item.name))
        except ValueError as exc:
            differ.append(f"'{item.name}' {exc}")
            continue
        try:
            data = on_disk.read_bytes() if on_disk.is_file() else None
        except OSError as exc:
            differ.append(f"'{item.name}' cannot be read in {folder} ({exc.strerror or exc})")
            continue
        if data is None:
            differ.append(f"'{item.name}' is in the PDF but not in {folder}")
        elif hashlib.sha256(data).hexdigest() != item.sha256:
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


def inside(folder: Path, name: str) -> str:
    """The path of embedded file ``name`` in ``folder``, which must resolve inside it.

    ``name`` is relative to the report's folder as the report wrote it, so it may
    climb out and back in (``../reports/figures/a.png`` from a folder ``reports``).
    ValueError, saying why, for an absolute path, a drive letter, a backslash, a NUL,
    a path that ends outside ``folder``, or one that a symbolic link leads outside.
    """
    if not name or "\0" in name or "\\" in name:
        raise ValueError("is not a plain relative path")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).drive:
        raise ValueError("is an absolute path")
    root = os.path.realpath(folder)
    target = os.path.normpath(os.path.join(root, name))
    if os.path.commonpath([root, target]) != root or target == root:
        climbs = PurePosixPath(name).parts
        ups = next((i for i, part in enumerate(climbs) if part != ".."), len(climbs))
        needed = "/".join(climbs[ups : 2 * ups])
        reenters = 0 < ups and len(climbs) > 2 * ups  # '../reports/x.png': out and back into a folder 'reports'
        hint = f" (it does when the folder is named like the report's own: .../{needed})" if reenters else ""
        raise ValueError(f"resolves outside {folder}{hint}")
    # A symbolic link on the way may lead elsewhere: where the path really goes must be inside too.
    real = os.path.realpath(target)
    if os.path.commonpath([root, real]) != root:
        raise ValueError(f"leads outside {folder} through a symbolic link")
    return target


def extract(pdf_path: Path, out: Path) -> list[Path]:
    """Write the embedded sources to ``out``, dated as archived; nothing is written if any path escapes."""
    archived = read_archive(pdf_path)
    if not archived.made_by_exam_pdf:
        raise ReportError(f"{pdf_path.name}: not an exam-pdf PDF (no source bundle recorded)")
    if archived.unreadable:
        raise ReportError(f"{pdf_path.name}: embedded file '{archived.unreadable[0]}' cannot be read")
    match = re.match(r"D:(\d{14})", archived.info.get("/CreationDate", ""))
    stamp = dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC).timestamp() if match else None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot be created ({exc.strerror or exc})") from None
    targets: list[tuple[Path, bytes]] = []
    for item in archived.files:
        try:
            targets.append((Path(inside(out, item.name)), item.data))
        except ValueError as exc:
            raise ReportError(f"{pdf_path.name}: refuses to write embedded file '{item.name}': it {exc}") from None
    written = []
    for target, data in targets:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Checked again now that the folders exist: no link may have appeared on the way.
            inside(out, os.path.relpath(target, os.path.realpath(out)))
            if target.is_symlink():
                target.unlink()
            target.write_bytes(data)
        except ValueError as exc:
            raise ReportError(f"{pdf_path.name}: refuses to write '{target}': it {exc}") from None
        except OSError as exc:
            raise ReportError(f"{target}: cannot be written ({exc.strerror or exc})") from None
        if stamp is not None:
            os.utime(target, (stamp, stamp))
        written.append(target)
    return written
