"""Where a report's links lead: the web, a heading, a file of the hand-in, or the group's repository.

Students write and preview their report on GitHub, inside their repository. There
``[Dockerfile](../dockerfiles/train.dockerfile)`` opens the repository's file and
``[see](#question-3)`` the heading. exam-pdf's HTML and PDF are read elsewhere (an
archive, a mail), so each link is resolved once, here, and shown so that it either
works or plainly says where it pointed:

- ``#anchor``: the heading with that id or GitHub anchor; else the text (``link-broken``);
- a file inside the report's folder (the hand-in): a relative link; the HTML build copies
  the file beside the page and the PDF embeds it, so the link works where the output goes;
- a path that leaves the folder: the file on the web in the group's repository, when its
  address is known (the git remote of the repository above the report folder, or
  ``--repo-url``); else the text and the path;
- a missing file: the text and the path (``link-broken``).

Reports and repositories are untrusted. Of the repository above the report folder only two
things are read: whether a linked path exists and the remote's address in ``.git/config``
(read as an INI file, never by running git). A ``.git`` inside the report folder is never read.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from docutils import nodes

from exam_pdf.images import MAX_IMAGE_BYTES, _missing_detail

#: Largest linked file the HTML build copies and the PDF embeds (the figures' cap).
MAX_LINKED_BYTES = MAX_IMAGE_BYTES
#: How many folders above the report folder are searched for the repository's ``.git``.
REPOSITORY_DEPTH = 3
#: ``.git/config`` files larger than this are not read.
MAX_CONFIG_BYTES = 64 * 1024

WEB_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_DRIVE = re.compile(r"^[a-zA-Z]:[\\/]")
_SCP_REMOTE = re.compile(r"^(?:[\w.+-]+@)?(?P<host>[\w.-]+):(?P<path>[^/\s][^\s]*)$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class LinkKind(StrEnum):
    WEB = "web"
    """A web or mail address: left as written."""
    ANCHOR = "anchor"
    """A heading of the report."""
    FILE = "file"
    """A file inside the report's folder, shipped with the output."""
    REPOSITORY = "repository"
    """A file or folder of the group's repository, on the web."""
    TEXT = "text"
    """Nowhere a reader can follow: shown as the link's text and the path."""


@dataclasses.dataclass(frozen=True)
class LinkTarget:
    kind: LinkKind
    written: str
    """The target as the report wrote it (percent-decoded)."""
    href: str = ""
    """Where the link now goes ('' for TEXT)."""
    shipped: str | None = None
    """FILE: the file's path inside the report folder (no ``..``), to copy and embed."""
    problem: str | None = None
    """Why the link leads nowhere (a ``link-broken`` finding), else None."""


@dataclasses.dataclass(frozen=True)
class Repository:
    """The git repository a report folder lies in, as far as it is known."""

    root: Path | None = None
    """The folder holding ``.git``; None when there is none above the report folder."""
    web: str | None = None
    """Its address on the web, e.g. ``https://github.com/owner/name``; None when unknown."""


def web_address(remote: str) -> str | None:
    """``git@github.com:o/r.git`` or ``https://github.com/o/r.git`` -> ``https://github.com/o/r``.

    Only GitHub repositories are mapped (their file addresses are known); user names and
    tokens in the remote are never copied into the address.
    """
    remote = remote.strip().strip('"').strip()
    if "://" in remote:
        try:
            parts = urlsplit(remote)
            host = parts.hostname or ""
        except ValueError:
            return None
        if parts.scheme.lower() not in ("https", "http", "ssh", "git", "git+ssh"):
            return None
        path = parts.path
    else:
        match = _SCP_REMOTE.match(remote)
        if not match:
            return None
        host, path = match.group("host"), match.group("path")
    segments = path.strip("/").removesuffix(".git").split("/")
    if host.lower() != "github.com" or len(segments) != 2 or not all(_NAME.match(s) for s in segments):
        return None
    return f"https://github.com/{segments[0]}/{segments[1]}"


def remote_address(dot_git: Path) -> str | None:
    """The web address of the ``origin`` remote (else the first one) in ``dot_git/config``."""
    config = dot_git / "config"
    try:
        if dot_git.is_symlink() or not dot_git.is_dir() or config.is_symlink() or not config.is_file():
            return None
        with config.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CONFIG_BYTES:
        return None
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, allow_no_value=True, inline_comment_prefixes=("#", ";")
    )
    try:
        parser.read_string(data.decode("utf-8"))
    except (configparser.Error, UnicodeDecodeError):
        return None
    remotes = [name for name in parser.sections() if re.fullmatch(r'remote\s+"[^"]*"', name.strip())]
    for section in sorted(remotes, key=lambda name: name.split('"')[1] != "origin"):
        address = web_address(parser.get(section, "url", fallback="") or "")
        if address:
            return address
    return None


def find_repository(folder: Path, web: str | None = None) -> Repository:
    """The repository above ``folder`` (never ``folder``'s own ``.git``); ``web`` overrides its address."""
    start = Path(os.path.abspath(folder))
    root = None
    for parent in list(start.parents)[:REPOSITORY_DEPTH]:
        dot_git = parent / ".git"
        if os.path.lexists(dot_git) and not dot_git.is_symlink():
            root = parent
            break
    if web is None and root is not None:
        web = remote_address(root / ".git")
    return Repository(root, web)


def github_slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to ``-``."""
    return "".join(c for c in title.strip().lower() if c.isalnum() or c in " -_").replace(" ", "-")


def heading_anchors(document: nodes.document) -> dict[str, str]:
    """Every anchor a link may name (a heading's id, or its anchor on GitHub) -> the heading's id."""
    sections = [s for s in document.findall(nodes.section) if s["ids"] and s.children]
    anchors = {ident: section["ids"][0] for section in sections for ident in section["ids"]}
    seen: Counter[str] = Counter()
    for section in sections:
        slug = github_slug(section[0].astext())
        name = f"{slug}-{seen[slug]}" if seen[slug] else slug
        seen[slug] += 1
        anchors.setdefault(name, section["ids"][0])
    return anchors


def written_target(reference: nodes.reference) -> str | None:
    """A reference's local target (a path or ``#anchor``), or None for a web link."""
    if "refname" in reference:  # as written: markdown-it percent-encoded it
        return unquote(reference["refname"])
    uri = reference.get("refuri", "")
    return uri if uri.startswith("#") else None


def resolve(
    written: str, folder: Path, repository: Repository, anchors: Mapping[str, str], report: str = ""
) -> LinkTarget:
    """Decide where a link written as ``written`` in a report in ``folder`` goes.

    ``report`` is the report's file name: ``README.md#question-3`` is an anchor of the report.
    """
    if written.startswith("#"):
        return _anchor(written, written[1:], anchors)
    scheme = _SCHEME.match(written)
    if _DRIVE.match(written) or (scheme and scheme.group(1).lower() == "file"):
        return LinkTarget(LinkKind.TEXT, written, problem="a path on one computer; link a file of the repository")
    if scheme or written.startswith(("//", "\\\\")):
        kind = LinkKind.WEB if scheme and scheme.group(1).lower() in WEB_SCHEMES else LinkKind.TEXT
        return LinkTarget(kind, written, href=written if kind is LinkKind.WEB else "")
    path, _, fragment = written.partition("#")
    path = path.split("?")[0]
    if not path:
        return LinkTarget(LinkKind.TEXT, written)
    folder = Path(os.path.abspath(folder))
    if path.startswith("/"):  # GitHub: relative to the repository's root
        base = repository.root or (folder.parent if repository.web else None)
        if base is None:
            return LinkTarget(LinkKind.TEXT, written)
        lexical = Path(os.path.normpath(base / path.lstrip("/")))
    else:
        lexical = Path(os.path.normpath(folder / path))
    if lexical == folder / report and fragment:
        return _anchor(written, fragment, anchors)
    if _within(lexical, folder):
        inside = _in_folder(written, lexical, folder, fragment)
        if inside is not None:
            return inside
    return _in_repository(written, lexical, folder, repository, fragment)


def _anchor(written: str, name: str, anchors: Mapping[str, str]) -> LinkTarget:
    if not name:
        return LinkTarget(LinkKind.TEXT, written)
    name = unquote(name)
    ident = anchors.get(name) or anchors.get(name.lower())
    if ident is None:
        return LinkTarget(LinkKind.TEXT, written, problem=f"no heading has the anchor '#{name}'")
    return LinkTarget(LinkKind.ANCHOR, written, href=f"#{ident}")


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _in_folder(written: str, lexical: Path, folder: Path, fragment: str) -> LinkTarget | None:
    """A file of the hand-in; None when the repository decides (a folder, a large file, a
    symbolic link that leads out of the report folder)."""
    root = Path(os.path.realpath(folder))
    try:
        real = Path(os.path.realpath(lexical))
        if not _within(real, root):
            return None
        if not real.exists():
            detail = _missing_detail(root, os.path.relpath(lexical, folder))
            return LinkTarget(LinkKind.TEXT, written, problem=detail)
        if not real.is_file() or real.stat().st_size > MAX_LINKED_BYTES:
            return None
    except (OSError, ValueError):
        return LinkTarget(LinkKind.TEXT, written)
    shipped = real.relative_to(root).as_posix()
    href = quote(shipped) + (f"#{quote(fragment, safe='/-._~!$&()*+,;=:@')}" if fragment else "")
    return LinkTarget(LinkKind.FILE, written, href=href, shipped=shipped)


def _in_repository(written: str, lexical: Path, folder: Path, repository: Repository, fragment: str) -> LinkTarget:
    base = repository.root or (folder.parent if repository.web else None)
    if base is None:
        return LinkTarget(LinkKind.TEXT, written)
    if not _within(lexical, base):
        problem = "the path leads out of the group's repository" if repository.root else None
        return LinkTarget(LinkKind.TEXT, written, problem=problem)
    relative = lexical.relative_to(base).as_posix()
    directory = False
    if repository.root is not None:
        try:
            exists, directory = lexical.exists(), lexical.is_dir()
        except (OSError, ValueError):
            exists = False
        if not exists:
            return LinkTarget(LinkKind.TEXT, written, problem=f"no file '{relative}' in the group's repository")
    if repository.web is None:
        return LinkTarget(LinkKind.TEXT, written)
    way = "tree" if directory else "blob"
    path = "" if relative == "." else quote(relative)
    href = f"{repository.web}/{way}/HEAD/{path}".rstrip("/")
    if fragment:
        href += f"#{quote(fragment, safe='/-._~!$&()*+,;=:@')}"
    return LinkTarget(LinkKind.REPOSITORY, written, href=href)


class LinkLines:
    """The line each link is written on (the doctree knows only its paragraph's first line):
    the n-th link to a target in a paragraph is on the line of the n-th occurrence of the target."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.used: Counter[tuple[int, str]] = Counter()

    def line(self, reference: nodes.reference, written: str) -> int | None:
        start = node_line(reference)
        if start is None:
            return None
        needles = [n for n in dict.fromkeys([reference.get("refname", ""), written, reference.get("refuri", "")]) if n]
        for needle in needles:
            wanted = self.used[(start, needle)]
            seen = 0
            for number in range(start, len(self.lines) + 1):
                text = self.lines[number - 1]
                if number > start and not text.strip(" \t>"):
                    break  # the paragraph ended (a reference-style link's target is elsewhere)
                seen += text.count(needle)
                if seen > wanted:
                    self.used[(start, needle)] += 1
                    return number
        return start


def node_line(node: nodes.Node | None) -> int | None:
    while node is not None and not getattr(node, "line", None):
        node = node.parent
    return getattr(node, "line", None)


def references(document: nodes.document) -> Iterator[tuple[nodes.reference, str]]:
    """Each reference with a local target, and that target."""
    for reference in list(document.findall(nodes.reference)):
        written = written_target(reference)
        if written is not None:
            yield reference, written
