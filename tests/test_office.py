"""From a roster to an archive (issue 14): ``collect`` + ``batch`` end to end, the commit in
every PDF, the roster against the reports, ``verify --source`` against the repository,
shards, and the exam office's example workflow.

One collection and one batch are built per module (real git, bare repositories on disk
with commits at set dates, no network) and read by every test: ten repositories, six of
which hand in a report (tiny ones: the TeX builds are what costs), four of which fail
in each way ``collect`` knows, plus roster rows that name no repository of their own.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import warmcli
import yaml
from conftest import REPO
from pypdf import PdfReader
from test_collect import BEFORE, DEADLINE, LATE, LATER, Repo, git

SOURCE_DATE_EPOCH = "1767225600"
WORKFLOW = REPO / "examples" / "workflows" / "exam-office.yml"


def report(group: str, students: str, title: str = "Our MLOps project") -> str:
    return (
        f"# {title}\n\n"
        "### Question 1\n\n> **Enter the group number you signed up on**\n>\n> Answer:\n\n"
        f"{group}\n\n"
        "### Question 2\n\n> **Enter the study number for each member in the group**\n>\n> Answer:\n\n"
        f"{students}\n\n"
        "### Question 3\n\n> **What did you build?**\n>\n> Answer:\n\n"
        "![loss](figures/loss.png)\n"
    )


def png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def exam_pdf(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return warmcli.run(
        [*args], timeout=timeout, env={**os.environ, "EXAM_PDF_DEBUG": "", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    )


@dataclasses.dataclass
class Office:
    root: Path
    roster: Path
    submissions: Path
    archive: Path
    state: Path
    collected: subprocess.CompletedProcess[str]
    built: subprocess.CompletedProcess[str]
    handed_in: dict[str, str]
    """Group -> the commit taken."""
    repos: dict[str, Repo]

    @property
    def manifest(self) -> dict:
        return json.loads((self.archive / "manifest.json").read_text("utf-8"))

    def entry(self, group: str) -> dict:
        [found] = [e for e in self.manifest["reports"] if e["group"] == group]
        return found

    def collect_args(self, out: Path, *more: str) -> tuple[str, ...]:
        return (
            str(self.roster),
            "--deadline",
            DEADLINE,
            "--out",
            str(out),
            "--state",
            str(self.root / "mirrors"),
            *more,
        )


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    """The tests' own git calls (for the whole module): no configuration of the machine."""
    root = tmp_path_factory.mktemp("office")
    saved = {name: os.environ.get(name) for name in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")}
    os.environ.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    try:
        yield _build(root)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _build(root: Path) -> Office:
    repos = {str(n): Repo(root, f"group{n}") for n in range(1, 11) if n != 7}
    handed_in: dict[str, str] = {}
    students = {str(n): f"s26{n:02d}01, s26{n:02d}02" for n in range(1, 11)}
    for group in "123456":
        files: dict[str, bytes | str | None] = {
            "reports/README.md": report(group, students[group]),
            "reports/figures/loss.png": png(),
            "src/train.py": "print('never run, never collected')\n",
        }
        handed_in[group] = repos[group].commit(files, BEFORE)
    # Group 2 and 5 pushed after the deadline; group 4's report says group 40 and lists
    # a student the roster does not, leaving one out.
    repos["2"].commit({"reports/README.md": report("2", students["2"], "late 1")}, LATE)
    repos["2"].commit({"reports/README.md": report("2", students["2"], "late 2")}, LATER)
    repos["5"].commit({"reports/README.md": report("5", students["5"], "late")}, LATE)
    handed_in["4"] = repos["4"].commit({"reports/README.md": report("40", "s260401, s999999")}, BEFORE)
    repos["9"].commit({"reports/README.md": report("9", students["9"])}, LATE)  # nothing before the deadline
    repos["10"].commit({"reports/readme.md": report("10", students["10"])}, BEFORE)  # not README.md
    for group, repo in repos.items():
        if group != "8":  # group 8's repository stays empty
            repo.push()

    roster = root / "roster.csv"
    lines = ["group_number,student_1,student_2,student_3,student_4,student_5,repo_url"]
    for n in range(1, 11):
        first, second = students[str(n)].split(", ")
        lines.append(f"{n},{first},{second}@dtu.dk,,,,remotes/group{n}.git")  # group 7's repository is missing
    lines.append("eleven,s261101,,,,,remotes/group1.git")  # a malformed row
    lines.append("1,s260101,,,,,remotes/group1.git")  # group 1 again, the same repository
    roster.write_text("\n".join(lines) + "\n", "utf-8")

    submissions, archive, state = root / "submissions", root / "archive", root / "state"
    collected = exam_pdf(
        "collect", str(roster), "--deadline", DEADLINE, "--out", str(submissions), "--state", str(root / "mirrors")
    )
    edit_after_collection(submissions)
    built = exam_pdf("batch", str(submissions), "--out", str(archive), "--state", str(state), "-j", "2")
    return Office(root, roster, submissions, archive, state, collected, built, handed_in, repos)


def edit_after_collection(tree: Path) -> None:
    """The office edits a collected report by hand before the batch: verify --source catches it."""
    edited = tree / "6" / "reports" / "README.md"
    if edited.is_file():
        edited.write_text(edited.read_text("utf-8").replace("Our MLOps project", "Edited after collection"), "utf-8")


FAILED = {
    "7": "not collected: ",
    "8": "not collected: the repository is empty (no branch)",
    "9": "not collected: no commit on main before the deadline (1 after it, the first dated 2026-01-25T10:00:00+01:00)",
    "10": "not collected: no reports/README.md at ",
}


@pytest.mark.latex
def test_collect_takes_the_commit_at_the_deadline_and_lists_the_late_ones(office: Office) -> None:
    assert office.collected.returncode == 1, office.collected.stderr  # some groups failed
    data = json.loads((office.submissions / "collect.json").read_text("utf-8"))
    groups = {str(g["group"] or f"line {g['line']}"): g for g in reversed(data["groups"])}  # the first row wins
    assert {g: groups[g].get("commit") for g in office.handed_in} == office.handed_in
    late = {g: groups[g]["late_commits"]["count"] for g in groups if groups[g].get("late_commits")}
    assert late == {"2": 2, "5": 1}
    assert data["totals"] == {"groups": 12, "collected": 6, "failed": 6, "late": 2}
    assert data["shard"] == "1/1"
    assert groups["1"]["students"] == ["s260101", "s260102@dtu.dk"]  # the roster row travels along


@pytest.mark.latex
def test_the_batch_archives_every_collected_group_with_its_commit(office: Office) -> None:
    assert office.built.returncode == 1, office.built.stdout + office.built.stderr  # the failed groups
    assert "Traceback" not in office.built.stderr
    data = office.manifest
    assert data["totals"] == {"reports": 10, "ok": 0, "findings": 6, "fallback": 0, "failed": 4, "skipped": 2}
    for group, sha in office.handed_in.items():
        entry = office.entry(group)
        assert entry["status"] == "findings", entry  # a tiny report: the other 28 questions are missing
        assert entry["commit"] == sha and entry["branch"] == "main"
        assert entry["commit_date"] == BEFORE
        assert entry["repo_url"] == f"remotes/group{group}.git"
        assert entry["group_from"] == "roster" and entry["dir"] == group
        assert (office.archive / group / "report.pdf").is_file()
    assert office.entry("2")["late_commits"] == {
        "count": 2,
        "last_sha": git(office.repos["2"].work, "rev-parse", "HEAD"),
        "last_date": LATER,
    }
    assert office.entry("5")["late_commits"]["count"] == 1
    assert office.entry("1")["late_commits"] is None


@pytest.mark.latex
def test_every_group_that_could_not_be_collected_is_a_failed_row_with_its_reason(office: Office) -> None:
    for group, reason in FAILED.items():
        entry = office.entry(group)
        assert entry["status"] == "failed" and entry["reason"].startswith(reason), entry
        assert entry["source"] == f"{group}/submission.json" and entry["pdf"] is None
        assert entry["repo_url"] == f"remotes/group{group}.git" and entry["commit"] is None
    assert "does not appear to be a git repository" in office.entry("7")["reason"]
    assert "(it has reports/readme.md)" in office.entry("10")["reason"]
    # Roster rows with no group folder of their own: listed, with collect's reason.
    assert office.manifest["skipped"] == [
        {"folder": "roster line 12", "reason": "the group number 'eleven' is not a number"},
        {"folder": "roster line 13", "reason": "group 1 is listed again (first on line 2)"},
    ]
    assert "failed: 7/submission.json: not collected:" in office.built.stderr


@pytest.mark.latex
def test_summary_and_overview_name_the_commit_and_the_late_pushes(office: Office) -> None:
    rows = {r["group"]: r for r in csv.DictReader((office.archive / "summary.csv").read_text("utf-8").splitlines())}
    assert rows["1"]["commit"] == office.handed_in["1"] and rows["1"]["repo_url"] == "remotes/group1.git"
    assert rows["1"]["branch"] == "main" and rows["1"]["commit_date"] == BEFORE and rows["1"]["late_commits"] == ""
    assert rows["2"]["late_commits"].startswith(f"2 (last {LATER} ")
    assert rows["8"]["status"] == "failed" and "empty" in rows["8"]["reason"]
    page = (office.archive / "index.html").read_text("utf-8")
    for sha in office.handed_in.values():
        assert f'<code title="{sha}">{sha[:12]}</code>' in page
    assert "late: 2 (last 2026-01-26T10:00:00+01:00" in page
    assert "(roster)" in page and "the repository is empty (no branch)" in page


@pytest.mark.latex
def test_each_pdf_names_its_commit_on_the_cover_and_in_its_metadata(office: Office) -> None:
    for group, sha in office.handed_in.items():
        reader = PdfReader(office.archive / group / "report.pdf")
        cover = "".join(reader.pages[0].extract_text().split())
        assert sha in cover and f"remotes/group{group}.git" in cover, cover
        info = reader.metadata
        assert info is not None
        assert info["/ExamPdfCommit"] == sha and info["/ExamPdfRepository"] == f"remotes/group{group}.git"
        assert info["/ExamPdfBranch"] == "main" and info["/ExamPdfCommitDate"] == BEFORE
        assert f"commit {sha}" in info["/Keywords"]
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert f"<dc:source>remotes/group{group}.git at commit {sha} on main, committed {BEFORE}</dc:source>" in xmp
    done = exam_pdf(
        "verify", str(office.archive / "1" / "report.pdf"), "--manifest", str(office.archive / "manifest.json")
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("intact"), done.stdout


@pytest.mark.latex
def test_a_collected_pdf_is_still_pdfa_3b(office: Office) -> None:
    """The commit in the XMP packet is a standard property (``dc:source``): no extension schema needed."""
    from pikepdf import pdfa

    found = pdfa.validate_written(office.archive / "1" / "report.pdf", "3b")
    assert found.violations == (), found.summary(50)


@pytest.mark.latex
def test_the_roster_is_checked_against_questions_1_and_2(office: Office) -> None:
    entry = office.entry("4")
    assert entry["status"] == "findings"
    assert entry["findings_by_rule"]["roster-group"] == 1
    assert entry["findings_by_rule"]["roster-student-unknown"] == 1
    assert entry["findings_by_rule"]["roster-student-missing"] == 1
    for group in "12356":
        assert not {r for r in office.entry(group)["findings_by_rule"] if r.startswith("roster")}, group
    page = (office.archive / "4" / "report.html").read_text("utf-8")
    assert "the report says group 40; the roster has this repository as group 4" in page
    assert "s999999 is not on the roster for group 4 (s260401, s260402)" in page
    # The same findings from check, with the roster given on the command line.
    done = exam_pdf("check", str(office.submissions / "4"), "--roster", str(office.roster), "--group", "4", "-q")
    assert done.returncode == 1
    assert "error roster-group Question 1: the report says group 40" in done.stdout
    assert "warning roster-student-missing Question 2: s260402 is on the roster for group 4" in done.stdout
    unknown = exam_pdf("check", str(office.submissions / "4"), "--roster", str(office.roster), "-q")
    assert unknown.returncode == 2 and "group 40 is not on the roster" in unknown.stderr


@pytest.mark.latex
def test_verify_source_checks_the_pdf_against_the_repository_at_its_commit(office: Office) -> None:
    pdf = str(office.archive / "3" / "report.pdf")
    for source in (office.repos["3"].bare, office.repos["3"].work, f"file://{office.repos['3'].bare}"):
        done = exam_pdf("verify", pdf, "--source", str(source))
        assert done.returncode == 0, done.stdout + done.stderr
        short = office.handed_in["3"][:12]
        assert f"'README.md' matches reports/README.md at {short}" in done.stdout
        assert f"'figures/loss.png' matches reports/figures/loss.png at {short}" in done.stdout
    # Group 6's report was edited after collection: the PDF is intact, but not the commit's.
    edited = exam_pdf("verify", str(office.archive / "6" / "report.pdf"), "--source", str(office.repos["6"].bare))
    assert edited.returncode == 1
    assert f"'README.md' differs from reports/README.md at {office.handed_in['6'][:12]}" in edited.stdout
    assert "'figures/loss.png' matches" in edited.stdout
    # Another repository does not have the commit.
    other = exam_pdf("verify", pdf, "--source", str(office.repos["1"].bare))
    assert other.returncode == 1 and f"has no commit {office.handed_in['3']}" in other.stdout
    # A repository that cannot be read is bad input: one line, exit 2.
    missing = exam_pdf("verify", pdf, "--source", "file:///nonexistent/repo.git")
    assert (
        missing.returncode == 2 and missing.stderr.count("\n") == 1 and "cannot read the repository" in missing.stderr
    )
    refused = exam_pdf("verify", pdf, "--source", "ext::sh -c touch% /tmp/x")
    assert refused.returncode == 2 and "uses 'ext::'" in refused.stderr


@pytest.mark.latex
def test_shards_collect_and_build_the_same_share_and_merge_into_the_whole(office: Office) -> None:
    parts = []
    for index in (1, 2):
        tree = office.root / f"shard{index}"
        done = exam_pdf("collect", *office.collect_args(tree, "--shard", f"{index}/2"))
        assert done.returncode in (0, 1), done.stderr
        edit_after_collection(tree)
        out = office.root / f"part{index}"
        # Built from the shard's own tree, with the whole batch's state: every build is a cache hit.
        built = exam_pdf("batch", str(tree), "--out", str(out), "--state", str(office.state), "--shard", f"{index}/2")
        assert " 0 built," in built.stdout, built.stdout + built.stderr
        folders = sorted(p.name for p in tree.iterdir() if p.is_dir())
        manifest = json.loads((out / "manifest.json").read_text("utf-8"))
        assert sorted(e["group"] for e in manifest["reports"]) == folders  # the same share in both
        parts.append(out)
    merged = office.root / "merged"
    done = exam_pdf("merge", str(merged), *map(str, parts))
    assert done.returncode == 1, done.stdout + done.stderr  # the failed groups
    whole, joined = office.manifest, json.loads((merged / "manifest.json").read_text("utf-8"))
    keep = ("group", "status", "reason", "commit", "repo_url", "late_commits", "pdf_sha256")
    assert [{k: e[k] for k in keep} for e in joined["reports"]] == [{k: e[k] for k in keep} for e in whole["reports"]]
    assert joined["skipped"] == whole["skipped"] and joined["totals"] == whole["totals"]


@pytest.mark.latex
def test_a_push_after_the_batch_is_listed_on_the_next_run_and_rebuilds_nothing(office: Office) -> None:
    """(Last of the office tests: it pushes to group 1's repository.)"""
    later = office.repos["1"].commit({"reports/README.md": report("1", "s260101", "after the batch")}, LATER)
    office.repos["1"].push()
    tree, out = office.root / "submissions-later", office.root / "archive-later"
    assert exam_pdf("collect", *office.collect_args(tree)).returncode == 1
    edit_after_collection(tree)
    built = exam_pdf("batch", str(tree), "--out", str(out), "--state", str(office.state))
    assert " 0 built," in built.stdout, built.stdout + built.stderr  # the PDF shows no late commits
    [entry] = [e for e in json.loads((out / "manifest.json").read_text("utf-8"))["reports"] if e["group"] == "1"]
    assert entry["commit"] == office.handed_in["1"]
    assert entry["late_commits"] == {"count": 1, "last_sha": later, "last_date": LATER}


def test_the_office_workflow_runs_collect_and_batch_as_shards_then_merges_and_uploads() -> None:
    """GitHub's schema and zizmor check it with the students' workflow (tests/test_action.py);
    here: it runs exam-pdf's commands with options they have, in shards that agree, from the
    release the docs name, with the TeX packages the Action installs."""
    import re

    from exam_pdf import __version__
    from exam_pdf.cli import main

    text = WORKFLOW.read_text("utf-8")
    jobs = yaml.safe_load(text)["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) > 1
    runs = "\n".join(step.get("run", "") for job in jobs.values() for step in job["steps"])
    commands = re.findall(r"exam-pdf (collect|batch|merge) ([^\n]*)", runs)
    assert [name for name, _ in commands] == ["collect", "batch", "merge"]
    for name, line in commands:
        options = {option for param in main.commands[name].params for option in param.opts}
        assert set(re.findall(r"(?<!\S)(--?[a-z][\w-]*)", line)) <= options, (name, line)
    assert runs.count(f'--shard "$SHARD/{len(shards)}"') == 2  # collect and batch: the same share
    assert 'exam-pdf batch submissions/ --out "part-$SHARD"' in runs and "merge archive/ parts/part-*" in runs
    assert jobs["merge"]["needs"] == "shard"
    uploads = [step for job in jobs.values() for step in job["steps"] if "upload-artifact" in step.get("uses", "")]
    assert [step["with"]["path"] for step in uploads] == ["part-${{ matrix.shard }}/", "archive/"]
    checkouts = [step["with"] for job in jobs.values() for step in job["steps"] if "repository" in step.get("with", {})]
    assert {(c["repository"].split("/")[1], c["ref"]) for c in checkouts} == {("exam-pdf", f"v{__version__}")}
    action = yaml.safe_load((REPO / "action.yml").read_text("utf-8"))
    [debs] = [step for step in action["runs"]["steps"] if step.get("id") == "debs"]
    wanted = re.search(r'packages="([^"]*)"', debs["run"]).group(1).split()  # type: ignore[union-attr]
    installed = re.search(r"--no-install-recommends \\\n(.*?)\n\s*python3", runs, re.S).group(1)  # type: ignore[union-attr]
    assert sorted(installed.replace("\\", " ").split()) == sorted(wanted)
    # Inputs and secrets reach the shell through env:, never pasted into a script.
    assert "${{" not in runs


def test_the_fallback_pdfs_cover_names_the_commit_too() -> None:
    """When LaTeX fails on a collected report, its plain-text PDF names the commit as well:
    written by fpdf2 here, and by the fallback's LaTeX template (rendered, not compiled)."""
    import io

    import jinja2

    from exam_pdf.builders import templates_dir
    from exam_pdf.builders.fallback import Cover, tex_escape, with_fpdf

    line = "remotes/group1.git at commit " + "ab" * 20 + " on main, committed " + BEFORE
    cover = Cover("T", "C", "1", "s260101", "2026", "2026-01-20", "ok", "a TeX error", source=line)
    text = PdfReader(io.BytesIO(with_fpdf(cover, [], ["the report"]))).pages[0].extract_text()
    assert f"Commit: {line}" in " ".join(text.split())
    template = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<%=",
        variable_end_string="%>",
    ).get_template("fallback.tex.jinja")
    fields = {k: tex_escape(v) for k, v in dataclasses.asdict(cover).items()}
    tex = template.render(**fields, version="x", main_font="F", mono_font="M", findings="", body="")
    assert "Commit & \\parbox[t]{0.8\\linewidth}{\\raggedright " + tex_escape(line) + "}" in tex
    assert "Commit &" not in template.render(
        **{**fields, "source": ""}, version="x", main_font="F", mono_font="M", findings="", body=""
    )


def test_submission_json_is_read_only_in_a_collected_tree_and_only_when_sound(tmp_path: Path) -> None:
    """No TeX: what discover makes of each group folder."""
    from exam_pdf.batch.discover import discover

    sha = "ab" * 20
    good = {"group": "1", "students": ["s260101"], "repo_url": "u", "branch": "main", "commit": sha}
    good |= {"commit_date": BEFORE, "status": "collected", "reason": None, "late_commits": None}
    cases = {
        "1": good,
        "2": {**good, "group": "2", "commit": "HEAD~1"},
        "3": {**good, "group": "3", "repo_url": "x\x1b[2Jy"},
        "4": {**good, "group": "4", "status": "failed", "commit": None, "reason": "the repository is empty"},
        "5": "[not an object",
    }
    for group, data in cases.items():
        (tmp_path / group / "reports").mkdir(parents=True)
        (tmp_path / group / "reports" / "README.md").write_text(report(group, "s260101"), "utf-8")
        text = data if isinstance(data, str) else json.dumps(data)
        (tmp_path / group / "submission.json").write_text(text, "utf-8")
    # Not a collected tree: a submission.json (which a group may have committed) is never read.
    assert all(c.submission is None and c.failed is None for c in discover(tmp_path))
    (tmp_path / "collect.json").write_text('{"groups": []}', "utf-8")
    found = {c.folder: c for c in discover(tmp_path)}
    assert found["1"].failed is None and found["1"].submission is not None and found["1"].submission.commit == sha
    assert found["2"].failed == "submission.json commit 'HEAD~1' is not a commit SHA: collect the group again"
    assert (
        found["3"].failed == "submission.json repo_url is too long or has control characters: collect the group again"
    )
    assert found["4"].failed == "not collected: the repository is empty" and found["4"].relpath == "4/submission.json"
    assert found["5"].failed is not None and found["5"].failed.startswith("submission.json is not JSON")
