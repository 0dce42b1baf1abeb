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

    @property
    def usable(self) -> bool:
        return self.problem is None


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
    """Check that a resolved file is a PNG or JPEG that decodes within the caps."""
    if not found.usable or found.path is None:
        return found
    path = found.path
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        return dataclasses.replace(
            found, problem="image-unreadable", detail=f"{size} bytes is over the {MAX_IMAGE_BYTES} byte cap"
        )
    from PIL import Image, UnidentifiedImageError  # only reports with images pay for Pillow

    try:
        with Image.open(path) as image:
            width, height = image.size
            kind = image.format or "unknown"
            if width * height > MAX_IMAGE_PIXELS:
                return dataclasses.replace(
                    found,
                    problem="image-unreadable",
                    detail=f"{width}x{height} pixels is over the cap of {MAX_IMAGE_PIXELS}",
                )
            image.verify()
    except UnidentifiedImageError:
        return dataclasses.replace(found, problem="image-unreadable", detail="not an image file")
    except Exception as exc:  # Pillow raises many kinds for damaged files
        return dataclasses.replace(found, problem="image-unreadable", detail=f"damaged image ({type(exc).__name__})")
    result = dataclasses.replace(found, format=kind, size=(width, height))
    suffix = path.suffix.lower()
    if kind not in ALLOWED_FORMATS:
        return dataclasses.replace(result, problem="image-format", detail=f"a {kind} file; use PNG or JPEG")
    if suffix not in ALLOWED_SUFFIXES:
        return dataclasses.replace(
            result, problem="image-format", detail=f"'{suffix}' files are not allowed; use .png, .jpg or .jpeg"
        )
    if (kind == "PNG") != (suffix == ".png"):
        return dataclasses.replace(
            result, problem="image-format", detail=f"a {kind} file named '{path.name}'; fix the file name"
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
    if not found.usable or found.path is None:
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


def look_at(uri: str, folder: Path) -> ImageFile:
    """Resolve and inspect in one step."""
    return inspect_once(resolve(uri, folder))
