"""The ``exam-pdf`` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from exam_pdf import __version__
from exam_pdf.editions import EDITION_CHOICES
from exam_pdf.errors import BuildError, ReportError

EXIT_INPUT = 2


class _Group(click.Group):
    """Turn expected errors into one line on stderr and exit code 2; never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (ReportError, BuildError) as exc:
            click.echo(f"exam-pdf: error: {exc}", err=True)
            ctx.exit(EXIT_INPUT)
        except KeyboardInterrupt:
            click.echo("exam-pdf: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:
            if os.environ.get("EXAM_PDF_DEBUG"):
                raise
            click.echo(
                f"exam-pdf: internal error: {type(exc).__name__}: {exc} (set EXAM_PDF_DEBUG=1 for details)", err=True
            )
            ctx.exit(EXIT_INPUT)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exam-pdf")
def main() -> None:
    """Check, render and archive the exam report of DTU 02476 Machine Learning Operations."""


report_argument = click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=True, file_okay=True))
edition_option = click.option(
    "--edition",
    type=click.Choice(EDITION_CHOICES),
    default="auto",
    show_default=True,
    help="Template edition whose checker limits apply.",
)


@main.command()
@report_argument
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text", show_default=True
)
@edition_option
@click.option("--strict", is_flag=True, help="Warnings count as errors for the exit code.")
def check(path: Path | None, output_format: str, edition: str, strict: bool) -> None:
    """Check a report against its edition's rules.

    PATH is the report's README.md or its folder (default: the current folder).
    Exit code 0 means no errors, 1 rules are broken, 2 the file is not a readable report.

    \b
    Example:
      exam-pdf check reports/README.md --format github
    """
    from exam_pdf.formats import FORMATTERS
    from exam_pdf.pipeline import check_path

    result = check_path(path, edition)
    if not result.report.questions:
        raise ReportError(f"{result.report.path.name}: no '### Question N' sections found; is this the exam report?")
    click.echo(FORMATTERS[output_format](result))
    sys.exit(result.exit_code(strict))


def _build_options(function):  # type: ignore[no-untyped-def]
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
        "--timeout", type=float, default=120, show_default=True, help="Seconds the TeX engine may run."
    )(function)
    return edition_option(function)


def _run_build(
    path: Path | None,
    out: Path | None,
    no_notes: bool,
    cache_dir: Path | None,
    edition: str,
    timeout: float,
    html: bool,
    pdf: bool,
) -> None:
    from exam_pdf.builders import build_html, build_pdf, default_work_dir
    from exam_pdf.formats import finding_line, summary_line
    from exam_pdf.pipeline import CheckResult, load_report
    from exam_pdf.source import locate_report, read_source

    report_path = locate_report(path)
    source = read_source(report_path)
    if not load_report(report_path, edition).questions:
        raise ReportError(f"{report_path.name}: no '### Question N' sections found; is this the exam report?")
    folder = out or source.folder
    work = cache_dir or default_work_dir(source.path)
    result: CheckResult | None = None
    extra = []
    written = []
    if html:
        page, result = build_html(source, folder / "report.html", work, notes=not no_notes, edition=edition)
        written.append(page)
    if pdf:
        document, result, extra = build_pdf(
            source, folder / "report.pdf", work, notes=not no_notes, edition=edition, timeout=timeout, fresh=not html
        )
        written.append(document)
    assert result is not None
    for finding in sorted(result.findings + extra, key=lambda f: f.sort_key):
        click.echo(finding_line(result, finding))
    for item in written:
        click.echo(f"wrote {item}")
    click.echo(summary_line(result))
    sys.exit(result.exit_code())


@main.command()
@report_argument
@_build_options
def html(
    path: Path | None, out: Path | None, no_notes: bool, cache_dir: Path | None, edition: str, timeout: float
) -> None:
    """Build report.html: one page, opens offline, status note on every question.

    \b
    Example:
      exam-pdf html reports/ --out public/
    """
    _run_build(path, out, no_notes, cache_dir, edition, timeout, html=True, pdf=False)


@main.command()
@report_argument
@_build_options
def pdf(
    path: Path | None, out: Path | None, no_notes: bool, cache_dir: Path | None, edition: str, timeout: float
) -> None:
    """Build report.pdf through Sphinx's LaTeX builder and xelatex.

    \b
    Example:
      exam-pdf pdf reports/README.md --no-notes
    """
    _run_build(path, out, no_notes, cache_dir, edition, timeout, html=False, pdf=True)


@main.command()
@report_argument
@_build_options
def build(
    path: Path | None, out: Path | None, no_notes: bool, cache_dir: Path | None, edition: str, timeout: float
) -> None:
    """Check, then build report.html and report.pdf beside the README (or in --out).

    \b
    Example:
      exam-pdf build reports/
    """
    _run_build(path, out, no_notes, cache_dir, edition, timeout, html=True, pdf=True)


@main.command()
@click.argument("pdf_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--source", type=click.Path(path_type=Path, file_okay=False), help="Compare with the sources on disk.")
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A batch manifest.json to compare the PDF's SHA-256 with.",
)
def verify(pdf_file: Path, source: Path | None, manifest: Path | None) -> None:
    """Check that an archived report PDF is intact.

    Exit 0 intact, 1 something differs (each difference is named), 2 not an exam-pdf PDF.

    \b
    Example:
      exam-pdf verify archive/42/report.pdf --source groups/42/reports
    """
    from exam_pdf.verify import problems

    found = problems(pdf_file, source, manifest)
    for problem in found:
        click.echo(f"{pdf_file}: {problem}")
    click.echo(f"{pdf_file}: {'TAMPERED or different' if found else 'intact'}")
    sys.exit(1 if found else 0)


@main.command()
@click.argument("pdf_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write to.")
def extract(pdf_file: Path, out: Path) -> None:
    """Restore the README and figures embedded in an archived report PDF.

    \b
    Example:
      exam-pdf extract report.pdf --out restored/ && exam-pdf pdf restored/
    """
    from exam_pdf.verify import extract as run

    for path in run(pdf_file, out):
        click.echo(f"wrote {path}")
