"""The ``exam-pdf`` command line."""

from __future__ import annotations

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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exam-pdf")
def main() -> None:
    """Check, render and archive the exam report of DTU 02476 Machine Learning Operations."""


report_argument = click.argument(
    "path", required=False, type=click.Path(path_type=Path, dir_okay=True, file_okay=True)
)
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
