#!/usr/bin/env python3
"""Size sweep (issue 17): does ``exam-pdf check`` take time linear in the report's size?

For each shape of :mod:`shapes` (the pathological reports users sent in) and a large
corpus report, reports of 1x, 2x, 4x and 8x the base size are generated in a temporary
folder and checked by a fresh ``exam-pdf check`` process each, ``--repeat`` times
(median). Printed per shape: wall seconds and CPU seconds (user + system of the child,
less sensitive to a busy machine) per size, and the growth per doubling of the size:
at most 2.0 (plus noise) is linear or better; 4.0 would be quadratic. The fixed cost of
a fresh process (imports, about 0.5 s) makes small sizes look better than linear.

The corpus report is the largest README in the corpus folder given by ``--corpus`` or
the ``EXAM_PDF_CORPUS`` environment variable (default ``$EXAM_PDF_SHARED/corpus`` or
``../shared/corpus``); without it
that shape is skipped. Nothing is written outside the temporary folder.

    python benchmarks/size_sweep.py [--repeat 3] [--scales 1,2,4,8] [--html] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import shapes

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("EXAM_PDF_SHARED", REPO.parent / "shared")) / "corpus"


def exam_pdf_command() -> list[str]:
    script = Path(sys.executable).parent / "exam-pdf"
    return [str(script)] if script.exists() else [sys.executable, "-m", "exam_pdf"]


def run_once(command: Sequence[str], timeout: float) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process; exit codes 0 and 1 are fine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def largest_corpus_report(corpus: Path) -> Path | None:
    readmes = sorted(corpus.glob("*/README.md"), key=lambda p: p.stat().st_size)
    return readmes[-1].parent if readmes else None


def sweep(
    name: str, make: Callable[[Path, int], Path], scales: Sequence[int], work: Path, repeat: int, html: bool
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for scale in scales:
        folder = make(work / f"{name}-{scale}", scale)
        size = (folder / "README.md").stat().st_size
        runs = [run_once([*exam_pdf_command(), "check", str(folder)], timeout=600) for _ in range(repeat)]
        row: dict[str, object] = {
            "shape": name,
            "scale": scale,
            "bytes": size,
            "wall": statistics.median(r[0] for r in runs),
            "cpu": statistics.median(r[1] for r in runs),
        }
        if html:
            out = work / f"{name}-{scale}-html"
            command = [*exam_pdf_command(), "html", str(folder), "--out", str(out), "--cache-dir", str(out / "c")]
            row["html_wall"], row["html_cpu"] = run_once(command, timeout=900)
        rows.append(row)
        print(_line(row), flush=True)
    return rows


def _line(row: dict[str, object]) -> str:
    html = f", html {row['html_wall']:.2f} s wall {row['html_cpu']:.2f} s CPU" if "html_wall" in row else ""
    return (
        f"{row['shape']:>16} {row['scale']:>2}x {row['bytes']:>9} bytes: "
        f"check {row['wall']:.2f} s wall, {row['cpu']:.2f} s CPU{html}"
    )


def per_doubling(rows: list[dict[str, object]], key: str) -> float:
    """Geometric mean growth of ``key`` per doubling of the scale, from the first to the last size."""
    first, last = rows[0], rows[-1]
    doublings = math.log2(int(last["scale"]) / int(first["scale"]))  # type: ignore[call-overload]
    if doublings <= 0:
        return float("nan")
    return float(last[key] / first[key]) ** (1 / doublings)  # type: ignore[operator]


def markdown(results: dict[str, list[dict[str, object]]], html: bool) -> str:
    head = "| Shape | Size | README | check wall | check CPU |" + (" html wall | html CPU |" if html else "")
    rule = "|---|---|---|---|---|" + ("---|---|" if html else "")
    lines = [head, rule]
    for rows in results.values():
        for row in rows:
            cells = [
                str(row["shape"]),
                f"{row['scale']}x",
                f"{int(row['bytes']) / 1024:.0f} KB",  # type: ignore[call-overload]
                f"{row['wall']:.2f} s",
                f"{row['cpu']:.2f} s",
            ]
            if html:
                cells += [f"{row['html_wall']:.2f} s", f"{row['html_cpu']:.2f} s"]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| Shape | CPU growth per doubling | wall growth per doubling |", "|---|---|---|"]
    for name, rows in results.items():
        lines.append(f"| {name} | {per_doubling(rows, 'cpu'):.2f}x | {per_doubling(rows, 'wall'):.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("EXAM_PDF_CORPUS", DEFAULT_CORPUS)))
    parser.add_argument("--scales", default="1,2,4,8", help="multiples of each shape's base size")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per size (median)")
    parser.add_argument("--only", help="shapes to run, e.g. no-marker,duplicates")
    parser.add_argument("--html", action="store_true", help="also time one `exam-pdf html` per size")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown")
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",") if s.strip()]

    makers: dict[str, Callable[[Path, int], Path]] = {}
    report = largest_corpus_report(args.corpus) if args.corpus.is_dir() else None
    if report is not None:
        makers[f"corpus {report.name.split('__')[0]}"] = shapes.corpus(report)
    else:
        print(f"SKIP corpus: no README.md under {args.corpus}")
    makers.update(shapes.SHAPES)
    if args.only:
        wanted = set(args.only.split(","))
        makers = {name: make for name, make in makers.items() if name in wanted or name.split()[0] in wanted}

    work = Path(tempfile.mkdtemp(prefix="exam-pdf-sweep-"))
    results: dict[str, list[dict[str, object]]] = {}
    try:
        print(f"== size sweep: scales {scales}, {args.repeat} run(s) each, load {os.getloadavg()[0]:.1f}")
        for name, make in makers.items():
            results[name] = sweep(name, make, scales, work, args.repeat, args.html)
            rows = results[name]
            print(
                f"{name:>16}: growth per doubling {per_doubling(rows, 'cpu'):.2f}x CPU, "
                f"{per_doubling(rows, 'wall'):.2f}x wall (2.0 = linear)",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.markdown:
        args.markdown.write_text(markdown(results, args.html))
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
