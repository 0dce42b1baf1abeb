"""Run git for ``collect``: hardened as :func:`exam_pdf.sandbox.run_git`, with a time
limit per repository, a cap on the bytes a fetch may add, and one transport allowed.

Every call gets :data:`~exam_pdf.sandbox.GIT_SETTINGS` (no hook, no helper program, no
pager, no transport) and the allow-listed environment of
:func:`~exam_pdf.sandbox.git_environment`. A fetch then allows exactly the transport of
the URL the roster names (``GIT_ALLOW_PROTOCOL``, which overrides every
``protocol.*.allow`` setting), so nothing a repository says (a submodule, an alternate,
a redirect to ``file://``) can make git read from elsewhere. git passes ``-c`` settings
on to the programs it starts (``GIT_CONFIG_PARAMETERS``), so the ``upload-pack`` that
serves a repository on disk runs with them too.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from exam_pdf.sandbox import GIT_OPTIONS, GIT_SETTINGS, git_environment

#: Settings for the repository-serving side when the repository is on disk (tests,
#: an office's own mirrors): filters and fetching single objects, as hosting sites allow.
LOCAL_SERVER = ("uploadpack.allowFilter=true", "uploadpack.allowAnySHA1InWant=true")

#: Fetching, on top of GIT_SETTINGS: check every object received (a tree naming ``..``
#: or ``.git`` is refused), no submodules, no automatic maintenance after the fetch.
FETCH_SETTINGS = (
    "fetch.fsckObjects=true",
    "transfer.fsckObjects=true",
    "fetch.recurseSubmodules=false",
    "submodule.recurse=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "fetch.writeCommitGraph=false",
    "http.followRedirects=initial",
    "protocol.version=2",
)


#: git processes running now (each in its own process group, which a Ctrl-C on the
#: terminal does not reach): :func:`stop_all` ends them when the run is interrupted.
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()
_STOPPED = threading.Event()


def stop_all() -> None:
    """Kill every git process started here and start no more."""
    _STOPPED.set()
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for process in running:
        if process.poll() is None:
            _kill(process)


class GitFailed(Exception):
    """A git call that failed, ran out of time or passed the byte cap; the message says which."""


class TooLarge(GitFailed):
    """A fetch that passed the byte cap (what it wrote is still in the mirror)."""


class Budget:
    """What one repository may still spend: seconds until its deadline, bytes of objects."""

    def __init__(self, seconds: float, max_bytes: int) -> None:
        self.until = time.monotonic() + seconds
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.spent = 0
        """Bytes the fetches so far added to the mirror."""

    def left(self) -> float:
        return self.until - time.monotonic()


def git(
    git_dir: Path,
    *args: str,
    budget: Budget,
    transport: str | None = None,
    watch: Path | None = None,
    stdin: bytes | None = None,
    extra: tuple[str, ...] = (),
) -> bytes:
    """Run ``git args`` on ``git_dir``; its standard output, or GitFailed.

    ``transport`` (a URL scheme) is the one protocol allowed for this call; None allows
    none. ``extra`` are more ``-c`` settings. With ``watch``, the call is stopped when
    that folder grows by more than the budget's bytes.
    """
    command = ["git", f"--git-dir={git_dir}", *GIT_OPTIONS]
    settings = list(GIT_SETTINGS) + list(FETCH_SETTINGS) + list(extra)
    env = git_environment()
    if transport is not None:
        env["GIT_ALLOW_PROTOCOL"] = transport
        if transport == "file" and args and args[0] in ("fetch", "ls-remote"):
            # git clears GIT_CONFIG_PARAMETERS for the upload-pack it starts on a
            # repository on disk, which would then read only that repository's config:
            # give it the settings on its own command line (they override the config).
            # (Not the empty uploadpack.packObjectsHook: from the command line, a protected
            # place, upload-pack would try to run it; from a repository's config it is ignored.)
            serving = " ".join(f"-c {shlex.quote(s)}" for s in (*GIT_SETTINGS, *LOCAL_SERVER) if "Hook=" not in s)
            args = (args[0], f"--upload-pack=git {serving} upload-pack", *args[1:])
        if transport == "ssh":
            settings.append("core.sshCommand=ssh -o BatchMode=yes")
            if "SSH_AUTH_SOCK" in os.environ:
                env["SSH_AUTH_SOCK"] = os.environ["SSH_AUTH_SOCK"]
        if transport in ("http", "https"):
            for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
                if name in os.environ:
                    env[name] = os.environ[name]
    for setting in settings:
        command += ["-c", setting]
    command += args
    limit = budget.left()
    if _STOPPED.is_set():
        raise GitFailed("interrupted")
    if limit <= 0:
        raise GitFailed(f"the repository's time limit of {budget.seconds:g} s ran out")
    start = _size(watch) if watch is not None else 0
    try:
        process = subprocess.Popen(
            command,
            cwd=git_dir,
            env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed with everything it started
        )
    except OSError as exc:
        raise GitFailed(f"git could not be started ({exc})") from None
    with _RUNNING_LOCK:
        _RUNNING.add(process)
    if _STOPPED.is_set():  # stop_all ran while this one was starting
        _kill(process)
    stopped = None
    try:
        if watch is None:
            try:
                out, err = process.communicate(stdin, timeout=limit)
            except subprocess.TimeoutExpired:
                stopped = f"the repository's time limit of {budget.seconds:g} s ran out"
        else:
            out, err, stopped = _watched(process, watch, start, budget, stdin)
    finally:
        if process.poll() is None:
            _kill(process)
        with _RUNNING_LOCK:
            _RUNNING.discard(process)
        _close_pipes(process)
    if watch is not None:
        # Checked again at the end: a fetch may finish between two looks at the folder.
        budget.spent += max(0, _size(watch) - start)
        if budget.spent > budget.max_bytes:
            stopped = _too_large(budget)
    if stopped:
        raise (TooLarge if stopped == _too_large(budget) else GitFailed)(stopped)
    if process.returncode != 0:
        lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        raise GitFailed((fatal or lines[-1:] or [f"git {args[0]} ended with exit code {process.returncode}"])[0])
    return out


def _watched(
    process: subprocess.Popen[bytes], watch: Path, start: int, budget: Budget, stdin: bytes | None
) -> tuple[bytes, bytes, str | None]:
    """Wait for ``process`` while checking the size of ``watch`` and the time left."""
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    def drain(name: str, stream: Any) -> None:
        with contextlib.suppress(OSError, ValueError):  # closed under it by run()'s clean-up
            for chunk in iter(lambda: stream.read(65536), b""):
                chunks[name].append(chunk)

    readers = [
        threading.Thread(target=drain, args=("out", process.stdout), daemon=True),
        threading.Thread(target=drain, args=("err", process.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    if stdin is not None and process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.write(stdin)
        with contextlib.suppress(OSError):
            process.stdin.close()
    stopped = None
    while process.poll() is None:
        if budget.left() <= 0:
            stopped = f"the repository's time limit of {budget.seconds:g} s ran out"
            break
        if budget.spent + _size(watch) - start > budget.max_bytes:
            stopped = _too_large(budget)
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.2)
    if stopped:
        _kill(process)
    for reader in readers:
        reader.join(timeout=5)
    return b"".join(chunks["out"]), b"".join(chunks["err"]), stopped


def _too_large(budget: Budget) -> str:
    return f"the fetch passed the size cap of {budget.max_bytes / 1_000_000:g} MB"


def _size(folder: Path) -> int:
    total = 0
    for path, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(path, name)).st_size
    return total


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    """Close our ends of git's pipes: ``communicate`` leaves them open when it times out, and
    the watched fetch's reader threads only read them; a pipe left to the garbage collector
    is an unclosed file (a ResourceWarning at some later, unrelated moment)."""
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()
