"""Hostile reports (issue 6): nothing read outside the report, no command run, no script
in the HTML, no stall, and always a PDF or one clear line with exit code 2.

Most attacks sit together in one report (``tests/hostile/attacks.md``) that is built
once, HTML and PDF, through the real command line, the real Sphinx builders and the
real TeX engine. Attacks that must fail the build, or that need a folder of their own
(a poisoned build cache), get their own small reports. The TeX engine's own sandbox
(``openin_any=p``, no shell escape, ``-norc``, the timeout) is attacked directly with
hand-written .tex files, as a second line behind the LaTeX writer's escaping.

What counts as a leak: a line of /etc/passwd, the machine's host name (when long
enough to be told apart from ordinary text) or the token in our own "secret" files
beside the report folder, found in the PDF's text, its embedded files, the HTML or
any file left in the report, output or cache folders.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import struct
import subprocess
import time
import uuid
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import warmcli
from PIL import Image
from pypdf import PdfReader

HERE = Path(__file__).resolve().parent
ATTACKS = HERE / "hostile" / "attacks.md"
#: Wall-clock bound of one build of a small report (the engine's own --timeout is shorter).
BUILD_BOUND = 150
TEX_TIMEOUT = 60

PASSWD_LINES = [line for line in Path("/etc/passwd").read_text().splitlines() if len(line) >= 8]
_HOST = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
#: A two-letter host name ("vm") is in every text; only a distinctive one is a useful probe.
HOSTNAME = _HOST if len(_HOST) >= 8 else ""


# --------------------------------------------------------------------------- helpers


@dataclasses.dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float


def exam_pdf(*args: str | Path, timeout: float = BUILD_BOUND, cwd: Path | None = None) -> Run:
    """Run the command line as a fresh process, as the exam office does."""
    start = time.monotonic()
    proc = warmcli.run(
        [*map(str, args)], timeout=timeout, cwd=cwd, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def assert_clean_outcome(run: Run) -> None:
    """A PDF-or-error outcome: exit 0/1 with output, or exit 2 with one line; never a traceback."""
    assert "Traceback" not in run.stderr + run.stdout
    assert "internal error" not in run.stderr
    if run.code == 2:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, run.stderr
        assert lines[0].startswith("exam-pdf: error: "), lines[0]
    else:
        assert run.code in (0, 1), (run.code, run.stderr)


def png(size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (200, 30, 30), text: str = "") -> bytes:
    """A small valid PNG, optionally with a text chunk (to tell a raw copy of it apart)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` grey pixels, in a few hundred bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pdf_attachments(pdf: Path) -> dict[str, bytes]:
    reader = PdfReader(pdf)
    return {name: b"".join(parts) for name, parts in reader.attachments.items()}


def squeeze(text: str) -> str:
    """Drop white space and hyphens: a typeset line may be hyphenated or broken anywhere."""
    return re.sub(r"[\s\-\u00ad]+", "", text)


class Secrets:
    """Files outside the report folder that a report must never read, and markers of commands."""

    def __init__(self, root: Path) -> None:
        self.token = "ZQXSECRET" + uuid.uuid4().hex[:12].upper()
        self.dir = root / "secret"
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "canary.tex").write_text(f"{self.token}\n")
        (self.dir / "canary.csv").write_text(f"a,b\n{self.token},1\n")
        (self.dir / "canary.png").write_bytes(png(text=self.token))
        self.mark = f"/tmp/exam-pdf-pwned-{uuid.uuid4().hex}"

    def probes(self) -> list[str]:
        return [self.token, *PASSWD_LINES, *([HOSTNAME] if HOSTNAME else [])]

    def markers(self) -> list[Path]:
        return [p for p in Path("/tmp").glob(Path(self.mark).name + "*")]


def leaks_in(data: bytes | str, probes: list[str]) -> list[str]:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    squeezed = squeeze(text)
    return [p for p in probes if p in text or squeeze(p) in squeezed]


def assert_no_leaks(folders: list[Path], secrets: Secrets) -> int:
    """No probe in any file under ``folders`` (PDF text and attachments included); returns files seen."""
    probes = secrets.probes()
    seen = 0
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_symlink() or not path.is_file() or secrets.dir in path.parents:
                continue
            seen += 1
            found = leaks_in(path.read_bytes(), probes)
            if path.suffix == ".pdf":
                found += leaks_in(pdf_text(path), probes)
                for name, data in pdf_attachments(path).items():
                    found += [f"{p} (attachment {name})" for p in leaks_in(data, probes)]
            assert not found, f"{path}: {found[:3]}"
    assert not secrets.markers(), secrets.markers()
    return seen


#: Elements that fetch their URL when the page opens (links <a> only on a click).
_LOADS = {
    "img": ("src", "srcset"),
    "image": ("href", "xlink:href"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "script": ("src",),
    "link": ("href",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
    "base": ("href",),
    "body": ("background",),
    "table": ("background",),
    "td": ("background",),
}
_SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)", re.I)
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
_CSS_REMOTE = re.compile(r"@import|url\(\s*['\"]?\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


class ActiveContent(HTMLParser):
    """Collect everything in an HTML page that could run or load when the page opens."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.tags: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self.problems.append("<script>")
        if tag == "style":
            self._in_style = True
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs):
            self.problems.append("<meta refresh>")
        for key, value in attrs:
            value = value or ""
            if key.startswith("on"):
                self.problems.append(f"<{tag} {key}=>")
            if _SCRIPT_URL.match(value) and key in ("href", "src", "action", "formaction", "data", "xlink:href"):
                self.problems.append(f"<{tag} {key}={value[:30]}>")
            if key in _LOADS.get(tag, ()) and any(_REMOTE.match(part) for part in value.split(",")):
                self.problems.append(f"<{tag} {key}={value[:40]}> loads a remote resource")
            if key in ("src", "href") and value.strip().lower().startswith("file:"):
                self.problems.append(f"<{tag} {key}={value[:40]}>")
            if key == "style" and _CSS_REMOTE.search(value):
                self.problems.append(f"<{tag} style=...> loads a remote resource")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _CSS_REMOTE.search(data):
            self.problems.append("<style> loads a remote resource")


def active_content(page: str) -> ActiveContent:
    parser = ActiveContent()
    parser.feed(page)
    parser.close()
    return parser


def test_the_html_scanner_finds_what_it_looks_for() -> None:
    """The scanner used below is not blind: each kind of active content is reported."""
    bad = [
        "<script>x</script>",
        '<img src="a.png" onerror="x">',
        '<a href=" JavaScript:x">a</a>',
        '<iframe src="http://example.com"></iframe>',
        '<img src="//example.com/a.png">',
        "<style>@import url(http://example.com/x.css);</style>",
        '<p style="background:url(https://example.com/x.png)">p</p>',
        '<link rel="stylesheet" href="https://example.com/x.css">',
        '<meta http-equiv="refresh" content="0">',
        '<img srcset="a.png 1x, http://example.com/b.png 2x">',
    ]
    for markup in bad:
        assert active_content(markup).problems, markup
    assert not active_content('<a href="http://example.com">x</a><img src="figures/a.png" alt="x">').problems


# --------------------------------------------------------------------------- the big report


@dataclasses.dataclass
class Built:
    run: Run
    folder: Path
    out: Path
    secrets: Secrets
    html: str
    pdf: str

    @property
    def findings(self) -> str:
        return self.run.stdout


def _attack_folder(root: Path, secrets: Secrets) -> Path:
    folder = root / "report"
    figures = folder / "figures"
    figures.mkdir(parents=True)
    deep = ">" * 500 + " deep quote\n\n" + "\n".join("  " * i + "- level" for i in range(500)) + "\n"
    text = ATTACKS.read_text().replace("@SECRET@", str(secrets.dir)).replace("@MARK@", secrets.mark)
    (folder / "README.md").write_text(text.replace("@DEEP@", deep))
    ok = png()
    (figures / "ok.png").write_bytes(ok)
    (figures / 'q"onerror="alert(1).png').write_bytes(png(color=(30, 200, 30)))
    (figures / "{}\\input{x}.png").write_bytes(png(color=(30, 30, 200)))
    (figures / "link-out.png").symlink_to(secrets.dir / "canary.png")
    (figures / "passwd.png").symlink_to("/etc/passwd")
    (figures / "etc").symlink_to("/etc")
    os.mkfifo(figures / "fifo.png")
    # A report file named like a build support file: Perl that latexmk would run as its rc.
    (figures / "latexmkrc").write_text(f'system("touch {secrets.mark}-latexmkrc"); 1;\n')
    (figures / "sphinx.sty").write_bytes(ok)  # a real PNG under a support file's name
    (folder / "Makefile").write_bytes(ok)
    (folder / "report.tex").write_bytes(ok)
    (figures / "text.png").write_text("This is not a picture.\n\\input{/etc/passwd}\n")
    (figures / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>1</script></svg>'
    )
    gif = io.BytesIO()
    Image.new("P", (4, 4)).save(gif, "GIF")
    (figures / "gif.png").write_bytes(gif.getvalue())
    (figures / "bomb.png").write_bytes(bomb_png(100_000, 100_000))  # Pillow refuses it outright
    (figures / "cap.png").write_bytes(bomb_png(7_500, 7_500))  # over exam-pdf's pixel cap, under Pillow's
    noise = io.BytesIO()
    Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(noise, "PNG")
    (figures / "truncated.png").write_bytes(noise.getvalue()[: len(noise.getvalue()) * 3 // 5])
    return folder


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("hostile")
    secrets = Secrets(root)
    folder = _attack_folder(root, secrets)
    out = root / "out"
    run = exam_pdf("build", folder, "--out", out, "--timeout", TEX_TIMEOUT)
    assert run.code in (0, 1), run.stderr
    html = (out / "report.html").read_text("utf-8")
    return Built(run, folder, out, secrets, html, pdf_text(out / "report.pdf"))


@pytest.mark.latex
def test_attacks_build_to_a_pdf_in_time(attacked: Built) -> None:
    assert_clean_outcome(attacked.run)
    assert attacked.run.seconds < BUILD_BOUND
    assert (attacked.out / "report.pdf").stat().st_size > 1000
    assert "Question 8" in attacked.pdf  # the whole report is there, up to the nesting at its end


@pytest.mark.latex
def test_nothing_leaks_into_any_output_or_cache_file(attacked: Built) -> None:
    seen = assert_no_leaks([attacked.folder, attacked.out], attacked.secrets)
    assert seen >= 5  # the README, report.html, report.pdf and the cache were looked at


@pytest.mark.latex
def test_no_command_ran(attacked: Built) -> None:
    # \write18, \immediate\write18, a {raw} latex block and a file named latexmkrc (Perl)
    assert f"{attacked.secrets.mark}-m1" in attacked.html  # the attack reached the page, as text
    assert not attacked.secrets.markers()


@pytest.mark.latex
def test_html_has_no_script_handler_or_remote_resource(attacked: Built) -> None:
    page = attacked.html
    assert "<script" not in page.lower()
    scan = active_content(page)
    assert not scan.problems, scan.problems
    assert "img" in scan.tags  # the valid figures are still shown
    assert "styled paragraph" in page and "click me" in page  # harmless text survives


@pytest.mark.latex
def test_html_links_are_web_mail_or_local(attacked: Built) -> None:
    hrefs = re.findall(r"""\bhref\s*=\s*["']([^"']*)""", attacked.html, re.I)
    assert any(h.startswith("http://example.com/ok") for h in hrefs)
    for href in hrefs:
        assert re.match(r"^(https?:|mailto:|#|[^:]*$)", href.strip(), re.I), href


@pytest.mark.latex
def test_directive_fences_are_shown_not_run(attacked: Built) -> None:
    flagged = re.findall(r"warning unsafe-content .*?```(\{[\w-]+\})", attacked.findings)
    for name in ("{include}", "{literalinclude}", "{raw}", "{eval-rst}", "{csv-table}", "{image}"):
        assert name in flagged, name
    # shown as the code it is, in both outputs
    assert ".. include:: /etc/passwd" in attacked.html
    assert "{eval-rst}" in attacked.pdf
    # front matter switches nothing on: the colon fence and the substitution stay text
    assert ":::{include} /etc/passwd" in attacked.html
    assert "{{ evil }}" in attacked.html


@pytest.mark.latex
def test_images_outside_the_folder_are_refused(attacked: Built) -> None:
    outside = re.findall(r"error image-outside-report Question [45]: '([^']*)'", attacked.findings)
    for uri in (
        "http://example.com/remote.png",
        "//example.com/remote2.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "/etc/passwd",
        "../../etc/hostname",
        "../secret/canary.png",
        "file:///etc/passwd",  # as <img src>; markdown-it itself drops file: from ![](...)
        "//example.com/proto-relative.png",
        "figures/link-out.png",
        "figures/passwd.png",
        "figures/etc/hostname",
        f"{attacked.secrets.dir}/canary.png",
    ):
        assert uri in outside, uri
    embedded = set(pdf_attachments(attacked.out / "report.pdf"))
    assert not {name for name in embedded if "canary" in name or "passwd" in name or "link-out" in name}


@pytest.mark.latex
def test_broken_and_disguised_images_become_placeholders(attacked: Built) -> None:
    findings = attacked.findings
    for name in (
        "figures/text.png",
        "figures/evil.svg",
        "figures/bomb.png",
        "figures/cap.png",
        "figures/truncated.png",
    ):
        assert re.search(rf"error image-unreadable Question 5: '{re.escape(name)}'", findings), name
    assert re.search(r"error image-unreadable Question 5: 'figures/latexmkrc'", findings)
    # Real PNGs under a support file's name are shown, as a browser shows them, under a
    # content-hash name (test_file_names_never_reach_the_build_folder), with a warning.
    for name in ("figures/sphinx.sty", "Makefile", "report.tex"):
        assert re.search(rf"warning image-misnamed Question 5: '{re.escape(name)}': a PNG file", findings), name
    assert re.search(r"error image-format Question 5: 'figures/gif.png': a GIF file", findings)
    assert re.search(r"image-missing Question 5: 'figures/fifo.png'", findings)
    assert attacked.pdf.count("Figure not shown") >= 20


@pytest.mark.latex
def test_file_names_never_reach_the_build_folder(attacked: Built) -> None:
    """Valid figures are used under content-hash names, whatever the report called them."""
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]*)"', attacked.html)
    assert any("onerror" in s for s in srcs)  # the figure named q"onerror="... is shown ...
    assert all('"' not in s and "<" not in s for s in srcs)  # ... with its name quoted in the URL
    images = subprocess.run(
        ["pdfimages", "-list", str(attacked.out / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert len(images.splitlines()) - 2 >= 3  # ok.png, the quote and the TeX-named figure


@pytest.mark.latex
def test_math_that_is_not_plain_math_is_printed_as_code(attacked: Built) -> None:
    pdf = squeeze(attacked.pdf)
    for shown in (
        r"\input{/etc/passwd}",
        r"\immediate\write18",
        r"\csnameinput\endcsname",
        r"\def\x{\x}\x",
        "^^5cinput",
        r"\openin1=/etc/passwd",
        r"a\\%b",
    ):
        assert squeeze(shown) in pdf, shown
    assert "95%" in attacked.pdf  # an allowed formula is typeset, not shown as source


@pytest.mark.latex
def test_latex_specials_are_text(attacked: Built) -> None:
    pdf = squeeze(attacked.pdf)
    assert squeeze(r"Specials # $ % & ~ _ ^ \ { } \input{/etc/passwd}") in pdf
    assert squeeze(r"\end{sphinxVerbatim}\input{/etc/passwd}") in pdf
    # the title page prints the title as written (the raw <b> as text), every special intact
    assert squeeze(r"Exam report \input{/etc/passwd} & <b>bold</b> $ % ~ _ ^ { }") in pdf


@pytest.mark.latex
def test_pdf_links_keep_their_target(attacked: Built) -> None:
    """Link targets reach hyperref as written (no break points or escapes inside the URI)."""
    uris = []
    for page in PdfReader(attacked.out / "report.pdf").pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    # The one Markdown link, as markdown-it normalised it (\ { } percent-encoded); raw HTML
    # links are printed as text in the PDF, script links are text everywhere.
    assert uris == ["http://example.com/a%7D%5Cinput%7Bx%7D?q=%25#frag"]


# --------------------------------------------------------------------------- a poisoned build cache


@pytest.mark.latex
def test_a_committed_build_cache_is_not_trusted(tmp_path: Path) -> None:
    """The default work folder lives beside the README, so a report can ship one.

    Stale sources (an extra page with an outside image), a report.aux (runs as TeX) with a
    symlink to a file outside, a symlinked html folder and a symlink planted where the
    PDF is written first must all be ignored. The folder's name (which goes into the
    page title and the PDF's) is full of TeX and HTML specials.
    """
    secrets = Secrets(tmp_path)
    folder = tmp_path / "g\\input{x}#%$&_~^<script>"
    cache = folder / ".exam-pdf-cache"
    (cache / "src").mkdir(parents=True)
    (cache / "latex").mkdir()
    (folder / "README.md").write_text(
        "# Exam report\n\n### Question 1\n> **Enter the group number.**\n>\n> Answer:\n\n42\n\n"
        "![over the byte cap](huge.png)\n"
    )
    with (folder / "huge.png").open("wb") as huge:  # sparse: 30 MB that take no disk space
        huge.truncate(30 * 1024 * 1024)
    (folder / "report.html").symlink_to(secrets.dir / "canary.csv")
    (cache / "src" / "other.md").write_text("# Other\n\n![x](../../../secret/canary.png)\n")
    (cache / "src" / "index.md").symlink_to(secrets.dir / "canary.tex")
    (cache / "latex" / "leak.tex").symlink_to(secrets.dir / "canary.tex")
    (cache / "latex" / "report.aux").write_text("\\relax\n\\input{leak.tex}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (cache / "html").symlink_to(elsewhere)
    (folder / ".report.pdf.tmp").symlink_to(secrets.dir / "canary.tex")
    before = (secrets.dir / "canary.tex").read_text()

    run = exam_pdf("build", folder, "--timeout", TEX_TIMEOUT)

    assert_clean_outcome(run)
    assert run.code == 1, run.stderr  # the over-cap figure is an error, nothing else
    assert "error image-unreadable Question 1: 'huge.png'" in run.stdout
    assert (folder / "report.pdf").is_file() and not (folder / "report.html").is_symlink()
    assert (folder / "report.pdf").stat().st_size < 5 * 1024 * 1024  # the 30 MB file is not embedded
    assert set(pdf_attachments(folder / "report.pdf")) == {"README.md"}
    assert (secrets.dir / "canary.csv").read_text() == f"a,b\n{secrets.token},1\n"  # not written through
    assert (secrets.dir / "canary.tex").read_text() == before  # nothing written through a symlink
    assert not list(elsewhere.iterdir())
    assert_no_leaks([folder], secrets)
    page = (folder / "report.html").read_text()
    assert "<script" not in page.lower() and "g\\input{x}#%$&amp;_~^&lt;script&gt;" in page


def test_a_symlinked_cache_folder_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "README.md").write_text(
        "# Exam report\n\n### Question 1\n> **Enter the group number.**\n>\n> Answer:\n\n42\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / ".exam-pdf-cache").symlink_to(elsewhere)
    run = exam_pdf("html", folder, cwd=tmp_path, timeout=120)
    assert run.code == 0, run.stderr
    assert (folder / "report.html").is_file()
    assert not list(elsewhere.iterdir())


def test_figure_copies_stay_inside_the_output_folder(tmp_path: Path) -> None:
    """A figure reference with '..' that still resolves inside the report (or with a query)
    must not place the copy for ``--out`` outside that folder."""
    folder = tmp_path / "groups" / "17" / "reports"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "a.png").write_bytes(png())
    (folder / "figures" / "b.png").write_bytes(png(color=(0, 0, 0)))
    (folder / "README.md").write_text(
        "# Exam report\n\n### Question 1\n> **Enter the group number.**\n>\n> Answer:\n\n42\n\n"
        "![up and back](../../17/reports/figures/a.png) ![query](figures/b.png?v=2#x)\n"
    )
    out = tmp_path / "out" / "17"
    before = {p for p in tmp_path.rglob("*")}
    run = exam_pdf("html", folder, "--out", out, timeout=120)
    assert run.code == 0, run.stderr
    assert_clean_outcome(run)
    created = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in created if out not in p.parents and p != out and folder not in p.parents]
    assert not [p for p in outside if p not in out.parents], outside
    page = (out / "report.html").read_text()
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]*)"', page)
    assert sorted(srcs) == ["figures/a.png", "figures/b.png"]
    assert all((out / src).is_file() for src in srcs)


# --------------------------------------------------------------------------- reports that must fail


REPORT_HEAD = "# Exam report\n\n### Question 1\n> **Enter the group number.**\n>\n> Answer:\n\n42\n\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(name, content, message, id=name)
        for name, content, message in [
            ("too-big", (REPORT_HEAD + "word " * 700_000).encode(), "bytes is more than"),
            ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
            ("latin-1", (REPORT_HEAD + "Æbleskiver på dansk\n").encode("latin-1"), "not UTF-8"),
            ("utf-16", (REPORT_HEAD).encode("utf-16"), ""),
            ("empty", b"", "empty"),
            ("blank", b" \n\t\n\n", "empty"),
            ("not-a-report", b"# Hello\n\nJust a README.\n", "no '### Question N'"),
        ]
    ],
)
@pytest.mark.parametrize("command", ["check", "build"])
def test_unreadable_input_is_one_line_and_exit_2(
    tmp_path: Path, command: str, name: str, content: bytes, message: str
) -> None:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "README.md").write_bytes(content)
    run = exam_pdf(command, folder, timeout=60)
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert_clean_outcome(run)
    assert message in run.stderr
    assert not (folder / "report.pdf").exists()


def test_readme_that_is_a_folder_or_a_link_to_a_system_file(tmp_path: Path) -> None:
    secrets = Secrets(tmp_path)
    folder = tmp_path / "a"
    (folder / "README.md").mkdir(parents=True)
    run = exam_pdf("check", folder / "README.md", timeout=60)
    assert run.code == 2 and "folder" in run.stderr
    assert_clean_outcome(run)
    linked = tmp_path / "b"
    linked.mkdir()
    (linked / "README.md").symlink_to("/etc/passwd")
    for command in ("check", "build"):
        run = exam_pdf(command, linked, timeout=60)
        assert_clean_outcome(run)
        assert run.code == 2
        assert not leaks_in(run.stdout + run.stderr, secrets.probes())


@pytest.mark.latex
def test_control_characters_end_in_a_pdf_or_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ctrl"
    folder.mkdir()
    (folder / "README.md").write_text(REPORT_HEAD + "escape \x1b[31mred\x1b[0m bell \x07 vt \x0b ff \x0c del \x7f\n")
    run = exam_pdf("build", folder, "--timeout", TEX_TIMEOUT)
    assert_clean_outcome(run)
    assert run.seconds < BUILD_BOUND
    # Each control character is shown as its code point, none is dropped.
    assert run.code in (0, 1) and (folder / "report.pdf").is_file(), run.stderr
    text = subprocess.run(["pdftotext", str(folder / "report.pdf"), "-"], capture_output=True, text=True).stdout
    for code in ("U+001B", "U+0007", "U+000B", "U+000C", "U+007F"):
        assert code in text


@pytest.mark.latex
def test_one_megabyte_word_ends_in_time(tmp_path: Path) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "README.md").write_text(REPORT_HEAD + "w" * 1_000_000 + "\n")
    run = exam_pdf("build", folder, "--timeout", TEX_TIMEOUT)
    assert_clean_outcome(run)
    assert run.seconds < BUILD_BOUND
    # Every group gets a PDF (issue 17): typeset, its .tex lines and paragraphs bounded,
    # or else the plain-text fallback.
    assert run.code in (0, 1) and (folder / "report.pdf").is_file(), run.stderr
    assert "w" * 1000 in (folder / "report.html").read_text()  # the HTML is written first, in full


def test_many_tiny_questions_are_checked_quickly(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    text = "# Exam report\n\n" + "".join(
        f"### Question {i}\n> **Say {i}.**\n>\n> Answer:\n\nok\n\n" for i in range(1, 301)
    )
    (folder / "README.md").write_text(text)
    run = exam_pdf("check", folder, "--format", "json", timeout=60)
    assert run.code in (0, 1), run.stderr
    assert run.seconds < 60
    assert len(json.loads(run.stdout)["questions"]) == 300


# --------------------------------------------------------------------------- the TeX engine's own sandbox


def _tex(folder: Path, body: str, name: str = "t") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tex = folder / f"{name}.tex"
    tex.write_text("\\documentclass{article}\n\\begin{document}\n" + body + "\n\\end{document}\n")
    return tex


@pytest.mark.latex
def test_engine_runs_no_shell_and_no_rc_file(tmp_path: Path) -> None:
    from exam_pdf.builders.engine import compile_pdf

    mark = f"/tmp/exam-pdf-pwned-{uuid.uuid4().hex}"
    tex = _tex(tmp_path / "w", f"\\immediate\\write18{{touch {mark}-w18}}Shell test.")
    # latexmk would run these as Perl without -norc
    for rc in ("latexmkrc", ".latexmkrc"):
        (tex.parent / rc).write_text(f'system("touch {mark}-{rc.strip(".")}"); 1;\n')
    pdf = compile_pdf(tex, timeout=TEX_TIMEOUT)
    assert "Shell test." in pdf_text(pdf)
    assert not list(Path("/tmp").glob(Path(mark).name + "*"))


@pytest.mark.latex
def test_engine_reads_nothing_outside_its_folder(tmp_path: Path) -> None:
    from exam_pdf.builders.engine import compile_pdf
    from exam_pdf.errors import BuildError

    secrets = Secrets(tmp_path)
    probes = [("/etc/passwd", "P"), (str(secrets.dir / "canary.tex"), "C"), ("../secret/canary.tex", "R")]
    body = "".join(
        f"\\openin1={path} \\ifeof1 CLOSED{tag}\\else \\read1 to\\x OPEN{tag}\\fi \\closein1\n"
        f"\\IfFileExists{{{path}}}{{EXISTS{tag}}}{{ABSENT{tag}}}\n\n"
        for path, tag in probes
    )
    text = pdf_text(compile_pdf(_tex(tmp_path / "w", body), timeout=TEX_TIMEOUT))
    for _, tag in probes:
        assert f"CLOSED{tag}" in text and f"ABSENT{tag}" in text, text
    assert "OPEN" not in text and "EXISTS" not in text
    tex = _tex(tmp_path / "w2", "\\input{/etc/passwd}")
    with pytest.raises(BuildError):
        compile_pdf(tex, timeout=TEX_TIMEOUT)
    assert not leaks_in(tex.with_suffix(".log").read_text(errors="replace"), secrets.probes())


@pytest.mark.latex
def test_engine_writes_nothing_outside_its_folder(tmp_path: Path) -> None:
    from exam_pdf.builders.engine import compile_pdf
    from exam_pdf.errors import BuildError

    target = Path(f"/tmp/exam-pdf-pwned-{uuid.uuid4().hex}.tex")
    up = tmp_path / "up.tex"
    body = (
        f"\\immediate\\openout5={target} \\immediate\\write5{{x}} \\immediate\\closeout5\n"
        "\\immediate\\openout6=../up.tex \\immediate\\write6{x} \\immediate\\closeout6\nWrite test."
    )
    try:
        compile_pdf(_tex(tmp_path / "w", body), timeout=TEX_TIMEOUT)
    except BuildError:
        pass  # TeX stopping at the refused \\openout is as good as writing nowhere
    assert not target.exists()
    assert not up.exists()


@pytest.mark.latex
def test_engine_loop_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    from exam_pdf.builders.engine import compile_pdf
    from exam_pdf.errors import BuildError

    name = f"loop-{uuid.uuid4().hex}"
    tex = _tex(tmp_path / "w", "\\def\\x{\\x}\\x", name=name)
    start = time.monotonic()
    with pytest.raises(BuildError, match="did not finish within 3 s"):
        compile_pdf(tex, timeout=3)
    assert time.monotonic() - start < 20
    leftover = subprocess.run(["pgrep", "-f", name], capture_output=True, text=True).stdout
    assert not leftover.strip()  # the engine's whole process group was killed
