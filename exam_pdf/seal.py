"""The seal: SHA-256 digests of what a reader of the PDF sees and what it carries.

One digest per page (the page's content streams decoded, and everything the page
uses: resources, fonts, images, annotations, resolved recursively), one per
embedded file, one per document information entry, one for the XMP packet and one
for the rest of the document catalog (outline, named destinations, output intent).
``archive.finish`` computes them on the finished PDF and writes them, as JSON, into
the information entry :data:`KEY`; ``verify`` computes them again and names what
differs.

The serialisation is canonical, so that rewriting the file without changing what
it shows (another PDF library saving it, streams compressed differently, objects
renumbered, the page tree flattened) keeps every digest:

- streams by their decoded data (filters pypdf cannot decode: by their raw data,
  with the filter named), their dictionaries without ``/Length``, ``/Filter``,
  ``/DecodeParms``;
- dictionaries with sorted keys; the back links ``/Parent``, ``/Prev`` and
  ``/Last`` left out (they repeat what the forward links say);
- a reference to a page by its number (``verify`` renumbers the pages as they were
  sealed once it knows which is which, so a moved page does not change the links
  to it), to a page no longer in the document by its content; a reference to an
  embedded file by its name;
- text strings by their bytes; numbers by value.

The seal is a record, not a signature: it has no secret, so whoever changes the
PDF on purpose and knows this code can write a new seal. It catches every change
made without rewriting the seal (a page deleted, a byte flipped, an attachment
replaced, an edit saved by a PDF editor); against a forger, compare the file's
SHA-256 with the one the batch manifest recorded (``verify --manifest``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
from typing import Any

#: The information entry holding the seal (JSON, see :class:`Seal`).
KEY = "/ExamPdfSeal"
VERSION = 1
#: Hex digits kept of each SHA-256 (128 bits).
DIGEST_HEX = 32

#: Back links, left out of the serialisation (they repeat the forward links).
_BACK_LINKS = frozenset({"/Parent", "/Prev", "/Last"})
#: Stream entries that say how the data is stored, not what it is.
_STORAGE = frozenset({"/Length", "/Filter", "/DecodeParms", "/DL"})
#: Filters whose "decoded" data is still encoded (pypdf passes it through): named in the digest.
_OPAQUE_FILTERS = frozenset({"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"})


@dataclasses.dataclass(frozen=True)
class Seal:
    """The digests (SHA-256, first 128 bits in hex) of one PDF."""

    pages: list[str]
    attachments: dict[str, str]
    info: dict[str, str]
    xmp: str
    catalog: str

    def dumps(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "pages": self.pages,
                "attachments": self.attachments,
                "info": self.info,
                "xmp": self.xmp,
                "catalog": self.catalog,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> Seal:
        """The seal written in ``text``; ValueError saying why when it is not one this version reads."""
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("the seal is damaged (not JSON)") from None
        if not isinstance(data, dict):
            raise ValueError("the seal is damaged (not a JSON object)")
        if data.get("version") != VERSION:
            raise ValueError(f"the seal has version {data.get('version')!r}; this exam-pdf reads version {VERSION}")
        shapes = {"pages": list, "attachments": dict, "info": dict, "xmp": str, "catalog": str}
        if any(not isinstance(data.get(key), kind) for key, kind in shapes.items()):
            raise ValueError("the seal is damaged (entries missing)")
        try:
            return cls(
                pages=[str(p) for p in data["pages"]],
                attachments={str(k): str(v) for k, v in data["attachments"].items()},
                info={str(k): str(v) for k, v in data["info"].items()},
                xmp=str(data["xmp"]),
                catalog=str(data["catalog"]),
            )
        except (KeyError, TypeError, AttributeError):
            raise ValueError("the seal is damaged (entries missing)") from None


#: Python frames the canonical walk may nest, and the stack of the thread it runs in. The walk
#: follows forward links depth first: a chain of /Next links (the outline of a report with a
#: thousand headings, about six frames per entry) nests far deeper than Python's default 1,000.
WALK_FRAMES = 300_000
WALK_STACK = 256 * 1024 * 1024


def compute(reader: Any, numbers: dict[int, str] | None = None) -> Seal:
    """The seal of the PDF ``reader`` (a ``pypdf.PdfReader``) holds, the seal entry itself left out.

    A reference to a page of the document is serialised as the page's number:
    ``numbers`` maps a page's index now to the number it had when sealed (verify
    passes it once it knows which page was which), by default its number now. A
    reference to a page that is not in the page tree (any more) is serialised as that
    page's content. Runs in a thread with a deep stack (:data:`WALK_FRAMES`).
    """
    import sys
    import threading

    outcome: dict[str, Any] = {}

    def walk() -> None:
        try:
            outcome["seal"] = _compute(reader, numbers)
        except BaseException as exc:  # raised again in the caller's thread
            outcome["error"] = exc

    limit, size = sys.getrecursionlimit(), threading.stack_size()
    try:
        threading.stack_size(WALK_STACK)
        sys.setrecursionlimit(max(limit, WALK_FRAMES))
        thread = threading.Thread(target=walk, name="exam-pdf-seal", daemon=True)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if "error" in outcome:
        raise outcome["error"]
    seal: Seal = outcome["seal"]
    return seal


def _compute(reader: Any, numbers: dict[int, str] | None) -> Seal:
    root = reader.trailer["/Root"].get_object()
    pages = list(reader.pages)
    canon = _Canonical()
    for index, page in enumerate(pages):
        if page.indirect_reference is not None:
            mark = numbers.get(index, f"new {index + 1}") if numbers is not None else str(index + 1)
            canon.page_numbers[_key(page.indirect_reference)] = mark
    attachments = embedded_files(root)
    for name, reference in attachments:
        if hasattr(reference, "idnum"):
            canon.files[_key(reference)] = name
    page_digests = [_hex(canon.dictionary(page)) for page in pages]
    files: dict[str, str] = {}
    for name, reference in attachments:
        spec = reference.get_object()
        digest = _hex(canon.dictionary(spec) if hasattr(spec, "items") else canon.value(spec))
        files[name] = digest if name not in files else _hex((files[name] + digest).encode())
    info_object = reader.trailer.get("/Info")
    info = {}
    if info_object is not None:
        for key, value in info_object.get_object().items():
            if str(key) != KEY:
                info[str(key)] = _hex(canon.value(value))
    xmp = _hex(_xmp_canonical(root["/Metadata"]) if "/Metadata" in root else b"none")
    rest = {key: value for key, value in root.items() if key not in ("/Pages", "/Metadata", "/Type")}
    if "/Names" in rest:
        names = rest["/Names"].get_object()
        rest["/Names"] = {key: value for key, value in names.items() if key != "/EmbeddedFiles"}
    catalog = _hex(canon.dictionary(rest))
    return Seal(page_digests, files, info, xmp, catalog)


def _hex(data: bytes) -> str:
    """SHA-256 of ``data``, its first 128 bits in hex.

    The seal stays small (PDF/A limits a string to 32767 bytes: about 900 pages), and
    128 bits leave no room for a change that keeps a digest by chance. A forger needs
    no collision anyway: the seal has no secret (see the module docstring).
    """
    return hashlib.sha256(data).hexdigest()[:DIGEST_HEX]


def _xmp_canonical(reference: Any) -> bytes:
    """The XMP packet as canonical XML (C14N 2.0, whitespace around text stripped).

    PDF libraries rewrite the packet when they save (pikepdf reorders attributes and
    line breaks): the same metadata in other bytes keeps the digest. A packet that is
    not XML is taken by its bytes.
    """
    import xml.etree.ElementTree as ET

    try:
        data = reference.get_object().get_data()
    except Exception:  # (a filter pypdf cannot undo: no packet to read)
        return _item(b"x", b"unreadable")
    text = data.decode("utf-8", "replace")
    body = re.sub(r"<\?xpacket[^>]*\?>", "", text)
    try:
        return _item(b"x", ET.canonicalize(body, strip_text=True).encode("utf-8"))
    except ET.ParseError:
        return _item(b"b", data)


def embedded_files(root: Any) -> list[tuple[str, Any]]:
    """``(file name, file specification reference)`` for every entry of the ``/EmbeddedFiles`` name tree."""
    found: list[tuple[str, Any]] = []
    names = root.get("/Names")
    tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
    seen: set[int] = set()

    def walk(node: Any, depth: int) -> None:
        node = node.get_object()
        if id(node) in seen or depth > 32:
            return
        seen.add(id(node))
        entries = node.get("/Names") or []
        for index in range(0, len(entries) - 1, 2):
            found.append((_file_name(entries[index], entries[index + 1]), entries[index + 1]))
        for kid in node.get("/Kids") or []:
            walk(kid, depth + 1)

    if tree is not None:
        walk(tree, 0)
    return found


def _file_name(key: Any, reference: Any) -> str:
    """The file's name: the specification's ``/UF`` (or ``/F``), else its key in the name tree."""
    try:
        spec = reference.get_object()
        name = spec.get("/UF") or spec.get("/F")
    except Exception:  # (a damaged specification: known by its key)
        name = None
    return str(name.get_object() if name is not None else key.get_object())


def _key(reference: Any) -> tuple[int, int]:
    return (int(reference.idnum), int(reference.generation))


def _contents_digest(page: Any) -> bytes:
    """SHA-256 of a page's content streams, decoded: what a link to the page is known by."""
    digest = hashlib.sha256()
    contents = page.get("/Contents")
    streams = contents.get_object() if contents is not None else []
    if not isinstance(streams, list):
        streams = [streams]
    for stream in streams:
        digest.update(_stream_data(stream.get_object())[1])
    return digest.digest()


def _stream_data(stream: Any) -> tuple[bytes, bytes]:
    """The canonical form of how the data is stored, and the SHA-256 of the data as decoded.

    Every filter is undone: Flate here with zlib (in pieces) and, where a PNG
    predictor was applied, with Pillow's PNG decoder (pypdf's is pure Python and
    slow on figures); other filters by pypdf. The data of filters whose decoded form
    is still encoded (JPEG) is taken as it is, the filter named; a filter that cannot
    be undone leaves the stored bytes, the filters named.
    """
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    names = [str(f) for f in (filters if isinstance(filters, list) else [filters] if filters else [])]
    raw = stream._data
    if not names:
        return b"", hashlib.sha256(raw).digest()
    if names in (["/FlateDecode"], ["/Fl"]):
        params: Any = stream.get("/DecodeParms")
        params = params.get_object() if params is not None else None
        if isinstance(params, list):
            params = params[0].get_object() if params else None
        predictor = int(params.get("/Predictor", 1)) if hasattr(params, "get") else 1
        digest = _inflate_digest(raw) if predictor <= 1 else _unpredict_digest(raw, params)
        if digest is not None:
            # A TIFF predictor's stream was sealed through pypdf's path before it had a fast
            # path here: it keeps that path's canonical form, so that older archives verify.
            return (_item(b"o", b"") if predictor == 2 else b""), digest
    try:
        data = stream.get_data()
    except Exception:  # (any filter pypdf cannot undo: the stored bytes, filter named)
        return _item(b"r", repr(names).encode()), hashlib.sha256(raw).digest()
    opaque = [n for n in names if n in _OPAQUE_FILTERS]
    return _item(b"o", "".join(opaque).encode()), hashlib.sha256(data).digest()


def _inflate_digest(raw: bytes) -> bytes | None:
    """SHA-256 of zlib-inflated ``raw``, never holding more than a piece of it; None if it is not zlib data."""
    digest = hashlib.sha256()
    return digest.digest() if _inflate(raw, digest.update) is not None else None


def _inflate(raw: bytes, sink: Any) -> int | None:
    """Inflate ``raw`` piece by piece into ``sink``; the inflated length, None if not zlib data or too large."""
    import zlib

    inflater = zlib.decompressobj()
    total = 0
    try:
        data = inflater.decompress(raw, _PIECE)
        while data:
            total += len(data)
            if total > _MAX_INFLATED:
                return None
            sink(data)
            data = inflater.decompress(inflater.unconsumed_tail, _PIECE)
    except zlib.error:
        return None
    return total


def _unpredict_digest(raw: bytes, params: Any) -> bytes | None:
    """SHA-256 of Flate data with a PNG predictor undone, decoded as the PNG image it is; None if it is not one.

    A PDF PNG predictor is PNG's own row filtering, so the stored bytes are a PNG
    ``IDAT``: wrapped in a PNG header, Pillow undoes the filters in C.
    """
    import struct
    import warnings
    import zlib

    from PIL import Image

    columns = int(params.get("/Columns", 1))
    colors = int(params.get("/Colors", 1))
    bits = int(params.get("/BitsPerComponent", 8))
    predictor = int(params.get("/Predictor", 1))
    mode, colour_type = {1: ("L", 0), 2: ("LA", 4), 3: ("RGB", 2), 4: ("RGBA", 6)}.get(colors, ("", -1))
    if predictor not in (2, *range(10, 16)) or bits != 8 or not mode or columns < 1:
        return None
    if predictor == 2:
        # The TIFF predictor (xdvipdfmx uses it for the alpha channel of a figure): with
        # 8-bit samples it is PNG's "Sub" filter, so each row gets that filter's type byte.
        pieces: list[bytes] = []
        if not _inflate(raw, pieces.append):
            return None
        data = b"".join(pieces)
        width = columns * colors
        if len(data) % width:
            return None
        rows = [b"\x01" + data[start : start + width] for start in range(0, len(data), width)]
        raw = zlib.compress(b"".join(rows), 1)
        length: int | None = len(data) + len(rows)
    else:
        length = _inflate(raw, lambda data: None)
    row = 1 + columns * colors
    if not length or length % row:
        return None

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", columns, length // row, 8, colour_type, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the size is bounded by _MAX_INFLATED, not Pillow's pixel cap
            previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(io.BytesIO(png)) as image:
                    if image.mode != mode:
                        return None
                    return hashlib.sha256(image.tobytes()).digest()
            finally:
                Image.MAX_IMAGE_PIXELS = previous
    except (OSError, ValueError, SyntaxError):
        return None


#: Largest inflated stream undone; a larger one (a decompression bomb) is taken by its stored bytes.
_MAX_INFLATED = 512 * 1024 * 1024
_PIECE = 1 << 20


class _Canonical:
    """Canonical bytes of PDF objects; each indirect object is serialised once (by its digest)."""

    def __init__(self) -> None:
        self.page_numbers: dict[tuple[int, int], str] = {}
        """Page object in the page tree -> the number it is known by."""
        self.files: dict[tuple[int, int], str] = {}
        """File specification object -> its name in the ``/EmbeddedFiles`` tree."""
        self.done: dict[tuple[int, int], bytes] = {}
        self.active: set[tuple[int, int]] = set()

    def value(self, obj: Any) -> bytes:
        from pypdf.generic import (
            ArrayObject,
            BooleanObject,
            ByteStringObject,
            DictionaryObject,
            FloatObject,
            IndirectObject,
            NameObject,
            NullObject,
            NumberObject,
            StreamObject,
            TextStringObject,
        )

        if isinstance(obj, IndirectObject):
            return self.reference(obj)
        if isinstance(obj, StreamObject):
            return self.stream(obj)
        if isinstance(obj, DictionaryObject | dict):
            return self.dictionary(obj)
        if isinstance(obj, ArrayObject | list):
            return _item(b"a", b"".join(self.value(item) for item in obj))
        if isinstance(obj, NameObject):
            return _item(b"n", str(obj).encode("utf-8", "surrogatepass"))
        if isinstance(obj, TextStringObject):
            return _item(b"s", obj.original_bytes)
        if isinstance(obj, ByteStringObject):
            return _item(b"s", bytes(obj))
        if isinstance(obj, BooleanObject):
            return _item(b"b", b"1" if obj else b"0")
        if isinstance(obj, NumberObject):
            return _item(b"i", str(int(obj)).encode())
        if isinstance(obj, FloatObject):
            return _item(b"f", repr(float(obj)).encode())
        if isinstance(obj, NullObject) or obj is None:
            return b"z"
        return _item(b"?", repr(obj).encode("utf-8", "replace"))

    def dictionary(self, obj: Any, skip: frozenset[str] = _BACK_LINKS) -> bytes:
        from pypdf.generic import StreamObject

        if isinstance(obj, StreamObject):
            return self.stream(obj)
        parts = [
            _item(b"k", str(key).encode("utf-8", "surrogatepass")) + self.value(value)
            for key, value in sorted(obj.items(), key=lambda kv: str(kv[0]))
            if str(key) not in skip
        ]
        return _item(b"d", b"".join(parts))

    def stream(self, obj: Any) -> bytes:
        stored, digest = _stream_data(obj)
        head = self.dictionary(dict(obj.items()), _BACK_LINKS | _STORAGE)
        return _item(b"S", head + _item(b"f", stored) + digest)

    def reference(self, reference: Any) -> bytes:
        key = _key(reference)
        if key in self.page_numbers:
            return _item(b"N", self.page_numbers[key].encode())
        if key in self.files:
            return _item(b"F", self.files[key].encode("utf-8", "surrogatepass"))
        if key in self.done:
            return self.done[key]
        if key in self.active:
            return b"c"  # a cycle through forward links: the object is already being serialised
        self.active.add(key)
        try:
            target = reference.get_object()
            if hasattr(target, "get") and target.get("/Type") == "/Page":
                # A page no longer in the page tree: known by its content.
                result = _item(b"P", _contents_digest(target))
            else:
                result = _item(b"R", hashlib.sha256(self.value(target)).digest())
        finally:
            self.active.discard(key)
        self.done[key] = result
        return result


def _item(tag: bytes, payload: bytes) -> bytes:
    """``tag``, length, payload: no two different objects give the same bytes."""
    return tag + len(payload).to_bytes(8, "big") + payload
