"""Normalised copies of a report's figures, the only image files the builders see.

Each figure that passed :func:`exam_pdf.images.inspect` is decoded and written
again under a name made from its content hash: nothing a student named a file
(``latexmkrc``, ``sphinx.sty``) ever reaches the build folder, EXIF rotation is
applied (browsers honour it, PDF does not), huge images are scaled down, and the
same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from exam_pdf.images import ImageFile

#: Longest side, in pixels, of a figure in the PDF (about 300 dpi across A4's text width).
MAX_SIDE = 2400
#: Bump when the conversion changes, so cached copies are made again.
CONVERSION = "1"


#: Names already written, by (file, size, mtime, target): a figure referenced 8,000 times is read once.
_WRITTEN: dict[tuple[str, int, int, str], str] = {}


def normalise(found: ImageFile, target: Path) -> str:
    """Write (once) the normalised copy of ``found`` into ``target``; return its file name."""
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
    tmp.write_bytes(_convert(data, found.format or "PNG"))
    tmp.replace(out)
    return name


def _convert(data: bytes, kind: str) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as original:
        orientation = original.getexif().get(0x0112, 1)
        image = ImageOps.exif_transpose(original) if orientation != 1 else original
        big = max(image.size) > MAX_SIDE
        if kind == "JPEG" and image.mode in ("RGB", "L") and orientation == 1 and not big:
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
