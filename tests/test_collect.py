"""``exam-pdf collect`` (issue 14): every group's reports/ as it was at the deadline.

Everything runs with real git and no network: each test makes bare repositories on
disk with commits at set dates (``GIT_COMMITTER_DATE``), then collects them through the
command line. The hostile repository's hooks, filters and configuration would each
create a marker file if git ran them; the marker is never there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import warmcli

DEADLINE = "2026-01-24T23:59:59+01:00"
BEFORE = "2026-01-20T10:00:00+01:00"
JUST_BEFORE = "2026-01-24T23:59:59+01:00"
LATE = "2026-01-25T10:00:00+01:00"
LATER = "2026-01-26T10:00:00+01:00"

REPORT = "# Exam report\n\n### Question 1\n\n> **Enter the group number**\n>\n> Answer:\n\n{text}\n"


@pytest.fixture(autouse=True)
def plain_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' own git calls: no configuration of the machine, a fixed identity."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str, date: str = BEFORE) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Student",
        "GIT_AUTHOR_EMAIL": "s@example.org",
        "GIT_COMMITTER_NAME": "Student",
        "GIT_COMMITTER_EMAIL": "s@example.org",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


class Repo:
    """A working repository and the bare repository it pushes to (what the roster names)."""

    def __init__(self, root: Path, name: str) -> None:
        self.bare = root / "remotes" / f"{name}.git"
        self.work = root / "work" / name
        self.bare.mkdir(parents=True)
        self.work.mkdir(parents=True)
        git(self.bare, "init", "--quiet", "--bare", "--initial-branch=main")
        git(self.work, "init", "--quiet", "--initial-branch=main")

    def commit(self, files: dict[str, bytes | str | None], date: str, message: str = "work") -> str:
        for name, data in files.items():
            path = self.work / name
            if data is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode() if isinstance(data, str) else data)
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "--allow-empty", "-m", message, date=date)
        return git(self.work, "rev-parse", "HEAD")

    def push(self, force: bool = False) -> None:
        git(self.work, "push", "--quiet", *(["--force"] if force else []), str(self.bare), "main")


def report(text: str) -> str:
    return REPORT.format(text=text)


def write_roster(path: Path, rows: list[tuple[str, str]], header: str = "group_number,student_1,repo_url") -> Path:
    lines = [header] + [f"{group},s{index}@dtu.dk,{url}" for index, (group, url) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def collect(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return warmcli.run(["collect", *args], timeout=timeout, cwd=cwd, env={**os.environ, "EXAM_PDF_DEBUG": ""})


def summary(out: Path) -> dict[str, dict]:
    data = json.loads((out / "collect.json").read_text("utf-8"))
    return {str(entry["group"] or f"line {entry['line']}"): entry for entry in data["groups"]}


def submission(out: Path, group: str) -> dict:
    return json.loads((out / group / "submission.json").read_text("utf-8"))


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def mirror_objects(state: Path, repo: Repo) -> set[str]:
    """Every object the mirror of ``repo`` holds (its packs' indexes and loose objects)."""
    (mirror,) = [m for m in state.iterdir() if m.name.startswith(f"{repo.bare.name}-")]
    found = set()
    for index in (mirror / "objects" / "pack").glob("*.idx"):
        with index.open("rb") as stream:
            listing = subprocess.run(["git", "show-index"], stdin=stream, capture_output=True, check=True)
        found |= {line.split()[1].decode() for line in listing.stdout.splitlines()}
    for loose in (mirror / "objects").glob("[0-9a-f][0-9a-f]/*"):
        found.add(loose.parent.name + loose.name)
    return found


# --- the deadline and the commit taken ---------------------------------------------------


@pytest.fixture
def dated(tmp_path: Path) -> dict[str, object]:
    """Repositories whose histories put the deadline in every awkward place."""
    shas: dict[str, object] = {}
    ontime = Repo(tmp_path, "ontime")
    shas["ontime"] = ontime.commit({"reports/README.md": report("first"), "src/train.py": "print(1)\n"}, BEFORE)
    shas["ontime_last"] = ontime.commit({"reports/README.md": report("final")}, JUST_BEFORE)
    shas["ontime_late1"] = ontime.commit({"reports/README.md": report("late 1")}, LATE)
    shas["ontime_late2"] = ontime.commit({"reports/README.md": report("late 2")}, LATER)
    ontime.push()

    # A commit dated back in time on top of a late one: the branch's newest state the dates allow.
    forged = Repo(tmp_path, "forged")
    forged.commit({"reports/README.md": report("honest")}, BEFORE)
    forged.commit({"reports/README.md": report("late")}, LATE)
    shas["forged"] = forged.commit({"reports/README.md": report("backdated")}, JUST_BEFORE)
    forged.push()

    # A merge after the deadline of a side branch dated before it: rev-list --before would
    # take the side branch's commit, which was never on main before the deadline.
    merged = Repo(tmp_path, "merged")
    shas["merged"] = merged.commit({"reports/README.md": report("main")}, BEFORE)
    git(merged.work, "checkout", "--quiet", "-b", "side")
    shas["merged_side"] = merged.commit({"reports/figures/side.txt": "side"}, "2026-01-22T10:00:00+01:00")
    git(merged.work, "checkout", "--quiet", "main")
    merged.commit({"reports/README.md": report("main late")}, LATE)
    git(merged.work, "merge", "--quiet", "--no-edit", "side", date=LATER)
    merged.push()

    allLate = Repo(tmp_path, "alllate")
    allLate.commit({"reports/README.md": report("too late")}, LATE)
    allLate.push()

    renamed = Repo(tmp_path, "renamed")
    renamed.commit({"reports/readme.md": report("lower case")}, BEFORE)
    renamed.push()

    noreports = Repo(tmp_path, "noreports")
    noreports.commit({"README.md": "# a project\n"}, BEFORE)
    noreports.push()

    Repo(tmp_path, "empty")  # a bare repository nobody pushed to

    roster = write_roster(
        tmp_path / "roster.csv",
        [
            ("1", "remotes/ontime.git"),  # relative to the roster's folder
            ("2", f"file://{tmp_path / 'remotes' / 'forged.git'}"),
            ("3", str(tmp_path / "remotes" / "merged.git")),
            ("4", "remotes/alllate.git"),
            ("5", "remotes/renamed.git"),
            ("6", "remotes/noreports.git"),
            ("7", "remotes/empty.git"),
            ("8", "remotes/missing.git"),
        ],
    )
    shas["roster"] = roster
    shas["ontime_repo"] = ontime
    return shas


def test_the_deadline_takes_the_last_commit_on_the_branch_and_lists_the_late_ones(
    tmp_path: Path, dated: dict[str, object]
) -> None:
    out, state = tmp_path / "submissions", tmp_path / "state"
    done = collect(str(dated["roster"]), "--deadline", DEADLINE, "--out", str(out), "--state", str(state), "-j", "3")
    assert done.returncode == 1, done.stderr  # some groups failed
    assert "Traceback" not in done.stderr
    groups = summary(out)
    assert [groups[g]["status"] for g in "12345678"] == ["collected"] * 3 + ["failed"] * 5

    one = submission(out, "1")
    assert one["commit"] == dated["ontime_last"]  # committed at the deadline's very second: on time
    assert one["commit_date"] == JUST_BEFORE
    assert one["branch"] == "main" and one["author"] == "Student <s@example.org>"
    assert one["deadline"] == DEADLINE and one["collected_at"]
    assert one["late_commits"] == {"count": 2, "last_sha": dated["ontime_late2"], "last_date": LATER}
    assert files_under(out / "1") == {
        "reports/README.md": report("final").encode(),
        "submission.json": (out / "1" / "submission.json").read_bytes(),
    }  # nothing but reports/: no src/train.py

    assert submission(out, "2")["commit"] == dated["forged"]
    assert submission(out, "2")["late_commits"] is None
    three = submission(out, "3")
    assert three["commit"] == dated["merged"] and three["commit"] != dated["merged_side"]
    assert three["late_commits"]["count"] == 3  # the late commit, the side branch's and the merge
    assert not (out / "3" / "reports" / "figures").exists()

    reasons = {g: groups[g]["reason"] for g in "45678"}
    assert reasons["4"].startswith("no commit on main before the deadline (1 after it")
    assert reasons["5"].startswith("no reports/README.md at ") and "(it has reports/readme.md)" in reasons["5"]
    assert "no reports/ folder" in reasons["6"]
    assert reasons["7"] == "the repository is empty (no branch)"
    assert "does not appear to be a git repository" in reasons["8"]
    for group in "45678":  # a failed group gets its submission.json with the reason, no reports/
        assert submission(out, group)["reason"] == reasons[group]
        assert not (out / group / "reports").exists()
    table = done.stdout
    assert "2 commits after the deadline, the last dated 2026-01-26T10:00:00+01:00" in table
    assert "8 groups: 3 collected (2 with late commits), 5 failed" in table


def test_a_second_run_fetches_only_what_changed_and_takes_the_same_commits(
    tmp_path: Path, dated: dict[str, object]
) -> None:
    out, state = tmp_path / "submissions", tmp_path / "state"
    args = (str(dated["roster"]), "--deadline", DEADLINE, "--out", str(out), "--state", str(state))
    collect(*args)
    first = summary(out)
    packs = sorted(p.name for p in state.rglob("*.pack"))
    again = collect(*args)
    assert again.returncode == 1
    assert sorted(p.name for p in state.rglob("*.pack")) == packs  # nothing fetched: nothing changed
    second = summary(out)
    assert [second[g].get("commit") for g in second] == [first[g].get("commit") for g in first]

    repo = dated["ontime_repo"]
    assert isinstance(repo, Repo)
    late3 = repo.commit({"reports/README.md": report("late 3")}, "2026-01-27T10:00:00+01:00")
    repo.push()
    collect(*args)
    one = submission(out, "1")
    assert one["commit"] == dated["ontime_last"]
    assert one["late_commits"] == {"count": 3, "last_sha": late3, "last_date": "2026-01-27T10:00:00+01:00"}
    # Only the new commit and its trees came; its README (a late blob) was not fetched.
    assert late3 in mirror_objects(state, repo)
    assert git(repo.work, "rev-parse", f"{late3}:reports/README.md") not in mirror_objects(state, repo)


def test_branch_takes_another_branch_than_the_default(tmp_path: Path) -> None:
    repo = Repo(tmp_path, "branches")
    repo.commit({"reports/README.md": report("main")}, BEFORE)
    git(repo.work, "checkout", "--quiet", "-b", "exam")
    exam = repo.commit({"reports/README.md": report("exam branch")}, BEFORE)
    git(repo.work, "push", "--quiet", str(repo.bare), "main", "exam")
    roster = write_roster(tmp_path / "roster.csv", [("1", "remotes/branches.git")])
    out = tmp_path / "o"
    base = (str(roster), "--deadline", DEADLINE, "--out", str(out), "--state", str(tmp_path / "s"))
    assert collect(*base, "--branch", "exam").returncode == 0
    assert submission(out, "1")["commit"] == exam and submission(out, "1")["branch"] == "exam"
    assert collect(*base, "--branch", "nope").returncode == 1
    assert summary(out)["1"]["reason"] == "the repository has no branch 'nope'"
    assert not (out / "1" / "reports").exists()  # a failed group keeps no reports/ of an earlier run
    refused = collect(*base, "--branch", "main:refs/heads/x")
    assert refused.returncode == 2 and "not a plain branch name" in refused.stderr


def test_a_force_push_that_rewrites_history_is_reported(tmp_path: Path) -> None:
    repo = Repo(tmp_path, "rewrite")
    repo.commit({"reports/README.md": report("v1")}, BEFORE)
    handed_in = repo.commit({"reports/README.md": report("handed in")}, JUST_BEFORE)
    repo.push()
    roster = write_roster(tmp_path / "roster.csv", [("9", "remotes/rewrite.git")])
    args = (str(roster), "--deadline", DEADLINE, "--out", str(tmp_path / "out"), "--state", str(tmp_path / "st"))
    assert collect(*args).returncode == 0
    assert submission(tmp_path / "out", "9")["commit"] == handed_in

    git(repo.work, "reset", "--quiet", "--hard", "HEAD~1")
    rewritten = repo.commit({"reports/README.md": report("rewritten, backdated")}, JUST_BEFORE)
    repo.push(force=True)
    done = collect(*args)
    assert done.returncode == 0, done.stdout
    data = submission(tmp_path / "out", "9")
    assert data["commit"] == rewritten
    assert data["warnings"] == [
        f"history rewritten: the earlier collection took {handed_in[:12]}, which is no longer on the branch"
    ]
    assert "history rewritten" in done.stdout
    assert (tmp_path / "out" / "9" / "reports" / "README.md").read_text() == report("rewritten, backdated")
    assert collect(*args).returncode == 0  # a third run keeps the warning: it is about this commit
    assert submission(tmp_path / "out", "9")["warnings"] == data["warnings"]


def test_a_backdated_commit_pushed_after_a_collection_is_reported(tmp_path: Path) -> None:
    """Dates can be forged; what git can show is that the commit was not there at the first collection."""
    repo = Repo(tmp_path, "backdate")
    handed_in = repo.commit({"reports/README.md": report("handed in")}, BEFORE)
    repo.push()
    roster = write_roster(tmp_path / "roster.csv", [("5", "remotes/backdate.git")])
    args = (str(roster), "--deadline", DEADLINE, "--out", str(tmp_path / "out"), "--state", str(tmp_path / "st"))
    assert collect(*args).returncode == 0
    backdated = repo.commit({"reports/README.md": report("improved after the deadline")}, JUST_BEFORE)
    repo.push()
    done = collect(*args)
    data = submission(tmp_path / "out", "5")
    assert data["commit"] == backdated and data["late_commits"] is None  # git alone cannot tell
    assert data["warnings"] == [
        f"the earlier collection took {handed_in[:12]}; "
        "a commit dated before the deadline was pushed on top of it since"
    ]
    assert "was pushed on top of it since" in done.stdout


def test_two_groups_naming_one_repository_share_its_mirror_in_turn(tmp_path: Path) -> None:
    repo = Repo(tmp_path, "shared")
    sha = repo.commit({"reports/README.md": report("one repository")}, BEFORE)
    repo.push()
    roster = write_roster(tmp_path / "roster.csv", [(str(g), "remotes/shared.git") for g in range(1, 7)])
    done = collect(
        str(roster), "--deadline", DEADLINE, "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s"), "-j", "6"
    )
    assert done.returncode == 0, done.stdout
    assert {g["commit"] for g in summary(tmp_path / "o").values()} == {sha}
    assert len(list((tmp_path / "s").iterdir())) == 1
    progress = done.stdout.splitlines()[:6]  # not a terminal: one line per group as it ends
    assert sorted(line.split("] ")[0] for line in progress) == [f"[{n}" for n in range(1, 7)]
    assert sorted(line.split("] ")[1] for line in progress) == [f"collected group {g}" for g in range(1, 7)]


# --- hostile repositories ----------------------------------------------------------------

MARKER_SCRIPT = "#!/bin/sh\ntouch {marker}\n"

HOOKS = (
    "pre-upload-pack",
    "post-checkout",
    "post-merge",
    "post-rewrite",
    "reference-transaction",
    "post-update",
    "pre-receive",
    "update",
    "post-receive",
    "fsmonitor-watchman",
    "pre-auto-gc",
)


def test_a_hostile_repository_runs_nothing_and_gives_only_its_reports(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    script = tmp_path / "attack.sh"
    script.write_text(MARKER_SCRIPT.format(marker=marker))
    script.chmod(0o755)
    subprocess.run([str(script)], check=True)  # the script works: it does create the marker
    assert marker.exists()
    marker.unlink()

    secret = Repo(tmp_path, "secret")
    secret_sha = secret.commit({"reports/README.md": report("another group's report")}, BEFORE)
    secret.push()
    hostile = Repo(tmp_path, "hostile")
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n"
    files = {
        "reports/README.md": report("hostile"),
        "reports/figures/model.png": pointer,
        ".gitattributes": "*.png filter=lfs diff=lfs merge=lfs -text\n* filter=evil\n",
        ".gitmodules": f'[submodule "x"]\n\tpath = reports/sub\n\turl = {secret.bare}\n',
        ".githooks/post-checkout": MARKER_SCRIPT.format(marker=marker),
    }
    for name, data in files.items():
        path = hostile.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data)
    (hostile.work / "reports" / "passwd").symlink_to("/etc/passwd")
    git(hostile.work, "add", "-A")
    git(hostile.work, "update-index", "--add", "--cacheinfo", f"160000,{secret_sha},reports/sub")
    git(hostile.work, "commit", "--quiet", "-m", "hostile")
    hostile.push()
    for hook in HOOKS:  # the served repository's own hooks and configuration
        path = hostile.bare / "hooks" / hook
        path.write_text(MARKER_SCRIPT.format(marker=marker))
        path.chmod(0o755)
    with (hostile.bare / "config").open("a") as config:
        config.write(
            f"[core]\n\tfsmonitor = {script}\n\talternateRefsCommand = {script}\n\tsshCommand = {script}\n"
            f"[uploadpack]\n\tpackObjectsHook = {script}\n"
            f'[filter "lfs"]\n\tsmudge = {script}\n\tprocess = {script}\n\trequired = true\n'
            f'[filter "evil"]\n\tsmudge = {script}\n'
            f"[credential]\n\thelper = !{script}\n[core]\n\taskPass = {script}\n"
        )

    roster = write_roster(tmp_path / "roster.csv", [("11", "remotes/hostile.git")])
    out, state = tmp_path / "out", tmp_path / "state"
    done = collect(str(roster), "--deadline", DEADLINE, "--out", str(out), "--state", str(state))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not marker.exists()
    written = files_under(out / "11" / "reports")
    assert written == {"README.md": report("hostile").encode(), "figures/model.png": pointer.encode()}
    assert not (out / "11" / "reports" / "passwd").exists() and not (out / "11" / "reports" / "passwd").is_symlink()
    data = submission(out, "11")
    assert data["left_out"] == ["reports/passwd: a symbolic link", "reports/sub: a submodule"]
    assert secret_sha not in mirror_objects(state, hostile)  # the submodule was never fetched
    # No hook of the mirror either, and no sample hooks were installed in it.
    assert not any((m / "hooks").exists() and any((m / "hooks").iterdir()) for m in state.iterdir())


def test_urls_that_run_programs_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "group,repo\n"
        f"1,ext::sh -c touch% {marker}\n"
        f"2,fd::7\n"
        f"3,--upload-pack=touch {marker}\n"
        f"4,https://user:token@example.invalid/x.git\n",
        "utf-8",
    )
    done = collect(
        str(roster),
        "--deadline",
        DEADLINE,
        "--out",
        str(tmp_path / "o"),
        "--state",
        str(tmp_path / "s"),
        "--timeout",
        "20",
    )
    assert done.returncode == 1
    assert not marker.exists()
    groups = summary(tmp_path / "o")
    assert "uses 'ext::'" in groups["1"]["reason"] and "uses 'fd::'" in groups["2"]["reason"]
    assert "starts with '-'" in groups["3"]["reason"]
    assert groups["4"]["repo_url"] == "https://example.invalid/x.git"  # the token is not recorded
    assert "token" not in (tmp_path / "o" / "collect.json").read_text()
    assert not [p for p in (tmp_path / "s").rglob("*") if p.is_file() and b"token" in p.read_bytes()]


@pytest.mark.slow
def test_a_huge_binary_elsewhere_is_not_fetched_and_a_huge_report_hits_the_cap(tmp_path: Path) -> None:
    big = Repo(tmp_path, "big")
    big.commit({"reports/README.md": report("small report"), "data/model.bin": os.urandom(12_000_000)}, BEFORE)
    big.push()
    fat = Repo(tmp_path, "fat")
    fat.commit({"reports/README.md": report("big figure"), "reports/figures/a.bin": os.urandom(12_000_000)}, BEFORE)
    fat.push()
    roster = write_roster(tmp_path / "roster.csv", [("1", "remotes/big.git"), ("2", "remotes/fat.git")])
    state = tmp_path / "state"
    done = collect(
        str(roster), "--deadline", DEADLINE, "--out", str(tmp_path / "o"), "--state", str(state), "--max-size", "5"
    )
    assert done.returncode == 1
    groups = summary(tmp_path / "o")
    assert groups["1"]["status"] == "collected"
    (mirror,) = [m for m in state.iterdir() if m.name.startswith("big.git-")]
    assert sum(p.stat().st_size for p in mirror.rglob("*") if p.is_file()) < 1_000_000
    assert groups["2"]["reason"] == "cannot fetch the report's files: the fetch passed the size cap of 5 MB"
    assert not [m for m in state.iterdir() if m.name.startswith("fat.git-")]  # a rerun fails the same way
    again = collect(
        str(roster), "--deadline", DEADLINE, "--out", str(tmp_path / "o"), "--state", str(state), "--max-size", "5"
    )
    assert summary(tmp_path / "o")["2"]["reason"] == groups["2"]["reason"]
    assert again.returncode == 1


def test_a_repository_out_of_time_is_a_row_with_its_reason(tmp_path: Path) -> None:
    repo = Repo(tmp_path, "slow")
    repo.commit({"reports/README.md": report("x")}, BEFORE)
    repo.push()
    roster = write_roster(tmp_path / "roster.csv", [("1", "remotes/slow.git")])
    done = collect(
        str(roster),
        "--deadline",
        DEADLINE,
        "--out",
        str(tmp_path / "o"),
        "--state",
        str(tmp_path / "s"),
        "--timeout",
        "0.000001",
    )
    assert done.returncode == 1
    assert "time limit of 1e-06 s ran out" in summary(tmp_path / "o")["1"]["reason"]


def test_a_silent_server_is_cut_off_and_ctrl_c_ends_every_git(tmp_path: Path) -> None:
    """A git:// server that accepts and never answers: the time limit ends the group;
    a Ctrl-C during the fetch ends the run and closes git's connection."""
    import signal
    import socket

    def silent_roster(server: socket.socket, name: str) -> tuple[str, ...]:
        roster = write_roster(tmp_path / name, [("1", f"git://127.0.0.1:{server.getsockname()[1]}/x.git")])
        return (str(roster), "--deadline", DEADLINE, "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s"))

    with socket.create_server(("127.0.0.1", 0)) as server:
        done = collect(*silent_roster(server, "one.csv"), "--timeout", "3")
        assert done.returncode == 1
        assert summary(tmp_path / "o")["1"]["reason"].endswith("the repository's time limit of 3 s ran out")

    with socket.create_server(("127.0.0.1", 0)) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "exam_pdf", "collect", *silent_roster(server, "two.csv"), "--timeout", "600"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        server.settimeout(120)
        connection, _ = server.accept()
        connection.settimeout(120)
        assert connection.recv(4)  # git is connected and has sent its request
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 130 and "interrupted" in stderr
        while connection.recv(4096):  # the rest of git's request, then the end: git was killed
            pass  # (a git still running would keep the connection open: recv times out, the test fails)
        connection.close()


# --- the roster ---------------------------------------------------------------------------


def test_the_roster_keeps_every_row_with_its_reason(tmp_path: Path) -> None:
    repo = Repo(tmp_path, "r")
    repo.commit({"reports/README.md": report("x")}, BEFORE)
    repo.push()
    other = Repo(tmp_path, "other")
    other.commit({"reports/README.md": report("y")}, BEFORE)
    other.push()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "\ufeffGroup Number;Student 1;Student 2;Student 3;Student 4;Student 5;Repo URL\n"
        "1;a;b;;;;remotes/r.git\n"
        "01;a;b;;;;remotes/r.git\n"  # the same group again, the same repository
        "2;c;;;;;remotes/r.git\n"
        "2;d;;;;;remotes/other.git\n"  # the same group again, another repository
        "three;e;;;;;remotes/r.git\n"
        "4;f\n"  # a short row: no URL
        "\n"
        ";;;;;;\n",
        "utf-8",
    )
    done = collect(str(roster), "--deadline", DEADLINE, "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s"))
    assert done.returncode == 1
    rows = json.loads((tmp_path / "o" / "collect.json").read_text())["groups"]
    outcome = [(r["line"], r["group"], r["status"], r["reason"]) for r in rows]
    assert outcome == [
        (2, "1", "collected", None),
        (3, "1", "failed", "group 1 is listed again (first on line 2)"),
        (4, "2", "failed", "group 2 is also on line 5, with another repository"),
        (5, "2", "failed", "group 2 is also on line 4, with another repository"),
        (6, None, "failed", "the group number 'three' is not a number"),
        (7, "4", "failed", "no repository URL"),
    ]
    assert rows[0]["students"] == ["a", "b"]
    assert submission(tmp_path / "o", "1")["status"] == "collected"  # the duplicate did not overwrite it


@pytest.mark.parametrize(
    ("roster_text", "deadline", "message"),
    [
        (None, DEADLINE, "no such roster file"),
        ("group_number,repo_url\n1,x\n", "24 January", "not an ISO 8601 time"),
        ("group_number,repo_url\n1,x\n", "2026-01-24T23:59:59", "give the time zone"),
        ("name,members\nA,b\n", DEADLINE, "the header needs a group column"),
        ("", DEADLINE, "the roster is empty"),
        ("group_number,repo_url\n", DEADLINE, "the roster lists no group"),
        (b"\xff\xfe\x00g", DEADLINE, "cannot read the roster"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, roster_text: str | bytes | None, deadline: str, message: str
) -> None:
    roster = tmp_path / "roster.csv"
    if isinstance(roster_text, bytes):
        roster.write_bytes(roster_text)
    elif roster_text is not None:
        roster.write_text(roster_text)
    done = collect(str(roster), "--deadline", deadline, "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_only_plain_paths_below_reports_are_written() -> None:
    """Paths git's own checks refuse on fetch (fetch.fsckObjects) are refused here too."""
    from exam_pdf.collect.repository import Entry
    from exam_pdf.collect.snapshot import plan

    oid = "0" * 40
    names = [
        "reports/README.md",
        "reports/../x",
        "reports/.git/config",
        "reports/.GIT/hooks/x",
        "/etc/passwd",
        "reports/a\\b",
        "reports//x",
        "reports/./x",
        "other/README.md",
    ]
    files, left_out = plan([Entry("100644", "blob", oid, name) for name in names])
    assert [entry.path for entry in files] == ["reports/README.md"]
    assert len(left_out) == len(names) - 1
    assert all("not a plain path below reports/" in line for line in left_out)


@pytest.mark.parametrize("watched", [False, True], ids=["plain", "watched"])
def test_a_stopped_git_leaves_no_pipe_open(tmp_path: Path, watched: bool) -> None:
    """A git call stopped on its time limit closes its pipes: left to the garbage collector,
    they surface as an "unclosed file" warning in whatever runs next (a flaky failure)."""
    import gc
    import socket
    import warnings

    from exam_pdf.collect.gitrun import Budget, GitFailed, git

    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "m.git")], check=True)
    with socket.create_server(("127.0.0.1", 0)) as server, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        url = f"git://127.0.0.1:{server.getsockname()[1]}/x.git"
        with pytest.raises(GitFailed, match="time limit"):
            git(
                tmp_path / "m.git",
                "ls-remote",
                url,
                budget=Budget(1.0, 10**6),
                transport="git",
                watch=(tmp_path / "m.git") if watched else None,
            )
        gc.collect()
    assert not [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
