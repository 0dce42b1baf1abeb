"""The ``exam-pdf`` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from exam_pdf import __version__
from exam_pdf.editions import EDITION_CHOICES
from exam_pdf.errors import BuildError, ReportError

if TYPE_CHECKING:
    from exam_pdf.findings import Finding
    from exam_pdf.provenance import Submission

EXIT_INPUT = 2


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt, so that every ``finally`` runs
    (the TeX engine's process group is killed there) before exam-pdf exits."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


class _Group(click.Group):
    """Turn expected errors into one line on stderr and exit code 2; never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        import signal

        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            return super().invoke(ctx)
        except (ReportError, BuildError) as exc:
            _error(str(exc))
            ctx.exit(EXIT_INPUT)
        except KeyboardInterrupt:
            click.echo("exam-pdf: interrupted", err=True)
            ctx.exit(130)
        except _Terminated:
            click.echo("exam-pdf: terminated", err=True)
            ctx.exit(143)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:
            from exam_pdf.terminal import os_error_in, os_problem

            if os.environ.get("EXAM_PDF_DEBUG"):
                raise
            # A full disk, a read-only or missing folder: bad input, named by its path.
            found = os_error_in(exc)
            if found is not None:
                _error(os_problem(found))
            else:
                _error(f"{type(exc).__name__}: {exc} (set EXAM_PDF_DEBUG=1 for details)", "internal error")
            ctx.exit(EXIT_INPUT)
        finally:
            signal.signal(signal.SIGTERM, previous)


def _error(message: str, kind: str = "error") -> None:
    """``exam-pdf: error: ...`` on stderr, in one line whatever the message holds."""
    from exam_pdf.terminal import shown

    click.echo(f"exam-pdf: {kind}: {shown(message)}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exam-pdf")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Check, render and archive the exam report of DTU 02476 Machine Learning Operations.

    Colour only on a terminal, never with NO_COLOR set. Shell completion:
    eval "$(_EXAM_PDF_COMPLETE=bash_source exam-pdf)" (or zsh_source, fish_source).

    \b
    Example:
      exam-pdf check reports/ && exam-pdf build reports/
    """
    if os.environ.get("NO_COLOR"):  # https://no-color.org/: any non-empty value
        ctx.color = False


_SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "cyan"}


def _styled(text: str, ok: bool) -> str:
    """Colour the severities and the summary line of ``check``'s text output.

    Control characters quoted from the report are escaped first (see :mod:`exam_pdf.terminal`).

    click.echo drops the colour codes again when the output is not a terminal
    (or NO_COLOR is set, see :func:`main`).
    """
    import re

    from exam_pdf.terminal import shown

    lines = [shown(line) for line in text.split("\n")]
    for index, line in enumerate(lines):
        match = re.match(r"^(.+?:\d+: )(error|warning|info)( .*)$", line)
        if match:
            head, severity, rest = match.groups()
            lines[index] = head + click.style(severity, fg=_SEVERITY_COLOUR[severity], bold=True) + rest
    if lines:
        lines[-1] = click.style(lines[-1], fg="green" if ok else "red", bold=True)
    return "\n".join(lines)


report_argument = click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=True, file_okay=True))
edition_option = click.option(
    "--edition",
    type=click.Choice(EDITION_CHOICES),
    default="auto",
    show_default=True,
    help="Template edition whose checker limits apply.",
)


@main.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(path_type=Path, dir_okay=True, file_okay=True))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for programs (schema in the docs), github for annotations in GitHub Actions.",
)
@edition_option
@click.option("--strict", is_flag=True, help="Warnings count as errors for the exit code.")
@click.option("-q", "--quiet", is_flag=True, help="Text format: the findings and the summary line, no table.")
@click.option(
    "--from-files",
    is_flag=True,
    help="PATHs are changed files (as pre-commit passes them): check the report of each reports/ folder they "
    "lie in, once; with none, the report in the current folder.",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The exam office's roster (CSV, as for collect): compare the group number and study numbers with it.",
)
@click.option(
    "--group",
    metavar="N",
    help="With --roster: the roster's group this report is [default: the number in question 1].",
)
def check(
    paths: tuple[Path, ...],
    output_format: str,
    edition: str,
    strict: bool,
    quiet: bool,
    from_files: bool,
    roster: Path | None,
    group: str | None,
) -> None:
    """Check a report against its edition's rules.

    PATH is the report's README.md or its folder (default: the current folder). Several
    PATHs (as pre-commit passes them) are checked one after the other; the exit code is
    the worst. Exit code 0 means no errors, 1 rules are broken, 2 the file is not a
    readable report.

    With --roster, the report's group number (question 1) and study numbers
    (question 2) are compared with the roster's row for its group (--group, else the
    number in question 1): roster-group, roster-student-unknown, roster-student-missing.

    \b
    Example:
      exam-pdf check reports/README.md --format github
      exam-pdf check submissions/7 --roster roster.csv --group 7
    """
    from exam_pdf.formats import FORMATTERS, as_text, display_path
    from exam_pdf.pipeline import check_report, load_report

    if from_files:
        paths = reports_of(paths)
    if output_format == "json" and len(paths) > 1:
        raise click.UsageError("--format json takes one PATH (one JSON document per report)")
    if group is not None and roster is None:
        raise click.UsageError("--group names a group of the --roster: give --roster too")
    if group is not None and len(paths) > 1:
        raise click.UsageError("--group takes one PATH (the group's report)")
    rows = _roster_rows(roster) if roster is not None else None
    code = 0
    for index, path in enumerate(paths or (None,)):
        report = load_report(path, edition)
        if rows is not None and roster is not None and report.questions:
            report.submission = _roster_row(rows, group or report.group, roster, display_path(report.path))
        result = check_report(report)
        if not result.report.questions:
            raise ReportError(
                f"{display_path(result.report.path)}: no '### Question N' sections found; is this the exam report?"
            )
        if output_format == "text":
            text = as_text(result, table=not quiet)
            if len(paths) > 1:  # say which report each table is about
                text = f"{'' if index == 0 else chr(10)}== {display_path(result.report.path)}\n{text}"
            click.echo(_styled(text, result.exit_code(strict) == 0))
        else:
            click.echo(FORMATTERS[output_format](result))
        code = max(code, result.exit_code(strict))
    sys.exit(code)


def _roster_rows(roster: Path) -> dict[str, list[str]]:
    """Each group of the roster with its students (the first row of a group listed twice)."""
    from exam_pdf.collect.roster import read_roster

    rows: dict[str, list[str]] = {}
    for row in read_roster(roster):
        if row.group is not None:
            rows.setdefault(row.group, row.students)
    return rows


def _roster_row(rows: dict[str, list[str]], group: str | None, roster: Path, report: str) -> Submission:
    from exam_pdf.provenance import Submission

    if group is None:
        raise ReportError(f"{report}: question 1 gives no group number: name the roster's group with --group")
    number = str(int(group)) if group.isdigit() else group
    if number not in rows:
        raise ReportError(f"{report}: group {group} is not on the roster {roster}; name the group with --group")
    return Submission(group=number, students=tuple(rows[number]))


def reports_of(changed: tuple[Path, ...]) -> tuple[Path, ...]:
    """The ``reports/`` folders (any case) that changed files lie in, each once, in order."""
    folders: dict[Path, None] = {}
    for path in changed:
        for folder in (path, *path.parents) if path.is_dir() else path.parents:
            if folder.name.lower() == "reports":
                folders.setdefault(folder)
                break
    return tuple(folders)


def _build_options(function):
    function = click.option(
        "--out",
        "out",
        type=click.Path(path_type=Path, file_okay=False),
        help="Folder for the output (default: beside the README).",
    )(function)
    function = click.option("--no-notes", is_flag=True, help="Leave out status notes and summary (a clean copy).")(
        function
    )
    function = click.option(
        "--cache-dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Folder for intermediate files (default: .exam-pdf-cache beside the README).",
    )(function)
    function = click.option(
        "--repo-url",
        callback=_repo_url,
        metavar="URL",
        help="The group's GitHub repository, for links that leave the report folder "
        "(default: the git remote of the repository above it).",
    )(function)
    return edition_option(function)


#: Only the commands that run TeX offer its time limit.
timeout_option = click.option(
    "--timeout", type=float, default=120, show_default=True, help="Seconds the TeX engine may run."
)


def _writable(folder: Path, hint: str = "") -> None:
    """Fail now, before any build, when nothing can be written to ``folder`` (created later if missing).

    A real probe (a file made and removed in the folder, or in the nearest folder
    that exists), so the answer is the one the build would get.
    """
    import tempfile

    from exam_pdf.terminal import os_reason

    probe = folder
    while not probe.exists() and probe != probe.parent and not probe.is_symlink():
        probe = probe.parent
    problem = None
    if probe.exists() and not probe.is_dir():
        problem = f"{probe} is a file, not a folder" if probe != folder else "it is a file, not a folder"
    else:
        try:
            handle, name = tempfile.mkstemp(prefix=".exam-pdf-probe-", dir=probe)
            os.close(handle)
            os.unlink(name)
        except OSError as exc:
            problem = os_reason(exc)
    if problem:
        raise BuildError(f"cannot write to {folder}: {problem}{hint}")


def _repo_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    from exam_pdf.links import web_address

    if value is None:
        return ""
    address = web_address(value)
    if address is None:
        raise click.BadParameter(f"{value!r} is not a GitHub repository (https://github.com/OWNER/NAME)")
    return address


def _run_build(
    path: Path | None,
    out: Path | None,
    no_notes: bool,
    cache_dir: Path | None,
    edition: str,
    timeout: float,
    html: bool,
    pdf: bool,
    repo_url: str = "",
) -> None:
    from exam_pdf.builders import build_html, build_pdf, default_work_dir, ensure_writable
    from exam_pdf.formats import display_path, finding_line, summary_line
    from exam_pdf.pipeline import CheckResult, load_report
    from exam_pdf.source import locate_report, read_source
    from exam_pdf.terminal import os_reason, shown

    report_path = locate_report(path)  # as typed: every message names it so
    source = read_source(report_path)
    if not load_report(report_path, edition).questions:
        raise ReportError(f"{report_path}: no '### Question N' sections found; is this the exam report?")
    folder = out or report_path.parent
    _writable(folder, "" if out else " (the outputs go beside the README; choose another folder with --out)")
    for name, wanted in (("report.html", html), ("report.pdf", pdf)):
        if wanted:
            ensure_writable(folder / name)  # before any build: not the HTML written, then an error
    work = cache_dir or default_work_dir(source.path)
    _writable(work, " (the folder for intermediate files; choose another with --cache-dir)")
    result: CheckResult | None = None
    extra: list[Finding] = []
    written = []
    try:
        if html:
            page, result = build_html(
                source, folder / "report.html", work, notes=not no_notes, edition=edition, repo_url=repo_url
            )
            written.append(page)
        if pdf:
            document, result, extra = build_pdf(
                source,
                folder / "report.pdf",
                work,
                notes=not no_notes,
                edition=edition,
                timeout=timeout,
                fresh=not html,
                repo_url=repo_url,
            )
            written.append(document)
    except OSError as exc:
        if exc.filename is not None:
            raise
        # write() says "no space left" without a file name: name the folders written to.
        raise BuildError(f"{os_reason(exc)} (writing to {folder} and {display_path(work)})") from None
    assert result is not None
    for finding in sorted(result.findings + extra, key=lambda f: f.sort_key):
        click.echo(shown(finding_line(result, finding)))
    for item in written:
        click.echo(f"wrote {shown(item)}")
    click.echo(summary_line(result))
    # A fallback PDF (LaTeX failed) is an error of the build, beside the check's.
    sys.exit(max(result.exit_code(), 1 if any(f.rule.id == "pdf-fallback" for f in extra) else 0))


@main.command()
@report_argument
@_build_options
def html(
    path: Path | None, out: Path | None, no_notes: bool, cache_dir: Path | None, edition: str, repo_url: str
) -> None:
    """Build report.html: one page, opens offline, status note on every question.

    \b
    Example:
      exam-pdf html reports/ --out public/
    """
    _run_build(path, out, no_notes, cache_dir, edition, 0, html=True, pdf=False, repo_url=repo_url)


@main.command()
@report_argument
@_build_options
@timeout_option
def pdf(
    path: Path | None,
    out: Path | None,
    no_notes: bool,
    cache_dir: Path | None,
    edition: str,
    timeout: float,
    repo_url: str,
) -> None:
    """Build report.pdf through Sphinx's LaTeX builder and xelatex.

    \b
    Example:
      exam-pdf pdf reports/README.md --no-notes
    """
    _run_build(path, out, no_notes, cache_dir, edition, timeout, html=False, pdf=True, repo_url=repo_url)


@main.command()
@report_argument
@_build_options
@timeout_option
def build(
    path: Path | None,
    out: Path | None,
    no_notes: bool,
    cache_dir: Path | None,
    edition: str,
    timeout: float,
    repo_url: str,
) -> None:
    """Check, then build report.html and report.pdf beside the README (or in --out).

    \b
    Example:
      exam-pdf build reports/
    """
    _run_build(path, out, no_notes, cache_dir, edition, timeout, html=True, pdf=True, repo_url=repo_url)


@main.command()
@click.argument("pdf_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--source",
    metavar="PATH|REPO",
    help="Compare the embedded files with the sources: the group folder, the report's folder or its README on "
    "disk, as for check; or, for a PDF that names its commit (batch over collect's output), the repository "
    "(URL or folder) at that commit.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A batch manifest.json to compare the PDF's SHA-256 with.",
)
def verify(pdf_file: Path, source: str | None, manifest: Path | None) -> None:
    """Check that an archived report PDF is exactly what exam-pdf sealed.

    Every page, embedded file and metadata entry is compared with the seal written
    when the PDF was made; each difference is named. Exit 0 intact, 1 something
    differs (TAMPERED), 2 not sealed (a PDF exam-pdf did not make, or made before the
    seal: nothing could be verified) or not a readable PDF.

    \b
    Example:
      exam-pdf verify archive/42/report.pdf --source groups/42
      exam-pdf verify archive/42/report.pdf --source https://github.com/org/group-42.git
    """
    from exam_pdf.terminal import shown
    from exam_pdf.verify import NOT_SEALED
    from exam_pdf.verify import verify as run

    result = run(pdf_file, source, manifest)
    for match in result.matches:
        click.echo(shown(f"{pdf_file}: {match}"))
    for problem in result.problems:
        click.echo(shown(f"{pdf_file}: {problem}"))
    for note in result.notes:
        click.echo(f"{pdf_file}: note: {note}")
    verdict = result.verdict
    if verdict == NOT_SEALED:
        verdict += " (nothing was verified)"
    click.echo(f"{pdf_file}: {verdict}")
    sys.exit(result.exit_code)


@main.command()
@click.argument("pdf_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write to.")
def extract(pdf_file: Path, out: Path) -> None:
    """Restore the README and figures embedded in an archived report PDF.

    Every embedded path must resolve inside --out (one written as
    ../reports/figures/a.png does when --out is a folder named reports);
    if one does not, nothing is written.

    \b
    Example:
      exam-pdf extract report.pdf --out restored/ && exam-pdf pdf restored/
    """
    from exam_pdf.verify import extract as run

    for path in run(pdf_file, out):
        click.echo(f"wrote {path}")


@main.command()
@report_argument
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port; 0 picks a free one."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it local).")
@click.option("--no-notes", is_flag=True, help="Leave out status notes and summary.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for intermediate files (default: .exam-pdf-cache beside the README).",
)
@edition_option
def preview(path: Path | None, port: int, host: str, no_notes: bool, cache_dir: Path | None, edition: str) -> None:
    """Serve the report's HTML on localhost and rebuild it when the README or a figure changes.

    The page in the browser reloads itself after each rebuild. Ctrl-C stops the server.

    \b
    Example:
      exam-pdf preview reports/ --port 8001
    """
    from exam_pdf.builders import default_work_dir
    from exam_pdf.preview import check_port, serve
    from exam_pdf.source import locate_report, read_source
    from exam_pdf.terminal import shown

    readme = locate_report(path)
    read_source(readme)  # not a readable report: exit 2 now, not a server showing an error

    check_port(host, port)  # before the work folder is made beside the report
    work = cache_dir or default_work_dir(readme.resolve())
    _writable(work, " (the folder for intermediate files; choose another with --cache-dir)")

    def log(line: str) -> None:
        click.echo(shown(line))

    serve(readme, work, host, port, edition, not no_notes, log)


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int]:
    if value is None:
        return (1, 1)
    try:
        index, count = (int(part) for part in value.split("/"))
    except ValueError:
        raise click.BadParameter("use i/N, e.g. 1/4") from None
    if not 1 <= index <= count:
        raise click.BadParameter(f"i must be between 1 and N, got {value}")
    return (index, count)


@main.command()
@click.argument("root", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output folder.")
@click.option("-j", "--jobs", type=click.IntRange(1), default=None, help="Reports built at once [default: CPU count].")
@click.option("--timeout", type=float, default=120, show_default=True, help="Seconds one report may take.")
@click.option("--force", is_flag=True, help="Rebuild every report, even unchanged ones.")
@click.option(
    "--shard",
    callback=_shard,
    metavar="i/N",
    help="Build only the i-th of N shares of the groups (by folder name: the share collect --shard i/N fetches).",
)
@click.option("--no-notes", is_flag=True, help="Leave out status notes and summary.")
@click.option(
    "--state",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the batch's own build state [default: in the user's cache, one per --out folder].",
)
@edition_option
def batch(
    root: Path,
    out: Path,
    jobs: int | None,
    timeout: float,
    force: bool,
    shard: tuple[int, int],
    no_notes: bool,
    state: Path | None,
    edition: str,
) -> None:
    """Archive every group's report under ROOT into OUT, with a manifest and an overview.

    ROOT holds one folder per group with reports/README.md (or a README.md that is
    the report). OUT gets <group>/report.pdf and report.html per group, manifest.json,
    summary.csv and index.html, and nothing else: the builds kept for reruns live
    in --state. Unchanged reports are not rebuilt. Exit 0 when every report was
    built (with or without findings), 1 when some failed or got only a fallback PDF
    (LaTeX failed; the PDF holds the report as plain text).

    Over the output of collect (ROOT has collect.json), each group's commit and
    repository go into the manifest, summary, overview and PDF, the roster's group and
    study numbers are checked against the report, and a group collect could not
    collect is a failed row with its reason.

    \b
    Example:
      exam-pdf batch submissions/ --out archive/ -j 4
      exam-pdf batch submissions/ --out part1/ --shard 1/2   # on two machines,
      exam-pdf merge archive/ part1/ part2/                  # then join them
    """
    from exam_pdf.batch import Progress, run_batch, state_folder
    from exam_pdf.dates import source_date_epoch
    from exam_pdf.formats import count
    from exam_pdf.terminal import shown

    source_date_epoch()  # a malformed SOURCE_DATE_EPOCH is one line now, not a failed row per report

    _writable(out)
    if state is None:
        state = state_folder(out)
        _writable(state, " (the batch's build state; choose another folder with --state)")
    else:
        _writable(state)

    total = [0]
    seen = [0]
    bar = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=1, label="building", file=sys.stderr)

    def start(count: int) -> None:
        total[0] = count
        if bar is not None:
            bar.length = max(count, 1)
            bar.render_progress()

    def report(entry: dict[str, object], cached: bool) -> None:
        seen[0] += 1
        if bar is not None:
            bar.update(1)
            return
        how = "cached" if cached else f"{entry['build_seconds']:.1f} s"
        reason = f": {_reason_of(entry)}" if entry.get("reason") else ""
        click.echo(shown(f"[{seen[0]}/{total[0]}] {entry['status']:<8} {entry['source']} ({how}){reason}"))

    def note(message: str) -> None:
        click.echo(f"note: {shown(message)}", err=True)

    outcome = run_batch(
        root,
        out,
        jobs or os.cpu_count() or 1,
        timeout=timeout,
        force=force,
        shard=shard,
        notes=not no_notes,
        edition=edition,
        progress=Progress(start, report, note),
        state=state,
    )
    if bar is not None:
        bar.render_finish()
    totals = outcome.manifest["totals"]
    for entry in outcome.manifest["reports"]:
        if entry["status"] in ("failed", "fallback"):
            click.echo(shown(f"{entry['status']}: {entry['source']}: {_reason_of(entry)}"), err=True)
    if any("log: work/" in (entry["reason"] or "") for entry in outcome.manifest["reports"]):
        click.echo(f"note: the logs named above (work/...) are in {shown(state)}", err=True)
    for skipped in outcome.manifest["skipped"]:
        click.echo(shown(f"skipped: {skipped['folder']}: {skipped['reason']}"))
    click.echo(
        f"{count(totals['reports'], 'report')}: {totals['ok']} ok, {totals['findings']} with findings, "
        f"{totals.get('fallback', 0)} fallback, {totals['failed']} failed, {totals['skipped']} skipped; "
        f"{outcome.built} built, {outcome.cached} cached in {outcome.seconds:.1f} s"
    )
    click.echo(f"overview: {shown(out / 'index.html')}")
    sys.exit(1 if outcome.failed or totals.get("fallback") else 0)


def _reason_of(entry: dict[str, object]) -> str:
    """A batch entry's reason without the report's path in front, where the line names it already."""
    reason, prefix = str(entry.get("reason") or ""), f"{entry['source']}:"
    return reason[len(prefix) :].lstrip() if reason.startswith(prefix) else reason


@main.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.argument("parts", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False, exists=True))
def merge(out: Path, parts: tuple[Path, ...]) -> None:
    """Join the output folders of sharded batches into OUT: one manifest, summary and overview.

    \b
    Example:
      exam-pdf merge archive/ part1/ part2/
    """
    from exam_pdf.batch import merge as run
    from exam_pdf.formats import count
    from exam_pdf.terminal import shown

    _writable(out)
    data = run(out, list(parts))
    totals = data["totals"]
    click.echo(
        f"{count(totals['reports'], 'report')} from {count(len(parts), 'folder')}: {totals['ok']} ok, "
        f"{totals['findings']} with findings, {totals.get('fallback', 0)} fallback, {totals['failed']} failed, "
        f"{totals['skipped']} skipped"
    )
    click.echo(f"overview: {shown(out / 'index.html')}")
    sys.exit(1 if totals["failed"] or totals.get("fallback") else 0)


@main.command()
@click.argument("source", metavar="ARCHIVE_OR_TREE", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="The site's folder.")
@click.option("-j", "--jobs", type=click.IntRange(1), default=1, show_default=True, help="Pages Sphinx reads at once.")
@click.option(
    "--state",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the site's Sphinx project and environment [default: in the user's cache, one per --out folder].",
)
def site(source: Path, out: Path, jobs: int, state: Path | None) -> None:
    """Build one HTML site of a cohort's reports: overview, a page per group and per question, search.

    ARCHIVE_OR_TREE is the output of batch (the reports are read from the sources
    embedded in its PDFs) or a folder of group folders, as batch reads. The site has an
    overview of the groups (click a heading to sort), each group's report with its notes
    and figures, a page per question with every group's answer in group order (words,
    images, status) and a search over all of it; it opens from disk, offline. A second
    run builds again only the groups that changed and the pages that list them. Exit 0
    when every group has a page, 1 when some have none (named on stderr).

    \b
    Example:
      exam-pdf site archive/ --out site/    (archive/: what `exam-pdf batch` wrote)
    """
    from exam_pdf.site import build_site, project_folder
    from exam_pdf.terminal import shown

    _writable(out)
    state = state or project_folder(out)
    _writable(state, " (the site's Sphinx project; choose another folder with --state)")
    outcome = build_site(source, out, jobs, state)
    for group in outcome.failed:
        click.echo(shown(f"no page: {group.source}: {group.reason}"), err=True)
    pages = len(outcome.groups) - len(outcome.failed)
    click.echo(
        f"{pages} group pages; {outcome.read} pages read, {len(outcome.written)} written in {outcome.seconds:.1f} s"
    )
    click.echo(f"site: {shown(out / 'index.html')}")
    sys.exit(1 if outcome.failed else 0)


@main.command()
@click.argument("roster", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--deadline", required=True, help="ISO 8601 time with its zone, e.g. 2026-01-24T23:59:59+01:00.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output folder.")
@click.option("--branch", help="Branch to collect [default: each repository's default branch].")
@click.option(
    "-j", "--jobs", type=click.IntRange(1), default=4, show_default=True, help="Repositories fetched at once."
)
@click.option("--timeout", type=float, default=120, show_default=True, help="Seconds one repository may take.")
@click.option(
    "--max-size", type=click.IntRange(1), default=200, show_default=True, help="MB one repository's fetch may add."
)
@click.option(
    "--state",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the repositories' mirrors [default: the user cache's exam-pdf/collect].",
)
@click.option(
    "--shard",
    callback=_shard,
    metavar="i/N",
    help="Collect only the i-th of N shares of the groups (the share batch --shard i/N builds).",
)
def collect(
    roster: Path,
    deadline: str,
    out: Path,
    branch: str | None,
    jobs: int,
    timeout: float,
    max_size: int,
    state: Path | None,
    shard: tuple[int, int],
) -> None:
    """Fetch every group's reports/ folder from its repository as it was at the deadline.

    ROSTER is a CSV file with a header: group_number, student_1 ... student_5, repo_url
    (group and repo/url work too). For each group, the last commit on the branch whose
    committer date is not after --deadline is taken; OUT/<group>/reports/ gets its
    reports/ folder and OUT/<group>/submission.json the commit, its date and the commits
    after the deadline. No code of a repository is run. OUT/collect.json lists every
    group. With --shard i/N, only the groups of the share batch --shard i/N builds.
    Exit 0 when every group was collected, 1 when some failed, 2 for a bad roster or
    deadline.

    \b
    Example:
      exam-pdf collect roster.csv --deadline 2026-01-24T23:59:59+01:00 --out submissions/
      exam-pdf batch submissions/ --out archive/
    """
    from exam_pdf.collect import Options, parse_deadline, run_collect
    from exam_pdf.collect.repository import plain_branch
    from exam_pdf.formats import count

    if branch is not None and not plain_branch(branch):
        raise click.BadParameter(f"{branch!r} is not a plain branch name", param_hint="--branch")
    from exam_pdf.usercache import user_cache

    if not roster.is_file():
        raise ReportError(f"{roster}: no such roster file")
    options = Options(
        deadline=parse_deadline(deadline),
        out=out,
        state=state or user_cache("collect"),
        branch=branch,
        jobs=jobs,
        timeout=timeout,
        max_bytes=max_size * 1_000_000,
        shard=shard,
    )
    bar = click.progressbar(length=1, label="collecting", file=sys.stderr) if sys.stderr.isatty() else None
    seen = [0]

    def progress(result: dict[str, object]) -> None:
        seen[0] += 1
        if bar is not None:
            bar.update(1)
        else:
            click.echo(f"[{seen[0]}] {result['status']:<9} {_collect_name(result)}")

    if bar is not None:
        from exam_pdf.collect import in_shard
        from exam_pdf.collect.roster import read_roster

        bar.length = max(1, sum(in_shard(row, shard) for row in read_roster(roster)))
        bar.render_progress()
    summary = run_collect(roster, options, progress)
    if bar is not None:
        bar.render_finish()
    for result in summary["groups"]:
        late = result.get("late_commits")
        if result["status"] == "collected":
            detail = f"{str(result['commit'])[:12]} {result['commit_date']}"
            if late:
                detail += f"; {count(late['count'], 'commit')} after the deadline, the last dated {late['last_date']}"
            for warning in result.get("warnings") or []:
                detail += f"; {warning}"
        else:
            detail = str(result["reason"])
        click.echo(f"{_collect_name(result):<12} {result['status']:<9} {detail}")
    totals = summary["totals"]
    click.echo(
        f"{totals['groups']} groups: {totals['collected']} collected ({totals['late']} with late commits), "
        f"{totals['failed']} failed; summary: {out / 'collect.json'}"
    )
    sys.exit(1 if totals["failed"] else 0)


def _collect_name(result: dict[str, object]) -> str:
    return f"group {result['group']}" if result.get("group") else f"line {result['line']}"


def _add_grading_commands() -> None:
    from exam_pdf.grading.commands import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_add_grading_commands()
