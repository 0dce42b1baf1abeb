"""Sphinx configuration of the exam-pdf manual (``tox -e docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # the checkout's exam_pdf, also without an install

from exam_pdf import __version__  # noqa: E402

project = "exam-pdf"
author = "exam-pdf contributors"
copyright = "exam-pdf contributors"
version = release = __version__

extensions = ["myst_parser", "exam_pdf_docs"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
language = "en"

html_theme = "alabaster"
html_title = f"exam-pdf {release}"
html_static_path: list[str] = []
smartquotes = False  # options such as --edition must stay as typed
