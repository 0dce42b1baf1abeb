"""Reference pages generated from exam-pdf's code, so the manual cannot drift from it.

Directives (usable in MyST as ```` ```{exam-pdf-rules} ````):

``exam-pdf-rules``
    one section per rule of :data:`exam_pdf.rules.RULES`: id, severity, summary, explanation.
``exam-pdf-cli``
    one section per command of the click group :func:`exam_pdf.cli.main`, with its ``--help``.
``exam-pdf-editions``
    a table of the template editions in :data:`exam_pdf.editions.PROFILES`.
``exam-pdf-json-example``
    the real ``check --format json`` output for a small report written in the directive's body.
``exam-pdf-config-values``
    a table of the ``exam_pdf_*`` configuration values the Sphinx extension registers.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import click
from docutils import nodes
from docutils.parsers.rst import Directive

_INLINE = re.compile(r"``(.+?)``|\*(.+?)\*")


def inline(text: str) -> list[nodes.Node]:
    """The rule texts' small markup: ``code`` and *emphasis*; everything else is plain text."""
    found: list[nodes.Node] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            found.append(nodes.Text(text[position : match.start()]))
        if match.group(1) is not None:
            found.append(nodes.literal(match.group(1), match.group(1)))
        else:
            found.append(nodes.emphasis(match.group(2), match.group(2)))
        position = match.end()
    if position < len(text):
        found.append(nodes.Text(text[position:]))
    return found


def _section(directive: Directive, ident: str, title: list[nodes.Node]) -> nodes.section:
    section = nodes.section(ids=[ident], names=[ident])
    section += nodes.title("", "", *title)
    directive.state.document.note_implicit_target(section, section)
    return section


def _table(head: list[str], rows: list[list[list[nodes.Node]]], widths: list[int]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(head))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    thead = nodes.thead()
    group += thead
    row = nodes.row()
    for heading in head:
        row += nodes.entry("", nodes.paragraph("", heading))
    thead += row
    tbody = nodes.tbody()
    group += tbody
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            row += nodes.entry("", nodes.paragraph("", "", *cell))
        tbody += row
    return table


class RulesDirective(Directive):
    """Every rule of the registry, in registry order, each a section with anchor ``rule-<id>``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from exam_pdf.rules import RULES

        overview = _table(
            ["Rule", "Severity", "Summary"],
            [
                [
                    [nodes.reference("", "", nodes.literal(r.id, r.id), refid=f"rule-{r.id}")],
                    [nodes.Text(r.severity.value)],
                    inline(r.summary),
                ]
                for r in RULES.values()
            ],
            [25, 10, 65],
        )
        found: list[nodes.Node] = [overview]
        for rule in RULES.values():
            section = _section(self, f"rule-{rule.id}", [nodes.literal(rule.id, rule.id)])
            fields = nodes.field_list()
            for name, value in (("Severity", [nodes.Text(rule.severity.value)]), ("Summary", inline(rule.summary))):
                fields += nodes.field(
                    "", nodes.field_name("", name), nodes.field_body("", nodes.paragraph("", "", *value))
                )
            section += fields
            section += nodes.paragraph("", "", *inline(rule.explanation))
            found.append(section)
        return found


def command_help(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    """The ``--help`` text of a command, as a terminal 72 columns wide shows it (no colour)."""
    settings = {**command.context_settings, "terminal_width": 72, "max_content_width": 72}
    context = click.Context(command, info_name=name, parent=parent, **settings)
    return command.get_help(context)


def cli_commands() -> list[tuple[str, click.Command, str]]:
    """(full name, command, help text) for ``exam-pdf`` and each of its subcommands."""
    from exam_pdf.cli import main

    root = click.Context(main, info_name="exam-pdf", **{**main.context_settings, "terminal_width": 72})
    found: list[tuple[str, click.Command, str]] = [("exam-pdf", main, command_help(main, "exam-pdf"))]
    for name in main.list_commands(root):
        command = main.get_command(root, name)
        if command is not None and not command.hidden:
            found.append((f"exam-pdf {name}", command, command_help(command, name, root)))
    return found


class CliDirective(Directive):
    """``exam-pdf --help`` and every command's ``--help``, each a section with anchor ``cli-<name>``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        found: list[nodes.Node] = []
        for full, command, text in cli_commands():
            ident = "cli-" + full.replace(" ", "-")
            section = _section(self, ident, [nodes.literal(full, full)])
            summary = command.get_short_help_str(limit=200)
            if summary:
                section += nodes.paragraph("", summary)
            block = nodes.literal_block(text, text)
            block["language"] = "text"
            section += block
            found.append(section)
        return found


class EditionsDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from exam_pdf.editions import PROFILES

        rows = [
            [
                [nodes.literal(p.name, p.name)],
                [nodes.Text(p.label)],
                [nodes.Text(str(p.question_count))],
                inline(p.note or ""),
            ]
            for p in PROFILES.values()
        ]
        return [_table(["Name", "Template", "Questions", "Note"], rows, [15, 20, 10, 55])]


class JsonExampleDirective(Directive):
    """Check the Markdown in the directive's body and show ``check --format json``'s output."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        from exam_pdf.formats import as_json
        from exam_pdf.pipeline import check_path

        with tempfile.TemporaryDirectory() as folder:
            readme = Path(folder) / "README.md"
            readme.write_text("\n".join(self.content) + "\n", encoding="utf-8")
            text = as_json(check_path(readme))
        data = json.loads(text)
        data["source"] = "/home/student/course/reports/README.md"  # not the temporary folder
        text = json.dumps(data, indent=2, ensure_ascii=False)
        block = nodes.literal_block(text, text)
        block["language"] = "json"
        return [block]


def config_values() -> list[tuple[str, Any, str]]:
    """(name, default, rebuild) of each value ``exam_pdf.sphinxext.setup`` registers."""
    import exam_pdf.sphinxext

    found: list[tuple[str, Any, str]] = []

    class Recorder:
        def add_config_value(self, name: str, default: Any, rebuild: str, *args: Any, **kwargs: Any) -> None:
            found.append((name, default, rebuild))

        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: None

    exam_pdf.sphinxext.setup(Recorder())
    return found


class ConfigValuesDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        rows = [
            [[nodes.literal(name, name)], [nodes.literal(repr(default), repr(default))]]
            for name, default, _ in config_values()
        ]
        return [_table(["Configuration value", "Default"], rows, [40, 60])]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("exam-pdf-rules", RulesDirective)
    app.add_directive("exam-pdf-cli", CliDirective)
    app.add_directive("exam-pdf-editions", EditionsDirective)
    app.add_directive("exam-pdf-json-example", JsonExampleDirective)
    app.add_directive("exam-pdf-config-values", ConfigValuesDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
