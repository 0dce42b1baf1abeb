#!/usr/bin/env python3
"""Issue 17's hostile reports: how long ``check`` and ``build`` (PDF and HTML) take on each.

Every case of ``tests/hostile_cases.py`` (one per report of the issue's "Why") is
written to a temporary folder and run through a fresh ``exam-pdf check`` and a fresh
``exam-pdf build`` (PDF and HTML beside the README, the work folder in its default
place, as a student runs it), with ``SOURCE_DATE_EPOCH`` set and the case's own
environment (a case may point ``TEXFORMATS`` into the report). Per case: CPU seconds
(user + system of the process and everything it started, ``getrusage``), wall seconds,
and what the build gave: a real PDF, the fallback PDF (``/ExamPdfFallback`` in its
Info), or nothing. The issue's bars: ``check`` under 5 s, ``build`` under 30 s.

    python benchmarks/hostile.py [--only NAME,NAME] [--markdown FILE]
    python benchmarks/hostile.py --batch [--corpus DIR]

``--batch`` runs one ``exam-pdf batch -j 2`` over every corpus report (linked, never
written) and every case instead, and says whether every group was archived with a PDF
and an HTML page.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import hostile_cases  # type: ignore[import-not-found]  # noqa: E402

DEFAULT_CORPUS = Path(os.environ.get("EXAM_PDF_SHARED", REPO.parent / "shared")) / "corpus"
CHECK_BAR = 5.0
BUILD_BAR = 30.0


def exam_pdf_command() -> list[str]:
    script = Path(sys.executable).parent / "exam-pdf"
    return [str(script)] if script.exists() else [sys.executable, "-m", "exam_pdf"]


def timed(command: Sequence[str], env: dict[str, str], timeout: float) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, exit code, output) of one fresh process and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, env=env, check=False)
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        code, output = -1, f"stopped after {timeout} s"
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), code, output


def pdf_kind(pdf: Path) -> str:
    """``real``, ``fallback`` or ``none``."""
    if not pdf.is_file() or pdf.stat().st_size == 0:
        return "none"
    from pypdf import PdfReader

    info = PdfReader(pdf).metadata
    return "fallback" if info is not None and "/ExamPdfFallback" in info else "real"


def run_case(name: str, work: Path) -> dict[str, object]:
    folder = hostile_cases.write_case(name, work / name / "reports")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", **hostile_cases.environment(name, folder)}
    size = (folder / "README.md").stat().st_size
    check = timed([*exam_pdf_command(), "check", str(folder), "--quiet"], env, timeout=300)
    build = timed([*exam_pdf_command(), "build", str(folder)], env, timeout=600)
    out = folder
    html = out / "report.html"
    row: dict[str, object] = {
        "case": name,
        "bytes": size,
        "check_wall": check[0],
        "check_cpu": check[1],
        "check_exit": check[2],
        "build_wall": build[0],
        "build_cpu": build[1],
        "build_exit": build[2],
        "pdf": pdf_kind(out / "report.pdf"),
        "html": html.is_file() and html.stat().st_size > 0,
        "ran": len(hostile_cases.ran(folder)),
        "crash": any("Traceback" in o or "internal error" in o for o in (check[3], build[3])),
    }
    row["ok"] = (
        row["pdf"] != "none"
        and row["html"]
        and not row["crash"]
        and not row["ran"]
        and check[2] in (0, 1)
        and check[1] < CHECK_BAR
        and build[1] < BUILD_BAR
    )
    if not row["ok"]:
        row["output"] = (check[3][-600:], build[3][-600:])
    return row


def line(row: dict[str, object]) -> str:
    return (
        f"{row['case']:>30}: check {row['check_cpu']:.2f} s CPU ({row['check_wall']:.2f} s wall, exit "
        f"{row['check_exit']}), build {row['build_cpu']:.2f} s CPU ({row['build_wall']:.2f} s wall, exit "
        f"{row['build_exit']}), PDF {row['pdf']}, HTML {'yes' if row['html'] else 'no'}"
        + (f", THE GROUP'S SCRIPT RAN {row['ran']} TIME(S)" if row["ran"] else "")
        + (", A TRACEBACK OR INTERNAL ERROR" if row["crash"] else "")
        + ("" if row["ok"] else "  FAILS THE BARS")
    )


def kilobytes(size: int) -> str:
    return f"{size / 1024:,.1f} KB" if size < 10 * 1024 else f"{size / 1024:,.0f} KB"


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| Case | README | check CPU | check wall | build CPU | build wall | PDF | HTML |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['case']} | {kilobytes(int(row['bytes']))} | {row['check_cpu']:.2f} s "  # type: ignore[call-overload]
            f"| {row['check_wall']:.2f} s | {row['build_cpu']:.2f} s | {row['build_wall']:.2f} s "
            f"| {row['pdf']} | {'yes' if row['html'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def batch(corpus: Path | None, work: Path) -> int:
    """One ``exam-pdf batch -j 2`` over the corpus (linked, never written) plus every case;
    prints what it archived. 0 when every group has a PDF and an HTML page."""
    root = work / "batch-root"
    root.mkdir(parents=True)
    groups = 0
    if corpus is not None:
        for folder in sorted(p for p in corpus.iterdir() if (p / "README.md").is_file()):
            (root / folder.name).symlink_to(folder, target_is_directory=True)
            groups += 1
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    for index, name in enumerate(sorted(hostile_cases.CASES), start=1):
        folder = hostile_cases.write_case(name, root / f"hostile-{index:02d}-{name}" / "reports")
        env.update(hostile_cases.environment(name, folder))  # the operator's shell, for the whole batch
        groups += 1
    out = work / "batch-out"
    command = [*exam_pdf_command(), "batch", str(root), "--out", str(out), "-j", "2", "--state", str(work / "state")]
    print(f"== batch: {groups} groups ({groups - len(hostile_cases.CASES)} from the corpus), -j 2", flush=True)
    wall, cpu, code, output = timed(command, env, timeout=7200)
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    missing = [
        entry["source"]
        for entry in data["reports"]
        if not entry.get("pdf")
        or not (out / entry["dir"] / "report.pdf").is_file()
        or not (out / entry["dir"] / "report.html").is_file()
    ]
    ran = sum(len(hostile_cases.ran(p / "reports")) for p in root.glob("hostile-*"))
    print(f"exit {code}, {wall:.0f} s wall, {cpu:.0f} s CPU; totals {data['totals']}")
    for entry in data["reports"]:
        if entry["status"] in ("fallback", "failed"):
            print(f"   {entry['status']}: {entry['source']}: {entry['reason']}")
    print(
        f"groups: {groups}, in the manifest: {len(data['reports'])}, skipped: {len(data['skipped'])}, "
        f"without PDF or HTML: {missing or 'none'}, the group's script ran: {ran} time(s)"
    )
    crashed = "Traceback" in output or "internal error" in output
    ok = len(data["reports"]) == groups and not data["skipped"] and not missing and not ran and not crashed
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="cases to run, e.g. 10000-character-heading,math-999999-columns")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown")
    parser.add_argument(
        "--batch",
        action="store_true",
        help="instead: one batch over the corpus (--corpus, EXAM_PDF_CORPUS) plus every case",
    )
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("EXAM_PDF_CORPUS", DEFAULT_CORPUS)))
    args = parser.parse_args(argv)
    if args.batch:
        work = Path(tempfile.mkdtemp(prefix="exam-pdf-hostile-batch-"))
        try:
            return batch(args.corpus if args.corpus.is_dir() else None, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    names = sorted(hostile_cases.CASES)
    if args.only:
        names = [name for name in names if name in set(args.only.split(","))]
    work = Path(tempfile.mkdtemp(prefix="exam-pdf-hostile-"))
    rows = []
    try:
        print(f"== hostile reports: {len(names)} case(s), load {os.getloadavg()[0]:.1f}", flush=True)
        for name in names:
            rows.append(run_case(name, work))
            print(line(rows[-1]), flush=True)
            if "output" in rows[-1]:
                print("   ", rows[-1]["output"], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.markdown:
        args.markdown.write_text(markdown(rows))
        print(f"wrote {args.markdown}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
