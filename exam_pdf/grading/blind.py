"""Blind copies: each group's report with what names the group replaced by a code.

Every group gets a code of five capital letters, derived from a secret seed and the group
(HMAC-SHA256), so that the same key file gives the same codes on every run and a new
group joins without changing the others'. The key (code -> group, and the seed) is
written to its own file, never into the blind archive.

Replaced, in the README's text and so in the PDF's text, its metadata and its attachments:
- repository URLs on GitHub and GitLab (``https://github.com/OWNER/NAME``,
  ``git@gitlab.com:OWNER/NAME.git``, ``OWNER.github.io``), and the user, organisation
  and repository names they hold, the archive's folder name and the roster's repository,
  wherever those names appear;
- the group's number: question 1's answer, and ``group 12`` (``Group-12``, ``group_12``,
  ``group no. 12``) anywhere;
- study numbers (``s`` and six digits): each becomes ``<code>-student-<n>``;
- names from the roster (``--roster``), where its student cells hold names;
- figure file names: every embedded file but the README is renamed ``figures/figure-NN``
  with its suffix, and the README's references follow.

What blinding cannot remove is in docs/exam-office.md: what a figure shows (a screenshot
of a terminal with a user name, a W&B page with the team's name), names written in a way
that no rule above finds, the writing itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from exam_pdf.archive import SourceFile
from exam_pdf.errors import ReportError
from exam_pdf.grading.load import Group

#: Letters of a code: no I or O (read as 1 and 0), no digits (never taken for a group number).
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 5
_STUDY_NUMBER = re.compile(r"(?<![A-Za-z0-9])[sS][0-9]{6}(?![0-9])")
_HOSTED = re.compile(
    r"(?:https?://)?(?:www\.)?(?P<host>github\.com|gitlab\.com)[/:](?P<owner>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"(?:/(?P<repo>[A-Za-z0-9._-]+))?(?P<rest>[^\s)\]>\"'`]*)",
    re.I,
)
_GIT_SSH = re.compile(r"git@(?:github|gitlab)\.com:", re.I)
_PAGES = re.compile(r"(?<![A-Za-z0-9-])(?P<owner>[A-Za-z0-9-]+)\.(?:github|gitlab)\.io", re.I)
#: Words of names too common to replace wherever they appear: a repository called "project" or
#: "02476-Machine-Learning-Operations" (the course's name) names no group.
_GENERIC = set(
    "02476 machine learning operations mlops ml ops dtu project projects exam report reports main master group "
    "src code final course the of and for repo repository".split()
)
#: Accounts whose URLs are not a group's: the course's own, and GitHub's and GitLab's pages.
_NOT_A_GROUP = {"skaftenicki", "features", "orgs", "settings", "marketplace", "apps", "topics", "explore", "help"}


@dataclasses.dataclass
class Key:
    """The secret seed and the codes given so far (code -> group)."""

    seed: str
    groups: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Key:
        """The key in ``path``; a new one (random seed) when the file does not exist."""
        if not path.exists():
            return cls(secrets.token_hex(16))
        try:
            data = json.loads(path.read_text("utf-8"))
            key = cls(str(data["seed"]), {str(code): str(group) for code, group in data["groups"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ReportError(f"{path}: not a key file of exam-pdf blind ({type(exc).__name__}: {exc})") from None
        if not re.fullmatch(r"[0-9a-f]{32,}", key.seed):
            raise ReportError(f"{path}: its seed is not the hexadecimal string exam-pdf wrote")
        return key

    def code(self, group: str) -> str:
        """The group's code: the one the key holds, else derived from the seed (and recorded)."""
        for code, known in self.groups.items():
            if known == group:
                return code
        digest = hmac.new(bytes.fromhex(self.seed), group.encode(), hashlib.sha256).digest()
        counter = 0
        while True:
            number = int.from_bytes(hashlib.sha256(digest + counter.to_bytes(4, "big")).digest(), "big")
            code = "".join(_LETTERS[(number >> (5 * i)) % len(_LETTERS)] for i in range(CODE_LENGTH))
            if code not in self.groups:
                self.groups[code] = group
                return code
            counter += 1

    def dumps(self) -> str:
        return json.dumps({"seed": self.seed, "groups": dict(sorted(self.groups.items()))}, indent=2) + "\n"


@dataclasses.dataclass
class Identifiers:
    """What names one group, found in its manifest entry, report, roster row and repository URLs."""

    code: str
    numbers: list[str]
    """The group's numbers (the manifest's, the report's)."""
    students: list[str]
    """Study numbers in the order the group lists them (lower case)."""
    names: list[str]
    """User, organisation and repository names, the folder's name, roster names."""

    def student(self, number: str) -> str:
        number = number.lower()
        if number not in self.students:
            self.students.append(number)
        return f"{self.code}-student-{self.students.index(number) + 1}"

    @property
    def patterns(self) -> list[str]:
        """Every string that must not survive (for the check after the build)."""
        return [*self.students, *self.names, *(f"group {n}" for n in self.numbers)]


def identifiers(group: Group, code: str, roster: dict[str, tuple[str, list[str]]] | None = None) -> Identifiers:
    entry = group.entry
    numbers = {str(entry.get("group") or "")}
    report = group.result.report if group.result is not None else None
    if report is not None and report.group:
        numbers.add(report.group)
    students = [m.lower() for m in group.members]
    if report is not None:
        students += [s.lower() for s in report.student_ids if s.lower() not in students]
    names: set[str] = set()
    texts = [str(entry.get("repo_url") or "")]
    texts += [f.data.decode("utf-8", "replace") for f in group.files if f.name.lower().endswith(".md")]
    folder = str(entry.get("folder") or "")
    if folder:
        names.add(folder)
        names.update(part for part in folder.split("__") if part)
    row = (roster or {}).get(str(entry.get("group") or ""))
    if row is not None:
        url, cells = row
        texts.append(url)
        for cell in cells:
            plain = _STUDY_NUMBER.sub(" ", re.sub(r"\S+@\S+", " ", cell))
            plain = " ".join(plain.replace(",", " ").split())
            if plain:
                names.add(plain)
                names.update(word for word in plain.split() if len(word) > 2)
            students += [s.lower() for s in _STUDY_NUMBER.findall(cell) if s.lower() not in students]
    for text in texts:
        for match in _HOSTED.finditer(text):
            if match.group("owner").lower() in _NOT_A_GROUP:
                continue
            names.add(match.group("owner"))
            if match.group("repo"):
                names.add(re.sub(r"\.git$", "", match.group("repo")))
        names.update(match.group("owner") for match in _PAGES.finditer(text))
    kept = sorted({n for n in names if len(n) > 2 and not _generic(n)}, key=lambda n: (-len(n), n))
    return Identifiers(code, sorted(n for n in numbers if n), list(dict.fromkeys(students)), kept)


def _generic(name: str) -> bool:
    """Whether every word of ``name`` is a word of :data:`_GENERIC`."""
    words = [word for word in re.split(r"[\s_.-]+", name.lower()) if word]
    return all(word in _GENERIC for word in words)


def blind_text(text: str, ids: Identifiers, question_1: tuple[int, int] | None = None) -> str:
    """``text`` with every identifier of ``ids`` replaced; ``question_1``: the lines of question 1's answer."""
    code = ids.code
    if question_1 is not None:
        lines = text.split("\n")
        first, last = question_1
        for index in range(max(first, 1) - 1, min(last, len(lines))):
            for number in ids.numbers:
                lines[index] = re.sub(rf"(?<![0-9]){re.escape(number)}(?![0-9])", code, lines[index])
        text = "\n".join(lines)
    text = _HOSTED.sub(
        lambda m: (
            m.group() if m.group("owner").lower() in _NOT_A_GROUP else f"https://{m.group('host').lower()}/{code}"
        ),
        text,
    )
    text = _GIT_SSH.sub("https://github.com/", text)
    text = _PAGES.sub(f"{code}.github.io", text)
    for name in ids.names:
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", code, text, flags=re.I)
    for number in ids.numbers:
        text = re.sub(
            rf"(?i)\b(group)([\s_-]*(?:no\.?|nr\.?|number|#)?[\s_-]*){re.escape(number)}(?![0-9])",
            lambda m: f"{m.group(1)}{m.group(2)}{code}",
            text,
        )
    return _STUDY_NUMBER.sub(lambda m: ids.student(m.group()), text)


def figure_names(files: list[SourceFile], readme: str) -> dict[str, str]:
    """Each embedded file but the README -> ``figures/figure-NN.<suffix>`` (in name order)."""
    others = sorted(f.name for f in files if f.name != readme)
    return {
        name: f"figures/figure-{index:02d}{PurePosixPath(name).suffix.lower()}"
        for index, name in enumerate(others, start=1)
    }


def blind_sources(group: Group, ids: Identifiers) -> list[SourceFile]:
    """The group's README and figures, blinded: the files a blind copy is built from."""
    readme = next((f for f in group.files if f.name == group.readme), None)
    if readme is None or group.result is None:
        raise ReportError(f"group {group.name}: no report to blind ({group.problem or 'not built'})")
    text = group.result.report.source.text
    renamed = figure_names(group.files, readme.name)
    # References first (longest first, so that a/b.png is not cut by b.png), before the names in them go.
    for old in sorted(renamed, key=len, reverse=True):
        for written in dict.fromkeys((old, quote(old), old.replace(" ", "%20"))):
            text = text.replace(written, renamed[old])
    first = group.result.report.question(1)
    span = (first.answer_text_line, first.answer_end) if first is not None else None
    text = blind_text(text, ids, span)
    files = [SourceFile("README.md", text.encode("utf-8"))]
    files += [SourceFile(renamed[f.name], f.data) for f in group.files if f.name in renamed]
    return files


def survivors(text: str, ids: Identifiers) -> list[str]:
    """The identifiers of ``ids`` still in ``text`` (case-insensitive, as whole words)."""
    found = []
    for pattern in ids.patterns:
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(pattern)}(?![A-Za-z0-9])", text, re.I):
            found.append(pattern)
    return found


@dataclasses.dataclass
class Outcome:
    codes: dict[str, str]
    """group -> code, for the groups blinded."""
    skipped: list[str]
    """Groups without a report to blind, with why."""
    survived: list[str]
    """Each identifier found in a blind copy after the build, named with where."""
    failed: int


def run_blind(
    archive: Path,
    out: Path,
    key_path: Path,
    roster: Path | None = None,
    jobs: int = 1,
    timeout: float = 120,
) -> Outcome:
    """Build the blind archive ``out`` from ``archive``; the key goes to ``key_path`` (outside ``out``)."""
    import os
    import shutil
    import tempfile

    from exam_pdf.batch import run_batch
    from exam_pdf.batch.outputs import atomic_write
    from exam_pdf.grading.load import load_archive, write_sources

    if os.path.commonpath([os.path.realpath(out), os.path.realpath(key_path)]) == os.path.realpath(out):
        raise ReportError(f"{key_path}: the key must not be inside the blind archive {out}")
    if os.path.realpath(out) == os.path.realpath(archive):
        raise ReportError(f"{out}: the blind archive must be another folder than the archive")
    loaded = load_archive(archive, check=False)
    key = Key.load(key_path)
    rows = _roster(roster) if roster else {}
    codes: dict[str, str] = {}
    skipped: list[str] = []
    found: dict[str, Identifiers] = {}
    with tempfile.TemporaryDirectory(prefix="exam-pdf-blind-") as temporary:
        tree = Path(temporary) / "tree"
        for group in loaded.groups:
            if group.result is None:
                skipped.append(f"group {group.name}: {group.problem or 'no PDF'}")
                continue
            code = key.code(group.name)
            ids = identifiers(group, code, rows)
            write_sources(blind_sources(group, ids), tree / code)
            codes[group.name], found[code] = code, ids
        atomic_write(key_path, key.dumps().encode("utf-8"))
        if out.exists():
            shutil.rmtree(out)
        outcome = run_batch(
            tree,
            out,
            jobs,
            timeout=timeout,
            notes=bool((loaded.manifest.get("options") or {}).get("notes", True)),
            edition=loaded.edition_option,
            state=Path(temporary) / "state",
        )
    survived = [line for code, ids in found.items() for line in _scan(out / code, ids)]
    return Outcome(codes, skipped, survived, outcome.failed)


def _roster(path: Path) -> dict[str, tuple[str, list[str]]]:
    from exam_pdf.collect.roster import read_roster

    return {row.group: (row.url, row.students) for row in read_roster(path) if row.group}


def _scan(folder: Path, ids: Identifiers) -> list[str]:
    """Identifiers of ``ids`` left in the blind copy's files: names, PDF text, metadata, attachments, HTML."""
    from pypdf import PdfReader

    from exam_pdf.grading.load import embedded_sources

    left: list[str] = []
    for path in sorted(folder.rglob("*")):
        left += [f"{ids.code}: file name {path.relative_to(folder)}: {s}" for s in survivors(str(path.name), ids)]
        if path.suffix == ".html":
            left += [f"{ids.code}: {path.name}: {s}" for s in survivors(path.read_text("utf-8", "replace"), ids)]
    pdf = folder / "report.pdf"
    if not pdf.is_file():
        return left
    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    left += [f"{ids.code}: PDF text: {s}" for s in survivors(text, ids)]
    metadata = " ".join(f"{k} {v}" for k, v in (reader.metadata or {}).items())
    root: Any = reader.trailer["/Root"].get_object()
    if "/Metadata" in root:
        metadata += root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    left += [f"{ids.code}: PDF metadata: {s}" for s in survivors(metadata, ids)]
    for item in embedded_sources(pdf):
        content = item.data.decode("utf-8", "replace") if item.name.endswith(".md") else ""
        left += [f"{ids.code}: attachment {item.name}: {s}" for s in survivors(item.name + " " + content, ids)]
    return left
