"""Run the TeX engine on a generated .tex file: safely, in a clean folder, with limits.

- latexmk runs with ``-norc`` and exam-pdf's own rc file, never one from the
  build folder (a report file could otherwise be run as Perl);
- shell escape is off, ``openin_any=p`` and ``openout_any=p`` keep TeX from
  reading or writing outside the build folder;
- the environment is an allow-list (:func:`exam_pdf.sandbox.tex_environment`): no
  kpathsea search path or ``texmf.cnf`` of the caller's reaches the engine;
- the engine has a wall-clock timeout and a memory cap, and its whole process
  group is killed on expiry;
- it runs in a session of its own (a Ctrl-C meant for exam-pdf does not reach it
  half-way through a write), so exam-pdf kills that process group itself whenever
  it stops waiting for the engine: a timeout, Ctrl-C, SIGTERM, any exception.
"""

from __future__ import annotations

import functools
import os
import re
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

from exam_pdf.builders.preamble import DUMP_TIMEOUT, ensure_format
from exam_pdf.dates import source_date_epoch as from_environment
from exam_pdf.errors import BuildError, BuildTimeout
from exam_pdf.sandbox import tex_environment

ENGINE = "xelatex"
TIMEOUT_SECONDS = 120
MEMORY_BYTES = 4 * 1024**3

#: latexmk's settings. ``-z 6``: xdvipdfmx's default compression, 9, took twice as long
#: (0.54 s against 0.28 s for the example's figures) for a PDF 2.5 % smaller.
LATEXMKRC = """\
$pdf_mode = 5;
$xelatex = 'xelatex -no-shell-escape -interaction=nonstopmode -halt-on-error -file-line-error %O %S';
$xdvipdfmx = 'xdvipdfmx -z 6 -E -o %D %O %S';
$max_repeat = 4;
$bibtex_use = 0;
$makeindex = 'true %O %S';
$silent = 1;
"""

DEBIAN_PACKAGES = (
    "latexmk texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended "
    "fonts-freefont-otf fonts-dejavu-core fonts-wqy-zenhei fonts-symbola"
)


def require_tex() -> None:
    missing = [tool for tool in ("latexmk", ENGINE) if shutil.which(tool) is None]
    if missing:
        raise BuildError(
            f"{' and '.join(missing)} not found: install TeX Live, e.g. "
            f"'apt-get install {DEBIAN_PACKAGES}' (or run 'make demo', which does it)"
        )


def _limits(cpu_seconds: int) -> None:  # runs in the child, before exec
    # Its own session and process group: latexmk, xelatex and xdvipdfmx are ended
    # together with one killpg (see _latexmk), never left running on their own.
    os.setsid()
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    # A backstop for the wall-clock timeout: should the process that watches the
    # engine die (a batch worker killed on its own timeout), the kernel still stops
    # a TeX loop once it has used its CPU time.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))


#: What TeX prints when it cannot load a format (missing, or not from this TeX).
_FORMAT_FAILED = ("I can't find the format file", "Fatal format file error")


class _FormatNotLoaded(BuildError):
    """The engine could not start from the cached format."""


def compile_pdf(tex: Path, timeout: float = TIMEOUT_SECONDS, source_date_epoch: int | None = None) -> Path:
    """Compile ``tex`` in its folder; return the PDF or raise BuildError with the first TeX error."""
    require_tex()
    started = time.monotonic()
    if source_date_epoch is None:
        source_date_epoch = from_environment() or 0
    env = tex_environment(source_date_epoch)
    found = ensure_format(tex, env, functools.partial(_limits, DUMP_TIMEOUT + 5))
    if found is None:
        return _latexmk(tex, env, None, timeout)
    try:
        return _latexmk(tex, env, found, timeout)
    except _FormatNotLoaded:  # damaged, or made by another TeX: drop it and build without it
        (found[0] / f"{found[1]}.fmt").unlink(missing_ok=True)
        tex.with_suffix(".fdb_latexmk").unlink(missing_ok=True)
    return _latexmk(tex, env, None, max(5.0, timeout - (time.monotonic() - started)))


def _latexmk(tex: Path, env: dict[str, str], found: tuple[Path, str] | None, timeout: float) -> Path:
    folder = tex.parent
    rc = folder / "exam-pdf.latexmkrc"
    env = dict(env)
    if found is None:
        rc.write_text(LATEXMKRC)
    else:  # each pass starts from the precompiled preamble
        formats, name = found
        env["TEXFORMATS"] = f"{formats}{os.pathsep}"
        rc.write_text(LATEXMKRC.replace("%O %S", f"-fmt={name} %O %S"))
    command = ["latexmk", "-norc", "-r", rc.name, "-pdfxe", tex.name]
    try:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=functools.partial(_limits, int(timeout) + 5),
        )
    except OSError as exc:
        raise BuildError(f"cannot run latexmk: {exc}") from None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end(process)
        raise BuildTimeout(f"the TeX engine did not finish within {timeout:g} s and was stopped") from None
    except BaseException:  # Ctrl-C, SIGTERM (turned into an exception), anything: the engine goes too
        _end(process)
        raise
    pdf = tex.with_suffix(".pdf")
    if process.returncode != 0 or not pdf.exists():
        terminal = (output or b"").decode("utf-8", "replace")
        (folder / "latexmk.out").write_text(terminal, "utf-8")
        if found is not None and any(sign in terminal for sign in _FORMAT_FAILED):
            raise _FormatNotLoaded(terminal)
        raise BuildError(first_error(tex.with_suffix(".log"), terminal))
    return pdf


def _end(process: subprocess.Popen[bytes]) -> None:
    """Kill the engine's whole process group (latexmk and what it started) and reap latexmk."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # already gone, group and all
        pass
    # wait(), not communicate(): it reaps latexmk without reading the pipe to its end,
    # which a process that left the group could hold open.
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


_ERROR = re.compile(r"^(?:(\S*):(\d+): |! )(.+)$", re.M)
#: The comment the LaTeX writer puts before each block: ``%exam-pdf line 12``.
LINE_MARK = "exam-pdf line "
_LINE_MARK = re.compile(rf"%{LINE_MARK}(\d+)$", re.M)

#: What some of TeX's own messages mean for the person who wrote the report.
_EXPLAIN = {
    "Unable to read an entire line": "a paragraph or table of the report is too long for TeX; split it up",
    "TeX capacity exceeded": "the report asks more of TeX than its memory allows (a huge table or paragraph?)",
}


def first_error(log: Path, terminal: str = "") -> str:
    """The first error of a TeX run, in one line, with where the full log is.

    Some errors (a line too long to read) reach only the terminal, not the log.
    """
    text = log.read_text("utf-8", "replace") if log.exists() else ""
    match = _ERROR.search(text) or _ERROR.search(terminal)
    where = f" (full log: {log})"
    if not match:
        return "LaTeX failed without an error message" + where
    message = match.group(3).strip()
    hint = next((f": {meaning}" for known, meaning in _EXPLAIN.items() if known in message), "")
    tex_line = int(match.group(2)) if match.group(2) else _context_line(text[match.end() :])
    line = report_line(log.with_suffix(".tex"), tex_line) if tex_line else None
    at = f" near line {line} of the report" if line else ""
    return f"LaTeX error{at}: {message}{hint}{where}"


def _context_line(after: str) -> int | None:
    """The ``l.123`` line TeX prints after a ``! error``."""
    found = re.search(r"^l\.(\d+)", after[:2000], re.M)
    return int(found.group(1)) if found else None


def report_line(tex: Path, tex_line: int) -> int | None:
    """The report's line behind line ``tex_line`` of the generated .tex, if marked."""
    try:
        lines = tex.read_text("utf-8", "replace").split("\n")[:tex_line]
    except OSError:
        return None
    marks = _LINE_MARK.findall("\n".join(lines))
    return int(marks[-1]) if marks else None


def missing_characters(log: Path) -> list[str]:
    """Characters the engine could not print ("Missing character: There is no X in font Y!")."""
    text = log.read_text("utf-8", "replace") if log.exists() else ""
    return re.findall(r"Missing character: There is no (.+?) \(U\+[0-9A-F]+\)? ?in font", text) or re.findall(
        r"Missing character: There is no (\S+) in font", text
    )
