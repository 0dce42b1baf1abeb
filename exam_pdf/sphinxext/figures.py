"""Normalised copies of a report's figures, the only image files the builders see.

Each figure that :func:`exam_pdf.images.inspect` decoded is written again under a
name made from its content hash and the suffix of its real format (a JPEG named
``.png`` becomes ``fig-<hash>.jpg``; a GIF, WebP or BMP becomes a PNG): nothing a
student named a file (``latexmkrc``, ``sphinx.sty``) ever reaches the build folder,
EXIF rotation is applied (browsers honour it, PDF does not), huge images are scaled
down, and the same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from exam_pdf.images import DECODED_FORMATS, ImageFile

#: Longest side, in pixels, of a figure in the PDF (about 300 dpi across A4's text width).
MAX_SIDE = 2400
#: Bump when the conversion changes, so cached copies are made again.
CONVERSION = "1"


#: Names already written, by (file, size, mtime, target): a figure referenced 8,000 times is read once.
_WRITTEN: dict[tuple[str, int, int, str], str] = {}


class DamagedFigure(ValueError):
    """The figure decoded when inspected but not when converted (the message says why)."""


def normalise(found: ImageFile, target: Path) -> str:
    """Write (once) the normalised copy of ``found`` into ``target``; return its file name.

    Raises :class:`DamagedFigure` when the image does not convert; errors writing the
    copy are the work folder's, and are raised as they are."""
    assert found.path is not None
    stat = found.path.stat()
    key = (str(found.path), stat.st_size, stat.st_mtime_ns, str(target))
    if key in _WRITTEN and (target / _WRITTEN[key]).exists():
        return _WRITTEN[key]
    if len(_WRITTEN) > 4096:  # a long-running batch worker: forget, do not grow
        _WRITTEN.clear()
    _WRITTEN[key] = name = _normalise(found, target)
    return name


def _normalise(found: ImageFile, target: Path) -> str:
    assert found.path is not None
    data = found.path.read_bytes()
    digest = hashlib.sha256(data + CONVERSION.encode()).hexdigest()[:20]
    suffix = ".jpg" if found.format == "JPEG" else ".png"
    name = f"fig-{digest}{suffix}"
    out = target / name
    if out.exists():
        return name
    target.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    try:
        converted = _convert(data, found.format or "PNG")
    except Exception as exc:  # whatever the decoder raises, the figure is damaged
        raise DamagedFigure(f"damaged image ({type(exc).__name__}: {exc})"[:120]) from exc
    tmp.write_bytes(converted)
    tmp.replace(out)
    return name


def _convert(data: bytes, kind: str) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data), formats=DECODED_FORMATS) as original:
        orientation = original.getexif().get(0x0112, 1)
        image = ImageOps.exif_transpose(original) if orientation != 1 else original
        big = max(image.size) > MAX_SIDE
        plain = original.format == "JPEG" and image.mode in ("RGB", "L")  # not a camera's multi-picture file
        if kind == "JPEG" and plain and orientation == 1 and not big:
            return data  # a plain JPEG is used as it is: re-encoding would only lose quality
        if big:
            image = image.copy()
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if kind == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=92, optimize=False)
        else:
            if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                image = image.convert("RGBA" if "A" in image.mode else "RGB")
            image.save(out, "PNG", optimize=False, compress_level=6)
        return out.getvalue()
