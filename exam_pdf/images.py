"""Where an image reference points, and whether the file there is a usable image.

Reports are untrusted: a reference is only ever read when it resolves, by real
path, to a file inside the report's folder. Files are identified by content
(Pillow), with caps on bytes and pixels against decompression bombs.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
from pathlib import Path

ALLOWED_SUFFIXES = (".png", ".jpg", ".jpeg")
ALLOWED_FORMATS = ("PNG", "JPEG")
#: The file suffixes that name each allowed format.
SUFFIXES = {"PNG": (".png",), "JPEG": (".jpg", ".jpeg")}
#: What Pillow may decode: PNG and JPEG, and the other formats browsers show, converted to PNG.
#: Nothing else is ever decoded (EPS would run Ghostscript, for one).
DECODED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000  # e.g. 10000 x 5000; screenshots are far below
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclasses.dataclass(frozen=True)
class ImageFile:
    """The outcome of looking at one reference. ``problem`` is a rule id or None."""

    uri: str
    path: Path | None = None
    problem: str | None = None
    detail: str = ""
    format: str | None = None
    size: tuple[int, int] | None = None
    #: Set by :func:`inspect`: every pixel decoded, so the figure can be shown (a warning,
    #: or an ``image-format`` error for a GIF, does not hide it).
    decoded: bool = False

    @property
    def usable(self) -> bool:
        """The figure can be shown (it decoded), whatever its name or format earns."""
        return self.decoded


def resolve(uri: str, folder: Path) -> ImageFile:
    """Find the file ``uri`` names, refusing anything outside ``folder``."""
    if _SCHEME.match(uri) and not re.match(r"^[a-zA-Z]:[\\/]", uri):
        return ImageFile(uri, problem="image-outside-report", detail="a remote URL is not part of the hand-in")
    if uri.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:[\\/]", uri):
        return ImageFile(uri, problem="image-outside-report", detail="an absolute path is not part of the hand-in")
    clean = uri.split("#")[0].split("?")[0]
    root = Path(os.path.realpath(folder))
    target = Path(os.path.realpath(root / clean))
    if target != root and root not in target.parents:
        return ImageFile(uri, problem="image-outside-report", detail="the path leads out of the report's folder")
    if not target.is_file():
        return ImageFile(uri, target, "image-missing", _missing_detail(root, clean))
    return ImageFile(uri, target)


def _missing_detail(root: Path, relative: str) -> str:
    """Say why a file is not found, spotting a difference in upper/lower case."""
    current = root
    for part in Path(relative).parts:
        if part in ("", "."):
            continue
        candidate = current / part
        if candidate.exists():
            current = candidate
            continue
        try:
            names = os.listdir(current)
        except OSError:
            break
        twin = next((name for name in names if name.lower() == part.lower()), None)
        if twin:
            return f"no file '{relative}'; '{twin}' differs only in upper/lower case"
        return f"no file '{relative}' in the report's folder"
    return f"no file '{relative}' in the report's folder"


def inspect(found: ImageFile) -> ImageFile:
    """Decode a resolved file fully, within the caps, and say how it may be shown.

    The content decides, not the name: a JPEG named ``.png`` is shown (with an
    ``image-misnamed`` warning), as GitHub and browsers show it. GIF, WebP and BMP,
    which browsers show too, are shown converted to PNG but stay ``image-format``
    errors (the template allows PNG and JPEG only). Anything that does not decode
    completely, whatever the decoder raises, is ``image-unreadable``.
    """
    if found.problem is not None or found.path is None:
        return found
    path = found.path
    try:
        size = path.stat().st_size
    except OSError as exc:
        return dataclasses.replace(found, problem="image-unreadable", detail=f"cannot be read ({exc.strerror})")
    if size > MAX_IMAGE_BYTES:
        return dataclasses.replace(
            found, problem="image-unreadable", detail=f"{size} bytes is over the {MAX_IMAGE_BYTES} byte cap"
        )
    try:
        kind, width, height = _decode(path)
    except _OverCap as over:
        return dataclasses.replace(found, problem="image-unreadable", detail=str(over))
    except _Unsupported as other:
        return dataclasses.replace(found, problem="image-format", detail=f"a {other} file; use PNG or JPEG")
    except _NotAnImage:
        return dataclasses.replace(found, problem="image-unreadable", detail="not an image file")
    except Exception as exc:  # any decoder failure is a damaged figure, never a crash
        return dataclasses.replace(found, problem="image-unreadable", detail=f"damaged image ({_reason(exc)})")
    result = dataclasses.replace(found, format=kind, size=(width, height), decoded=True)
    suffix = path.suffix.lower()
    if kind not in ALLOWED_FORMATS:
        return dataclasses.replace(
            result,
            problem="image-format",
            detail=f"a {kind} file; shown converted to PNG here, but the template allows PNG and JPEG only",
        )
    if suffix not in SUFFIXES[kind]:
        right = " or ".join(SUFFIXES[kind])
        return dataclasses.replace(
            result,
            problem="image-misnamed",
            detail=f"a {kind} file named '{path.name}'; it is shown, but name it with {right}",
        )
    return result


#: Files :func:`inspect_once` has looked at, by identity on disk, newest last.
_INSPECTED: collections.OrderedDict[tuple[str, int, int, int, int], ImageFile] = collections.OrderedDict()
#: Files remembered at most; a report has a few dozen figures.
INSPECTED_FILES = 512


def inspect_once(found: ImageFile) -> ImageFile:
    """:func:`inspect`, but each file only once however often it is referenced.

    A file is known again by its real path, size, modification and change times and
    inode: a file that is changed or replaced is inspected afresh. Only resolved files
    (inside the report's folder) get here, so the jail is unchanged.
    """
    if found.problem is not None or found.path is None:
        return found
    try:
        stat = found.path.stat()
    except OSError:
        return inspect(found)
    key = (str(found.path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    known = _INSPECTED.get(key)
    if known is None:
        known = _INSPECTED[key] = inspect(found)
        while len(_INSPECTED) > INSPECTED_FILES:
            _INSPECTED.popitem(last=False)
    else:
        _INSPECTED.move_to_end(key)
    return dataclasses.replace(known, uri=found.uri)


class _OverCap(Exception):
    """The image is larger than exam-pdf decodes."""


class _Unsupported(Exception):
    """An image format no browser shows (the message names it)."""


class _NotAnImage(Exception):
    """Pillow recognises no image format in the file."""


def _decode(path: Path) -> tuple[str, int, int]:
    """Open, verify and fully decode ``path``; return its format and size in pixels."""
    import warnings

    from PIL import Image, UnidentifiedImageError  # only reports with images pay for Pillow

    with warnings.catch_warnings():
        # Pillow warns about oddities it copes with (palette transparency, EXIF);
        # the caps below are exam-pdf's own, checked before anything is decoded.
        warnings.simplefilter("ignore")
        try:
            with Image.open(path, formats=DECODED_FORMATS) as image:
                # A camera's multi-picture JPEG is a JPEG whose first picture is the photo.
                kind = "JPEG" if image.format == "MPO" else image.format or "unknown"
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _OverCap(f"{width}x{height} pixels is over the cap of {MAX_IMAGE_PIXELS}")
                image.verify()  # checksums and structure, where the format has them
        except UnidentifiedImageError:
            raise _identify(path) from None
        except Image.DecompressionBombError:
            raise _OverCap(f"over the cap of {MAX_IMAGE_PIXELS} pixels") from None
        with Image.open(path, formats=DECODED_FORMATS) as image:
            image.load()  # every pixel: broken data streams and truncated files fail here
    return kind, width, height


def _identify(path: Path) -> Exception:
    """Name a format exam-pdf does not decode, reading only its header (nothing is decoded)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path) as image:
                return _Unsupported(image.format or "unknown")
        except UnidentifiedImageError:
            return _NotAnImage()
        except Exception:  # a header Pillow chokes on is no image exam-pdf shows
            return _NotAnImage()


def _reason(exc: BaseException) -> str:
    """The decoder's own words, short: "OSError: broken data stream"."""
    text = " ".join(str(exc).split())[:80]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def look_at(uri: str, folder: Path) -> ImageFile:
    """Resolve and inspect in one step."""
    return inspect_once(resolve(uri, folder))
