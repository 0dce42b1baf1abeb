#!/usr/bin/env python3
"""exam-pdf's performance benchmark (issue 7): ``make bench`` or ``python benchmarks/run.py``.

Every target is measured side by side with its reference in the same run, each
measurement repeated and summarised by its median:

1. ``exam-pdf check`` (fresh process) vs a fresh ``python -c "import markdown; ..."``
   split-and-count script standing for the course's ``report.py check``;  goal <= 1.2x.
2. ``exam-pdf pdf`` (fresh process) vs ``pandoc --pdf-engine=xelatex README.md -o out.pdf``
   run in the report's folder;  goal <= 1.0x.
3. ``exam-pdf batch`` of 40 reports with ``-j 2`` vs pandoc (xelatex) on them one after
   another: throughput >= 2x; an unchanged rerun <= 5 s; peak memory of the whole
   process tree (workers and TeX included) < 1 GiB. Reports per minute with -j 1 too.
4. Scaling: seconds per report for batches of 10 to 200 reports (``--scale``).

Reports come from the bundled example (examples/report) and, when present, from
../shared/corpus (never written to: everything is copied into a temporary folder).
``--smoke`` is the short version CI runs: one repetition, the example only, a batch of 2.
Nothing here is a pass/fail test: the script exits 0 when it could measure, whatever
the targets say; it exits 2 only when exam-pdf itself is not runnable.

How ``check`` grows with the size of a report (issue 17: 1x to 8x of large and
pathological reports) is measured by ``benchmarks/size_sweep.py``, not here.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "report"
SHARED = Path(os.environ.get("EXAM_PDF_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
GiB = 1024**3
LAST_OUTPUT = ""  # the output of the last run_watched command

#: The reference for target 1: what the course's ``report.py check`` does, in a fresh
#: process: import markdown (the course's script imports it at the top), read the README,
#: split it into answers at "Answer:" and the next heading, count words and images.
BASELINE_CHECK = r"""
import re, sys
import markdown
text = open(sys.argv[1], encoding="utf-8").read()
answers = []
for part in text.split("Answer:")[1:]:
    answers.append(part.split("###")[0].split("\n## ")[0].strip("\n"))
for number, answer in enumerate(answers, 1):
    words = len(answer.split())
    images = len(re.findall(r"\!\[.*?\]\(.*?\)", answer))
    print(f"question {number}: {words} words, {images} images")
"""


# --------------------------------------------------------------------------- helpers


@dataclasses.dataclass
class Result:
    """One target's outcome on one subject (a report, a batch)."""

    target: str  # "1", "2", "3a", "3b", "3c", "3d", "4"
    name: str
    subject: str
    goal: str
    met: bool | None  # None: not measured (skipped) or informational
    ratio: float | None = None
    numbers: Mapping[str, float | int | str] = dataclasses.field(default_factory=dict)
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "SKIP" if not self.numbers else "INFO"
        return "MET" if self.met else "NOT MET"

    def line(self) -> str:
        numbers = ", ".join(f"{k} {_fmt(v)}" for k, v in self.numbers.items())
        ratio = f"; ratio {self.ratio:.2f}x" if self.ratio is not None else ""
        note = f" ({self.note})" if self.note else ""
        body = f"{numbers}{ratio}" if numbers else "not measured"
        return f"target {self.target} {self.name} [{self.subject}]: {body}; goal {self.goal}: {self.verdict}{note}"


def _fmt(value: float | int | str) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def exam_pdf_command() -> list[str]:
    script = Path(sys.executable).parent / "exam-pdf"
    return [str(script)] if script.exists() else [sys.executable, "-m", "exam_pdf"]


def timed(
    command: Sequence[str],
    cwd: Path | None = None,
    ok: Sequence[int] = (0,),
    timeout: float = 3600,
    env: dict[str, str] | None = None,
) -> float:
    """Wall seconds of one fresh process; raise when it exits with a code not in ``ok``."""
    start = time.perf_counter()
    done = subprocess.run(
        list(command),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
    seconds = time.perf_counter() - start
    if done.returncode not in ok:
        tail = done.stdout.decode("utf-8", "replace")[-800:]
        raise RuntimeError(f"{' '.join(map(str, command))} exited {done.returncode}:\n{tail}")
    return seconds


def side_by_side(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, float]:
    """Interleave the candidates ``repeat`` times (so load changes hit all alike); medians."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            samples[name].append(run())
    return {name: statistics.median(values) for name, values in samples.items()}


def copy_report(source: Path, target: Path, marker: int | None = None) -> Path:
    """Copy a report folder (README.md + figures); ``marker`` appends that many newlines
    to the README so that copies of one report differ in bytes (and cache keys) only."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".exam-pdf-cache", "report.pdf", "report.html"))
    for path in [target, *target.rglob("*")]:  # the corpus is read-only; its copies must not be
        path.chmod(path.stat().st_mode | 0o200)
    if marker is not None:
        readme = target / "README.md"
        with readme.open("ab") as handle:
            handle.write(b"\n" * (marker + 1))
    return target


def make_tree(sources: Sequence[Path], count: int, root: Path) -> Path:
    """``count`` report folders under ``root``, cycling through ``sources``, all distinct."""
    root.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        source = sources[index % len(sources)]
        copy_report(source, root / f"g{index:03d}-{source.name[:40]}", marker=index)
    return root


# --------------------------------------------------------------------------- memory


class TreeMemory(threading.Thread):
    """Peak of the summed RSS of a process and all its descendants, sampled every 0.1 s
    from /proc (workers, latexmk and xelatex included)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.peak_processes = 0
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self._done.is_set():
            with contextlib.suppress(Exception):
                total, count = self.sample()
                if total > self.peak:
                    self.peak, self.peak_processes = total, count
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def sample(self) -> tuple[int, int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            parents[int(entry)] = int(fields[1])
        tree = {self.pid}
        grew = True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        total = 0
        for pid in tree:
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
            except (OSError, IndexError, ValueError):
                continue
        return total, len(tree)


def run_watched(command: Sequence[str], cwd: Path | None = None, timeout: float = 7200) -> tuple[float, int, int]:
    """Run ``command``; return (wall seconds, exit code, peak tree RSS in bytes)."""
    start = time.perf_counter()
    process = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    watcher = TreeMemory(process.pid)
    watcher.start()
    output, _ = process.communicate(timeout=timeout)
    seconds = time.perf_counter() - start
    watcher.stop()
    global LAST_OUTPUT
    LAST_OUTPUT = output.decode("utf-8", "replace")
    if process.returncode not in (0, 1):
        tail = output.decode("utf-8", "replace")[-1500:]
        print(f"  ! {' '.join(map(str, command))} exited {process.returncode}:\n{tail}", flush=True)
    return seconds, process.returncode, watcher.peak


# --------------------------------------------------------------------------- subjects


def corpus_manifest() -> list[dict]:
    path = CORPUS / "manifest.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    reports = data["reports"] if isinstance(data, dict) and "reports" in data else data
    return list(reports.values()) if isinstance(reports, dict) else list(reports)


def corpus_reports() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if (p / "README.md").is_file())


def pandoc_command(output: Path) -> list[str]:
    """``pandoc --pdf-engine=xelatex README.md -o output``. Debian's pandoc template loads
    ``lmodern.sty``, which TeX Live's packages used here do not install; ``fontfamily=fontspec``
    loads fontspec in its place, whose default under xelatex is the same Latin Modern (OTF)."""
    return ["pandoc", "--pdf-engine=xelatex", "-V", "fontfamily=fontspec", "README.md", "-o", str(output)]


def pandoc_works(report: Path, work: Path) -> bool:
    folder = copy_report(report, work / f"try-{report.name}")
    try:
        done = subprocess.run(pandoc_command(work / "try.pdf"), cwd=folder, capture_output=True, check=False)
        return done.returncode == 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def pick_corpus_report(wanted: str | None, work: Path, pandoc: bool) -> Path | None:
    """The corpus report the single-report targets use: ``wanted``, else the one closest to
    35 KB with 9 to 12 figure references, no remote image (pandoc would try the network)
    and at most one missing figure, on which pandoc succeeds (issue 7's subject)."""
    if wanted:
        path = CORPUS / wanted
        return path if (path / "README.md").is_file() else None
    remote = re.compile(r"!\[[^\]]*\]\(https?:")
    entries = [
        e
        for e in corpus_manifest()
        if 9 <= e.get("image_refs", 0) <= 12
        and len(e.get("missing_figures", [])) <= 1
        and (CORPUS / e["id"] / "README.md").is_file()
        and not remote.search((CORPUS / e["id"] / "README.md").read_text("utf-8", "replace"))
    ]
    entries.sort(key=lambda e: abs(e.get("readme_bytes", 0) - 35_000))
    for entry in entries[:8]:
        if not pandoc or pandoc_works(CORPUS / entry["id"], work):
            return CORPUS / entry["id"]
    reports = corpus_reports()
    return reports[0] if reports else None


# --------------------------------------------------------------------------- targets


def markdown_installed() -> bool:
    return subprocess.run([sys.executable, "-c", "import markdown"], capture_output=True, check=False).returncode == 0


def target_check(subject: str, report: Path, work: Path, repeat: int) -> Result:
    goal = "<= 1.2x"
    folder = copy_report(report, work / f"check-{subject}")
    readme = folder / "README.md"
    exam = exam_pdf_command()
    runs: dict[str, Callable[[], float]] = {"exam-pdf check s": lambda: timed([*exam, "check", str(readme)], ok=(0, 1))}
    if not markdown_installed():
        medians = side_by_side(runs, repeat)
        note = "python-markdown not installed (pip install -e '.[bench]'): no reference"
        return Result("1", "check vs markdown split-and-count", subject, goal, None, None, medians, note)
    runs["baseline s"] = lambda: timed([sys.executable, "-c", BASELINE_CHECK, str(readme)])
    medians = side_by_side(runs, repeat)
    ratio = medians["exam-pdf check s"] / medians["baseline s"]
    return Result("1", "check vs markdown split-and-count", subject, goal, ratio <= 1.2, ratio, medians)


def target_pdf(subject: str, report: Path, work: Path, repeat: int, pandoc: bool, warm: bool = True) -> Result:
    goal = "<= 1.0x"
    folder = copy_report(report, work / f"pdf-{subject}")
    exam = exam_pdf_command()
    counter = iter(range(10**6))

    def exam_cold() -> float:
        # A fresh cache folder each time: nothing from an earlier run helps.
        n = next(counter)
        return timed(
            [*exam, "pdf", str(folder), "--out", str(work / f"out-{subject}-{n}"), "--cache-dir", str(work / f"c{n}")],
            ok=(0, 1),
        )

    warm_cache = work / f"warm-{subject}"
    readme = folder / "README.md"
    original = readme.read_bytes()

    def exam_warm() -> float:
        # The student's case: the cache folder of the last build is there, the README changed.
        n = next(counter)
        readme.write_bytes(original + b"\n" * (n % 3 + 1))
        try:
            return timed(
                [*exam, "pdf", str(folder), "--out", str(work / f"outw-{subject}"), "--cache-dir", str(warm_cache)],
                ok=(0, 1),
            )
        finally:
            readme.write_bytes(original)

    runs: dict[str, Callable[[], float]] = {"exam-pdf pdf s": exam_cold}
    if warm:
        runs["exam-pdf pdf warm s"] = exam_warm
    if pandoc:
        runs["pandoc xelatex s"] = lambda: timed(pandoc_command(work / f"pandoc-{subject}.pdf"), cwd=folder)
    else:
        return Result("2", "pdf vs pandoc xelatex", subject, goal, None, note="pandoc not found: skipped")
    first = None
    if warm:
        exam_warm()  # fill the warm cache once, untimed
        # Once, for information: the very first build after installing, with an empty user
        # cache (no precompiled preamble, no font maps yet: both are made during this build).
        first = timed(
            [*exam, "pdf", str(folder), "--out", str(work / f"outf-{subject}"), "--cache-dir", str(work / "cf")],
            ok=(0, 1),
            env={"XDG_CACHE_HOME": str(work / f"empty-user-cache-{subject}")},
        )
    medians = side_by_side(runs, repeat)
    if first is not None:
        medians["exam-pdf pdf first build after install s (once)"] = first
    ratio = medians["exam-pdf pdf s"] / medians["pandoc xelatex s"]
    note = "ratio of the cold-cache build"
    if warm:
        note += f"; warm cache {medians['exam-pdf pdf warm s'] / medians['pandoc xelatex s']:.2f}x"
    return Result(
        "2",
        "pdf vs pandoc xelatex",
        subject,
        goal,
        ratio <= 1.0,
        ratio,
        medians,
        note=note,
    )


def batch_available() -> bool:
    done = subprocess.run([*exam_pdf_command(), "batch", "--help"], capture_output=True, check=False)
    return done.returncode == 0


def run_batch(root: Path, out: Path, jobs: int, extra: Sequence[str] = ()) -> tuple[float, int, int]:
    return run_watched([*exam_pdf_command(), "batch", str(root), "--out", str(out), "-j", str(jobs), *extra])


def pandoc_sequential(root: Path, out: Path) -> tuple[float, int]:
    """pandoc --pdf-engine=xelatex on every report of ``root``, one after another; (seconds, failures)."""
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    start = time.perf_counter()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        done = subprocess.run(pandoc_command(out / f"{folder.name}.pdf"), cwd=folder, capture_output=True, check=False)
        failures += done.returncode != 0
    return time.perf_counter() - start, failures


def target_batch(
    subject: str,
    sources: Sequence[Path],
    count: int,
    work: Path,
    pandoc: bool,
    j1_count: int,
    known: dict[int, tuple[float, int]] | None = None,
) -> list[Result]:
    """Targets 3a-3d on a tree of ``count`` reports made from ``sources``."""
    names = (
        ("3a", "batch -j 2 throughput vs pandoc sequential", ">= 2x"),
        ("3b", "unchanged rerun", "<= 5 s"),
        ("3c", "peak memory of batch -j 2", "< 1 GiB"),
        ("3d", "reports per minute, -j 1 and -j 2", "recorded (issue 5)"),
    )
    if not batch_available():
        return [Result(t, n, subject, g, None, note="'exam-pdf batch' not available yet: skipped") for t, n, g in names]
    root = make_tree(sources, count, work / f"tree-{subject}")
    out = work / f"batch-{subject}"
    results: list[Result] = []
    seconds, code, peak = run_batch(root, out, 2)
    if known is not None:
        known[count] = (seconds, peak)
    rerun, rerun_code, _ = run_batch(root, out, 2)
    rerun_note = ""
    rebuilt = re.search(r"(\d+) built, (\d+) cached", LAST_OUTPUT)
    if rebuilt and int(rebuilt.group(1)):
        # exam-pdf's own code is part of every cache key: an edit to it during the benchmark
        # (a shared working tree) makes the rerun rebuild. Measure the unchanged rerun again.
        rerun, rerun_code, _ = run_batch(root, out, 2)
        rerun_note = f"the first rerun rebuilt {rebuilt.group(1)} (exam-pdf's code changed meanwhile); measured again"
    per_minute = 60 * count / seconds
    numbers: dict[str, float | int | str] = {"exam-pdf -j 2 s": seconds, "reports/min": per_minute, "exit": code}
    if pandoc:
        pandoc_seconds, failures = pandoc_sequential(root, work / f"pandoc-batch-{subject}")
        pandoc_per_minute = 60 * count / pandoc_seconds
        numbers.update({"pandoc sequential s": pandoc_seconds, "pandoc reports/min": pandoc_per_minute})
        ratio = per_minute / pandoc_per_minute
        note = f"{count} reports" + (f"; pandoc failed on {failures}" if failures else "")
        results.append(Result(names[0][0], names[0][1], subject, names[0][2], ratio >= 2, ratio, numbers, note))
    else:
        results.append(
            Result(names[0][0], names[0][1], subject, names[0][2], None, None, numbers, "pandoc not found: no ratio")
        )
    results.append(
        Result(
            names[1][0],
            names[1][1],
            subject,
            names[1][2],
            rerun <= 5,
            None,
            {"rerun s": rerun, "exit": rerun_code},
            rerun_note,
        )
    )
    results.append(
        Result(
            names[2][0],
            names[2][1],
            subject,
            names[2][2],
            peak < GiB,
            None,
            {"peak tree RSS MiB": peak / 1024**2},
            "summed RSS of the process tree, sampled every 0.1 s",
        )
    )
    j1_numbers: dict[str, float | int | str] = {"-j 2 reports/min": per_minute}
    if j1_count:
        # -j 1 on the first ``j1_count`` reports of the tree (one worker is slow: a subset).
        sub = make_tree(sources, j1_count, work / f"tree1-{subject}")
        seconds1, _, _ = run_batch(sub, work / f"batch1-{subject}", 1)
        j1_numbers[f"-j 1 reports/min ({j1_count} reports)"] = 60 * j1_count / seconds1
        j1_numbers["-j 2 speed-up"] = per_minute / (60 * j1_count / seconds1)
    results.append(Result(names[3][0], names[3][1], subject, names[3][2], None, None, j1_numbers))
    return results


def target_scaling(
    subject: str, sources: Sequence[Path], sizes: Sequence[int], work: Path, known: dict[int, tuple[float, int]]
) -> Result:
    goal = "flat (largest/smallest per-report time <= 1.2)"
    if not batch_available():
        return Result("4", "scaling of batch -j 2", subject, goal, None, note="'exam-pdf batch' not available yet")
    numbers: dict[str, float | int | str] = {}
    per_report: dict[int, float] = {}
    for size in sizes:
        if size in known:  # the batch of target 3 is this point already
            seconds, peak = known[size]
        else:
            root = make_tree(sources, size, work / f"scale-{subject}-{size}")
            seconds, _, peak = run_batch(root, work / f"scale-out-{subject}-{size}", 2)
            shutil.rmtree(root, ignore_errors=True)
        per_report[size] = seconds / size
        numbers[f"{size}: s/report"] = per_report[size]
        numbers[f"{size}: peak MiB"] = peak / 1024**2
    ratio = per_report[max(sizes)] / per_report[min(sizes)]
    return Result("4", "scaling of batch -j 2", subject, goal, ratio <= 1.2, ratio, numbers)


# --------------------------------------------------------------------------- machine


def _first_line(command: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return "not installed"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


def machine() -> dict[str, str]:
    from importlib import metadata

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, IndexError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f"{kb / 1024**2:.1f} GiB"

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    load = os.getloadavg()
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "load average at start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "python": platform.python_version(),
        "exam-pdf": version("exam-pdf"),
        "sphinx": version("sphinx"),
        "myst-parser": version("myst-parser"),
        "docutils": version("docutils"),
        "markdown": version("markdown"),
        "xelatex": _first_line(["xelatex", "--version"]),
        "latexmk": _first_line(["latexmk", "--version"]).strip() or "?",
        "pandoc": _first_line(["pandoc", "--version"]) if shutil.which("pandoc") else "not installed",
    }


# --------------------------------------------------------------------------- output


def markdown_table(results: Sequence[Result], info: dict[str, str]) -> str:
    lines = ["| target | subject | measured (medians) | ratio | goal | verdict |", "|---|---|---|---|---|---|"]
    for r in results:
        numbers = "; ".join(f"{k} {_fmt(v)}" for k, v in r.numbers.items()) or r.note
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        lines.append(f"| {r.target} {r.name} | {r.subject} | {numbers} | {ratio} | {r.goal} | {r.verdict} |")
    machine_lines = [f"- {k}: {v}" for k, v in info.items()]
    return "\n".join([*machine_lines, "", *lines, ""])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="CI's short run: 1 repetition, example only, tiny batch")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions of the fast measurements (target 1)")
    parser.add_argument("--pdf-repeat", type=int, default=3, help="repetitions of the PDF measurements (target 2)")
    parser.add_argument("--batch-size", type=int, default=40, help="reports in the batch of target 3")
    parser.add_argument("--scale", default="10,40", help="batch sizes for target 4, e.g. 10,50,200 (40 reuses 3)")
    parser.add_argument("--j1-size", type=int, default=10, help="reports in the -j 1 batch (0: skip it)")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default ../shared/corpus; none in --smoke)")
    parser.add_argument("--report", help="corpus report id for targets 1 and 2 (default: ~35 KB, ~10 figures)")
    parser.add_argument("--only", default="1,2,3,4", help="targets to run, e.g. 1,2")
    parser.add_argument("--json", type=Path, help="write the results as JSON")
    parser.add_argument("--markdown", type=Path, help="write the results as a Markdown table")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    global CORPUS
    if args.corpus:
        CORPUS = args.corpus
    use_corpus = (args.corpus is not None or not args.smoke) and CORPUS.is_dir()
    if args.smoke:
        args.repeat, args.pdf_repeat, args.batch_size, args.j1_size = 1, 1, 2, 0
        args.scale = "1,2"
    only = set(args.only.split(","))
    sizes = [int(s) for s in args.scale.split(",") if s.strip()]
    pandoc = shutil.which("pandoc") is not None

    info = machine()
    print("== exam-pdf benchmark (issue 7)")
    for key, value in info.items():
        print(f"   {key}: {value}")
    if subprocess.run([*exam_pdf_command(), "--version"], capture_output=True, check=False).returncode != 0:
        print("exam-pdf is not runnable", file=sys.stderr)
        return 2
    if not pandoc:
        print("SKIP pandoc: not found (Debian package 'pandoc'); targets 2 and 3a have no reference")

    subjects: list[tuple[str, Path]] = []
    if (EXAMPLE / "README.md").is_file():
        subjects.append(("example", EXAMPLE))
    else:
        print(f"SKIP example: {EXAMPLE}/README.md not found")
    work = Path(tempfile.mkdtemp(prefix="exam-pdf-bench-"))
    corpus_report = pick_corpus_report(args.report, work, pandoc) if use_corpus else None
    if corpus_report:
        subjects.append((f"corpus {corpus_report.name}", corpus_report))
    else:
        print(f"SKIP corpus: {CORPUS} not found" if not args.smoke else "SKIP corpus: not used in --smoke")
    batch_sources = corpus_reports() if use_corpus else ([EXAMPLE] if (EXAMPLE / "README.md").is_file() else [])
    batch_subject = "corpus" if use_corpus else "example copies"

    results: list[Result] = []
    known: dict[int, tuple[float, int]] = {}

    def report(result: Result) -> None:
        results.append(result)
        print(result.line(), flush=True)

    try:
        if "1" in only:
            for subject, path in subjects:
                report(target_check(subject, path, work, args.repeat))
            if not subjects:
                report(Result("1", "check vs markdown split-and-count", "-", "<= 1.2x", None, note="no report"))
        if "2" in only:
            for subject, path in subjects:
                report(target_pdf(subject, path, work, args.pdf_repeat, pandoc, warm=not args.smoke))
            if not subjects:
                report(Result("2", "pdf vs pandoc xelatex", "-", "<= 1.0x", None, note="no report"))
        if "3" in only:
            if batch_sources:
                for result in target_batch(
                    batch_subject, batch_sources, args.batch_size, work, pandoc, args.j1_size, known
                ):
                    report(result)
            else:
                report(Result("3a", "batch", "-", ">= 2x", None, note="no reports"))
        if "4" in only:
            if batch_sources:
                report(target_scaling(batch_subject, batch_sources, sizes, work, known))
            else:
                report(Result("4", "scaling", "-", "flat", None, note="no reports"))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    if args.json:
        rows = [dataclasses.asdict(r) | {"verdict": r.verdict} for r in results]
        args.json.write_text(json.dumps({"machine": info, "results": rows}, indent=2))
        print(f"wrote {args.json}")
    if args.markdown:
        args.markdown.write_text(markdown_table(results, info))
        print(f"wrote {args.markdown}")
    met = sum(r.met is True for r in results)
    unmet = sum(r.met is False for r in results)
    print(f"== {met} met, {unmet} not met, {len(results) - met - unmet} skipped or informational")
    return 0


if __name__ == "__main__":
    sys.exit(main())
