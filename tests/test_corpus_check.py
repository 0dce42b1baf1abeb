"""``check`` on the 46 real reports of ../shared/corpus, and parity with the course's checker.

The reference below re-implements the splitting rule of the course's own checker
(``reports/report.py`` in SkafteNicki/dtu_mlops, the ``check`` command)::

    per_question = text.split("Answer:")
    for q in per_question:
        if "###" in q:
            q = q.split("###")[0]
            if "##" in q:
                q = q.split("##")[0]
            answers.append(q)
    answers.append(per_question[-1]); answers = answers[1:]
    words  = len(answer.split())
    images = len(re.findall(r"\\!\\[.*?\\]\\(.*?\\)", answer))

The course's script matches answers to questions by position; the reference here names
each piece after the last ``Question N`` heading before its ``Answer:`` so that it can be
compared per question. Pieces that hold no ``###`` are dropped as the course's script drops
them (a second ``Answer:`` within one question). The last piece is cut like the others (the
course's script appends it uncut as well, which only makes its answer count wrong). The
course's ``text[43:]`` (its own front matter) only touches the intro and is left out.

The boundaries *agree* for a question when the reference has exactly one piece for its
number and that piece, stripped, equals exam-pdf's answer source text stripped; or when
the piece is exam-pdf's text followed by a heading line ``# ...`` (a section after the last
question, which the reference runs on into). Where they agree, words and images must be
equal, except that exam-pdf does not count image syntax that is not shown: inside code
(```` ``` ```` blocks, `` ` `` spans) or HTML comments. Those cases are listed, and exam-pdf's
count must then equal the reference's count over the shown text.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import corpus_ids, corpus_manifest

from exam_pdf.formats import as_json_data
from exam_pdf.pipeline import CheckResult, check_path

pytestmark = pytest.mark.corpus

IDS = corpus_ids()
FAMILY = {"2023-27q": 27, "2025-31q": 31}
COURSE_IMAGE = re.compile(r"\!\[.*?\]\(.*?\)")
HEADING = re.compile(r"(?m)^\s*#{1,6}\s*Question\s*(\d+)", re.I)
_RESULTS: dict[str, CheckResult] = {}


def result_for(corpus_dir: Path, report_id: str) -> CheckResult:
    if report_id not in _RESULTS:
        _RESULTS[report_id] = check_path(corpus_dir / report_id)
    return _RESULTS[report_id]


def reference_answers(text: str) -> dict[int | None, list[str]]:
    """The course checker's answers, keyed by the question heading before each ``Answer:``."""
    parts = text.split("Answer:")
    found: dict[int | None, list[str]] = {}
    for index in range(1, len(parts)):
        piece = parts[index]
        if "###" not in piece and index != len(parts) - 1:
            continue
        answer = piece.split("###")[0]
        if "##" in answer:
            answer = answer.split("##")[0]
        headings = HEADING.findall("Answer:".join(parts[:index]))
        number = int(headings[-1]) if headings else None
        found.setdefault(number, []).append(answer)
    return found


def course_text(path: Path) -> str:
    """The file as the course's ``open("README.md", "r")`` reads it (universal newlines)."""
    return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def shown(text: str) -> str:
    """Markdown with code blocks, code spans and HTML comments removed: what a reader sees."""
    text = re.sub(r"(?ms)^[ \t>]*(`{3,}|~{3,}).*?^[ \t>]*\1[^\n]*$", "", text)
    text = re.sub(r"(?s)<!--.*?-->", "", text)
    return re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", "", text)


def test_corpus_is_complete(corpus_dir: Path) -> None:
    manifest = corpus_manifest()
    assert len(IDS) == 46
    assert sorted(manifest) == IDS
    assert set(Counter(entry["edition_guess"] for entry in manifest.values())) == set(FAMILY)


@pytest.mark.parametrize("report_id", IDS)
def test_corpus_report_checks(corpus_dir: Path, report_id: str) -> None:
    entry = corpus_manifest()[report_id]
    result = result_for(corpus_dir, report_id)
    report = result.report
    assert report.edition is not None
    assert report.edition.questions == FAMILY[entry["edition_guess"]], report.edition.detected_by
    assert report.edition.name != "custom"
    # The manifest's own counts, made independently of exam-pdf.
    assert len(report.questions) == entry["question_headers"]
    assert sum(q.placeholder_left for q in report.answered_questions) == entry["placeholders_in_answers"]
    images = [image for q in report.answered_questions for image in q.images]
    assert sum(image.kind == "link" for image in images) == entry["features"]["img_links_without_bang"]
    assert sum(image.kind == "html" for image in images) == entry["features"]["html_img"]
    assert report.source.raw.count(b"\r\n") == entry["features"]["crlf_lines"]
    # The output is well-formed for every report.
    data = json.loads(json.dumps(as_json_data(result)))
    assert data["summary"]["questions"] == len(report.answered_questions)
    assert all(f.line is None or 1 <= f.line <= len(report.source.lines) for f in result.findings)


def _pick(manifest: dict[str, dict]) -> list[str]:
    """A few reports for the subprocess run: one CRLF file, one of each family, a root README."""
    chosen = []
    crlf = [i for i in IDS if manifest[i]["features"]["crlf_lines"]]
    for group in (
        crlf,
        [i for i in IDS if manifest[i]["edition_guess"] == "2023-27q"],
        [i for i in IDS if manifest[i]["edition_guess"] == "2025-31q"],
        [i for i in IDS if manifest[i]["report_path_in_repo"] == "README.md"],
    ):
        chosen += [i for i in group if i not in chosen][:1]
    return chosen


@pytest.mark.parametrize("report_id", _pick(corpus_manifest()) if IDS else [])
def test_corpus_subprocess(run_exam_pdf, corpus_dir: Path, report_id: str) -> None:
    entry = corpus_manifest()[report_id]
    done = run_exam_pdf("check", str(corpus_dir / report_id), "--format", "json")
    assert "Traceback" not in done.stderr
    assert done.stderr == ""
    data = json.loads(done.stdout)
    assert data["edition"]["questions"] == FAMILY[entry["edition_guess"]]
    assert done.returncode == (1 if data["summary"]["errors"] else 0)


def test_parity_with_the_course_checker(corpus_dir: Path, artifacts: Path) -> None:
    agreed = 0
    answered = 0
    count_checked = 0
    hidden_images: list[dict[str, object]] = []
    disagreements: list[dict[str, object]] = []
    for report_id in IDS:
        reference = reference_answers(course_text(corpus_dir / report_id / "README.md"))
        result = result_for(corpus_dir, report_id)
        for question in result.report.answered_questions:
            if question.unanswered:
                continue
            answered += 1
            mine = question.answer_text.strip()
            pieces = reference.get(question.number, [])
            where = {"report": report_id, "question": question.number}
            if len(pieces) != 1:
                why = "no 'Answer:' before it" if not pieces else f"{len(pieces)} pieces"
                disagreements.append({**where, "reason": f"reference finds {why}"})
                continue
            theirs = pieces[0].strip()
            if theirs != mine:
                rest = theirs[len(mine) :].lstrip() if theirs.startswith(mine) else None
                if rest is not None and rest.startswith("#"):
                    agreed += 1  # the reference runs on into a section after the last question
                    continue
                if mine.startswith(theirs):
                    cut = mine[len(theirs) :].lstrip().split("\n")[0][:60]
                    reason = f"reference cuts the answer at {cut!r}"
                else:
                    reason = "different text"
                disagreements.append({**where, "reason": reason})
                continue
            agreed += 1
            count_checked += 1
            assert question.words == len(theirs.split()), where
            course_images = len(COURSE_IMAGE.findall(theirs))
            shown_images = len(COURSE_IMAGE.findall(shown(theirs)))
            if course_images != shown_images:
                hidden_images.append({**where, "course": course_images, "exam_pdf": len(question.embedded_images)})
                assert len(question.embedded_images) == shown_images, where
            else:
                assert len(question.embedded_images) == course_images, where

    record = {
        "answered": answered,
        "agreed": agreed,
        "counts_compared": count_checked,
        "disagreements": disagreements,
        "image_syntax_not_shown": hidden_images,
    }
    (artifacts / "corpus-parity.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(f"\nboundaries agree for {agreed}/{answered} answered questions")
    for item in disagreements:
        print(f"  differs: {item['report']} Q{item['question']}: {item['reason']}")
    for item in hidden_images:
        print(f"  image syntax in code/comment: {item}")
    assert answered > 1000
    assert agreed >= 0.9 * answered, disagreements
    assert count_checked >= 0.9 * answered


def test_reference_rule_on_a_known_case() -> None:
    """The reference itself: a '###' inside an answer cuts it, as the course's checker does."""
    text = (
        "# Intro\n\n### Question 1\n> Answer:\n\nfirst answer\n\n"
        "### Question 2\n> Answer:\n\nsecond\n- ### Sub\nmore\n\n## Next section\n\n"
        "### Question 3\n> Answer:\nthird ![a](b.png)\n"
    )
    found = reference_answers(text)
    assert [p.strip() for p in found[1]] == ["first answer"]
    assert [p.strip() for p in found[2]] == ["second\n-"]
    assert [p.strip() for p in found[3]] == ["third ![a](b.png)"]
    assert shown("a `![x](y)` b\n```\n![z](w)\n```\n<!-- ![c](d) -->![e](f)").count("![") == 1
