"""A precompiled preamble: the packages every report loads, dumped once into a format file.

Each xelatex pass of a report spends over a second loading the same packages
(``sphinx.sty``, ``tcolorbox``, ``hyperref``...). The template marks where that
shared part ends (:data:`END_OF_DUMP`); ``mylatexformat`` (TeX Live's
texlive-latex-extra) dumps everything before the mark into a format, and each
pass then starts from it and reads only what follows: the fonts (XeTeX cannot
dump OpenType fonts) and what belongs to one report.

The format is TeX code that the engine runs, so it lives in the user's cache
folder (``$XDG_CACHE_HOME/exam-pdf/formats``), never in a report's folder or its
``.exam-pdf-cache``, which come with the report and are not trusted. Its name is
a hash of everything that went into it: the dumped text, the style files of the
build folder, exam-pdf's version and the engine's own base format, so a new
TeX Live, Sphinx or exam-pdf makes a new one. When the format cannot be made
(no mylatexformat, a read-only home, a failed dump) the build runs without it,
only slower: the .tex file is written to compile either way.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from exam_pdf import __version__
from exam_pdf.sandbox import tex_environment
from exam_pdf.usercache import store, user_cache

#: Where the template's shared preamble ends. Undefined outside a format dump,
#: ``\csname`` makes it ``\relax`` there; mylatexformat stops dumping at it.
END_OF_DUMP = "\\csname endofdump\\endcsname"
#: Seconds a format dump may take (about 1.5 s on a 2-core machine).
DUMP_TIMEOUT = 60


@functools.cache
def _base_format() -> str:
    """Path, size and time of the engine's own format: a TeX Live update changes them."""
    try:
        # In the engine's environment and in an empty folder: kpathsea looks in ``.`` first.
        with tempfile.TemporaryDirectory(prefix="exam-pdf-kpse-") as empty:
            found = subprocess.run(
                ["kpsewhich", "-engine=xetex", "xelatex.fmt"],
                cwd=empty,
                env=tex_environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        info = os.stat(found)
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{found}:{info.st_size}:{info.st_mtime_ns}"


def format_name(tex: Path) -> str | None:
    """The name of the format for ``tex``'s shared preamble; None if it has no mark."""
    text = tex.read_text("utf-8")
    end = text.find(END_OF_DUMP)
    if end < 0:
        return None
    digest = hashlib.sha256(f"{__version__}\0{_base_format()}\0".encode())
    digest.update(text[:end].encode())
    for path in sorted(tex.parent.iterdir()):
        if path.suffix in {".sty", ".cls", ".cfg", ".def"} and path.is_file():
            digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return f"exam-pdf-{digest.hexdigest()[:24]}"


def ensure_format(tex: Path, env: dict[str, str], limits: functools.partial[None]) -> tuple[Path, str] | None:
    """The folder and name of a format for ``tex`` (made now if needed), or None to run without one."""
    name = format_name(tex)
    if name is None or shutil.which("kpsewhich") is None:
        return None
    folder = user_cache("formats")
    if (folder / f"{name}.fmt").is_file():
        return folder, name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tex.parent, prefix="fmt-") as scratch:
            # ``-ini "&xelatex" mylatexformat.ltx report.tex``: load the base format,
            # read the report's preamble up to the mark, dump it as ``name.fmt``.
            command = ["xelatex", "-ini", "-interaction=batchmode", "-halt-on-error", f"-jobname={name}"]
            command += [f"-output-directory={Path(scratch).name}", "&xelatex", "mylatexformat.ltx", tex.name]
            done = subprocess.run(
                command,
                cwd=tex.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=DUMP_TIMEOUT,
                preexec_fn=limits,
            )
            made = Path(scratch) / f"{name}.fmt"
            if done.returncode != 0 or not made.is_file():
                return None
            store(folder / f"{name}.fmt", made.read_bytes())
    except (OSError, subprocess.SubprocessError):
        return None
    return folder, name
