"""Run builds in parallel, one forked process per report, each with a hard deadline.

A process per report keeps reports apart: a crash, a runaway parse or a memory
blow-up ends that process only. Forking from a parent that has already imported
Sphinx and friends makes each worker start in milliseconds. A worker that passes
its deadline is killed with its whole process group; the TeX engine has its own
timeout and a CPU-time limit besides (see :mod:`exam_pdf.builders.engine`).
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait
from typing import Any

from exam_pdf.batch.worker import Task, run_in_child, timed_out

#: Extra seconds a worker gets past the report's timeout before it is killed:
#: the engine stops itself at the timeout; this covers the finishing steps.
GRACE_SECONDS = 15.0


def preload() -> None:
    """Import what every build needs once, before forking, so workers share it."""
    import PIL.Image  # noqa: F401
    import pypdf  # noqa: F401
    import sphinx.application
    import sphinx.builders.html
    import sphinx.builders.latex  # noqa: F401

    import exam_pdf.builders
    import exam_pdf.sphinxext  # noqa: F401


def run(
    tasks: Iterable[Task],
    jobs: int,
    done: Callable[[Task, str | None, float], None],
    grace: float = GRACE_SECONDS,
) -> None:
    """Build every task with at most ``jobs`` at once; ``done(task, failure, seconds)`` after each.

    ``failure`` is None when the worker wrote its record, else why it did not
    (killed on its deadline, crashed).
    """
    context = multiprocessing.get_context("fork")
    pending = collections.deque(tasks)
    running: dict[Any, tuple[Any, Task, float]] = {}
    started: dict[Any, float] = {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                task = pending.popleft()
                process = context.Process(target=run_in_child, args=(task,), daemon=False)
                process.start()
                started[process.sentinel] = time.monotonic()
                running[process.sentinel] = (process, task, started[process.sentinel] + task.timeout + grace)
            nearest = min(deadline for _, _, deadline in running.values())
            ready = wait(list(running), timeout=max(0.05, nearest - time.monotonic()))
            for sentinel in ready:
                process, task, _ = running.pop(sentinel)
                process.join()
                code = process.exitcode
                done(task, None if code == 0 else _crash_reason(code), time.monotonic() - started.pop(sentinel))
            now = time.monotonic()
            for sentinel, (process, task, deadline) in list(running.items()):
                if now >= deadline:
                    _kill(process)
                    del running[sentinel]
                    seconds = now - started.pop(sentinel)
                    done(task, timed_out(task), seconds)
    finally:
        for process, _, _ in running.values():
            _kill(process)


def _kill(process: Any) -> None:
    if process.pid is not None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
    process.join()


def _crash_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the build process was killed ({name})"
    return f"the build process ended with exit code {code}"
