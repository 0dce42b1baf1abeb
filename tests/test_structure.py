"""The report model built from odd but real report structures (issue 2, item 1).

Each case is a small report written here; the expected numbers (words, lines) are
derived from the fixture's own text in the test, never copied from exam-pdf's output.
Words are counted like the course's checker: whitespace tokens of the answer's Markdown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docutils import nodes

from exam_pdf.model import BoxState, Report
from exam_pdf.pipeline import CheckResult, check_report, load_report

INTRO = """\
# Exam template for 02476 Machine Learning Operations

This is the report template for the exam. Please only remove the text formatted as with three dashes
in front and behind like:

```--- question 1 fill here ---```

For questions where you are asked to include images, start by adding the image to the `figures`
subfolder and then add the following code in your answer:

`![my_image](figures/<image>.<extension>)`

## Overall project checklist

### Week 1

* [x] Create a git repository (M5)
* [ ] Use profiling to optimize your code (M12)
* [-] Setup version control for your data (M8)

### Week 2

* [X] Write unit tests related to the data part of your code (M16)
* [ ] Setup continuous integration on the GitHub repository (M17)

### Extra

* [-] Write some documentation for your application (M32)

## Group information

"""


def question(
    number: int,
    answer: str,
    prompt: str = "**Describe what you did and why.**",
    limit: str | None = "Answer length: 1-500 words.",
    marker: str = "> Answer:",
    blank_before_marker: bool = True,
) -> str:
    """One ``### Question N`` section shaped like the course's template."""
    lines = [f"### Question {number}", "", f"> {prompt}", ">"]
    if limit:
        lines += [f"> {limit}"]
        if blank_before_marker:
            lines += [">"]
    elif not blank_before_marker:
        lines.pop()
    lines += [marker, "", answer, ""]
    return "\n".join(lines) + "\n"


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based line of the first line at or after ``start`` that contains ``needle``."""
    for index, line in enumerate(text.split("\n"), 1):
        if index >= start and needle in line:
            return index
    raise AssertionError(f"{needle!r} not in text")


def write(tmp_path: Path, text: str, name: str = "README.md", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def load(tmp_path: Path, text: str, **kwargs: str) -> tuple[Report, CheckResult]:
    report = load_report(write(tmp_path, text, **kwargs))
    return report, check_report(report)


def answer_tree_text(report: Report, number: int) -> str:
    question = report.question(number)
    assert question is not None
    return " ".join(node.astext() for node in question.answer_nodes)


def rules_for(result: CheckResult, number: int | None) -> list[str]:
    return [f.rule.id for f in result.findings if f.question == number]


# --- answers that sit in or right after the prompt's quote -------------------------------------


def test_answer_on_the_line_after_quoted_marker(tmp_path: Path) -> None:
    """``> Answer:`` then ``> We used ...``: Markdown makes it part of the quote; it is still the answer."""
    body = "> We used PyTorch Lightning to cut boilerplate.\n> It also gave us logging for free."
    text = (
        INTRO + question(1, "42") + question(2, "s123456") + question(3, body).replace("> Answer:\n\n", "> Answer:\n")
    )
    report, result = load(tmp_path, text)
    q3 = report.question(3)
    assert q3 is not None
    assert q3.answer_marker_line == line_of(text, "> Answer:", q3.line)
    assert q3.answer_start == line_of(text, "We used PyTorch")
    assert q3.answer_end == line_of(text, "logging for free")
    assert q3.words == len(body.split())  # the '>' tokens count, as in the course's checker
    tree = answer_tree_text(report, 3)
    assert "We used PyTorch Lightning" in tree and "logging for free" in tree
    assert "PyTorch" not in q3.prompt
    assert q3.prompt.startswith("Describe what you did")
    assert "unanswered" not in rules_for(result, 3)


def test_answer_on_the_marker_line(tmp_path: Path) -> None:
    text = INTRO + question(1, "").replace("> Answer:\n", "> Answer: 42\n") + question(2, "s123456")
    report, result = load(tmp_path, text)
    q1 = report.question(1)
    assert q1 is not None
    assert q1.answer_text.strip() == "42"
    assert q1.answer_start == q1.answer_marker_line == line_of(text, "> Answer: 42")
    assert report.group == "42"
    assert "42" not in q1.prompt
    assert rules_for(result, 1) == []


def test_marker_without_blank_quote_line_before_it(tmp_path: Path) -> None:
    body = "We trained a small convolutional network on the images."
    text = INTRO + question(1, "42", blank_before_marker=False) + question(2, "s123456", blank_before_marker=False)
    text += question(3, body, blank_before_marker=False)
    assert "words.\n> Answer:" in text
    report, result = load(tmp_path, text)
    q3 = report.question(3)
    assert q3 is not None
    assert q3.answer_marker_line == line_of(text, "> Answer:", q3.line)
    assert q3.answer_text.strip() == body
    assert q3.words == len(body.split())
    assert q3.prompt_constraints.words is not None and q3.prompt_constraints.words.as_list() == [1, 500]
    assert "Answer:" not in q3.prompt
    assert result.errors == 0


def test_bold_marker(tmp_path: Path) -> None:
    body = "Hydra config files, one per experiment."
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, body, marker="> **Answer:**")
    report, _ = load(tmp_path, text)
    q3 = report.question(3)
    assert q3 is not None
    assert q3.answer_marker_line == line_of(text, "**Answer:**", q3.line)
    # The course's checker cuts after 'Answer:', so the closing '**' is one of its tokens too.
    assert q3.answer_text.split() == ["**", *body.split()]
    assert q3.answer_start == line_of(text, "Hydra config")


# --- rich answers ---------------------------------------------------------------------------------

RICH = """\
We structured the project like this:

```python
### Question 99 -- a heading in code is not a heading
def train():
    return 1
```

#### Data

- item one
- item two with `code`

| tool | use |
|------|-----|
| dvc  | data |

<details>
<summary>More</summary>
Hidden text inside html.
</details>

Final words here."""


def test_answer_with_code_list_table_subheading_and_html(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, RICH) + question(4, "Next answer.")
    report, result = load(tmp_path, text)
    assert [q.number for q in report.questions] == [1, 2, 3, 4]
    q3 = report.question(3)
    assert q3 is not None
    assert q3.answer_text.strip() == RICH
    assert q3.words == len(RICH.split())
    assert q3.answer_start == line_of(text, "We structured the project")
    assert q3.answer_end == line_of(text, "Final words here.")
    kinds = {type(node) for top in q3.answer_nodes for node in top.findall(nodes.Element)}
    assert {nodes.literal_block, nodes.bullet_list, nodes.table, nodes.raw, nodes.section} <= kinds
    tree = answer_tree_text(report, 3)
    for phrase in ("### Question 99", "item two", "dvc", "Hidden text inside html", "Final words here", "Data"):
        assert phrase in tree
    q4 = report.question(4)
    assert q4 is not None and q4.answer_text.strip() == "Next answer."
    assert q4.line == line_of(text, "### Question 4")
    assert "duplicate-question" not in rules_for(result, 99) and report.question(99) is None


THEMATIC = """\
First part of the answer.

---

Second part after a thematic break.

A paragraph with a dashed line under it
---
Text after the setext-looking line.

***

Last part."""


def test_dashes_inside_an_answer_cut_nothing(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, THEMATIC) + question(4, "Fourth.")
    report, result = load(tmp_path, text)
    assert [q.number for q in report.questions] == [1, 2, 3, 4]
    q3 = report.question(3)
    assert q3 is not None
    assert q3.answer_text.strip() == THEMATIC
    assert q3.words == len(THEMATIC.split())
    assert q3.answer_end == line_of(text, "Last part.")
    tree = answer_tree_text(report, 3)
    for phrase in ("First part", "Second part", "dashed line under it", "setext-looking", "Last part"):
        assert phrase in tree
    # The paragraph above the '---' stays a paragraph: no new section, no heading swallowed it.
    assert not any(isinstance(n, nodes.section) for n in q3.answer_nodes)
    assert sum(isinstance(n, nodes.transition) for n in q3.answer_nodes) >= 2
    # '---' alone on a line is a separator, not the template's '--- ... ---' marker.
    assert "template-marker-left" not in rules_for(result, 3)
    assert report.question(4) is not None and report.question(4).answer_text.strip() == "Fourth."


def test_dashes_right_after_the_answer_before_next_question(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, "Our answer.\n\n---") + question(4, "x")
    report, _ = load(tmp_path, text)
    q3 = report.question(3)
    assert q3 is not None and q3.answer_text.split() == ["Our", "answer.", "---"]
    assert q3.answer_end == line_of(text, "---", line_of(text, "Our answer."))


def test_answer_wrapped_in_template_dashes(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, "--- We used dvc for our data ---")
    report, result = load(tmp_path, text)
    assert report.question(3).words == len("--- We used dvc for our data ---".split())
    found = [f for f in result.findings if f.question == 3]
    assert [f.rule.id for f in found] == ["template-marker-left"]
    assert found[0].line == line_of(text, "--- We used dvc")


# --- the whole report's shape -----------------------------------------------------------------


def test_template_pasted_twice(tmp_path: Path) -> None:
    first = question(1, "42") + question(2, "s123456") + question(3, "First copy answer.")
    second = question(1, "--- question 1 fill here ---") + question(2, "--- question 2 fill here ---")
    second += question(3, "--- question 3 fill here ---")
    text = INTRO + first + "## Group information\n\n" + second
    report, result = load(tmp_path, text)
    assert [q.number for q in report.questions] == [1, 2, 3, 1, 2, 3]
    assert [q.number for q in report.answered_questions] == [1, 2, 3]
    assert report.question(3).answer_text.strip() == "First copy answer."
    duplicates = [f for f in result.findings if f.rule.id == "duplicate-question"]
    assert sorted(f.question for f in duplicates) == [1, 2, 3]
    second_start = text.rindex("## Group information\n\n###")
    second_lines = {n: text[:second_start].count("\n") + 1 for n in (1, 2, 3)}
    for finding in duplicates:
        assert finding.line == line_of(text, f"### Question {finding.question}", second_lines[finding.question])
    # The unanswered second copy is a duplicate, not three more unanswered questions.
    assert not [f for f in result.findings if f.rule.id == "unanswered"]


def test_missing_and_out_of_order_questions(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456") + question(5, "Five.") + question(3, "Three.")
    report, result = load(tmp_path, text)
    assert [q.number for q in report.questions] == [1, 2, 5, 3]
    assert report.question(5).answer_text.strip() == "Five."
    assert report.question(3).answer_text.strip() == "Three."
    missing = [f for f in result.findings if f.rule.id == "missing-question"]
    assert [f.question for f in missing] == [4]
    order = [f for f in result.findings if f.rule.id == "question-order"]
    assert [f.question for f in order] == [3]
    assert order[0].line == line_of(text, "### Question 3")


def test_windows_line_endings_give_the_same_model(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, RICH) + question(4, THEMATIC)
    unix, _ = load(tmp_path / "unix", text)
    windows, _ = load(tmp_path / "windows", text, newline="\r\n")
    assert windows.source.raw.count(b"\r\n") == text.count("\n")

    def shape(report: Report) -> list[tuple]:
        return [
            (q.number, q.line, q.answer_marker_line, q.answer_start, q.answer_end, q.words, q.answer_text)
            for q in report.questions
        ]

    assert shape(windows) == shape(unix)
    assert all("\r" not in q.answer_text for q in windows.questions)
    assert [(c.state, c.text, c.line) for c in windows.checklist] == [(c.state, c.text, c.line) for c in unix.checklist]


def test_intro_example_image_is_not_the_groups(tmp_path: Path) -> None:
    """The template's ``![my_image](figures/<image>.<extension>)`` sits in the intro, not in an answer."""
    text = INTRO.replace("`![my_image]", "![my_image]").replace("<extension>)`", "<extension>)")
    text += question(1, "42") + question(2, "s123456") + question(3, "No figure here.")
    assert "\n![my_image](figures/<image>.<extension>)\n" in text
    for variant, body in (("code-span", INTRO), ("bare", text.split("### Question 1")[0])):
        full = body + question(1, "42") + question(2, "s123456") + question(3, "No figure here.")
        report, result = load(tmp_path / variant, full)
        assert all(not q.images for q in report.questions), variant
        assert not [f for f in result.findings if f.rule.id.startswith("image-")], variant
        assert result.errors == 0, [f.message for f in result.findings]


def test_report_in_reports_readme_lowercase(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456")
    (tmp_path / "README.md").write_text("# Our project\n\nSee reports/.\n", encoding="utf-8")
    write(tmp_path, text, name="reports/readme.md")
    report = load_report(tmp_path)
    assert report.path == (tmp_path / "reports" / "readme.md").resolve()
    assert [q.number for q in report.questions] == [1, 2]
    assert report.source.folder == (tmp_path / "reports").resolve()


def test_question_headings_at_other_levels_and_titles(tmp_path: Path) -> None:
    text = INTRO + question(1, "42").replace("### Question 1", "## Question 1") + question(2, "s123456")
    text += question(3, "Three.").replace("### Question 3", "### Question 3: tools")
    report, _ = load(tmp_path, text)
    assert [q.number for q in report.questions] == [1, 2, 3]
    assert report.question(3).title == "Question 3: tools"


def test_no_answer_marker(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, "Our answer text.", marker=">")
    report, result = load(tmp_path, text)
    q3 = report.question(3)
    assert q3 is not None and q3.answer_marker_line is None
    assert q3.answer_text.strip() == "Our answer text."
    assert rules_for(result, 3) == ["answer-marker-missing"]


# --- the checklist ---------------------------------------------------------------------------


def test_checklist_items_under_their_week_headings(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "- [x] not a checklist item, an answer list\n\ns123456")
    report, _ = load(tmp_path, text)
    items = [(c.group, c.state, c.text, c.line) for c in report.checklist]
    assert items == [
        ("Week 1", BoxState.CHECKED, "Create a git repository (M5)", line_of(text, "* [x] Create")),
        ("Week 1", BoxState.UNCHECKED, "Use profiling to optimize your code (M12)", line_of(text, "* [ ] Use prof")),
        ("Week 1", BoxState.NOT_APPLICABLE, "Setup version control for your data (M8)", line_of(text, "* [-] Setup")),
        (
            "Week 2",
            BoxState.CHECKED,
            "Write unit tests related to the data part of your code (M16)",
            line_of(text, "* [X]"),
        ),
        (
            "Week 2",
            BoxState.UNCHECKED,
            "Setup continuous integration on the GitHub repository (M17)",
            line_of(text, "* [ ] Setup continuous"),
        ),
        (
            "Extra",
            BoxState.NOT_APPLICABLE,
            "Write some documentation for your application (M32)",
            line_of(text, "(M32)"),
        ),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_numbers_of_questions(tmp_path: Path, newline: str) -> None:
    text = "---\nlayout: default\n---\n" + INTRO + question(1, "42") + question(2, "s123456")
    report, _ = load(tmp_path, text, newline=newline)
    for q in report.questions:
        assert q.line == line_of(text, f"### Question {q.number}")
        assert q.answer_marker_line == line_of(text, "> Answer:", q.line)


# --- hostile or unusual input ------------------------------------------------------------------


def test_the_word_answer_and_headings_in_code_stay_in_the_answer(tmp_path: Path) -> None:
    """The course's checker would split here; exam-pdf follows the document's structure."""
    body = "The Answer: is 42. Answer: again.\n\n```\nAnswer: in code\n### Question 7\n```\n\nLast line."
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, body)
    report, result = load(tmp_path, text)
    assert [q.number for q in report.questions] == [1, 2, 3]
    q3 = report.question(3)
    assert q3.answer_text.strip() == body
    assert q3.words == len(body.split())
    assert q3.answer_marker_line == line_of(text, "> Answer:", q3.line)
    assert not [f for f in result.findings if f.rule.id in ("missing-question", "duplicate-question")]


def test_question_heading_inside_a_quote_is_not_a_question(tmp_path: Path) -> None:
    text = INTRO + question(1, "42") + question(2, "> ### Question 3\n> s123456")
    report, _ = load(tmp_path, text)
    assert [q.number for q in report.questions] == [1, 2]
    assert "s123456" in report.question(2).answer_text


def test_absurd_question_numbers_do_not_blow_up(tmp_path: Path) -> None:
    """A heading 'Question 99999999999999999999' once made the gap check build a set that large
    (and a finding per number); a million shows the same without exhausting memory if it regresses."""
    text = "# Report\n\n" + question(0, "zero") + question(1_000_000, "huge") + question(2, "s123456")
    report, result = load(tmp_path, text)
    assert [q.number for q in report.questions] == [0, 1_000_000, 2]
    missing = [f.question for f in result.findings if f.rule.id == "missing-question"]
    assert missing == [1]


def test_deep_nesting_is_read_without_error(tmp_path: Path) -> None:
    body = "> " * 500 + "deep words\n\n" + "- " * 300 + "x"
    text = INTRO + question(1, "42") + question(2, "s123456") + question(3, body)
    report, _ = load(tmp_path, text)
    q3 = report.question(3)
    assert q3.words == len(body.split())
    assert "deep words" in q3.answer_text
