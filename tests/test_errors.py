"""Errors in one line (issue 11, point 6), escaped terminal output (issue 17, point 4),
a batch that shows every group (issue 11), and ``preview``'s port taken first (issue 11, point 8).

Permission errors need a user the file system says no to: as root (CI), those commands
run as ``nobody`` through ``setpriv``. A full disk is a small tmpfs mounted in a mount
namespace of the command's own (``unshare -m``), which needs root.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import warmcli
from click.testing import Result

from exam_pdf.terminal import os_error_in, os_problem, shown

REPORT = "# Exam report\n\n### Question 1\n> **Enter the group number.**\n>\n> Answer:\n\n42\n"
ROOT = os.geteuid() == 0
NOBODY = 65534


def run(*args: str | Path, cwd: Path | None = None, user: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    """``exam-pdf ARGS`` as a fresh process; ``user``: as an ordinary user (``nobody`` when we are root)."""
    if not (user and ROOT):
        return warmcli.run(args, cwd=cwd, timeout=300, env={**os.environ, **env})
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to run as an ordinary user")
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-m", "exam_pdf"]
    return subprocess.run(
        [*command, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, **env}
    )


def one_error_line(done: subprocess.CompletedProcess[str] | Result) -> str:
    """The single ``exam-pdf: error:`` line of a run that ended with exit 2."""
    code = done.returncode if isinstance(done, subprocess.CompletedProcess) else done.exit_code
    assert code == 2, (code, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("exam-pdf: error: "), done.stderr
    return lines[0].removeprefix("exam-pdf: error: ")


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder that an ordinary user can enter (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="exam-pdf-errors-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(folder)


def _user_tree(shared: Path) -> tuple[Path, Path]:
    """A read-only report folder and a user cache, both usable by an ordinary user."""
    report = shared / "reports"
    report.mkdir()
    (report / "README.md").write_text(REPORT, "utf-8")
    cache = shared / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    report.chmod(0o555)
    return report, cache


# --- unwritable outputs: one line before any build ----------------------------------------------


def test_an_unwritable_out_is_one_line_before_building(shared: Path) -> None:
    _, cache = _user_tree(shared)
    locked = shared / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    done = run("html", "reports", "--out", "locked/site", cwd=shared, user=True, XDG_CACHE_HOME=str(cache))
    assert one_error_line(done) == "cannot write to locked/site: permission denied"
    assert not any(cache.iterdir())  # nothing was built, not even intermediate files


def test_a_read_only_report_folder_without_out_says_to_use_out(shared: Path) -> None:
    report, cache = _user_tree(shared)
    done = run("html", "reports", cwd=shared, user=True, XDG_CACHE_HOME=str(cache))
    line = one_error_line(done)
    assert line.startswith("cannot write to reports: permission denied")
    assert "--out" in line
    # With --out it builds; the intermediate files go to the user's cache.
    out = shared / "site"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    done = run("html", "reports", "--out", "site", cwd=shared, user=True, XDG_CACHE_HOME=str(cache))
    assert done.returncode == 0, done.stderr
    assert "wrote site/report.html" in done.stdout
    assert any((cache / "exam-pdf").iterdir()) and not (report / ".exam-pdf-cache").exists()


def test_a_batch_with_an_unwritable_out_or_state_is_one_line(shared: Path) -> None:
    _, cache = _user_tree(shared)
    root = shared / "root"
    (root / "g1").mkdir(parents=True)
    (root / "g1" / "README.md").write_text(REPORT, "utf-8")
    locked = shared / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    done = run("batch", "root", "--out", "locked", cwd=shared, user=True, XDG_CACHE_HOME=str(cache))
    assert one_error_line(done) == "cannot write to locked: permission denied"
    out = shared / "archive"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    done = run("batch", "root", "--out", "archive", "--state", "locked/state", cwd=shared, user=True)
    assert one_error_line(done) == "cannot write to locked/state: permission denied"
    # The default state folder lives in the user's cache; a read-only one is named with what to do.
    cache.chmod(0o555)
    done = run("batch", "root", "--out", "archive", cwd=shared, user=True, XDG_CACHE_HOME=str(cache))
    line = one_error_line(done)
    assert line.startswith(f"cannot write to {cache}/exam-pdf/batch/") and "--state" in line
    assert list(out.iterdir()) == []


def test_a_file_where_a_folder_should_be(
    tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text(REPORT, "utf-8")
    (tmp_path / "public").write_text("a file, not a folder", "utf-8")
    done = cli("html", "reports", "--out", "public/site")
    assert one_error_line(done) == "cannot write to public/site: public is a file, not a folder"
    done = cli("html", "reports", "--cache-dir", "public/work")
    assert one_error_line(done).startswith("cannot write to public/work: public is a file, not a folder")
    done = cli("html", "reports", "--out", "public")  # click's own check, same manners
    assert done.exit_code == 2 and "is a file" in done.stderr
    assert not list(tmp_path.rglob("report.html"))


def test_a_full_disk_during_the_build_is_one_line(tmp_path: Path) -> None:
    if not ROOT or shutil.which("unshare") is None:
        pytest.skip("mounting a small tmpfs needs root and unshare")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text(REPORT + "\n" + "Our answer, at length. " * 2000, "utf-8")
    (tmp_path / "full").mkdir()
    # 8 KiB: room for the probe, not for the page.
    script = 'mount -t tmpfs -o size=8k exam-pdf-test full && exec "$@"'
    command = ["unshare", "-m", "sh", "-c", script, "sh", sys.executable, "-m", "exam_pdf", "html", "reports"]
    done = subprocess.run([*command, "--out", "full"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    if "mount" in done.stderr and done.returncode != 2:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    line = one_error_line(done)
    assert line.startswith("full/") and line.endswith(": no space left on device"), line


def test_an_os_error_inside_a_library_error_is_found_and_named(tmp_path: Path) -> None:
    class Wrapped(Exception):  # how Sphinx's ExtensionError carries what an extension raised
        def __init__(self, orig_exc: BaseException) -> None:
            super().__init__("Handler threw an exception")
            self.orig_exc = orig_exc

    inner = PermissionError(13, "Permission denied", str(Path.cwd() / "build" / "x.html"))
    assert os_error_in(Wrapped(inner)) is inner
    assert os_error_in(ValueError("no")) is None
    try:
        try:
            raise OSError(28, "No space left on device", "/elsewhere/report.pdf")
        except OSError as exc:
            raise RuntimeError("writing failed") from exc
    except RuntimeError as outer:
        found = os_error_in(outer)
    assert found is not None and os_problem(found) == "/elsewhere/report.pdf: no space left on device"
    assert os_problem(inner) == "build/x.html: permission denied"  # relative to the current folder


# --- paths as typed, line:column ----------------------------------------------------------------


def test_encoding_error_names_the_path_as_typed_and_line_column(
    tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_bytes(
        REPORT.encode() + "\nSå godt som færdig.\n".encode() + b"Group 7 wrote \xe5 in Latin-1\n"
    )
    lines = REPORT.count("\n") + 3
    for command in ("html", "pdf", "build", "preview"):
        done = cli(command, "reports")
        expected = f"reports/README.md:{lines}:15: not UTF-8 text (byte 0xe5); save it as UTF-8"
        assert one_error_line(done) == expected


def test_other_unreadable_reports_name_the_path_as_typed(
    tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g" / "reports").mkdir(parents=True)
    readme = tmp_path / "g" / "reports" / "README.md"
    readme.write_bytes(b"")
    assert one_error_line(cli("pdf", "g")) == "g/reports/README.md: is empty"
    readme.write_text("# Our project\n", "utf-8")
    line = one_error_line(cli("build", "g/reports/README.md"))
    assert line.startswith("g/reports/README.md: no '### Question N' sections found")


# --- the terminal sees control characters escaped -----------------------------------------------

HOSTILE = "\x1b[31mred\u202eevil"


def test_shown_escapes_controls_and_bidi_and_keeps_the_rest() -> None:
    assert shown(HOSTILE) == "\\x1b[31mred\\u202eevil"
    assert shown("tab\there\nnew \x7f \x9b \u2066 \u200f") == "tab\\x09here\\x0anew \\x7f \\x9b \\u2066 \\u200f"
    assert shown("Æbleskiver på dansk, 日本語, emoji 🙂") == "Æbleskiver på dansk, 日本語, emoji 🙂"


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if c != "\n" and shown(c) != c]


def test_batch_escapes_folder_names_and_shows_every_group(tmp_path: Path) -> None:
    root = tmp_path / "root"
    folders = {
        f"binary-{HOSTILE}": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "latin-1": REPORT.encode() + "Æbleskiver\n".encode("latin-1"),
        "empty": b"",
        "no-questions": b"# Our project\n\nSee the code.\n",
    }
    for name, data in folders.items():
        (root / name / "reports").mkdir(parents=True)
        (root / name / "reports" / "README.md").write_bytes(data)
    (root / f"nothing-{HOSTILE}").mkdir()
    outside = tmp_path / "elsewhere.md"
    outside.write_text(REPORT, "utf-8")
    (root / "linked").mkdir()
    (root / "linked" / "README.md").symlink_to(outside)
    out, cache = tmp_path / "archive", tmp_path / "cache"
    done = run("batch", root, "--out", out, XDG_CACHE_HOME=str(cache))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not _raw_controls(done.stdout) and not _raw_controls(done.stderr)
    assert "binary-\\x1b[31mred\\u202eevil/reports/README.md" in done.stdout
    assert f"skipped: nothing-{shown(HOSTILE)}: no README.md or reports/README.md" in done.stdout
    assert f"failed: binary-{shown(HOSTILE)}/reports/README.md: " in done.stderr
    # Every group that handed something in is a failed row, with its reason, in all three files.
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    reasons = {entry["folder"]: entry["reason"] for entry in data["reports"]}
    assert {entry["status"] for entry in data["reports"]} == {"failed"}
    assert sorted(reasons) == sorted([*folders, "linked"])
    assert reasons[f"binary-{HOSTILE}"] == f"binary-{HOSTILE}/reports/README.md: is a binary file, not Markdown text"
    line = REPORT.count("\n") + 1
    assert reasons["latin-1"] == f"latin-1/reports/README.md:{line}:1: not UTF-8 text (byte 0xc6); save it as UTF-8"
    assert reasons["empty"] == "empty/reports/README.md: is empty"
    assert "no '### Question N' sections" in reasons["no-questions"]
    assert reasons["linked"] == "README.md is a link to a file outside the group's folder"
    assert [s["folder"] for s in data["skipped"]] == [f"nothing-{HOSTILE}"]
    rows = {row["source"]: row for row in csv.DictReader((out / "summary.csv").read_text("utf-8").splitlines())}
    assert {row["status"] for row in rows.values()} == {"failed"} and len(rows) == len(reasons)
    assert rows["empty/reports/README.md"]["reason"] == reasons["empty"]
    page = (out / "index.html").read_text("utf-8")
    assert "latin-1/reports/README.md" in page and "is empty" in page
    # The archive holds what is archived, nothing else; the state is in the user's cache.
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "manifest.json", "summary.csv"]
    assert [p.name for p in (cache / "exam-pdf" / "batch").iterdir()]
    assert not list(root.rglob(".exam-pdf-*"))


def test_batch_removes_the_state_older_versions_kept_in_the_archive(tmp_path: Path) -> None:
    root, out = tmp_path / "root", tmp_path / "archive"
    (root / "g").mkdir(parents=True)
    (root / "g" / "README.md").write_text("# not a report\n", "utf-8")
    (out / ".exam-pdf-batch" / "builds").mkdir(parents=True)
    done = run("batch", root, "--out", out, "--state", tmp_path / "state", XDG_CACHE_HOME=str(tmp_path / "c"))
    assert done.returncode == 1, done.stderr
    assert not (out / ".exam-pdf-batch").exists()
    assert "removed" in done.stderr and ".exam-pdf-batch" in done.stderr
    assert not (tmp_path / "c").exists()  # --state given: the user cache is not used


def test_check_escapes_what_it_quotes(tmp_path: Path) -> None:
    folder = tmp_path / HOSTILE
    folder.mkdir()
    figure = "figures/\x1b]0;owned\x07.png"
    (folder / "README.md").write_text(REPORT + f"\n![loss](<{figure}>)\n", "utf-8")
    done = run("check", HOSTILE, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr  # the figure is missing
    assert not _raw_controls(done.stdout), done.stdout
    assert f"{shown(HOSTILE)}/README.md:" in done.stdout and shown(figure) in done.stdout


# --- preview: the port before the build ---------------------------------------------------------


def test_preview_on_a_port_in_use_is_one_line_before_building(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text(REPORT, "utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("preview", "reports", "--port", str(port), cwd=tmp_path)
    assert one_error_line(done) == f"port {port} is in use; try --port 0"
    assert not (tmp_path / "reports" / ".exam-pdf-cache").exists()  # nothing was built
