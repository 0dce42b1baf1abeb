"""What the programs and libraries exam-pdf runs may read: never a setting from a report's folder.

A report folder holds whatever a group committed, and tools read configuration from
where they run: git takes a folder holding ``HEAD``, ``config``, ``objects/`` and
``refs/`` for a repository and runs the programs its ``config`` names (``gpg.program``,
``core.fsmonitor``, ``core.pager``...); kpathsea reads ``TEXFORMATS``, ``TEXMFCNF`` and
dozens of other variables; docutils reads ``./docutils.conf``. Each program exam-pdf
starts therefore gets its environment from here, built from an allow-list, and git its
repository by explicit path with every program-running setting overridden.
``docs/security.md`` lists every program and what closes it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

#: Variables of the operator's environment the TeX programs (latexmk, xelatex,
#: xdvipdfmx, kpsewhich) may see. PATH finds them; HOME and TMPDIR are where they
#: keep files; the fontconfig and XDG variables make xelatex find the same fonts as
#: ``fc-match`` (``sphinxext/glyphs.py``) does. Everything else, kpathsea's search paths
#: (``TEXFORMATS``, ``TEXINPUTS``, ``TEXMFCNF``, ``OPENTYPEFONTS``...) and Perl's
#: (``PERL5OPT``, ``PERL5LIB``) first, is dropped.
TEX_PASSED = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_DATA_DIRS",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
)

#: exam-pdf's own settings for TeX: no shell escape, reading and writing only below
#: the build folder, reproducible dates, long log lines, one locale.
TEX_SETTINGS = {
    "openin_any": "p",
    "openout_any": "p",
    "shell_escape": "f",
    "FORCE_SOURCE_DATE": "1",
    "max_print_line": "1000",
    "LC_ALL": "C.UTF-8",
}


def tex_environment(source_date_epoch: int = 0) -> dict[str, str]:
    """The whole environment of a TeX program: the allowed variables and exam-pdf's settings."""
    env = {name: os.environ[name] for name in TEX_PASSED if name in os.environ}
    env.update(TEX_SETTINGS, SOURCE_DATE_EPOCH=str(source_date_epoch))
    return env


#: Variables ``fc-match`` may see: where fontconfig finds its configuration and cache
#: (the same fonts xelatex finds, see :data:`TEX_PASSED`); nothing else of the operator's.
FONT_PASSED = (
    "PATH",
    "HOME",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_DATA_DIRS",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
)
#: Seconds one ``fc-match`` may take (a cold font cache is built in a few).
FONT_TIMEOUT = 30


def font_environment() -> dict[str, str]:
    """``fc-match``'s whole environment: the allowed variables and one locale."""
    env = {name: os.environ[name] for name in FONT_PASSED if name in os.environ}
    env["LC_ALL"] = "C.UTF-8"
    return env


def run_fc_match(*args: str) -> str | None:
    """``fc-match args`` in :func:`font_environment`, from the root folder (never a report's),
    with :data:`FONT_TIMEOUT`; its output, or None when it failed, was missing or took too long."""
    return _output(["fc-match", *args], os.sep, font_environment(), FONT_TIMEOUT)


def _output(command: list[str], cwd: str | Path, env: dict[str, str], timeout: float) -> str | None:
    """What ``command`` prints when it succeeds, no input; None when it failed, was missing or took too long."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


#: ``-c`` settings that make git run no program, whatever the repository's
#: ``config`` (and what it includes) says. Command-line settings take precedence
#: over every configuration file. A program set to ``/dev/null`` cannot be executed.
GIT_SETTINGS = (
    "log.showSignature=false",  # verifying a signature runs gpg.program
    "gpg.program=/dev/null",
    "gpg.openpgp.program=/dev/null",
    "gpg.x509.program=/dev/null",
    "gpg.ssh.program=/dev/null",
    "gpg.ssh.defaultKeyCommand=",
    "core.fsmonitor=false",  # a hook program git runs to learn what changed
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "pager.log=false",
    "core.editor=true",
    "sequence.editor=true",
    "core.askPass=",
    "credential.helper=",
    "core.sshCommand=/dev/null",
    "core.gitProxy=",
    "core.alternateRefsCommand=",
    "uploadpack.packObjectsHook=",
    "diff.external=",
    "log.follow=false",
    "log.mailmap=false",
    # Fetching a missing object of a partial clone would run a transport (``ext::``
    # runs a command): no protocol is allowed, per protocol either.
    "protocol.allow=never",
    *(f"protocol.{name}.allow=never" for name in ("ext", "file", "git", "ssh", "http", "https", "fd")),
    "fetch.recurseSubmodules=false",
    "safe.bareRepository=explicit",
)

#: Options given before git's command: no pager, no replace refs (they would change the
#: history), pathspecs taken literally (a folder named ``:(glob)*`` is only a name).
GIT_OPTIONS = ("--no-pager", "--no-replace-objects", "--literal-pathspecs")

#: Seconds one git call may take (a search through a very long history).
GIT_TIMEOUT = 10


def git_environment() -> dict[str, str]:
    """git's environment: PATH and HOME, no GIT_* variable of the operator's, no system or
    user configuration, no prompt, no network."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "TMPDIR") if name in os.environ}
    env.update(
        LC_ALL="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_ALLOW_PROTOCOL="none",  # overrides protocol.*.allow: no transport at all
        GIT_NO_LAZY_FETCH="1",  # git 2.44 and later: never fetch from a promisor remote
        GIT_OPTIONAL_LOCKS="0",
    )
    return env


def run_git(git_dir: Path, work_tree: Path, *args: str) -> str | None:
    """Run ``git args`` on the repository ``git_dir`` (never one git finds by itself);
    its standard output, or None when git failed, was missing or took too long."""
    command = ["git", f"--git-dir={git_dir}", f"--work-tree={work_tree}", *GIT_OPTIONS]
    for setting in GIT_SETTINGS:
        command += ["-c", setting]
    return _output([*command, *args], work_tree, git_environment(), GIT_TIMEOUT)


@contextlib.contextmanager
def sphinx_sandbox() -> Iterator[None]:
    """What Sphinx and docutils read from the environment while a build runs (enter it
    inside Sphinx's ``patch_docutils``, before ``Sphinx()``).

    - No docutils configuration file: docutils reads ``/etc/docutils.conf``,
      ``./docutils.conf`` (the current folder) and ``~/.docutils``, or the files
      ``DOCUTILSCONFIG`` names, and Sphinx points ``DOCUTILSCONFIG`` at its source
      folder's ``docutils.conf``. A settings file changes the output (``id_prefix``) and
      can write files (``record_dependencies``, ``warning_stream``). An empty
      ``DOCUTILSCONFIG`` names none.
    - SOURCE_DATE_EPOCH checked first (Sphinx turns it into a date on import and fails
      with a ValueError on ``abc`` or an empty string): a BuildError for a malformed
      value, and the value in its plain form, or unset when empty, for the build.
    """
    from exam_pdf.dates import source_date_epoch

    epoch = source_date_epoch()
    settings = {"DOCUTILSCONFIG": "", "SOURCE_DATE_EPOCH": None if epoch is None else str(epoch)}
    before = {name: os.environ.get(name) for name in settings}
    try:
        _set(settings)
        yield
    finally:
        _set(before)


def _set(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
