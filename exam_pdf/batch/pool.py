"""Run builds in parallel, one forked process per report, each with a hard deadline.

A process per report keeps reports apart: a crash, a runaway parse or a memory
blow-up ends that process only. Forking from a parent that has already imported
Sphinx and friends makes each worker start in milliseconds. A worker that passes
its deadline, or that is still running when the batch is interrupted (Ctrl-C,
SIGTERM), is stopped: SIGTERM first, on which it ends its TeX engine (see
:mod:`exam_pdf.batch.worker`), then after :data:`STOP_SECONDS` SIGKILL to its whole
process group. The TeX engine has its own timeout and a CPU-time limit besides
(see :mod:`exam_pdf.builders.engine`).
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
#: Seconds a worker has to end its build after SIGTERM before it is killed.
STOP_SECONDS = 2.0


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
                try:
                    process.start()
                except OSError as exc:  # no process to be had (EAGAIN, ENOMEM): this task fails alone
                    done(task, f"the build process could not be started ({exc.strerror or exc})", 0.0)
                    continue
                if process.pid is not None:  # the child does the same: whichever runs first,
                    try:  # a Ctrl-C meant for the batch never reaches the worker
                        os.setpgid(process.pid, process.pid)
                    except OSError:
                        pass
                started[process.sentinel] = time.monotonic()
                running[process.sentinel] = (process, task, started[process.sentinel] + task.timeout + grace)
            if not running:  # every task left failed to start
                continue
            nearest = min(deadline for _, _, deadline in running.values())
            ready = wait(list(running), timeout=max(0.05, nearest - time.monotonic()))
            for sentinel in ready:
                process, task, _ = running.pop(sentinel)
                process.join()
                code = process.exitcode
                done(task, None if code == 0 else _crash_reason(code), time.monotonic() - started.pop(sentinel))
            now = time.monotonic()
            for sentinel, (process, task, deadline) in list(running.items()):
                # One that has ended meanwhile (the parent may have been busy with a
                # fallback, see exam_pdf.batch.rescue) is collected by the next wait.
                if now >= deadline and process.exitcode is None:
                    stop([process])
                    del running[sentinel]
                    seconds = now - started.pop(sentinel)
                    done(task, timed_out(task), seconds)
    finally:
        stop([process for process, _, _ in running.values()])


def stop(processes: list[Any], seconds: float = STOP_SECONDS) -> None:
    """End workers: SIGTERM, then SIGKILL to the process group of any still running after ``seconds``.

    A second Ctrl-C or SIGTERM waits until this is done, so that no worker is left behind.
    """
    if not processes:
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        for process in processes:
            _signal(process, signal.SIGTERM)
        deadline = time.monotonic() + seconds
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.exitcode is None:
                _signal(process, signal.SIGKILL)
            process.join()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _signal(process: Any, signum: int) -> None:
    if process.pid is None:
        return
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(process.pid, signum)
        except ProcessLookupError:
            pass


def _crash_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the build process was killed ({name})"
    return f"the build process ended with exit code {code}"
