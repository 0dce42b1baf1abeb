"""Finish the LaTeX PDF for the archive (pypdf): metadata, embedded sources, PDF/A-3b.

What is added to the PDF xelatex wrote:
- document information and an XMP packet that agree with each other (title, author,
  subject, keywords, producer, dates from the sources' date), plus exam-pdf's own
  information keys (group, edition, check summary, SHA-256 of the source bundle; for a
  report ``collect`` took from a repository, the repository, branch, commit and its
  date, named in the XMP packet's ``dc:source`` too);
- the README and every figure it references, as embedded files with their relative
  paths, MIME types and SHA-256 (PDF/A-3 associated files, ``/AF``);
- an sRGB output intent, ``pdfaid`` identification, print flags on annotations, no
  ``/OpenAction``: what PDF/A-3b asks of a document like this one;
- a trailer ``/ID`` derived from the content, so equal sources give equal bytes;
- last, the seal (:mod:`exam_pdf.seal`): digests of every page, attachment and
  metadata entry of the finished file, which ``verify`` recomputes.

Text the report wrote (title, study numbers) goes into the metadata with each hidden
character (control, bidi, zero-width) shown as its code point (:func:`exam_pdf.hidden.visible`):
the XMP packet stays valid XML and nothing in it reads differently from what it says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import mimetypes
from pathlib import Path
from xml.sax.saxutils import escape

from exam_pdf import __version__
from exam_pdf import seal as sealing
from exam_pdf.hidden import visible

COURSE = "02476 Machine Learning Operations (DTU)"
#: Information keys exam-pdf writes; ``verify`` needs them to call a PDF its own.
KEY_GROUP = "/ExamPdfGroup"
KEY_EDITION = "/ExamPdfEdition"
KEY_CHECK = "/ExamPdfCheck"
KEY_BUNDLE = "/ExamPdfBundleSHA256"
KEY_VERSION = "/ExamPdfVersion"
KEY_SEAL = sealing.KEY
#: Set (to the reason) only on a fallback PDF: LaTeX failed and the text is set plain.
KEY_FALLBACK = "/ExamPdfFallback"
#: Set only on a collected report (``exam-pdf collect``): the commit it was built from.
KEY_REPOSITORY = "/ExamPdfRepository"
KEY_BRANCH = "/ExamPdfBranch"
KEY_COMMIT = "/ExamPdfCommit"
KEY_COMMIT_DATE = "/ExamPdfCommitDate"


#: Where the sRGB profile comes from: Debian's icc-profiles-free, else Pillow's built-in sRGB.
ICC_PATHS = ("/usr/share/color/icc/sRGB.icc", "/usr/share/color/icc/colord/sRGB.icc")


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """A file of the report's bundle: its path relative to the report's folder, and content."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def bundle_hash(files: list[SourceFile]) -> str:
    """SHA-256 over the sorted ``path NUL sha256`` lines of the bundle: one number for all sources."""
    lines = "".join(f"{f.name}\0{f.sha256}\n" for f in sorted(files, key=lambda f: f.name))
    return hashlib.sha256(lines.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Metadata:
    title: str
    author: str
    subject: str
    keywords: str
    date: dt.datetime
    group: str
    edition: str
    check: str
    fallback: str = ""
    repository: str = ""
    branch: str = ""
    commit: str = ""
    commit_date: str = ""
    source: str = ""
    """One line naming the repository and commit: XMP ``dc:source`` (a collected report only)."""

    def shown(self) -> Metadata:
        """The metadata with every hidden character written as its code point (see module docstring)."""
        return dataclasses.replace(
            self,
            title=visible(self.title),
            author=visible(self.author),
            subject=visible(self.subject),
            keywords=visible(self.keywords),
            group=visible(self.group),
            edition=visible(self.edition),
            check=visible(self.check),
            repository=visible(self.repository),
            branch=visible(self.branch),
            source=visible(self.source),
        )

    def info(self, bundle: str) -> dict[str, str]:
        """The document information entries (without the seal, which is computed on the finished file)."""
        stamp = _pdf_date(self.date)
        return {
            "/Title": self.title,
            "/Author": self.author,
            "/Subject": self.subject,
            "/Keywords": self.keywords,
            "/Creator": f"exam-pdf {__version__} (Sphinx, xelatex)",
            "/Producer": f"exam-pdf {__version__}",
            "/CreationDate": stamp,
            "/ModDate": stamp,
            KEY_GROUP: self.group,
            KEY_EDITION: self.edition,
            KEY_CHECK: self.check,
            KEY_BUNDLE: bundle,
            KEY_VERSION: __version__,
            **({KEY_FALLBACK: self.fallback} if self.fallback else {}),
            **(
                {
                    KEY_REPOSITORY: self.repository,
                    KEY_BRANCH: self.branch,
                    KEY_COMMIT: self.commit,
                    KEY_COMMIT_DATE: self.commit_date,
                }
                if self.commit
                else {}
            ),
        }


def _pdf_date(date: dt.datetime) -> str:
    return date.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def _xmp_date(date: dt.datetime) -> str:
    return date.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def xmp_packet(meta: Metadata) -> bytes:
    """An XMP packet with the same values as the information dictionary (standard schemas only)."""
    when = _xmp_date(meta.date)
    authors = "".join(f"<rdf:li>{escape(a.strip())}</rdf:li>" for a in meta.author.split(",") if a.strip())
    # The commit of a collected report: Dublin Core's "source" (a resource this one is derived
    # from) is a standard property, so PDF/A needs no extension schema for it.
    source = f"<dc:source>{escape(meta.source)}</dc:source>\n" if meta.source else ""
    xml = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about=""
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(meta.title)}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq>{authors or "<rdf:li></rdf:li>"}</rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(meta.subject)}</rdf:li></rdf:Alt></dc:description>
{source}<pdf:Keywords>{escape(meta.keywords)}</pdf:Keywords>
<pdf:Producer>exam-pdf {__version__}</pdf:Producer>
<xmp:CreatorTool>exam-pdf {__version__} (Sphinx, xelatex)</xmp:CreatorTool>
<xmp:CreateDate>{when}</xmp:CreateDate>
<xmp:ModifyDate>{when}</xmp:ModifyDate>
<xmp:MetadataDate>{when}</xmp:MetadataDate>
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return xml.encode("utf-8")


def srgb_profile() -> bytes:
    for path in ICC_PATHS:
        if Path(path).is_file():
            return Path(path).read_bytes()
    import struct

    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    # lcms stamps the header's creation date (bytes 24-35) with the wall clock; a fixed
    # date keeps the PDF reproducible (the profile ID at 84-99 is zero, not an MD5 to redo).
    return profile[:24] + struct.pack(">6H", 2000, 1, 1, 0, 0, 0) + profile[36:]


def finish(pdf: bytes, meta: Metadata, files: list[SourceFile]) -> bytes:
    """Return the archival PDF: ``pdf`` with metadata, sources and PDF/A-3b identification."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        ByteStringObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    meta = meta.shown()
    bundle = bundle_hash(files)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pdf_header = b"%PDF-1.7"
    root = writer._root_object
    root.pop(NameObject("/OpenAction"), None)
    writer.add_metadata(meta.info(bundle))

    xmp = DecodedStreamObject()
    xmp.set_data(xmp_packet(meta))
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    root[NameObject("/Metadata")] = writer._add_object(xmp)

    profile = DecodedStreamObject()
    profile.set_data(srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): writer._add_object(profile.flate_encode()),
        }
    )
    root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])

    for page in writer.pages:
        for annotation in page.get("/Annots", []) or []:
            annotation.get_object()[NameObject("/F")] = NumberObject(4)

    specs = ArrayObject()
    names = ArrayObject()
    stamp = TextStringObject(_pdf_date(meta.date))
    for source in sorted(files, key=lambda f: f.name):
        stream = DecodedStreamObject()
        stream.set_data(source.data)
        mime = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        if source.name.lower().endswith(".md"):
            mime = "text/markdown"
        stream.update(
            {
                NameObject("/Type"): NameObject("/EmbeddedFile"),
                NameObject("/Subtype"): NameObject("/" + mime),
                NameObject("/Params"): DictionaryObject(
                    {
                        NameObject("/Size"): NumberObject(len(source.data)),
                        NameObject("/CheckSum"): ByteStringObject(hashlib.md5(source.data).digest()),
                        NameObject("/ModDate"): stamp,
                    }
                ),
            }
        )
        embedded = writer._add_object(stream.flate_encode() if mime.startswith("text/") else stream)
        spec = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): TextStringObject(source.name),
                NameObject("/UF"): TextStringObject(source.name),
                NameObject("/Desc"): TextStringObject(f"SHA-256 {source.sha256}"),
                NameObject("/AFRelationship"): NameObject("/Source"),
                NameObject("/EF"): DictionaryObject({NameObject("/F"): embedded, NameObject("/UF"): embedded}),
            }
        )
        reference = writer._add_object(spec)
        specs.append(reference)
        names.extend([TextStringObject(source.name), reference])
    root[NameObject("/AF")] = specs
    name_tree = root.setdefault(NameObject("/Names"), DictionaryObject()).get_object()
    name_tree[NameObject("/EmbeddedFiles")] = DictionaryObject({NameObject("/Names"): names})

    identity = hashlib.sha256(pdf + bundle.encode() + json.dumps(meta.info(bundle), sort_keys=True).encode())
    writer._ID = ArrayObject([ByteStringObject(identity.digest()[:16]), ByteStringObject(identity.digest()[16:])])
    unsealed = io.BytesIO()
    writer.write(unsealed)
    # The seal is computed on the file as written (what verify will read), then added to
    # the information dictionary, the one object it does not cover.
    digests = sealing.compute(PdfReader(io.BytesIO(unsealed.getvalue())))
    writer.add_metadata({KEY_SEAL: digests.dumps()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
