"""Run ``python -m exam_pdf`` as a fresh process that starts with its imports done.

Most CLI tests start the command as a new process, as a user or CI would: a
process of its own gives the test the real exit code, stdout and stderr, the
environment and working folder the test names, and nothing of pytest's state
(warning filters, signal handlers, captured streams). Python's start-up and the
imports of Sphinx, MyST and docutils cost about 0.5 CPU-s a run, most of what a
small ``check`` or ``html`` does, and the suite starts the command hundreds of times.

So the runs come from a fork server: a single-threaded process, started once per
test worker from a clean interpreter (``python tests/warmcli.py``), that has
imported the packages and forks one child per run. The child takes the
run's working folder, environment and standard streams, then calls the command as
``python -m exam_pdf`` does, and ends with its exit code. What differs from a cold
start is only what the imports did with the environment of the worker (nothing of
exam-pdf's reads it at import: tests/test_warmcli.py checks the cases that matter).

Tests of what only a real start shows (``python -m``, the console script, signals
to a process group, the wheel) keep :func:`subprocess.run`.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Imported once by the fork server: what every command needs before it does anything.
PRELOAD = [
    "exam_pdf.cli",
    "exam_pdf.pipeline",
    "exam_pdf.parse",
    "exam_pdf.rules",
    "sphinx.application",
    "sphinx.builders.html",
    "sphinx.builders.latex",
    "myst_parser.parsers.sphinx_",
    "docutils.parsers.rst",
    "pypdf",
    "PIL.Image",
    "jinja2",
]


def _child(request: dict) -> int:
    """In the forked process: become ``python -m exam_pdf ARGS`` with the request's folder, environment and streams."""
    import io
    import traceback

    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    sys.path[0] = os.getcwd()  # as ``python -m`` has it
    import exam_pdf
    from exam_pdf.cli import main

    sys.argv = [str(Path(exam_pdf.__file__).with_name("__main__.py")), *request["args"]]
    try:
        main.main(args=list(request["args"]), prog_name="python -m exam_pdf")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass
    return code


def serve() -> None:
    """The fork server: one request a line on stdin; answers ``pid N``, then ``exit CODE CPU-SECONDS``."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os._exit(_child(request))
        answers.write(f"pid {pid}\n".encode())
        answers.flush()
        _, status, usage = os.wait4(pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        answers.write(f"exit {os.waitstatus_to_exitcode(status)} {cpu:.3f}\n".encode())
        answers.flush()


class _Server:
    """This test process's fork server, started on first use."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONWARNINGS": ""},
            )
            atexit.register(self.stop)
        return self.process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.close()
            self.process.wait()
            self.process.stdout.close()


_SERVER = _Server()


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m exam_pdf ARGS``, as :func:`subprocess.run` with ``capture_output`` and ``text`` gives it."""
    argv = [os.fspath(arg) for arg in args]
    command = [sys.executable, "-m", "exam_pdf", *argv]
    with _SERVER.lock, tempfile.TemporaryDirectory(prefix="warmcli-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        out.touch()
        err.touch()
        request = {
            "args": argv,
            "cwd": os.fspath(cwd or os.getcwd()),
            "env": dict(os.environ if env is None else env),
            "stdout": str(out),
            "stderr": str(err),
        }
        server = _SERVER.start()
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(request).encode() + b"\n")
        server.stdin.flush()
        pid = int(server.stdout.readline().split()[1])
        ended = threading.Event()
        timer = threading.Timer(timeout, lambda: None if ended.is_set() else _kill(pid))
        timer.start()
        try:
            _, code_text, cpu = server.stdout.readline().split()
            code = int(code_text)
        finally:
            ended.set()
            timer.cancel()
        global CHILD_CPU
        CHILD_CPU += float(cpu)
        decode = {"encoding": "utf-8", "errors": "replace"}
        if _killed.pop(pid, False):
            raise subprocess.TimeoutExpired(command, timeout, out.read_bytes(), err.read_bytes())
        return subprocess.CompletedProcess(command, code, out.read_text(**decode), err.read_text(**decode))


_killed: dict[int, bool] = {}

#: CPU seconds of the runs so far, their own processes' included (for measuring the suite).
CHILD_CPU = 0.0


def _kill(pid: int) -> None:
    import signal

    _killed[pid] = True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    serve()
