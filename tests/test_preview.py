"""``exam-pdf preview``: the real server in a subprocess, fetched over HTTP, rebuilt on a change."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from exam_pdf.preview import VERSION_PATH, add_reload

REPORT = """\
# Exam report

### Question 1
> **Our group**
>
> Answer:

42

### Question 2
> **Our members**
>
> Answer:

s123456

### Question 3
> **Describe the pipeline in 5 to 50 words.**
>
> Answer:

We use ORIGINALWORD pipelines with a figure.

![pipeline](figures/pipe.png)
"""


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str, lines: list[str]) -> None:
        self.process = process
        self.url = url
        self.lines = lines

    def get(self, path: str = "") -> tuple[int, str, Message]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode("utf-8", "replace"), response.headers
        except urllib.error.HTTPError as exc:
            return exc.code, "", exc.headers

    def wait_for(self, predicate, timeout: float) -> str:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        page = ""
        while time.monotonic() < deadline:
            page = self.get()[1]
            if predicate(page):
                return page
            time.sleep(0.05)
        raise AssertionError(f"not within {timeout} s; server said: {self.lines}")

    def wait_for_line(self, predicate, timeout: float) -> str:  # type: ignore[no-untyped-def]
        """A line the server printed after its URL (it may come after the page it describes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            served = next(i for i, line in enumerate(self.lines) if "http://" in line)
            found = [line for line in self.lines[served + 1 :] if predicate(line)]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"not within {timeout} s; server said: {self.lines}")


@pytest.fixture
def report(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    (folder / "figures").mkdir(parents=True)
    (folder / "README.md").write_text(REPORT, encoding="utf-8")
    (folder / "figures" / "pipe.png").write_bytes(png())
    return folder


@pytest.fixture
def server(report: Path) -> Iterator[Server]:
    process = subprocess.Popen(
        [sys.executable, "-m", "exam_pdf", "preview", str(report), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "http://" in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(60):
            raise AssertionError(f"the server printed no URL: {lines}")
        match = next(re.search(r"http://127\.0\.0\.1:(\d+)/", line) for line in lines if "http://" in line)
        assert match is not None, lines
        yield Server(process, match.group(0), lines)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        assert process.stdout is not None
        process.stdout.close()


def test_serves_the_report_and_rebuilds_on_a_change(server: Server, report: Path) -> None:
    status, page, headers = server.get()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "ORIGINALWORD" in page and "s123456" in page
    readme = report / "README.md"
    readme.write_text(REPORT.replace("ORIGINALWORD", "CHANGEDWORD"), encoding="utf-8")
    page = server.wait_for(lambda p: "CHANGEDWORD" in p, timeout=60)
    assert "ORIGINALWORD" not in page
    server.wait_for_line(lambda line: line.startswith("rebuilt in"), timeout=60)


def test_a_changed_figure_rebuilds_too(server: Server, report: Path) -> None:
    version = int(server.get(VERSION_PATH)[1])
    (report / "figures" / "pipe.png").write_bytes(b"not a png any more")
    deadline = time.monotonic() + 60  # a rebuild, however loaded the machine
    while int(server.get(VERSION_PATH)[1]) == version:
        assert time.monotonic() < deadline, server.lines
        time.sleep(0.05)
    page = server.wait_for(lambda p: "image-unreadable" in p or "cannot be decoded" in p.lower(), timeout=60)
    assert "pipe.png" in page


def test_the_figure_is_served_and_nothing_outside_the_page_folder(server: Server) -> None:
    status, _, headers = server.get("figures/pipe.png")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert server.get("../../../../etc/passwd")[0] == 404
    assert server.get("figures/")[0] == 404  # no folder listings


def test_only_the_served_copy_can_reload(server: Server, report: Path) -> None:
    page = server.get()[1]
    nonce = re.search(r"script-src 'nonce-([^']+)'", page)
    assert nonce is not None, "the served page's policy must allow the reload script"
    assert f'<script nonce="{nonce.group(1)}">' in page
    assert page.count("<script") == 1
    # the page on disk (what `exam-pdf html` writes) keeps the strict policy and has no script
    built = next((report / ".exam-pdf-cache").rglob("report.html")).read_text("utf-8")
    assert "<script" not in built and "script-src" not in built
    assert "default-src 'none'" in built


def test_a_broken_edit_shows_an_error_page_and_recovers(server: Server, report: Path) -> None:
    readme = report / "README.md"
    readme.write_bytes(b"")
    page = server.wait_for(lambda p: "could not be built" in p, timeout=60)
    assert "empty" in page
    readme.write_text(REPORT.replace("ORIGINALWORD", "BACKAGAIN"), encoding="utf-8")
    server.wait_for(lambda p: "BACKAGAIN" in p, timeout=60)


def test_add_reload_keeps_the_rest_of_the_policy() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; img-src 'self'\"></head><body>x</body></html>"
    )
    served = add_reload(page, 7, "abc")
    assert "content=\"script-src 'nonce-abc'; connect-src 'self'; default-src 'none'; img-src 'self'\"" in served
    assert 'var built = "7"' in served
    assert served.index(">x") < served.index("<script") < served.index("</body>")


def test_ctrl_c_exits_cleanly(report: Path) -> None:
    import signal

    process = subprocess.Popen(
        [sys.executable, "-m", "exam_pdf", "preview", str(report), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # As from a terminal: a test run started in the background (`make test &`) inherits
        # an ignored SIGINT, and Python then installs no KeyboardInterrupt handler.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "http://" in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_the_watcher_sees_figures_but_not_the_build_output(report: Path) -> None:
    from exam_pdf.preview import snapshot

    work = report / "build-cache"  # a --cache-dir inside the report's folder
    (work / "preview").mkdir(parents=True)
    (report / ".exam-pdf-cache").mkdir()
    (report / ".exam-pdf-cache" / "x.html").write_text("built")
    (work / "preview" / "report.html").write_text("built")
    seen = snapshot(report, report / "README.md", work)
    names = {Path(path).relative_to(report).as_posix() for path in seen}
    assert names == {"README.md", "figures/pipe.png"}
    before = snapshot(report, report / "README.md", work)
    (work / "preview" / "report.html").write_text("built again, longer")
    assert snapshot(report, report / "README.md", work) == before
    (report / "figures" / "new.png").write_bytes(png())
    assert snapshot(report, report / "README.md", work) != before


@pytest.mark.browser
def test_a_browser_runs_the_reload_script_and_reloads(report: Path, tmp_path: Path) -> None:
    """Chromium loads the served page; its script (allowed by the nonce) polls the build
    number; when the number changes the page reloads and shows the new build."""
    import http.server
    import shutil

    from exam_pdf.preview import Preview, handler

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is installed by `make setup`"
    preview = Preview(report / "README.md", tmp_path / "work", log=lambda line: None)
    preview.out_dir.mkdir(parents=True)
    preview.build()
    requests: list[str] = []
    base = handler(preview)

    class Counting(base):  # type: ignore[valid-type,misc]
        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path == VERSION_PATH and requests.count(VERSION_PATH) == 1:
                (report / "README.md").write_text(REPORT.replace("ORIGINALWORD", "RELOADEDWORD"), encoding="utf-8")
                preview.build()  # what the watcher would do: a new build, a new number
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=5000",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--dump-dom",
                f"http://127.0.0.1:{server.server_address[1]}/",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert VERSION_PATH in requests, requests  # the script ran: the policy allowed it
    assert requests.count("/") >= 2, requests  # and it reloaded the page after the new build
    assert "RELOADEDWORD" in done.stdout, done.stdout[-2000:]


def test_requests_for_another_host_name_are_refused(server: Server) -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 must not read the report."""
    for host, expected in (("evil.example:8000", 403), ("localhost", 200), ("127.0.0.1:1", 200), ("[::1]:80", 200)):
        request = urllib.request.Request(server.url, headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, ""
        assert status == expected, host
        assert ("s123456" in body) == (expected == 200)
