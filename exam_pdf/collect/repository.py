"""One group's repository: a bare mirror in the state folder, fetched without blobs,
the commit at the deadline picked from it, and the report's blobs fetched last.

The mirror holds commits and trees of the one branch collected (``--filter=blob:none``
where the host supports partial clone; a host that does not sends everything, within
the byte cap). Picking the commit needs the branch's history, not its files, so no
``--depth``/``--shallow-since`` is used: those cut the history by committer date, which
a group writes itself, and would hide the late commits the office wants to see. Then
only the blobs under ``reports/`` of the chosen commit are fetched, by object id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import subprocess
from pathlib import Path

from exam_pdf.collect.gitrun import Budget, GitFailed, TooLarge, git
from exam_pdf.collect.roster import url_scheme
from exam_pdf.sandbox import git_environment

#: Where the mirror keeps the collected branch (not refs/heads: nothing else of the
#: repository is ever fetched or named).
REF = "refs/collect/branch"

REPORTS = "reports/"


@dataclasses.dataclass
class Commit:
    sha: str
    committed: int
    committer_date: str
    author_date: str
    author: str
    committer: str
    subject: str


def mirror_path(state: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", url.rstrip("/").rsplit("/", 1)[-1])[:40]
    return state / f"{tail}-{digest}.git"


def ensure_mirror(path: Path, budget: Budget) -> None:
    """A bare repository (no template: no sample hooks) set up for partial fetches from
    its one remote, ``origin`` (a promisor remote with the filter ``blob:none``).

    The remote's URL is not written into the mirror's configuration (it may hold a
    token): each fetch names it on its command line (:func:`_origin`).
    """
    if (path / "HEAD").is_file():
        return
    path.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["git", "init", "--bare", "--quiet", "--template=", str(path)],
            env={**git_environment(), "GIT_ALLOW_PROTOCOL": "none"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
            timeout=max(1.0, budget.left()),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitFailed(f"cannot make the mirror {path} ({exc})") from None
    for name, value in (
        ("core.repositoryformatversion", "1"),
        ("extensions.partialClone", "origin"),
        ("remote.origin.promisor", "true"),
        ("remote.origin.partialclonefilter", "blob:none"),
    ):
        git(path, "config", "--file", str(path / "config"), name, value, budget=budget)


def plain_branch(name: str) -> bool:
    """A branch name that is only a name inside a refspec: no ``:``, ``*``, ``..``, leading ``-``."""
    return bool(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._/+@-]*", name)) and ".." not in name and "//" not in name


def default_branch(mirror: Path, url: str, budget: Budget) -> str | None:
    """The branch the repository's HEAD names; None for an empty repository."""
    out = git(mirror, "ls-remote", "--symref", "--", url, "HEAD", budget=budget, transport=url_scheme(url))
    for line in out.decode("utf-8", "replace").splitlines():
        match = re.match(r"^ref: refs/heads/(\S+)\tHEAD$", line)
        if match:
            if not plain_branch(match.group(1)):
                raise GitFailed(f"the default branch's name {match.group(1)!r} is not a plain branch name")
            return match.group(1)
    return None


#: How every fetch runs: no tags, no FETCH_HEAD, no submodules, and no file contents
#: (blobs) but those asked for by :func:`fetch_blobs`.
FETCH = (
    "fetch",
    "--quiet",
    "--no-tags",
    "--no-write-fetch-head",
    "--no-recurse-submodules",
    "--filter=blob:none",
)


def fetch_branch(mirror: Path, url: str, branch: str, budget: Budget) -> bool:
    """Fetch ``branch`` into the mirror's :data:`REF`; False when the repository has no such branch."""
    transport = url_scheme(url)
    out = git(mirror, "ls-remote", "--heads", "--", url, f"refs/heads/{branch}", budget=budget, transport=transport)
    if not out.strip():
        return False
    git(
        mirror,
        *FETCH,
        "--force",
        "origin",
        f"+refs/heads/{branch}:{REF}",
        budget=budget,
        transport=transport,
        watch=mirror / "objects",
        extra=_origin(url),
    )
    return True


def fetch_commit(mirror: Path, url: str, sha: str, budget: Budget) -> bool:
    """Fetch commit ``sha`` (with its history's commits and trees, no blobs) into :data:`REF`.

    GitFailed when the repository cannot be reached; False when it can, but does not
    serve that commit (it is not there, or no longer reachable from a branch on a host
    that serves only those).
    """
    transport = url_scheme(url)
    git(mirror, "ls-remote", "--heads", "--", url, budget=budget, transport=transport)
    try:
        git(
            mirror,
            *FETCH,
            "--force",
            "origin",
            f"+{sha}:{REF}",
            budget=budget,
            transport=transport,
            watch=mirror / "objects",
            extra=_origin(url),
        )
    except TooLarge:
        raise
    except GitFailed:
        return False
    return True


def _origin(url: str) -> tuple[str, ...]:
    return (f"remote.origin.url={url}",)


def log_entries(mirror: Path, tip: str, budget: Budget) -> list[Commit]:
    """The first-parent chain from ``tip``, newest first."""
    fields = "%H%x00%ct%x00%cI%x00%aI%x00%an <%ae>%x00%cn <%ce>%x00%s%x00"
    out = git(mirror, "log", "--first-parent", f"--format={fields}", "--no-show-signature", tip, "--", budget=budget)
    parts = out.decode("utf-8", "replace").split("\x00")
    commits = []
    for index in range(0, len(parts) - 7, 7):
        sha, committed, cdate, adate, author, committer, subject = (p.strip("\n") for p in parts[index : index + 7])
        commits.append(Commit(sha, int(committed), cdate, adate, author, committer, subject))
    return commits


def tip_of(mirror: Path, budget: Budget) -> str:
    return git(mirror, "rev-parse", "--verify", "--end-of-options", f"{REF}^{{commit}}", budget=budget).decode().strip()


def count_after(mirror: Path, chosen: str, tip: str, budget: Budget) -> int:
    """Commits reachable from the tip but not from the chosen one (merged branches too)."""
    return int(git(mirror, "rev-list", "--count", f"{chosen}..{tip}", "--", budget=budget).decode().strip() or 0)


def is_ancestor(mirror: Path, older: str, newer: str, budget: Budget) -> bool:
    try:
        git(mirror, "merge-base", "--is-ancestor", older, newer, budget=budget)
    except GitFailed:
        return False
    return True


@dataclasses.dataclass
class Entry:
    mode: str
    kind: str
    oid: str
    path: str


def report_tree(mirror: Path, sha: str, budget: Budget) -> list[Entry]:
    """Every entry under ``reports/`` at ``sha``, recursively (file, link or submodule)."""
    out = git(mirror, "ls-tree", "-r", "-z", "--full-tree", sha, "--", REPORTS, budget=budget)
    entries = []
    for record in out.split(b"\x00"):
        if not record:
            continue
        head, _, path = record.partition(b"\t")
        mode, kind, oid = head.decode("ascii").split()
        entries.append(Entry(mode, kind, oid, path.decode("utf-8", "surrogateescape")))
    return entries


def missing(mirror: Path, sha: str, oids: list[str], budget: Budget) -> list[str]:
    """The objects of ``oids`` (blobs under ``reports/`` at ``sha``) not in the mirror.

    ``rev-list --missing=print`` names a missing object instead of fetching it (cat-file
    would ask the promisor remote, which no transport is allowed to reach here).
    """
    if not oids:
        return []
    tree = git(mirror, "rev-parse", "--verify", "--end-of-options", f"{sha}:reports", budget=budget).decode().strip()
    out = git(mirror, "rev-list", "--objects", "--missing=print", tree, "--", budget=budget)
    absent = {line[1:].strip() for line in out.decode().splitlines() if line.startswith("?")}
    return sorted(absent & set(oids))


def fetch_blobs(mirror: Path, url: str, oids: list[str], budget: Budget) -> None:
    git(
        mirror,
        *FETCH,
        "--stdin",
        "origin",
        budget=budget,
        transport=url_scheme(url),
        watch=mirror / "objects",
        extra=_origin(url),
        stdin="".join(f"{oid}\n" for oid in oids).encode(),
    )


def read_blobs(mirror: Path, oids: list[str], budget: Budget) -> dict[str, bytes]:
    """The contents of the blobs ``oids``, as stored: no filter, no LFS smudge."""
    out = git(mirror, "cat-file", "--batch", budget=budget, stdin="".join(f"{oid}\n" for oid in oids).encode())
    blobs: dict[str, bytes] = {}
    position = 0
    while position < len(out):
        end = out.index(b"\n", position)
        header = out[position:end].decode().split()
        if len(header) != 3:
            raise GitFailed(f"object {header[0]} is missing from the fetch")
        size = int(header[2])
        blobs[header[0]] = out[end + 1 : end + 1 + size]
        position = end + 1 + size + 1
    return blobs
