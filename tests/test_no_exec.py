"""Nothing of a group's runs or configures anything (issue 17).

A report folder can hold the files of a bare git repository (``HEAD``, ``config``,
``objects/``, ``refs/``) whose ``config`` names a program the group ships: git run
inside that folder takes it for the repository and runs the program (to verify a
signature, to ask a file-system monitor, as a pager...). The same holds for the
``.git/config`` of a folder that arrived as an archive, for kpathsea variables that
point into the folder and for ``docutils.conf`` files. The fixtures below are that
hostile folder, alone and inside a real clone with history; each first proves that
plain git does run the program, then every command of exam-pdf runs on it and no
program may have run, no file may have been written by a configuration file, and
the dates must still come from the clone's history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from exam_pdf.dates import MAX_EPOCH, repository_of, source_date, source_date_epoch
from exam_pdf.errors import BuildError
from exam_pdf.sandbox import TEX_PASSED, TEX_SETTINGS, sphinx_sandbox, tex_environment

REPORT = """\
# Exam report

### Question 1
> **Our group**
>
> Answer:

42

### Question 2
> **Our members**
>
> Answer:

s123456

### Question 3
> **Describe the pipeline in 5 to 50 words.**
>
> Answer:

We train a small model, package it in a container and serve it behind an API.
"""

#: The date of the clone's commit touching the report, and the README's file time in
#: the folder that is no clone: the PDFs must carry these, not the planted commit's.
COMMIT_TIME = 1600000000  # 2020-09-13
PLANTED_TIME = 1700000000  # 2023-11-14, the commit of the planted bare repository
FILE_TIME = 1500000000  # 2017-07-14

#: Every git setting that names a program; ``{program}`` is the group's script.
HOSTILE_GIT = """\
[core]
\tfsmonitor = {program}
\tpager = {program}
\thooksPath = {hooks}
\tsshCommand = {program}
\taskPass = {program}
\teditor = {program}
\talternateRefsCommand = {program}
[log]
\tshowSignature = true
[gpg]
\tprogram = {program}
[gpg "openpgp"]
\tprogram = {program}
[gpg "x509"]
\tprogram = {program}
[gpg "ssh"]
\tprogram = {program}
[diff]
\texternal = {program}
[pager]
\tlog = {program}
[credential]
\thelper = !{program}
[protocol]
\tallow = always
"""


def _git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The test's own git, independent of the developer's configuration."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Group 42",
        "GIT_AUTHOR_EMAIL": "g42@example.org",
        "GIT_COMMITTER_NAME": "Group 42",
        "GIT_COMMITTER_EMAIL": "g42@example.org",
        "GIT_AUTHOR_DATE": f"@{COMMIT_TIME} +0000",
        "GIT_COMMITTER_DATE": f"@{COMMIT_TIME} +0000",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check, stdin=subprocess.DEVNULL
    )


def _sign(git_dir: Path, commit: str) -> str:
    """A copy of ``commit`` with a (bogus) signature: showing it makes git run gpg.program."""
    text = _git(f"--git-dir={git_dir}", "cat-file", "commit", commit, cwd=git_dir).stdout
    head, body = text.split("\n\n", 1)
    signature = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    signed = f"{head}\n{signature}\n\n{body}"
    made = subprocess.run(
        ["git", f"--git-dir={git_dir}", "hash-object", "-w", "-t", "commit", "--stdin"],
        input=signed,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
    ).stdout.strip()
    _git(f"--git-dir={git_dir}", "update-ref", "HEAD", made, cwd=git_dir)
    return made


def _plant_bare_repository(folder: Path, program: str) -> None:
    """Make ``folder`` (holding README.md) a bare repository too, with a signed commit of
    README.md and a config that runs ``program``."""
    _git("init", "-q", "--bare", str(folder), cwd=folder)
    blob = _git(f"--git-dir={folder}", "hash-object", "-w", "README.md", cwd=folder).stdout.strip()
    tree = subprocess.run(
        ["git", f"--git-dir={folder}", "mktree"],
        input=f"100644 blob {blob}\tREADME.md\n",
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
    ).stdout.strip()
    env_date = {"GIT_AUTHOR_DATE": f"@{PLANTED_TIME} +0000", "GIT_COMMITTER_DATE": f"@{PLANTED_TIME} +0000"}
    commit = subprocess.run(
        ["git", f"--git-dir={folder}", "commit-tree", tree, "-m", "report"],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            **env_date,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "g",
            "GIT_AUTHOR_EMAIL": "g@example.org",
            "GIT_COMMITTER_NAME": "g",
            "GIT_COMMITTER_EMAIL": "g@example.org",
        },
    ).stdout.strip()
    _git(f"--git-dir={folder}", "update-ref", "HEAD", commit, cwd=folder)
    _sign(folder, commit)
    config = "[core]\n\trepositoryformatversion = 0\n\tbare = true\n"
    (folder / "config").write_text(config + HOSTILE_GIT.format(program=program, hooks="tools"))


def _fill_report_folder(folder: Path, traps: Path) -> None:
    """README, the group's script, and files that configuration read from the folder would use."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(REPORT, encoding="utf-8")
    tools = folder / "tools"
    tools.mkdir()
    script = tools / "format_check.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> "{traps / "ran"}"\nexit 0\n')
    script.chmod(0o755)
    # What kpathsea would load with TEXFORMATS/TEXINPUTS/TEXMFCNF pointing here.
    (folder / "xelatex.fmt").write_bytes(b"not a format\n" * 100)
    (folder / "texmf.cnf").write_text(f"shell_escape = t\nopenin_any = a\nTEXFORMATS = {folder}\n")
    (folder / "sphinx.sty").write_text("\\immediate\\write18{touch planted}\\errmessage{planted sphinx.sty}\n")
    _docutils_conf(folder, traps)


def _docutils_conf(folder: Path, traps: Path) -> None:
    """Settings that write a file and change every id of the HTML page, if read."""
    (folder / "docutils.conf").write_text(
        f"[general]\nrecord_dependencies: {traps / 'dependencies'}\nwarning_stream: {traps / 'warnings'}\n"
        "id_prefix: planted-prefix-\n"
    )


class Hostile:
    """The fixture folders and what ran."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.traps = base / "traps"  # where the group's script and docutils would write
        self.bare = base / "bare"  # a report folder that is a bare repository, in no clone
        self.root = base / "root"  # the batch root: one folder per group
        self.group = self.root / "clone"  # a real clone ...
        self.clone = self.group / "reports"  # ... whose report folder is a bare repository too
        self.cwd = base / "cwd"  # the operator's current folder, with a docutils.conf

    def traces(self) -> list[str]:
        """What the group's program and docutils left, and clears it for the next run."""
        found = []
        for path in sorted(self.traps.iterdir()):
            found.append(f"{path.name}: {path.read_text(errors='replace').strip()}")
            path.unlink()
        return found

    def environment(self) -> dict[str, str]:
        """The operator's environment with every variable pointing into the report folder."""
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env.update(
            TEXFORMATS=str(self.clone),
            TEXINPUTS=f"{self.clone}:",
            TEXMFCNF=str(self.clone),
            TEXFONTMAPS=str(self.clone),
            OPENTYPEFONTS=str(self.clone),
            DOCUTILSCONFIG=str(self.clone / "docutils.conf"),
            GIT_DIR=str(self.clone),
            PYTHONUNBUFFERED="1",
        )
        return env


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    h = Hostile(tmp_path_factory.mktemp("noexec"))
    h.traps.mkdir()
    h.cwd.mkdir()
    _docutils_conf(h.cwd, h.traps)
    program = "tools/format_check.sh"  # relative: git resolves it in the folder it runs in
    _fill_report_folder(h.bare, h.traps)
    _plant_bare_repository(h.bare, program)
    os.utime(h.bare / "README.md", (FILE_TIME, FILE_TIME))

    h.group.mkdir(parents=True)
    _git("init", "-q", cwd=h.group)
    _fill_report_folder(h.clone, h.traps)
    _plant_bare_repository(h.clone, program)
    _git("add", "-A", cwd=h.group)
    _git("commit", "-q", "-m", "report", cwd=h.group)
    assert "reports/config" in _git("ls-files", cwd=h.group).stdout, "the planted repository is committed"
    _sign(h.group / ".git", "HEAD")
    # As a clone delivered as an archive would be: its own config is the group's too.
    absolute = h.clone / "tools" / "format_check.sh"
    with (h.group / ".git" / "config").open("a") as config:
        config.write(HOSTILE_GIT.format(program=absolute, hooks=h.clone / "tools"))
    return h


def test_the_fixtures_make_plain_git_run_the_groups_program(hostile: Hostile) -> None:
    """Without exam-pdf's measures, git runs the script: the fixtures are the real attack."""
    assert hostile.traces() == []
    for folder in (hostile.bare, hostile.clone):
        _git("log", "-1", "--format=%ct", "--", "README.md", cwd=folder, check=False)
        assert any("format_check.sh" in line for line in hostile.traces()), folder
    _git("--git-dir=.git", "log", "-1", "--format=%ct", "--", "reports/README.md", cwd=hostile.group, check=False)
    assert any("format_check.sh" in line for line in hostile.traces())


@pytest.fixture(scope="module")
def runs(hostile: Hostile) -> Iterator[dict[str, tuple[subprocess.CompletedProcess[str], list[str]]]]:
    """Every command once on the hostile folders: (its outcome, what ran or was written)."""
    out = hostile.base / "out"
    commands = {
        "check": ["check", str(hostile.clone)],
        "pdf": ["pdf", str(hostile.bare), "--out", str(out / "pdf"), "--cache-dir", str(out / "cache-pdf")],
        "build": ["build", str(hostile.clone), "--out", str(out / "build"), "--cache-dir", str(out / "cache-build")],
        "batch": ["batch", str(hostile.root), "--out", str(out / "batch"), "-j", "1"],
    }
    done: dict[str, tuple[subprocess.CompletedProcess[str], list[str]]] = {}
    hostile.traces()
    for name, args in commands.items():
        result = subprocess.run(
            [sys.executable, "-m", "exam_pdf", *args],
            cwd=hostile.cwd,
            env=hostile.environment(),
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        done[name] = (result, hostile.traces())
    done["preview"] = _preview(hostile, out / "cache-preview")
    yield done


def _preview(hostile: Hostile, cache: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Start ``preview`` on port 0, wait for its first build (it prints the URL after it),
    fetch the page, stop it."""
    command = [sys.executable, "-m", "exam_pdf", "preview", str(hostile.clone), "--port", "0"]
    command += ["--cache-dir", str(cache)]
    process = subprocess.Popen(
        command,
        cwd=hostile.cwd,
        env=hostile.environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    served = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "http://" in line:
                served.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    page = ""
    try:
        assert served.wait(120), f"preview served nothing: {lines}"
        url = re.search(r"http://[^/]+/", "".join(lines))
        assert url is not None, lines
        with urllib.request.urlopen(url.group(0), timeout=30) as response:
            page = response.read().decode("utf-8", "replace")
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(20)
        reader.join(5)
        assert process.stdout is not None
        process.stdout.close()
    return subprocess.CompletedProcess(command, 0, page, "".join(lines)), hostile.traces()


@pytest.mark.latex
@pytest.mark.parametrize("command", ["check", "pdf", "build", "batch", "preview"])
def test_no_program_of_the_group_runs_and_no_config_is_read(
    runs: dict[str, tuple[subprocess.CompletedProcess[str], list[str]]], command: str
) -> None:
    result, traces = runs[command]
    assert traces == [], f"{command} ran the group's program or read a configuration file: {traces}"
    assert result.returncode in (0, 1), result.stderr
    assert "planted-prefix" not in result.stdout and "internal error" not in result.stderr


@pytest.mark.latex
def test_outputs_are_built_despite_planted_tex_files_and_variables(
    hostile: Hostile, runs: dict[str, tuple[subprocess.CompletedProcess[str], list[str]]]
) -> None:
    """TEXFORMATS, TEXINPUTS and TEXMFCNF point at a bogus xelatex.fmt, a sphinx.sty that
    stops with an error and a texmf.cnf turning shell escape on: all ignored."""
    out = hostile.base / "out"
    for pdf in (out / "pdf" / "report.pdf", out / "build" / "report.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF"), pdf
    page = (out / "build" / "report.html").read_text("utf-8")
    assert "planted-prefix" not in page, "the HTML ids come from a docutils.conf"
    assert "serve it behind an API" in runs["preview"][0].stdout
    manifest = json.loads((out / "batch" / "manifest.json").read_text("utf-8"))
    assert [entry["status"] for entry in manifest["reports"]] == ["ok"], manifest
    assert not list(hostile.base.rglob("planted")), "the planted sphinx.sty ran"


@pytest.mark.latex
def test_pdf_dates_come_from_the_clone_not_the_planted_repository(
    hostile: Hostile, runs: dict[str, tuple[subprocess.CompletedProcess[str], list[str]]]
) -> None:
    from pypdf import PdfReader

    def date_of(pdf: Path) -> dt.date:
        created = PdfReader(pdf).metadata.creation_date
        assert created is not None
        return created.astimezone(dt.UTC).date()

    out = hostile.base / "out"
    manifest = json.loads((out / "batch" / "manifest.json").read_text("utf-8"))
    batch = {entry["folder"]: out / "batch" / entry["pdf"] for entry in manifest["reports"]}
    assert date_of(out / "build" / "report.pdf") == _day(COMMIT_TIME)
    assert date_of(batch["clone"]) == _day(COMMIT_TIME)
    # The bare folder is in no clone: its planted commit (2023) is not used, the file time is.
    assert date_of(out / "pdf" / "report.pdf") == _day(FILE_TIME)


def _day(seconds: int) -> dt.date:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).date()


def test_a_fresh_clone_gives_the_same_date_and_runs_nothing(hostile: Hostile, tmp_path: Path) -> None:
    readme = hostile.clone / "README.md"
    hostile.traces()
    assert source_date(readme) == (dt.datetime.fromtimestamp(COMMIT_TIME, dt.UTC), "git commit")
    assert hostile.traces() == []
    _git("clone", "-q", str(hostile.group), str(tmp_path / "fresh"), cwd=tmp_path)
    hostile.traces()  # what the test's own clone of the hostile repository did is not exam-pdf's
    fresh = tmp_path / "fresh" / "reports" / "README.md"
    os.utime(fresh, (FILE_TIME, FILE_TIME))
    assert source_date(fresh) == source_date(readme)
    assert hostile.traces() == []


def test_only_a_git_folder_above_the_report_folder_is_a_repository(tmp_path: Path) -> None:
    report = tmp_path / "group" / "reports"
    report.mkdir(parents=True)
    (report / "README.md").write_text(REPORT)
    os.utime(report / "README.md", (FILE_TIME, FILE_TIME))
    _git("init", "-q", cwd=report)  # a .git inside the report folder: the group's, not used
    _git("add", "-A", cwd=report)
    _git("commit", "-q", "-m", "x", cwd=report)
    assert repository_of(report) is None
    assert source_date(report / "README.md")[1] == "file time"
    (tmp_path / "group" / ".git").write_text(f"gitdir: {report / '.git'}\n")  # a .git file: not followed
    assert repository_of(report) is None
    (tmp_path / "group" / ".git").unlink()
    (tmp_path / "group" / ".git").symlink_to(report / ".git")  # a symlink: not followed
    assert repository_of(report) is None
    (tmp_path / "group" / ".git").unlink()
    shutil.move(report / ".git", tmp_path / "group" / ".git")
    assert repository_of(report) == Path(os.path.realpath(tmp_path)) / "group" / ".git"


@pytest.mark.parametrize("value", ["abc", "-5", "1.5", "99999999999999999999", str(MAX_EPOCH + 1), "\u00b2", "1e9"])
def test_a_malformed_source_date_epoch_is_one_clear_error(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(BuildError, match=r"SOURCE_DATE_EPOCH=.* is not a date"):
        source_date_epoch()
    with pytest.raises(BuildError):
        source_date(tmp_path)


@pytest.mark.parametrize(("value", "expected"), [("", None), ("  ", None), (" 1700000000\n", 1700000000), ("0", 0)])
def test_source_date_epoch_empty_is_unset(value: str, expected: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert source_date_epoch() == expected


@pytest.mark.parametrize("command", ["html", "pdf"])
def test_a_malformed_source_date_epoch_stops_a_build_with_one_line(
    command: str, make_report, run_exam_pdf, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = make_report(REPORT)
    done = run_exam_pdf(command, str(folder), "--out", str(tmp_path / "out"), SOURCE_DATE_EPOCH="abc")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "exam-pdf: error: SOURCE_DATE_EPOCH='abc' is not a date: give whole seconds since 1970-01-01 UTC "
        f"(0 to {MAX_EPOCH}), or leave it unset"
    ]


def test_tex_environment_is_an_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    planted = {
        name: "/tmp/planted"
        for name in (
            "TEXFORMATS",
            "TEXINPUTS",
            "TEXINPUTS.xelatex",
            "TEXINPUTS_xelatex",
            "TFMFONTS",
            "OPENTYPEFONTS",
            "TEXFONTMAPS",
            "TEXMFCNF",
            "TEXMFHOME",
            "KPATHSEA_DEBUG",
            "DVIPDFMXINPUTS",
            "PERL5OPT",
            "PERL5LIB",
            "LATEXMKRCSYS",
            "GIT_DIR",
            "shell_escape_commands",
        )
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "123")
    monkeypatch.setenv("openin_any", "a")
    env = tex_environment(42)
    assert not set(planted) & set(env)
    assert set(env) <= set(TEX_PASSED) | set(TEX_SETTINGS) | {"SOURCE_DATE_EPOCH"}
    assert env["PATH"] == os.environ["PATH"]
    assert env["SOURCE_DATE_EPOCH"] == "42" and env["openin_any"] == "p" and env["shell_escape"] == "f"


@pytest.mark.latex
def test_kpathsea_finds_the_system_format_not_a_planted_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "xelatex.fmt").write_bytes(b"bogus")
    (tmp_path / "texmf.cnf").write_text("openin_any = a\n")
    monkeypatch.setenv("TEXFORMATS", str(tmp_path))
    monkeypatch.setenv("TEXMFCNF", str(tmp_path))

    def kpsewhich(env: dict[str, str], *args: str) -> str:
        return subprocess.run(
            ["kpsewhich", *args], env=env, cwd=tmp_path.parent, capture_output=True, text=True, check=False
        ).stdout.strip()

    # Passed on, the planted variables win (what the deny-list let through) ...
    assert kpsewhich(dict(os.environ), "-engine=xetex", "xelatex.fmt") == str(tmp_path / "xelatex.fmt")
    # ... the engine's environment does not pass them.
    assert kpsewhich(tex_environment(), "-engine=xetex", "xelatex.fmt") not in ("", str(tmp_path / "xelatex.fmt"))
    assert str(tmp_path) not in kpsewhich(tex_environment(), "-var-value", "TEXMFCNF")


def test_docutils_reads_no_configuration_file_during_a_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from docutils.frontend import OptionParser
    from docutils.parsers.rst import Parser

    # (Without record_dependencies here: docutils would open that file in this process.)
    (tmp_path / "docutils.conf").write_text("[general]\nid_prefix: planted-prefix-\n")
    monkeypatch.chdir(tmp_path)

    def settings():  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():  # docutils deprecates OptionParser; Sphinx still uses it
            warnings.simplefilter("ignore", DeprecationWarning)
            return OptionParser(components=(Parser,), read_config_files=True).get_default_values()

    monkeypatch.delenv("DOCUTILSCONFIG", raising=False)
    assert settings().id_prefix == "planted-prefix-", "docutils reads ./docutils.conf by default"
    monkeypatch.setenv("DOCUTILSCONFIG", str(tmp_path / "docutils.conf"))
    with sphinx_sandbox():
        assert settings().id_prefix == ""
    assert os.environ["DOCUTILSCONFIG"] == str(tmp_path / "docutils.conf"), "restored afterwards"


def test_a_malformed_source_date_epoch_stops_a_batch_before_any_build(run_exam_pdf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "root" / "g1").mkdir(parents=True)
    (tmp_path / "root" / "g1" / "README.md").write_text(REPORT, "utf-8")
    out = tmp_path / "out"
    done = run_exam_pdf("batch", str(tmp_path / "root"), "--out", str(out), SOURCE_DATE_EPOCH="-5")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "exam-pdf: error: SOURCE_DATE_EPOCH='-5' is not a date: give whole seconds since 1970-01-01 UTC "
        f"(0 to {MAX_EPOCH}), or leave it unset"
    ]
    assert not (out / "manifest.json").exists()
