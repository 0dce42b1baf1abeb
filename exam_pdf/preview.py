"""``exam-pdf preview``: serve the report's HTML on localhost and rebuild it on every change.

A watcher thread polls the README and every file in its folder (figures) for changes
of modification time or size, every :data:`POLL_SECONDS`, and rebuilds the page with
the same builder as ``exam-pdf html`` (into the cache folder, never beside the README).
A threaded ``http.server`` serves the latest page and the figures.

Reloading: the report's pages carry a Content-Security-Policy that forbids scripts.
Only the copy *served by the preview* gets a small script that asks the server for
the build number twice a second and reloads the page when it changes (a reload keeps
the scroll position, and happens only after a rebuild, unlike a ``<meta refresh>``
every second). The policy of that served copy allows exactly that script (a random
nonce per run) and requests to the preview server itself; the files written by
``exam-pdf html`` are never changed.
"""

from __future__ import annotations

import html
import http.server
import ipaddress
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from exam_pdf.errors import BuildError, ReportError

POLL_SECONDS = 0.3
VERSION_PATH = "/__exam-pdf/version"
#: Files in the report's folder watched at most (a report folder holds a README and its figures).
MAX_WATCHED = 5000
_SKIP_DIRS = {".exam-pdf-cache", ".git", "__pycache__", "node_modules"}

_RELOAD = """<script nonce="{nonce}">
(function () {{
  var built = "{version}";
  function poll() {{
    fetch("{path}", {{cache: "no-store"}}).then(function (r) {{ return r.text(); }}).then(function (v) {{
      if (v !== built) {{ location.reload(); }} else {{ setTimeout(poll, 500); }}
    }}).catch(function () {{ setTimeout(poll, 2000); }});
  }}
  setTimeout(poll, 500);
}})();
</script>"""

_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>exam-pdf preview: error</title>
<style>body {{ font-family: sans-serif; margin: 2rem; }} pre {{ white-space: pre-wrap; color: #a00; }}</style>
</head><body><h1>The report could not be built</h1><pre>{message}</pre>
<p>The page reloads when the file changes.</p></body></html>"""


def snapshot(folder: Path, readme: Path, skip: Path | None = None) -> dict[str, tuple[int, int]]:
    """(modification time in ns, size) of the README and each file below its folder.

    Hidden folders, ``.exam-pdf-cache`` and ``skip`` (the build's own work folder, which
    each build writes to) are left out, so a build never triggers the next one.
    """
    found: dict[str, tuple[int, int]] = {}
    skipped = os.path.realpath(skip) if skip is not None else None
    try:
        stat = readme.stat()
        found[str(readme)] = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        found[str(readme)] = (-1, -1)
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS and not d.startswith(".") and os.path.realpath(os.path.join(root, d)) != skipped
        )
        for name in files:
            if len(found) >= MAX_WATCHED:
                return found
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def add_reload(page: str, version: int, nonce: str) -> str:
    """The served copy of a page: its policy allows the reload script, which is added."""
    policy = f"script-src 'nonce-{nonce}'; connect-src 'self'; "
    page = page.replace("content=\"default-src 'none';", f"content=\"{policy}default-src 'none';", 1)
    script = _RELOAD.format(nonce=nonce, version=version, path=VERSION_PATH)
    return page.replace("</body>", script + "\n</body>", 1) if "</body>" in page else page + script


class Preview:
    """The latest build of one report, and the thread that keeps it current."""

    def __init__(
        self,
        readme: Path,
        work: Path,
        edition: str = "auto",
        notes: bool = True,
        log: Callable[[str], None] = print,
    ) -> None:
        self.readme = readme
        self.folder = readme.parent
        self.work = work
        self.out_dir = work / "preview"
        self.edition = edition
        self.notes = notes
        self.log = log
        self.nonce = secrets.token_urlsafe(16)
        self.version = 0
        self.page = b""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.seen: dict[str, tuple[int, int]] = {}

    def build(self) -> None:
        """Build the page once; a failure becomes an error page (the server keeps running)."""
        from exam_pdf.builders import build_html
        from exam_pdf.formats import summary_line
        from exam_pdf.source import read_source

        started = time.monotonic()
        # taken before building: a change made during the build is seen on the next poll
        self.seen = snapshot(self.folder, self.readme, self.work)
        try:
            source = read_source(self.readme)
            out, result = build_html(
                source, self.out_dir / "report.html", self.work, notes=self.notes, edition=self.edition
            )
            text = out.read_text("utf-8")
            message = f"rebuilt in {time.monotonic() - started:.1f} s: {summary_line(result)}"
        except (ReportError, BuildError) as exc:
            text = _ERROR_PAGE.format(message=html.escape(str(exc)))
            message = f"cannot build: {exc}"
        except Exception as exc:  # keep serving; the student sees what went wrong
            text = _ERROR_PAGE.format(message=html.escape(f"{type(exc).__name__}: {exc}"))
            message = f"cannot build: {type(exc).__name__}: {exc}"
        with self._lock:
            self.version += 1
            self.page = add_reload(text, self.version, self.nonce).encode("utf-8")
        self.log(message)

    def watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            if snapshot(self.folder, self.readme, self.work) != self.seen:
                self.build()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.watch, name="exam-pdf-preview-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.ident is not None:  # started
            self._thread.join(timeout=5)

    def current(self) -> tuple[int, bytes]:
        with self._lock:
            return self.version, self.page


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def handler(preview: Preview) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(preview.out_dir), **kwargs)

        def _host_allowed(self) -> bool:
            """Served on a loopback address, only requests that name one are answered, so that
            a web page elsewhere cannot read the report through DNS rebinding."""
            address = self.server.server_address
            if not (isinstance(address, tuple) and _is_loopback(str(address[0]))):
                return True
            host = (self.headers.get("Host") or "").strip().lower()
            name = host[1:].split("]")[0] if host.startswith("[") else host.split(":")[0]
            return _is_loopback(name)

        def do_HEAD(self) -> None:
            if not self._host_allowed():
                self.send_error(403, "Unknown host")
                return
            super().do_HEAD()

        def do_GET(self) -> None:
            if not self._host_allowed():
                self.send_error(403, "Unknown host")
                return
            path = urlsplit(self.path).path
            if path in ("/", "/index.html", "/report.html"):
                self._send(preview.current()[1], "text/html; charset=utf-8")
            elif path == VERSION_PATH:
                self._send(str(preview.current()[0]).encode(), "text/plain; charset=utf-8")
            else:
                super().do_GET()  # figures copied beside the page; no listing outside out_dir

        def list_directory(self, path: str | os.PathLike[str]) -> None:
            self.send_error(404, "No listing")
            return None

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per rebuild is enough

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def check_port(host: str, port: int) -> None:
    """BuildError (one line, exit 2) now when ``host:port`` cannot be listened on.

    The command line asks before it makes the work folder beside the report, so that
    a port in use leaves nothing behind; :func:`serve` then takes the port for good.
    """
    import errno

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise BuildError(f"port {port} is in use; try --port 0") from None
            raise BuildError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    readme: Path,
    work: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    edition: str = "auto",
    notes: bool = True,
    log: Callable[[str], None] = print,
) -> None:
    """Listen, build, serve and watch until Ctrl-C.

    The port is taken first: a port in use is one line and exit 2 at once, not after a build.
    """
    import errno

    preview = Preview(readme, work, edition, notes, log)
    server_class = type("Server", (_Server,), {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
    try:
        server = server_class((host, port), handler(preview))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise BuildError(f"port {port} is in use; try --port 0") from None
        raise BuildError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        preview.out_dir.mkdir(parents=True, exist_ok=True)
        preview.build()
        bound_port = server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        log(f"serving {readme} at http://{shown}:{bound_port}/ (Ctrl-C to stop)")
        preview.start()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log("stopped")
    finally:
        preview.stop()
        server.server_close()
